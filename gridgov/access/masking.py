"""Masking of personal data (脱敏). Pure: no database imports.

Every API response and page shows personal data masked unless the user revealed it with a stated
purpose (which is audited). The forms follow common practice in Chinese government systems:

- citizen ID: first 4 and last 4 characters kept → ``2101**********1234``
- mobile phone: first 3 and last 4 → ``138****5678``; landline: area code and last 2
- name: surname and, for 3+ characters, the last character → ``张*三``, ``张*``, ``欧阳**娜``
- address: up to the community/road level, the rest starred → ``辽阳县人民街道团结社区****``
"""

from __future__ import annotations


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
