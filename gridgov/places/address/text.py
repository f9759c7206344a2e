"""Character-level text utilities for Chinese addresses: width folding, tokenisation, normalisation.

Pure functions, no model and no I/O.

* :func:`fold_width` maps full-width ASCII (``０-９ Ａ-Ｚ ａ-ｚ （ ）`` …) and the ideographic space
  to their half-width forms **one character for one character**, so offsets in the folded text are
  offsets in the original text.
* :func:`tokenize` reproduces the tokenisation of the training data: a run of ASCII digits is one
  token, a run of ASCII letters is one token, every other non-space character is a token of its
  own; whitespace separates tokens and is never a token.
* :func:`normalize_text` builds the canonical form used for matching and display (not for parsing).
"""

from __future__ import annotations

import re
from itertools import accumulate

__all__ = ["fold_width", "normalize_text", "tokenize", "chinese_number_to_int"]

# Full-width ASCII block U+FF01..U+FF5E -> U+0021..U+007E; U+3000 ideographic space -> space.
_WIDTH_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WIDTH_TABLE[0x3000] = 0x20
# A few CJK punctuation marks that behave like their ASCII counterparts in addresses.
_WIDTH_TABLE.update(
    {
        ord("—"): ord("-"),
        ord("－"): ord("-"),
        ord("–"): ord("-"),
        ord("〔"): ord("("),
        ord("〕"): ord(")"),
        ord("【"): ord("["),
        ord("】"): ord("]"),
        ord("﹣"): ord("-"),
        ord("‐"): ord("-"),
        ord("‑"): ord("-"),
        0x00A0: 0x20,  # no-break space
    }
)


_FOLDABLE_RE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_WIDTH_TABLE)) + "]")


def fold_width(text: str) -> str:
    """Full-width → half-width, one character for one character (``len`` is preserved)."""
    if _FOLDABLE_RE.search(text) is None:
        return text
    return text.translate(_WIDTH_TABLE)


_TOKEN_RE = re.compile(r"[0-9]+|[A-Za-z]+|\S")
_SPACE_ANY_RE = re.compile(r"\s")


def tokenize(text: str) -> tuple[list[str], list[int], list[int]]:
    """Tokens of ``text`` as ``(tokens, starts, ends)``; tokens are taken from the width-folded text,
    offsets index the original ``text`` (end exclusive)."""
    folded = fold_width(text)
    toks = _TOKEN_RE.findall(folded)
    if _SPACE_ANY_RE.search(folded) is None:  # no whitespace: tokens tile the text
        ends = list(accumulate(map(len, toks)))
        return toks, [0, *ends[:-1]] if ends else [], ends
    starts: list[int] = []
    ends = []
    for m in _TOKEN_RE.finditer(folded):
        starts.append(m.start())
        ends.append(m.end())
    return toks, starts, ends


# --------------------------------------------------------------------------------------------
# Chinese numerals
# --------------------------------------------------------------------------------------------

_CN_DIGITS = {
    "零": 0, "〇": 0, "○": 0, "Ｏ": 0, "一": 1, "壹": 1, "幺": 1, "二": 2, "贰": 2, "两": 2, "三": 3,
    "叁": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8,
    "捌": 8, "九": 9, "玖": 9,
}  # fmt: skip
_CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_NUM_CHARS = "".join(_CN_DIGITS) + "".join(_CN_UNITS)


def chinese_number_to_int(s: str) -> int | None:
    """``"三"`` → 3, ``"十二"`` → 12, ``"二十一"`` → 21, ``"一百零五"`` → 105, ``"五〇一"`` → 501
    (digit-by-digit reading when there is no unit character); ``None`` when ``s`` is not a numeral."""
    if not s or any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in s):
        return None
    if not any(ch in _CN_UNITS for ch in s):
        return int("".join(str(_CN_DIGITS[ch]) for ch in s))
    total, current = 0, None
    for ch in s:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        else:
            unit = _CN_UNITS[ch]
            total += (1 if current is None else current) * unit
            current = None
    if current is not None:
        total += current
    return total


# Numerals directly before a unit / floor / room / building word become digits: 三单元 → 3单元,
# 五〇一室 → 501室, 十二层 → 12层, 二号楼 → 2号楼, 第三组 → 第3组.
_CN_CONTEXT_RE = re.compile(
    "([" + _CN_NUM_CHARS + "]+)(?=(?:单元|号楼|号|栋|幢|座|楼|层|室|户|组|弄|巷|期|区|排))"
)
# "X楼" where X is a numeral is a floor; "一楼" etc.  Also 负一层 / 地下一层 keep their prefix.
_NOISE_WORDS = ("斜对面", "附近", "对面", "旁边", "隔壁", "周边")
_BRACKETS_RE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|<[^<>]*>|\{[^{}]*\}")
_SPACE_RE = re.compile(r"\s+")


def _numeral_sub(m: re.Match[str]) -> str:
    value = chinese_number_to_int(m.group(1))
    return m.group(1) if value is None else str(value)


def normalize_text(text: str) -> str:
    """Canonical form of an address for matching, de-duplication and display.

    * full-width → half-width (``１２号`` → ``12号``, ``（`` → ``(``), Latin letters upper-cased;
    * Chinese numerals in unit/floor/room/building contexts → digits (``三单元`` → ``3单元``,
      ``五〇一室`` → ``501室``, ``十二层`` → ``12层``, ``二号楼`` → ``2号楼``);
    * noise words (``附近`` ``对面`` ``旁边`` ``隔壁`` …) and bracketed remarks (``(...)``, ``[...]``)
      removed;
    * whitespace collapsed (spaces between two CJK characters dropped, otherwise one space kept).

    The parser does **not** use this form: it tags the original text so that element offsets point
    into what the user typed. Use this for canonical keys of the standard address library.
    """
    if not text:
        return ""
    s = fold_width(text)
    s = "".join(ch for ch in s if ch.isprintable() or ch.isspace())
    prev = None
    while prev != s:  # nested brackets: remove innermost first
        prev = s
        s = _BRACKETS_RE.sub(" ", s)
    for w in _NOISE_WORDS:
        s = s.replace(w, " ")
    s = _CN_CONTEXT_RE.sub(_numeral_sub, s)
    s = _SPACE_RE.sub(" ", s).strip()
    # drop spaces that separate two non-ASCII characters (CJK) or CJK and a digit run
    s = re.sub(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])", "", s)
    s = re.sub(r"(?<=[^\x00-\x7f]) (?=[0-9])|(?<=[0-9]) (?=[^\x00-\x7f])", "", s)
    return s.upper() if s.isascii() else _upper_latin(s)


def _upper_latin(s: str) -> str:
    return "".join(ch.upper() if "a" <= ch <= "z" else ch for ch in s)
