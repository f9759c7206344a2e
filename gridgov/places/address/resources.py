"""Dictionaries the parser's features use, gathered at **training** time and stored in the model.

* national division names (province / prefecture / county level) from ``cpca``'s bundled
  ``adcodes.csv``, with their short forms (浙江省 → 浙江, 杭州市 → 杭州, 新疆维吾尔自治区 → 新疆);
* former names and aliases of divisions that still appear in addresses (萧山市, 绍兴县, 襄樊市 …);
* address keywords by category (:data:`~gridgov.places.address.features.KEYWORDS`);
* optionally a general Chinese word list with coarse part-of-speech groups (place name,
  organisation, person name, other noun, verb, idiom), taken from the ``jieba`` package's
  ``dict.txt`` (MIT licence) when it is installed.

The runtime never reads these sources: :mod:`gridgov.places.address.train` snapshots them into
the model file, so parsing needs neither ``cpca`` data changes nor ``jieba``.
"""

from __future__ import annotations

import csv
import importlib.util
from collections import defaultdict
from pathlib import Path

from gridgov.places.address.features import KEYWORDS, Dictionary

__all__ = ["division_names", "FORMER_NAMES", "load_word_list", "keyword_gazetteers", "build_dictionary"]

# Former names / aliases still common in addresses: (name, level) with level "C" (prefecture) or
# "D" (county level). Divisions renamed or merged since the 2000s.
FORMER_NAMES: tuple[tuple[str, str], ...] = (
    # Zhejiang
    ("萧山市", "D"), ("余杭市", "D"), ("富阳市", "D"), ("临安市", "D"), ("绍兴县", "D"),
    ("上虞市", "D"), ("鄞县", "D"), ("江东区", "D"), ("奉化市", "D"), ("洞头县", "D"),
    ("衢县", "D"), ("金华县", "D"), ("下城区", "D"), ("江干区", "D"), ("椒江市", "D"),
    ("黄岩市", "D"), ("定海县", "D"), ("普陀县", "D"),
    # elsewhere
    ("崇文区", "D"), ("宣武区", "D"), ("卢湾区", "D"), ("闸北区", "D"), ("南汇区", "D"),
    ("塘沽区", "D"), ("汉沽区", "D"), ("大港区", "D"), ("东山区", "D"), ("芳村区", "D"),
    ("萝岗区", "D"), ("从化市", "D"), ("增城市", "D"), ("番禺市", "D"), ("花都市", "D"),
    ("白下区", "D"), ("下关区", "D"), ("溧水县", "D"), ("高淳县", "D"), ("江宁县", "D"),
    ("沧浪区", "D"), ("平江区", "D"), ("金阊区", "D"), ("吴江市", "D"), ("吴县市", "D"),
    ("襄樊市", "C"), ("思茅市", "C"), ("巢湖市", "C"), ("通什市", "C"), ("襄樊", "C"),
)  # fmt: skip

_SKIP = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "直辖县"}
_SUFFIXES = (
    "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "自治州", "自治县", "地区",
    "新区", "省", "市", "区", "县", "盟", "旗",
)  # fmt: skip


def _cpca_csv() -> Path | None:
    spec = importlib.util.find_spec("cpca")
    if spec is None or spec.origin is None:
        return None
    p = Path(spec.origin).parent / "resources" / "adcodes.csv"
    return p if p.exists() else None


def division_names() -> dict[str, set[str]]:
    """Division names by dictionary: ``P``/``C``/``D`` full names (province, prefecture, county
    level) and ``Ps``/``Cs``/``Ds`` their short forms; former names are merged into ``C``/``D``."""
    out: dict[str, set[str]] = defaultdict(set)
    path = _cpca_csv()
    if path is not None:
        with open(path, encoding="utf-8") as f:
            for row in csv.DictReader(f):
                code, name = row["adcode"], row["name"].strip()
                if not name or name in _SKIP:
                    continue
                level = "P" if code[2:] == "0" * 10 else "C" if code[4:] == "0" * 8 else "D"
                _add(out, level, name)
    for name, level in FORMER_NAMES:
        _add(out, level, name)
    return dict(out)


def _add(out: dict[str, set[str]], level: str, name: str) -> None:
    out[level].add(name)
    for suf in _SUFFIXES:
        if name.endswith(suf) and len(name) - len(suf) >= 2:
            out[level + "s"].add(name[: -len(suf)])
            break


def keyword_gazetteers() -> dict[str, set[str]]:
    """``{"k<category>": keywords}`` for the dictionary (``kR`` road words, ``kH`` building words …)."""
    return {"k" + c: set(words) for c, words in KEYWORDS.items()}


# jieba part-of-speech tags → coarse groups used as feature names
_POS_GROUP = {
    "ns": "ns", "nt": "nt", "nr": "nr", "nrt": "nr", "nrfg": "nr", "nz": "nz", "n": "n", "v": "v",
    "vn": "v", "l": "i", "i": "i",
}  # fmt: skip


def load_word_list(min_len: int = 2, max_len: int = 6, min_freq: int = 1) -> dict[str, str]:
    """``{word: pos_group}`` from jieba's ``dict.txt`` (words of CJK characters only); an empty dict
    when jieba is not installed."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        return {}
    path = Path(spec.origin).parent / "dict.txt"
    if not path.exists():
        return {}
    words: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3:
                continue
            w = parts[0]
            if not (min_len <= len(w) <= max_len) or int(parts[1]) < min_freq:
                continue
            if not all("\u4e00" <= ch <= "\u9fff" for ch in w):
                continue
            words[w] = _POS_GROUP.get(parts[2], "o")
    return words


def build_dictionary(
    words: dict[str, str] | None = None, extra: dict[str, set[str]] | None = None
) -> Dictionary:
    """The feature dictionary: cpca division names (``cpP`` ``cpC`` ``cpD`` and short forms),
    keywords (``k*``), ``extra`` named dictionaries, and the general ``words`` list."""
    gaz: dict[str, set[str]] = {f"cp{k}": set(v) for k, v in division_names().items()}
    gaz.update(keyword_gazetteers())
    for name, entries in (extra or {}).items():
        gaz[name] = set(entries)
    return Dictionary(gaz, words or {})
