"""Address keys for search and matching: deterministic rules, no model.

``address_key`` normalises a Chinese address (full-width → half-width, Chinese numerals before
单元/层/楼/室/号 → digits, noise words and bracketed remarks dropped) and removes the leading
region part (province … community: scope and grids already say that), keeping the road/compound-
down part: ``辽宁省辽阳市辽阳县首山镇幸福路12号幸福家园3号楼2单元502室`` →
``幸福路12号幸福家园3号楼2单元502室``. Houses and buildings store it; prefix searches on it are
index range scans on both databases. Keys must not change when a model is retrained, which is why
they come from rules and not from the statistical parser (`gridgov.places.address`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9}
_NUMERAL = re.compile(r"[零〇○一二两三四五六七八九十百]+(?=[号栋幢座楼单元层室户组])")
_NOISE = re.compile(r"[（(\[【][^）)\]】]*[）)\]】]|附近|对面|旁边|斜对面|隔壁|往[东南西北]\d*米|\s+")
# region segments that may lead an address (longest suffixes first); 小区 is a compound, not a region
_REGION = re.compile(
    r"^(?:[^\d路街巷弄号]{1,10}?(?:特别行政区|自治区|自治州|自治县|省|(?<![超城])市(?!场)|地区|盟|(?<!小)区|县|旗|镇|乡|街道|"
    r"社区居委会|村委会|居委会|社区|村(?![\d一二三四五六七八九十]+组)))")


def _chinese_number(text: str) -> str:
    if all(ch in _DIGITS for ch in text):  # 五〇一 → 501 (digit by digit)
        return "".join(str(_DIGITS[ch]) for ch in text)
    total, current = 0, 0
    for ch in text:  # 十二, 二十三, 一百零五
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
    return str(total + current)


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _NOISE.sub("", text)
    return _NUMERAL.sub(lambda m: _chinese_number(m.group(0)), text)


@lru_cache(maxsize=65536)
def address_key(text: str | None) -> str | None:
    if not text:
        return None
    rest = normalize(text)
    while True:
        m = _REGION.match(rest)
        if m is None or m.end() == len(rest):
            break
        rest = rest[m.end():]
    return rest[:160] or None


def prefix_range(column, prefix: str):
    """``column`` starts with ``prefix``, as a range both SQLite and PostgreSQL answer from a B-tree."""
    return (column >= prefix) & (column < prefix + "\U0010ffff")
