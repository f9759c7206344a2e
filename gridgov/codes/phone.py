"""Mainland China phone numbers.

* Mobile: 11 digits ``1[3-9]xxxxxxxxx``. Spaces, dashes, dots and brackets are ignored, and a
  country prefix ``+86`` / ``0086`` / ``86`` is removed: ``"+86 138 0013 8000"`` and
  ``"86-13800138000"`` both normalise to ``"13800138000"``.
* Landline (:func:`normalize_phone`): area code ``0`` + 2 or 3 digits (``010`` and ``020``-``029``
  are the 3-digit ones, all others have 4 digits) and a 7- or 8-digit local number not starting
  with 0 or 1, normalised to ``"0755-12345678"``. With the country prefix the leading ``0`` of the
  area code is dropped (``+86 10 1234 5678``). An extension (``转 123``, ``ext 123``, ``#123``) is
  not supported.

Error messages never repeat the number: phone numbers are personal data.
"""

from __future__ import annotations

import re

from gridgov.codes.errors import CodeError

_SEPARATORS = re.compile(r"[\s\-.()（）]+")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LOCAL = re.compile(r"[2-9]\d{6,7}")


def _error(part: str, message: str) -> CodeError:
    return CodeError(message, code=f"phone_{part}", part=part)


def _digits(s: object) -> tuple[str, bool]:
    """Strip separators; return the digits and whether an explicit country prefix was present."""
    if not isinstance(s, str):
        raise _error("charset", f"电话号码必须是字符串，实为 {type(s).__name__}")
    t = _SEPARATORS.sub("", s.strip())
    international = False
    if t.startswith("+"):
        if not t.startswith("+86"):
            raise _error("country_code", "只支持中国大陆号码（国家码 +86）")
        t, international = t[3:], True
    elif t.startswith("0086"):
        t, international = t[4:], True
    if not t or not (t.isascii() and t.isdigit()):
        raise _error("charset", "电话号码只能包含数字、空格、短横线和括号")
    return t, international


def _mobile(t: str, international: bool) -> str | None:
    if not international and len(t) == 13 and t.startswith("86"):
        t = t[2:]
    return t if _MOBILE.fullmatch(t) else None


def normalize_mobile(s: str) -> str:
    """The 11-digit form of a mainland mobile number; :class:`CodeError` if it is not one."""
    t, international = _digits(s)
    mobile = _mobile(t, international)
    if mobile is not None:
        return mobile
    if len(t) not in (11, 13):
        raise _error("length", f"手机号长度错误：应为 11 位，实为 {len(t)} 位")
    raise _error("prefix", "手机号应以 13–19 开头")


def is_valid_mobile(s: object) -> bool:
    """True if ``s`` is a mainland mobile number (in any accepted spelling)."""
    try:
        normalize_mobile(s)  # type: ignore[arg-type]
    except CodeError:
        return False
    return True


def _landline(t: str, international: bool) -> str | None:
    if international and not t.startswith("0"):
        t = "0" + t
    if not t.startswith("0") or len(t) < 2 or t[1] == "0":
        return None
    if t.startswith("01") and not t.startswith("010"):
        return None
    area_len = 3 if t.startswith(("010", "02")) else 4
    area, local = t[:area_len], t[area_len:]
    return f"{area}-{local}" if _LOCAL.fullmatch(local) else None


def normalize_phone(s: str) -> str:
    """A mobile number as 11 digits, or a landline as ``区号-号码``; :class:`CodeError` otherwise."""
    t, international = _digits(s)
    result = _mobile(t, international) or _landline(t, international)
    if result is None:
        raise _error("format", "电话号码格式错误：应为 11 位手机号或“区号-号码”形式的固定电话")
    return result


def is_valid_phone(s: object) -> bool:
    """True if ``s`` is a mainland mobile or landline number."""
    try:
        normalize_phone(s)  # type: ignore[arg-type]
    except CodeError:
        return False
    return True
