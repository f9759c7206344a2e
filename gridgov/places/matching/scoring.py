"""Scoring a standard-library candidate against a query address. Pure: no database.

``score(query, candidate)`` is a weighted mean of per-element agreement in 0..1, over the elements
the query gives (plus the fine elements only the candidate has):

- names (province … community, road, poi): 1 when equal; 1 when one is the other without its
  administrative suffix (辽阳 / 辽阳市, 团结 / 团结社区); 0.95 when a query region name is found in the
  candidate's region path (covers a parser that split 秦小房身村 into 秦小 + 房身村); 0.9 when one
  name contains the other; else the Dice coefficient of character bigrams. A region name of the
  query compared against another level of the candidate counts 0.9 × that similarity.
- numbers (road_no, building_no, unit_no, floor_no, room_no): 1 equal, 0 different; 0.5 when only
  one side has it at the fine levels (building/unit/floor/room): a coarser or finer candidate is
  neither right nor wrong, and ranks above a sibling with the wrong number only through the
  other elements.
- a village group road (``3组``) is compared together with its village (``王家堡村3组``): every
  village has a 3组.
- region levels the query omits (no province, no city …) are not counted: missing levels cost
  nothing; a region the query names wrongly does, three times its weight.

A query without any element below the region levels scores 0 (it names an area, not an address).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from gridgov.places.matching.canonical import LOCAL_FIELDS, REGION_FIELDS, Elements, _is_group

WEIGHTS = {
    "province": 0.5,
    "city": 0.5,
    "district": 1.0,
    "town": 1.0,
    "community": 1.5,
    None: 0.5,
    "road": 2.0,
    "road_no": 2.0,
    "poi": 3.0,
    "building_no": 2.5,
    "unit_no": 1.5,
    "floor_no": 0.5,
    "room_no": 2.0,
}
FINE = ("building_no", "unit_no", "floor_no", "room_no")
ONE_SIDED = 0.5  # a fine element only one side has
CROSS_LEVEL = 0.9  # a region name matched at another level of the candidate
IN_PATH = 0.95  # a region name found inside the candidate's region path
CONTRADICTION = 3.0  # a region the query names and the candidate lacks weighs this many times more
CONTAINS = 0.9  # one name contains the other
MAX_FUZZY = 0.99  # only an exact key match scores 1.0
SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "街道办事处",
    "社区居委会",
    "村民委员会",
    "居民委员会",
    "居委会",
    "村委会",
    "街道",
    "地区",
    "新区",
    "省",
    "市",
    "盟",
    "区",
    "县",
    "旗",
    "镇",
    "乡",
    "社区",
    "村",
    "嘎查",
)


@dataclass(frozen=True, slots=True)
class Score:
    total: float
    parts: dict[str, float]  # element → agreement 0..1 (what the total is made of)


def core(name: str) -> tuple[str, str]:
    """(name without its administrative suffix, the suffix): 辽阳市 → (辽阳, 市)."""
    for s in SUFFIXES:
        if name.endswith(s) and len(name) - len(s) >= 2:
            return name[: -len(s)], s
    return name, ""


@lru_cache(maxsize=65536)
def _bigrams(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 2] for i in range(len(text) - 1)) if len(text) > 1 else frozenset({text})


def dice(a: str, b: str) -> float:
    """Dice coefficient of character bigrams (0..1)."""
    x, y = _bigrams(a), _bigrams(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


@lru_cache(maxsize=262144)
def name_sim(a: str, b: str) -> float:
    if a == b:
        return 1.0
    (ca, sa), (cb, sb) = core(a), core(b)
    if ca == cb:
        return 1.0 if not sa or not sb else 0.3  # 辽阳 = 辽阳市, but 辽阳县 ≠ 辽阳市
    if min(len(a), len(b)) >= 2 and (a in b or b in a):
        return CONTAINS
    return dice(a, b)


def _region_parts(q: Elements, c: Elements) -> list[tuple[str, float, float]]:
    path = "".join(getattr(c, f) or "" for f in REGION_FIELDS)
    names = [v for f in REGION_FIELDS if (v := getattr(c, f))]
    out = []
    for field, value in q.regions:
        own = getattr(c, field) if field else None
        if field and own is None and not path:
            continue  # the candidate has no region path to compare with
        s = name_sim(value, own) if own else 0.0
        if s < 1.0 and len(value) >= 2 and value in path:
            s = max(s, IN_PATH)
        if s < CROSS_LEVEL and names:
            s = max(s, CROSS_LEVEL * max(name_sim(value, n) for n in names))
        out.append((field or "other_region", WEIGHTS[field] * (CONTRADICTION if s < 0.5 else 1.0), s))
    return out


def _road(e: Elements) -> str | None:
    return (e.community or "") + e.road if _is_group(e.road) else e.road


def _local_parts(q: Elements, c: Elements) -> list[tuple[str, float, float]]:
    out = []
    for field in LOCAL_FIELDS:
        qv, cv = (_road(q), _road(c)) if field == "road" else (getattr(q, field), getattr(c, field))
        if qv and cv:
            s = name_sim(qv, cv) if field in ("road", "poi") else float(qv == cv)
        elif qv:
            s = ONE_SIDED if field in FINE else 0.0
        elif cv and field in FINE and field != "floor_no":
            s = ONE_SIDED
        else:
            continue
        out.append((field, WEIGHTS[field], s))
    return out


def score(q: Elements, c: Elements, *, exact_key: bool = False) -> Score:
    """Agreement of candidate ``c`` with query ``q`` (0..1). ``exact_key``: their keys are equal;
    then agreeing regions make it an exact match (1.0), and anything else is capped at 0.99."""
    if not q.has_local:
        return Score(0.0, {})
    parts = _region_parts(q, c) + _local_parts(q, c)
    total = sum(w * s for _, w, s in parts) / sum(w for _, w, _ in parts)
    regions_agree = all(s >= IN_PATH for f, _, s in parts if f in REGION_FIELDS or f == "other_region")
    total = 1.0 if exact_key and regions_agree else min(total, MAX_FUZZY)
    return Score(round(total, 4), {f: round(s, 3) for f, _, s in parts})
