"""Citizen identity numbers (公民身份号码), GB 11643-1999.

An 18-character number: 6-digit address code (the county where it was first issued, GB/T 2260),
8-digit birth date ``YYYYMMDD``, 3-digit sequence (odd for men, even for women) and a check
character ``0-9`` or ``X`` computed with ISO 7064 MOD 11-2 over the first 17 digits.

Why every single substitution is caught: the weights ``2^(17-i) mod 11`` are all non-zero modulo
the prime 11, and a changed digit changes the weighted sum by ``w·(d'-d)`` with ``0 < |d'-d| ≤ 9``,
which is therefore non-zero modulo 11 — so the expected check character changes. A changed check
character no longer equals the (unchanged) expected one.

The address code is only checked for plausibility (digits, a real province code): a number keeps
the code of the place it was issued, including codes abolished since, so a current gazetteer
would reject real people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from gridgov.codes.division import PROVINCE_CODES
from gridgov.codes.errors import CodeError

Sex = Literal["male", "female"]

#: ISO 7064 MOD 11-2 weights: 2^(17-i) mod 11 for the positions i = 0..16 from the left.
WEIGHTS: tuple[int, ...] = tuple(pow(2, 17 - i, 11) for i in range(17))
#: Check character by weighted sum mod 11.
CHECK_CHARS = "10X98765432"
#: Earliest birth date accepted.
MIN_BIRTH_DATE = date(1900, 1, 1)


@dataclass(frozen=True, slots=True)
class CitizenId:
    """A parsed, valid 18-character citizen ID."""

    number: str
    region_code: str
    birth_date: date
    sequence: int
    sex: Sex
    check_char: str

    def age_on(self, on: date) -> int:
        """Age in whole years on the day ``on``."""
        before_birthday = (on.month, on.day) < (self.birth_date.month, self.birth_date.day)
        return on.year - self.birth_date.year - before_birthday


def _error(part: str, message: str) -> CodeError:
    return CodeError(message, code=f"citizen_id_{part}", part=part)


def check_char(first17: str) -> str:
    """The MOD 11-2 check character (``0``-``9`` or ``X``) for the first 17 digits."""
    if not isinstance(first17, str) or len(first17) != 17:
        raise _error("length", "计算校验位需要身份证号前 17 位数字")
    if not (first17.isascii() and first17.isdigit()):
        raise _error("charset", "身份证号前 17 位只能是数字")
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS))
    return CHECK_CHARS[total % 11]


def _check_region(region: str) -> None:
    if region[:2] not in PROVINCE_CODES:
        raise _error("region", f"身份证号地址码错误：省级代码 {region[:2]} 不存在")


def _check_birth_range(born: date, today: date | None) -> date:
    latest = today or date.today()
    if not MIN_BIRTH_DATE <= born <= latest:
        raise _error("birth_date", f"身份证号出生日期错误：{born.isoformat()} 不在 1900-01-01 至今天之间")
    return born


def _check_birth_date(text: str, today: date | None) -> date:
    try:
        born = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise _error("birth_date", f"身份证号出生日期错误：{text} 不是有效日期") from None
    return _check_birth_range(born, today)


def parse_citizen_id(s: str, *, today: date | None = None) -> CitizenId:
    """Validate and parse an 18-character citizen ID (lower-case ``x`` is accepted).

    Checks, in order: length, charset, region (province code), birth_date (a real date between
    1900-01-01 and ``today``), check_character. Raises :class:`CodeError` naming the failing part.
    """
    if not isinstance(s, str):
        raise _error("charset", f"身份证号必须是字符串，实为 {type(s).__name__}")
    s = s.strip().upper()
    if len(s) != 18:
        raise _error("length", f"身份证号长度错误：应为 18 位，实为 {len(s)} 位")
    body, last = s[:17], s[17]
    if not (body.isascii() and body.isdigit()):
        raise _error("charset", "身份证号前 17 位只能是数字")
    if last not in CHECK_CHARS:
        raise _error("charset", f"身份证号第 18 位只能是数字或 X，实为 {last!r}")
    _check_region(s[:6])
    born = _check_birth_date(s[6:14], today)
    expected = check_char(body)
    if last != expected:
        raise _error("check_character", f"身份证号校验位错误：应为 {expected}，实为 {last}")
    sequence = int(s[14:17])
    return CitizenId(s, s[:6], born, sequence, "male" if sequence % 2 else "female", last)


def is_valid_citizen_id(s: object, *, today: date | None = None) -> bool:
    """True if ``s`` is a valid 18-character citizen ID."""
    try:
        parse_citizen_id(s, today=today)  # type: ignore[arg-type]
    except CodeError:
        return False
    return True


def normalize_citizen_id(s: str, *, today: date | None = None) -> str:
    """The canonical form (upper-case ``X``) of a valid 18-character ID, or the 18-character
    form of a valid 15-character one."""
    if isinstance(s, str) and len(s.strip()) == 15:
        return upgrade_15_to_18(s, today=today)
    return parse_citizen_id(s, today=today).number


def upgrade_15_to_18(s15: str, *, today: date | None = None) -> str:
    """Convert a 15-digit first-generation ID (region, ``YYMMDD`` in the 1900s, sequence) to 18."""
    if not isinstance(s15, str):
        raise _error("charset", f"身份证号必须是字符串，实为 {type(s15).__name__}")
    s15 = s15.strip()
    if len(s15) != 15:
        raise _error("length", f"15 位身份证号长度错误：实为 {len(s15)} 位")
    if not (s15.isascii() and s15.isdigit()):
        raise _error("charset", "15 位身份证号只能是数字")
    _check_region(s15[:6])
    _check_birth_date("19" + s15[6:12], today)
    first17 = s15[:6] + "19" + s15[6:]
    return first17 + check_char(first17)


def build_citizen_id(region6: str, birth_date: date, sequence: int, *, today: date | None = None) -> str:
    """A valid ID from its parts (for generators and tests); ``sequence`` is 0-999."""
    if not (isinstance(region6, str) and len(region6) == 6 and region6.isascii() and region6.isdigit()):
        raise _error("region", "地址码必须是 6 位数字")
    _check_region(region6)
    if not isinstance(birth_date, date):
        raise _error("birth_date", "出生日期必须是日期")
    if isinstance(birth_date, datetime):
        birth_date = birth_date.date()
    _check_birth_range(birth_date, today)
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 0 <= sequence <= 999:
        raise _error("sequence", f"顺序码应为 0–999 的整数，实为 {sequence!r}")
    first17 = f"{region6}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
