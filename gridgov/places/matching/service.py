"""Matching and geocoding against the standard address library (reading and writing the
library itself: :mod:`gridgov.places.matching.library`).

Matching never scans the table. Candidates come from bounded index probes on what the query
names (``ix_addresses_level_key``: the exact key, the building's key as a prefix, the road and
number, the road; ``ix_addresses_level_poi``: the compound name, equal or sharing its first two
characters), from the same probes after rewriting aliases and former names, and — when the query
names a unit or room — from the rooms under the best buildings. Each candidate is scored with
:func:`gridgov.places.matching.scoring.score`; an exact key with agreeing regions is 1.0.

Standard addresses are not personal data: matching needs ``register:read`` and no scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from gridgov.access.models import User
from gridgov.access.roles import Permission
from gridgov.access.service import require_permission
from gridgov.errors import Invalid, NotFound
from gridgov.places.addressing import prefix_range
from gridgov.places.matching.canonical import (
    FIELDS,
    REGION_FIELDS,
    Elements,
    building_key,
    local_key,
)
from gridgov.places.matching.query import REASONS, Query, prepare, prepare_many
from gridgov.places.matching.scoring import core, score
from gridgov.places.models import AddressAlias, StandardAddress

A = StandardAddress
MIN_SCORE = 0.6  # candidates below this are not offered
REGION_SUFFIXES = ("省", "市", "区", "县", "街道", "镇", "乡", "社区", "村")
AMBIGUOUS_MARGIN = 0.03  # top candidates this close: the answer is ambiguous
PROBE_LIMIT = 60
COLUMNS = (
    A.id,
    A.code,
    A.text,
    A.level,
    A.addr_key,
    A.parent_id,
    A.lon,
    A.lat,
    A.h3,
    A.grid_code,
    A.community_code,
    *(getattr(A, f) for f in FIELDS),
)


def require_reader(actor: User | None) -> None:
    require_permission(actor, Permission.register_read)


def _elements(row: Any) -> Elements:
    return Elements(**{f: getattr(row, f) for f in FIELDS})


def h3_hex(value: int | None) -> str | None:
    return format(value, "x") if value is not None else None


# --- candidates -------------------------------------------------------------------------------


_SELECT = select(*COLUMNS)  # built once: coercing 30 columns per probe costs more than the probe


def _probe(db: Session, where: Any, found: dict[int, Any], limit: int = PROBE_LIMIT) -> int:
    """Add the rows ``where`` selects (at most ``limit``) to ``found``; how many it selected."""
    rows = db.execute(_SELECT.where(where).limit(limit)).all()
    for row in rows:
        found.setdefault(row.id, row)
    return len(rows)


def key_is(key: str, level: str | None = None) -> Any:
    levels = (level,) if level else ("building", "unit", "room")
    return (A.level.in_(levels)) & (A.addr_key == key)


def _fine(db: Session, e: Elements, building_keys: list[str], found: dict[int, Any]) -> None:
    """The unit and the room ``e`` names under each of ``building_keys``: plain AND conditions,
    one range on ``ix_addresses_level_key`` per query (an OR of ranges leaves SQLite's planner
    without statistics free to pick a scan of every room)."""
    for key in building_keys:
        within = prefix_range(A.addr_key, key)
        if e.room_no:
            room = (A.level == "room") & within & (A.room_no == e.room_no)
            _probe(db, room & (A.unit_no == e.unit_no) if e.unit_no else room, found)
        if e.unit_no:
            _probe(db, (A.level == "unit") & within & (A.unit_no == e.unit_no), found)


def _probes(db: Session, v: Elements, found: dict[int, Any]) -> None:
    """Buildings (and the named unit/room) the query ``v`` can mean: what it names exactly first;
    only if that finds nothing, the fuzzier probes (a compound sharing the name's first two
    characters, anything on the road)."""
    building = A.level == "building"
    bkey = building_key(v)
    if bkey and (v.road_no or v.building_no):  # the building and what is under it
        _probe(db, building & (A.addr_key == bkey), found)
        _fine(db, v, [bkey], found)
    hits = 0
    if v.road and v.road_no:  # the compound at that number
        number_key = local_key(Elements(community=v.community, road=v.road, road_no=v.road_no))
        hits += _probe(db, building & prefix_range(A.addr_key, number_key), found)
    if v.poi:  # the compound by name (any of its buildings when the number is not there)
        number = (A.building_no == v.building_no) if v.building_no else true()
        named = _probe(db, building & (A.poi == v.poi) & number, found)
        if not named and v.building_no:
            named = _probe(db, building & (A.poi == v.poi), found)
        hits += named
    if hits:
        return
    if v.poi and len(v.poi) >= 2:
        number = (A.building_no == v.building_no) if v.building_no else true()
        _probe(db, building & prefix_range(A.poi, v.poi[:2]) & number, found)
    if v.road:
        _probe(
            db,
            building & prefix_range(A.addr_key, local_key(Elements(community=v.community, road=v.road))),
            found,
        )


def _below(db: Session, q: Elements, buildings: list[Any], found: dict[int, Any]) -> None:
    """The named unit/room under the best candidate buildings not probed yet."""
    done = building_key(q)
    if q.room_no or q.unit_no:
        _fine(db, q, [b.addr_key for b in buildings if b.addr_key and b.addr_key != done], found)


def _aliases(db: Session, e: Elements) -> list[tuple[Elements, str]]:
    """``e`` with an alias or former name replaced by the library's name, for each one it uses."""
    names = {getattr(e, f): f for f in ("road", "poi", *REGION_FIELDS) if getattr(e, f)}
    if not names:
        return []
    rows = db.execute(
        select(AddressAlias.field, AddressAlias.alias, AddressAlias.name, AddressAlias.kind)
        .where(AddressAlias.alias.in_(list(names)))
        .limit(20)
    ).all()
    out = []
    for r in rows:
        field = names[r.alias]
        if r.field == field or (r.field in REGION_FIELDS and field in REGION_FIELDS):
            label = "曾用名" if r.kind == "former" else "别名"
            out.append((replace(e, **{field: None, r.field: r.name}), f"{label}：{r.alias} → {r.name}"))
    return out


def _candidate(row: Any, s: Any, note: str | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "code": row.code,
        "text": row.text,
        "level": row.level,
        "score": s.total,
        "exact": s.total == 1.0,
        "lon": row.lon,
        "lat": row.lat,
        "h3": h3_hex(row.h3),
        "grid_code": row.grid_code,
        "agreement": s.parts,
        "note": note,
    }


def _rank(
    variants: list[tuple[Elements, tuple[str, ...], str | None]],
    rows: dict[int, Any],
    scored: dict[int, dict[str, Any]],
) -> list[dict[str, Any]]:
    """Score the rows not scored yet (into ``scored``); all candidates, best first."""
    for row in rows.values():
        if row.id not in scored:
            c = _elements(row)
            best = max(
                ((score(v, c, exact_key=row.addr_key in keys), note) for v, keys, note in variants),
                key=lambda x: x[0].total,
            )
            scored[row.id] = _candidate(row, *best)
    order = {"building": 0, "unit": 1, "room": 2}
    return sorted(scored.values(), key=lambda c: (-c["score"], order.get(c["level"], 3), c["code"]))


def _result(
    q: Query, candidates: list[dict[str, Any]], limit: int, reason: str | None = None
) -> dict[str, Any]:
    offered = [c for c in candidates if c["score"] >= MIN_SCORE][:limit]
    if reason is None and not offered:
        reason = "below_threshold" if candidates else "no_candidates"
    kind = "none" if not offered else "exact" if offered[0]["exact"] else "fuzzy"
    ambiguous = len(offered) > 1 and offered[0]["score"] - offered[1]["score"] <= AMBIGUOUS_MARGIN
    best = candidates[0]["score"] if candidates else None
    message = REASONS[reason] if reason else None
    if reason == "below_threshold":
        message += f"（最高相似度 {best:.2f}，低于 {MIN_SCORE}）"
    return {
        "query": q.as_dict(),
        "match": kind,
        "ambiguous": ambiguous,
        "reason": reason,
        "message": message,
        "best_score": best,
        "candidates": offered,
    }


def match_query(db: Session, q: Query, limit: int = 5) -> dict[str, Any]:
    if q.reason:
        return _result(q, [], limit, q.reason)
    e = q.elements
    variants = [(e, q.keys, None)] + [(v, (local_key(v),), note) for v, note in _aliases(db, e)]
    if e.community and not e.poi and not e.community.endswith(("社区", "居委会")):  # 天润新村: a compound?
        v = replace(e, community=None, poi=e.community)
        variants.append((v, (local_key(v),), None))
    found: dict[int, Any] = {}
    scored: dict[int, dict[str, Any]] = {}
    keys = {k for _, ks, _ in variants for k in ks if k}
    _probe(db, A.level.in_(("building", "unit", "room")) & A.addr_key.in_(sorted(keys)), found)
    ranked = _rank(variants, found, scored)
    if ranked and ranked[0]["exact"]:
        return _result(q, ranked, limit)
    for v, _, _ in variants:
        _probes(db, v, found)
    ranked = _rank(variants, found, scored)
    _below(db, e, [found[c["id"]] for c in ranked if c["level"] == "building"][:3], found)
    return _result(q, _rank(variants, found, scored), limit)


def match_address(db: Session, actor: User | None, text: str, limit: int = 5) -> dict[str, Any]:
    """Candidates for ``text``, best first (see the module doc). Empty text is a 422."""
    require_reader(actor)
    q = prepare(text)
    if q.reason == "empty":
        raise Invalid(REASONS["empty"], code="empty_address")
    return match_query(db, q, limit)


def match_many(db: Session, actor: User | None, texts: Sequence[str], limit: int = 1) -> list[dict[str, Any]]:
    """One result per line, in order (blank lines answer ``reason: empty``); parsed in one batch."""
    require_reader(actor)
    return [match_query(db, q, limit) for q in prepare_many(texts)]


# --- geocoding --------------------------------------------------------------------------------


def _region_fallback(db: Session, e: Elements) -> dict[str, Any] | None:
    """The deepest region the query names (its label point), consistent with the other names."""
    from gridgov.regions.models import Region

    names = [v for _, v in e.regions]
    if not names:
        return None
    names += [v + s for v in names if not core(v)[1] for s in REGION_SUFFIXES]  # 枣营 → 枣营镇 …
    rows = db.execute(
        select(Region.code, Region.name, Region.level, Region.lon, Region.lat, Region.h3)
        .where(Region.valid_to.is_(None), Region.name.in_(names), Region.lon.isnot(None))
        .limit(200)
    ).all()
    if not rows:
        return None
    codes = {r.code for r in rows}

    def support(r: Any) -> tuple[int, int]:  # how many other named regions are its ancestors
        return sum(1 for c in codes if c != r.code and r.code.startswith(c)), len(r.code)

    best = max(rows, key=support)
    tied = [r for r in rows if support(r) == support(best)]
    return {
        "code": best.code,
        "name": best.name,
        "level": best.level,
        "lon": best.lon,
        "lat": best.lat,
        "h3": h3_hex(best.h3),
        "ambiguous": len(tied) > 1,
    }


def geocode(db: Session, actor: User | None, text: str) -> dict[str, Any]:
    """lon/lat, H3 and grid of the best match; the deepest named region's point (``coarse``) when
    the library has no match; 404 ``no_match`` with the reason when neither."""
    require_reader(actor)
    q = prepare(text)
    if q.reason == "empty":
        raise Invalid(REASONS["empty"], code="empty_address")
    result = match_query(db, q, limit=3)
    base = {"query": result["query"], "match": result["match"], "ambiguous": result["ambiguous"]}
    if result["candidates"]:
        c = result["candidates"][0]
        return {
            **base,
            "precision": c["level"],
            "coarse": False,
            "lon": c["lon"],
            "lat": c["lat"],
            "h3": c["h3"],
            "grid_code": c["grid_code"],
            "address": {k: c[k] for k in ("id", "code", "text", "score")},
            "region": None,
            "alternatives": result["candidates"][1:],
        }
    region = _region_fallback(db, q.elements)
    if region is None:
        raise NotFound(
            f"无法定位该地址：{result['message']}",
            code="no_match",
            details={"reason": result["reason"], "query": result["query"]},
        )
    return {
        **base,
        "match": "region",
        "ambiguous": region.pop("ambiguous"),
        "precision": region["level"],
        "coarse": True,
        "lon": region["lon"],
        "lat": region["lat"],
        "h3": region["h3"],
        "grid_code": region["code"] if region["level"] in ("grid", "micro_grid") else None,
        "address": None,
        "region": region,
        "alternatives": [],
    }
