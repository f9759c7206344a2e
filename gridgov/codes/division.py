"""Administrative division codes: GB/T 2260 plus the township and community extension.

A division code is a string of digits whose length gives its level (its *natural length*):

=========  ======  =================  =======================================
level      digits  example            segment
=========  ======  =================  =======================================
province   2       ``21``             省级 (GB/T 2260, digits 1-2)
city       4       ``2110``           地级 (digits 3-4, 01-99)
county     6       ``211021``         县级 (digits 5-6, 01-99)
street     9       ``211021001``      乡级: 街道/镇/乡 (digits 7-9, 001-599)
community  12      ``211021001001``   村级: 居委会/村委会 (digits 10-12, 001-599)
=========  ======  =================  =======================================

The padded forms in common use are accepted too and normalised to natural length by
:func:`normalize_division_code`: 6-digit GB/T 2260 codes (``"210000"`` is the province ``"21"``,
``"211000"`` the city ``"2110"``) and 12-digit statistical codes (``"211021000000"`` is the county
``"211021"``). Only trailing all-zero segments are padding; a zero segment followed by a non-zero
one (``"210021"``) is invalid. In natural form every segment is non-zero, so ``"2100"`` is not a
city and ``"211021000"`` is not a street.

County-level units directly under a province (省直辖县级行政区划, e.g. 济源市 ``419001``) keep their
``90`` city segment: the parent of ``"419001"`` is ``"4190"``.

One zero segment is real: prefecture-level cities without districts (不设区的地级市: 东莞 4419,
中山 4420, 儋州 4604) have their streets and towns directly below them, coded with county segment
``00`` (东莞 东城街道 ``441900003``). Such street and community codes are valid; their ``county``
is ``None`` and the parent of ``"441900003"`` is the city ``"4419"``.

The 3-digit township segment follows the statistical division coding rules
(统计用区划代码编制规则), see :func:`township_type`; the community segment likewise, see
:func:`community_type`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from gridgov.codes.errors import CodeError

DivisionLevel = Literal["province", "city", "county", "street", "community"]

#: Levels from the top down.
DIVISION_LEVELS: tuple[DivisionLevel, ...] = ("province", "city", "county", "street", "community")

#: Natural length of a code at each level.
LEVEL_LENGTHS: dict[DivisionLevel, int] = {
    "province": 2, "city": 4, "county": 6, "street": 9, "community": 12,
}
_LENGTH_LEVELS: dict[int, DivisionLevel] = {n: level for level, n in LEVEL_LENGTHS.items()}
_SEGMENT_BOUNDS = (0, 2, 4, 6, 9, 12)

#: The province-level codes of GB/T 2260 (incl. 71 台湾, 81 香港, 82 澳门).
PROVINCE_CODES: frozenset[str] = frozenset({
    "11", "12", "13", "14", "15",
    "21", "22", "23",
    "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46",
    "50", "51", "52", "53", "54",
    "61", "62", "63", "64", "65",
    "71", "81", "82",
})

_LEVEL_NAMES_ZH: dict[DivisionLevel, str] = {
    "province": "省级", "city": "地级", "county": "县级", "street": "乡级", "community": "村级",
}

#: Highest allowed value of the 3-digit township and community segments.
MAX_THREE_DIGIT_SEGMENT = 599


class TownshipType(StrEnum):
    """Kind of a township-level unit, from digits 7-9 of its code."""

    STREET = "street"
    """001-099 街道办事处."""
    TOWN = "town"
    """100-199 镇."""
    TOWNSHIP = "township"
    """200-399 乡 (incl. 民族乡 and 苏木)."""
    OTHER = "other"
    """400-599 类似乡级单位 (农场、林场、开发区、管委会 ...)."""

    @property
    def label(self) -> str:
        return {"street": "街道", "town": "镇", "township": "乡", "other": "类似乡级单位"}[self.value]


class CommunityType(StrEnum):
    """Kind of a community-level unit, from digits 10-12 of its code."""

    RESIDENTS_COMMITTEE = "residents_committee"
    """001-199 居民委员会 (社区)."""
    VILLAGERS_COMMITTEE = "villagers_committee"
    """200-399 村民委员会 (行政村)."""
    OTHER = "other"
    """400-599 类似居委会/村委会的单位."""

    @property
    def label(self) -> str:
        return {
            "residents_committee": "居委会", "villagers_committee": "村委会", "other": "类似村级单位",
        }[self.value]


@dataclass(frozen=True, slots=True)
class DivisionCode:
    """A parsed division code; each level field holds that ancestor's natural-length code.

    Levels below ``level`` are ``None``; e.g. the county ``"211021"`` has ``province="21"``,
    ``city="2110"``, ``county="211021"``, ``street=None``, ``community=None``.
    """

    code: str
    level: DivisionLevel
    province: str
    city: str | None
    county: str | None
    street: str | None
    community: str | None

    @property
    def parent(self) -> str | None:
        """Natural-length code of the level above, ``None`` for a province."""
        chain = self.lineage()
        return chain[-2] if len(chain) > 1 else None

    def lineage(self) -> tuple[str, ...]:
        """Codes from the province down to this code itself."""
        return tuple(c for c in (self.province, self.city, self.county, self.street, self.community)
                     if c is not None)


def _error(part: str, message: str) -> CodeError:
    return CodeError(message, code=f"division_code_{part}", part=part)


def _check_digits(s: object, what: str = "行政区划代码") -> str:
    if not isinstance(s, str):
        raise _error("charset", f"{what}必须是字符串，实为 {type(s).__name__}")
    s = s.strip()
    if not s or not (s.isascii() and s.isdigit()):
        raise _error("charset", f"{what}只能由数字组成：{s!r}")
    return s


def _strip_padding(s: str) -> str:
    """Drop trailing all-zero segments of a 6- or 12-digit padded code (keeps the province)."""
    bounds = [b for b in _SEGMENT_BOUNDS[1:] if b <= len(s)]
    while len(bounds) > 1 and set(s[bounds[-2]:bounds[-1]]) == {"0"}:
        bounds.pop()
    return s[:bounds[-1]]


def _validate_segments(s: str) -> None:
    if s[:2] not in PROVINCE_CODES:
        raise _error("province", f"省级代码 {s[:2]} 不在 GB/T 2260 省级代码表中（{s}）")
    for level, start, end in zip(DIVISION_LEVELS[1:], _SEGMENT_BOUNDS[1:], _SEGMENT_BOUNDS[2:]):
        if len(s) < end:
            break
        value = int(s[start:end])
        if value == 0 and level == "county" and len(s) > end:
            continue  # a street of a city without districts (不设区的地级市), e.g. 441900003
        if value == 0:
            raise _error(level, f"{_LEVEL_NAMES_ZH[level]}代码段不能全为 0（{s}）")
        if end - start == 3 and value > MAX_THREE_DIGIT_SEGMENT:
            raise _error(level, f"{_LEVEL_NAMES_ZH[level]}代码段 {s[start:end]} 超出 001–599（{s}）")


def normalize_division_code(s: str) -> str:
    """Validate ``s`` and return it at natural length (2/4/6/9/12 digits).

    Accepts natural-length codes and the padded 6-digit and 12-digit forms; surrounding
    whitespace is ignored. Raises :class:`CodeError` naming the failing part (``charset``,
    ``length``, ``province``, ``city``, ``county``, ``street``, ``community``).
    """
    s = _check_digits(s)
    if len(s) not in _LENGTH_LEVELS:
        raise _error("length", f"行政区划代码长度错误：应为 2、4、6、9 或 12 位数字，实为 {len(s)} 位")
    if len(s) in (6, 12):
        s = _strip_padding(s)
    _validate_segments(s)
    return s


def parse_division_code(s: str) -> DivisionCode:
    """Parse a division code (natural or padded form) into its level and ancestors."""
    code = normalize_division_code(s)
    parts = [code[:end] if len(code) >= end else None for end in _SEGMENT_BOUNDS[1:]]
    if len(code) > 6 and code[4:6] == "00":
        parts[2] = None  # no county level under a city without districts
    return DivisionCode(code, _LENGTH_LEVELS[len(code)], code[:2], parts[1], parts[2], parts[3], parts[4])


def division_level(code: str) -> DivisionLevel:
    """Level of a division code: ``province``, ``city``, ``county``, ``street`` or ``community``."""
    return _LENGTH_LEVELS[len(normalize_division_code(code))]


def division_parent(code: str) -> str | None:
    """Natural-length code of the parent division, ``None`` for a province.

    The parent of a street directly under a city without districts is that city
    (``"441900003"`` → ``"4419"``).
    """
    return parse_division_code(code).parent


def division_lineage(code: str) -> tuple[str, ...]:
    """Natural-length codes from the province down to ``code`` itself."""
    return parse_division_code(code).lineage()


def is_valid_division_code(code: object) -> bool:
    """True if ``code`` is a valid division code in natural or padded form."""
    try:
        normalize_division_code(code)  # type: ignore[arg-type]
    except CodeError:
        return False
    return True


def pad_division_code(code: str, width: Literal[6, 12] = 12) -> str:
    """The zero-padded form of ``code``: 6 digits (province/city/county only) or 12 digits."""
    natural = normalize_division_code(code)
    if width not in (6, 12):
        raise _error("length", f"补零宽度只能是 6 或 12，实为 {width}")
    if len(natural) > width:
        raise _error("length", f"{len(natural)} 位的区划代码不能补成 {width} 位")
    return natural.ljust(width, "0")


def _segment(code: str, level: DivisionLevel, what: str) -> int:
    natural = normalize_division_code(code)
    if len(natural) < LEVEL_LENGTHS[level]:
        raise _error("length", f"{what}需要{_LEVEL_NAMES_ZH[level]}或更低层级的代码（{natural}）")
    start = _SEGMENT_BOUNDS[DIVISION_LEVELS.index(level)]
    return int(natural[start:LEVEL_LENGTHS[level]])


def township_type(code: str) -> TownshipType:
    """Kind of the township of a street- or community-level code, from digits 7-9.

    001-099 街道 (``STREET``), 100-199 镇 (``TOWN``), 200-399 乡 incl. 民族乡 (``TOWNSHIP``),
    400-599 类似乡级单位 such as 农场、林场、开发区 (``OTHER``).
    """
    value = _segment(code, "street", "判断乡级类型")
    if value < 100:
        return TownshipType.STREET
    if value < 200:
        return TownshipType.TOWN
    if value < 400:
        return TownshipType.TOWNSHIP
    return TownshipType.OTHER


def community_type(code: str) -> CommunityType:
    """Kind of a community-level unit from digits 10-12.

    001-199 居委会 (``RESIDENTS_COMMITTEE``), 200-399 村委会 (``VILLAGERS_COMMITTEE``),
    400-599 类似村级单位 (``OTHER``).
    """
    value = _segment(code, "community", "判断村级类型")
    if value < 200:
        return CommunityType.RESIDENTS_COMMITTEE
    if value < 400:
        return CommunityType.VILLAGERS_COMMITTEE
    return CommunityType.OTHER
