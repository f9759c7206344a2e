"""Possible duplicates: is this report the same problem as that one? Pure: no database imports.

Two reports are suggested as duplicates when they were filed within a time window of each other
(default 72 h) and

* they are of the same item or the same category **and** lie within a radius (default 200 m), or
* their descriptions are near-identical (character-bigram Dice ≥ 0.8) and they do not lie
  provably far apart (at least one of them has no point, or they are within 5 × the radius), or
* they are of the same item or category, at least one has no point, and their descriptions are
  similar (≥ 0.4).

Each pair gets a score in [0, 1] — a weighted sum of closeness in space (0.35), kind (0.25: same
item 1, same category ½), text similarity (0.3) and closeness in time (0.1) — and the Chinese
reasons that led to it, so the operator sees *why* a pair is proposed. The score is symmetric.

:func:`search_radius_k` says how many H3 rings around a cell are needed to hold every point
within a radius, for the database side's narrowing (:mod:`gridgov.events.duplicates_service`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

EARTH_RADIUS_M = 6_371_008.8

W_PLACE, W_KIND, W_TEXT, W_TIME = 0.35, 0.25, 0.3, 0.1


@dataclass(frozen=True, slots=True)
class Report:
    """What is compared of an event (a detached snapshot)."""

    id: int
    item_code: str
    category_code: str
    description: str
    created_at: datetime
    lon: float | None = None
    lat: float | None = None

    @property
    def located(self) -> bool:
        return self.lon is not None and self.lat is not None


@dataclass(frozen=True, slots=True)
class Rules:
    """Thresholds of the duplicate test (the defaults are the documented ones)."""

    radius_m: float = 200.0
    window: timedelta = timedelta(hours=72)
    identical_text: float = 0.8  # near-identical: counts on its own
    similar_text: float = 0.4  # similar: counts with the same kind when a point is missing
    far_factor: float = 5.0  # located pairs further apart than radius × this are never duplicates

    def __post_init__(self) -> None:
        if not self.radius_m > 0 or self.window <= timedelta(0):
            raise ValueError("radius and window must be positive")
        if not 0 < self.similar_text <= self.identical_text <= 1:
            raise ValueError("need 0 < similar_text <= identical_text <= 1")
        if self.far_factor < 1:
            raise ValueError("far_factor must be at least 1")


DEFAULT_RULES = Rules()


@dataclass(frozen=True, slots=True)
class Match:
    """Why two reports look like the same problem."""

    score: float
    reasons: tuple[str, ...]
    same_item: bool
    same_category: bool
    distance_m: float | None
    hours_apart: float
    text_similarity: float
    signals: tuple[str, ...] = field(default=())  # machine names: place, text, kind_text


# --- pieces ---------------------------------------------------------------------------------


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


_DROP = re.compile(r"[\W_]+", re.UNICODE)


def normalize_text(text: str | None) -> str:
    """NFKC, case-folded, without whitespace and punctuation (``人民路 12 号！`` → ``人民路12号``)."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text or "").casefold())


def bigrams(text: str | None) -> frozenset[str]:
    """Character bigrams of the normalised text (a one-character text is its own gram)."""
    t = normalize_text(text)
    if len(t) < 2:
        return frozenset({t} if t else ())
    return frozenset(t[i : i + 2] for i in range(len(t) - 1))


def text_similarity(a: str | None, b: str | None) -> float:
    """Sørensen–Dice similarity of the character bigrams (``2·|A∩B| / (|A|+|B|)``), in [0, 1]; 0
    when either text is empty. Dice rather than Jaccard: one inserted character (``门前的井盖``)
    costs a short Chinese text less."""
    ga, gb = bigrams(a), bigrams(b)
    if not ga or not gb:
        return 0.0
    return 2 * len(ga & gb) / (len(ga) + len(gb))


def search_radius_k(radius_m: float, edge_m: float) -> int:
    """H3 rings (``grid_disk`` k) around a point's cell that hold every point within ``radius_m``.

    In a hexagon grid of edge ``e`` the cells of ring ``k`` have their centres at least
    ``1.5·k·e`` from the origin's centre and every point of a cell lies within ``e`` of its
    centre, so ring ``k`` can be reached only while ``1.5·k·e − 2e ≤ radius``. ``edge_m`` should
    be a lower bound of the edge length (H3 cells vary in size; pass ~0.7 × the average).
    """
    if radius_m <= 0 or edge_m <= 0:
        raise ValueError("radius and edge must be positive")
    return max(1, math.floor((radius_m + 2 * edge_m) / (1.5 * edge_m)))


# --- the test -------------------------------------------------------------------------------


def _fmt_hours(hours: float) -> str:
    if hours < 1:
        return f"{max(1, round(hours * 60))} 分钟"
    if hours < 48:
        return f"{hours:.1f} 小时".replace(".0 小时", " 小时")
    return f"{hours / 24:.1f} 天".replace(".0 天", " 天")


def compare(a: Report, b: Report, rules: Rules = DEFAULT_RULES) -> Match | None:
    """The match between two reports, or None if they are not possible duplicates."""
    if a.id == b.id:
        return None
    gap = abs(a.created_at - b.created_at)
    if gap > rules.window:
        return None
    hours = gap.total_seconds() / 3600
    same_item = a.item_code == b.item_code
    same_category = same_item or a.category_code == b.category_code
    distance = haversine_m(a.lon, a.lat, b.lon, b.lat) if a.located and b.located else None  # type: ignore[arg-type]
    near = distance is not None and distance <= rules.radius_m
    far = distance is not None and distance > rules.radius_m * rules.far_factor
    sim = text_similarity(a.description, b.description)

    signals = []
    if same_category and near:
        signals.append("place")
    if sim >= rules.identical_text and not far:
        signals.append("text")
    if same_category and distance is None and sim >= rules.similar_text:
        signals.append("kind_text")
    if not signals:
        return None

    window_h = rules.window.total_seconds() / 3600
    s_place = max(0.0, 1 - distance / rules.radius_m) if distance is not None else 0.0
    s_kind = 1.0 if same_item else 0.5 if same_category else 0.0
    s_time = max(0.0, 1 - hours / window_h)
    score = round(W_PLACE * s_place + W_KIND * s_kind + W_TEXT * sim + W_TIME * s_time, 3)

    reasons = []
    if same_item:
        reasons.append(f"同一事项（{a.item_code}）")
    elif same_category:
        reasons.append(f"同一类别（{a.category_code}）")
    if distance is not None:
        reasons.append(f"相距 {round(distance)} 米")
    else:
        reasons.append("至少一方无坐标，按描述比对")
    reasons.append(f"上报时间相差 {_fmt_hours(hours)}")
    if sim >= rules.identical_text:
        reasons.append(f"描述几乎相同（相似度 {sim:.0%}）")
    elif sim >= rules.similar_text:
        reasons.append(f"描述相似（相似度 {sim:.0%}）")
    return Match(
        score=score,
        reasons=tuple(reasons),
        same_item=same_item,
        same_category=same_category,
        distance_m=round(distance, 1) if distance is not None else None,
        hours_apart=round(hours, 2),
        text_similarity=round(sim, 3),
        signals=tuple(signals),
    )


def rank(
    target: Report, candidates: Iterable[Report], rules: Rules = DEFAULT_RULES, limit: int = 20
) -> list[tuple[Report, Match]]:
    """The candidates that match ``target``, best first (ties: the earlier report first)."""
    found = [(c, m) for c in candidates if (m := compare(target, c, rules)) is not None]
    found.sort(key=lambda cm: (-cm[1].score, cm[0].created_at, cm[0].id))
    return found[:limit]
