"""Masking of personal data (脱敏). Pure: no database imports.

Every API response and page shows personal data masked unless the user revealed it with a stated
purpose (which is audited). The forms follow common practice in Chinese government systems:

- citizen ID: first 4 and last 4 characters kept → ``2101**********1234``
- mobile phone: first 3 and last 4 → ``138****5678``; landline: area code and last 2
- name: surname and, for 3+ characters, the last character → ``张*三``, ``张*``, ``欧阳**娜``
- address: up to the community/road level, the rest starred → ``辽阳县人民街道团结社区****``
- free text naming a contact (``李四（儿子）13912345678``): names and numbers inside it masked
"""

from __future__ import annotations

import re

_NUMBER = re.compile(r"\d[\d-]{6,}[\dXx]?")
_HAN_NAME = re.compile(r"(?<![\u4e00-\u9fff])[\u4e00-\u9fff]{2,4}(?=[（(\s,，;；:：]|\d|$)")


def mask_citizen_id(value: str | None) -> str | None:
    if not value:
        return value
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    if not value:
        return value
    digits = value.replace("-", "")
    if len(digits) == 11 and digits.startswith("1"):
        return digits[:3] + "****" + digits[-4:]
    if "-" in value:  # landline 0419-1234567
        area, _, number = value.partition("-")
        return f"{area}-{'*' * max(0, len(number) - 2)}{number[-2:]}"
    return "*" * max(0, len(value) - 4) + value[-4:]


def mask_name(value: str | None) -> str | None:
    if not value:
        return value
    if len(value) == 1:
        return "*"
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_address(value: str | None, keep: int = 12) -> str | None:
    """Keep the first ``keep`` characters (region, road), star the house-level rest."""
    if not value:
        return value
    if len(value) <= keep:
        return value
    return value[:keep] + "****"


def mask_contact(value: str | None) -> str | None:
    """Free text naming a person and a number: each number masked as a phone (or an ID when it is
    one), a leading 2–4 character name masked as a name; the rest (a relation in brackets) kept."""
    if not value:
        return value

    def number(m: re.Match) -> str:
        text = m.group(0)
        return mask_citizen_id(text) if len(text) >= 15 and "-" not in text else mask_phone(text) or text

    masked = _NUMBER.sub(number, value)
    return _HAN_NAME.sub(lambda m: mask_name(m.group(0)) or "", masked, count=1)


def mask_by_kind(kind: str, value: str | None) -> str | None:
    """Mask ``value`` as a ``kind`` of personal data: id | phone | name | address | contact."""
    return {"id": mask_citizen_id, "phone": mask_phone, "name": mask_name, "address": mask_address,
            "contact": mask_contact}[kind](value)
