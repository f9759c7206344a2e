"""Redaction of personal data in free text that is published (公开文本脱敏). Pure: no database imports.

What residents type ends up in public: Open311 ``GET requests`` publishes the description, the
address and the handling notes of every resident report, and the tracking page shows them to anyone
holding the code. People write their phone number, their ID number or a neighbour's car plate into
those texts. :func:`redact` masks them the way :mod:`gridgov.access.masking` masks the register's
fields, so the same data looks the same everywhere:

=====================  ========================================  ===============================
kind                   recognised                                published as
=====================  ========================================  ===============================
``email``              ``name@example.com``                      ``n***@example.com``
``citizen_id``         18 digits (or 17 + X) with a plausible    ``2101**********1234``
                       birth date, also typed 6-8-4 with spaces;
                       the old 15-digit form
``card``               any run of 16 or more digits, or four     ``6222***********1234``
                       groups of 4 (bank cards, accounts)
``mobile``             ``1[3-9]`` + 9 digits, with spaces or      ``138****5678`` (``+86 `` kept)
                       dashes anywhere, ``+86``/``0086``/``86``
``landline``           ``0`` + 2–3 digit area code + 7–8 digits,  ``0419-*****67``
                       ``(0419)``, a dash, a space or nothing;
                       an extension is kept
``plate``              licence plates ``京A12345``, ``浙A·D12345``  ``京A***45``, ``浙A·****45``
                       (new energy), ``辽A1234学``
``contact``            after 电话/手机/座机/联系方式: a 7–15    ``****5678``, ``wx****89``
                       digit number; after QQ/微信: 5–15 digits
                       or a WeChat id
=====================  ========================================  ===============================

Deliberately **not** touched: ordinary numbers (门牌号 ``12号``, ``3栋2单元501室``, dates
``2026-11-25``, ``2026年11月25日``, times ``09:30``, ``10 米``, amounts, counts), numbers of 12–15
digits that are not an ID (express waybills, work-order numbers, our own event codes ``SJ2026…`` —
a run glued to letters is never a phone or a card), service numbers (``12345``, ``110``,
``400-…``/``800-…``), and names: there is no reliable way to tell ``张三`` from ``张庄`` in free text,
so names are left to the staff who publish notes (they are trained not to) and to the Open311 rule
that withholds whole texts in the sensitive categories.

>>> redact("我的电话13812345678，身份证210102199001011234")
'我的电话138****5678，身份证2101**********1234'
>>> redact("联系 +86 138-1234-5678 或 0419-3456789，车牌辽K12345")
'联系 +86 138****5678 或 0419-*****89，车牌辽K***45'
>>> redact("3栋2单元501室门前，2026-11-25 09:30 起堵了10 米，人民路12号")
'3栋2单元501室门前，2026-11-25 09:30 起堵了10 米，人民路12号'
"""

from __future__ import annotations

import re
from collections.abc import Callable

from gridgov.access.masking import mask_citizen_id

__all__ = ["redact", "find"]

_EDGE_L = r"(?<![0-9A-Za-z])"  # a number glued to letters or digits (SJ2026…, a longer run) is not one of ours
_EDGE_R = r"(?![0-9A-Za-z])"
_SEP = r"[ \-\u3000]"

_EMAIL = re.compile(r"(?<![\w.%+-])([A-Za-z0-9._%+-]{1,64})@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24})",
                    re.ASCII)
_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_ID18 = re.compile(_EDGE_L + r"([1-9]\d{5})" + _SEP + r"?((?:18|19|20)\d{2}" + _DATE + r")" + _SEP
                   + r"?(\d{3}[\dXx])" + _EDGE_R)
_ID15 = re.compile(_EDGE_L + r"[1-9]\d{5}\d{2}" + _DATE + r"\d{3}" + _EDGE_R)
_CARD = re.compile(_EDGE_L + r"(?:\d{16,}|\d{4}(?:" + _SEP + r"\d{4}){3}(?:" + _SEP + r"?\d{1,3})?)" + _EDGE_R)
_MOBILE = re.compile(r"(?<![0-9A-Za-z+])((?:\+|00)?86" + _SEP + r"?)?(1[3-9](?:" + _SEP + r"?\d){9})" + _EDGE_R)
_LANDLINE = re.compile(_EDGE_L + r"(\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})(" + _SEP + r"?)([2-9]\d{6,7})"
                       r"((?:-|转)\d{1,5})?" + _EDGE_R)
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(r"([" + _PROVINCES + r"])([A-Za-z])([·•・.\- ]?)"
                    r"((?=(?:[A-Za-z]*\d){3})[A-Za-z0-9]{5,6}|(?=(?:[A-Za-z]*\d){3})[A-Za-z0-9]{4}[挂学警港澳])"
                    + _EDGE_R)
_CONTACT = re.compile(r"(?<![A-Za-z])(?:(电话|手机|座机|联系方式|联系电话|[Tt][Ee][Ll])([号码是为：:\s]{0,4})"
                      r"(\d(?:" + _SEP + r"?\d){6,14})"  # 7+ digits: a local number, never 12345 or 96110
                      r"|([Qq]{2}|微信号?|[Vv][Xx])([号码是为：:\s]{0,4})(\d(?:" + _SEP + r"?\d){4,14}|[A-Za-z][-_A-Za-z0-9]{5,19}))"
                      + _EDGE_R)


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def _stars_keep(s: str, head: int, tail: int) -> str:
    if len(s) <= head + tail:
        return "*" * len(s)
    return s[:head] + "*" * (len(s) - head - tail) + s[len(s) - tail:]


def _email(m: re.Match) -> str:
    return f"{m.group(1)[0]}***@{m.group(2)}"


def _id18(m: re.Match) -> str:
    return mask_citizen_id(m.group(1) + m.group(2) + m.group(3).upper()) or ""


def _id15(m: re.Match) -> str:
    return mask_citizen_id(m.group(0)) or ""


def _card(m: re.Match) -> str:
    return _stars_keep(_digits(m.group(0)), 4, 4)


def _mobile(m: re.Match) -> str:
    d = _digits(m.group(2))
    return (m.group(1) or "") + d[:3] + "****" + d[-4:]


def _landline(m: re.Match) -> str:
    area, sep, number, ext = m.group(1), m.group(2), m.group(3), m.group(4) or ""
    return f"{area}{sep}{_stars_keep(number, 0, 2)}{ext}"


def _plate(m: re.Match) -> str:
    tail = m.group(4)
    return m.group(1) + m.group(2) + m.group(3) + _stars_keep(tail, 0, 2)


def _contact(m: re.Match) -> str:
    key, filler, value = (m.group(1, 2, 3) if m.group(1) else m.group(4, 5, 6))
    if value[0].isdigit():
        return key + filler + _stars_keep(_digits(value), 0, 4)
    return key + filler + _stars_keep(value, 2, 2)


#: in order: an e-mail may hold a QQ number, an ID is a run of 18 digits, a card any longer run
_RULES: tuple[tuple[str, re.Pattern[str], Callable[[re.Match], str]], ...] = (
    ("email", _EMAIL, _email),
    ("citizen_id", _ID18, _id18),
    ("citizen_id", _ID15, _id15),
    ("card", _CARD, _card),
    ("mobile", _MOBILE, _mobile),
    ("landline", _LANDLINE, _landline),
    ("plate", _PLATE, _plate),
    ("contact", _CONTACT, _contact),
)


def redact(text: str | None) -> str | None:
    """``text`` with phone numbers, IDs, card numbers, e-mail addresses, licence plates and contact
    numbers masked (see the module's table); None and "" come back unchanged.

    >>> redact("邮箱 zhangsan@163.com，卡号 6222 0212 3456 7890")
    '邮箱 z***@163.com，卡号 6222********7890'
    >>> redact("新能源车浙A·D12345占用消防通道，QQ 12345678")
    '新能源车浙A·****45占用消防通道，QQ ****5678'
    >>> redact("已并入 SJ202611250000123 一并办理")
    '已并入 SJ202611250000123 一并办理'
    """
    if not text:
        return text
    for _, pattern, mask in _RULES:
        text = pattern.sub(mask, text)
    return text


def find(text: str | None) -> list[str]:
    """The kinds of personal data :func:`redact` would mask in ``text``, in rule order (with repeats).

    >>> find("电话 13812345678 车牌 京A12345")
    ['mobile', 'plate']
    """
    if not text:
        return []
    out = []
    for kind, pattern, mask in _RULES:
        out.extend(kind for _ in pattern.finditer(text))
        text = pattern.sub(mask, text)
    return out
