"""Events on the map (一张图): open events in a viewport, an H3 heat grid, metric values per region
for colouring the grids, and one region's facts for the info panel.

Every query is limited by :func:`gridgov.events.parties.visible_clause` (events) or
:func:`gridgov.access.scope.scope_clause` (regions, register rows): a grid worker's map counts only
their grid's events, a handler's only their department's.

H3 without a per-row function: events carry their H3 cell at the stored resolution (10). Since an
H3 index holds the resolution-r ancestor's digits in its top bits, ``h3 >> 3 * (15 - r)`` is the same
number for every cell with the same resolution-r parent, so the database groups by that shifted value
(plain integer arithmetic on SQLite and PostgreSQL) and :func:`parent_from_key` turns a group key back
into the parent cell id (equal to ``h3.cell_to_parent``; tested).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import h3
import numpy as np
from sqlalchemy import ColumnElement, and_, case, func, literal_column, select
from sqlalchemy.orm import Session, aliased

from gridgov.access.models import User
from gridgov.access.roles import Permission, has_permission
from gridgov.access.scope import scope_clause, scope_of, subtree_clause
from gridgov.access.service import require_permission
from gridgov.db import utcnow
from gridgov.errors import Forbidden, Invalid
from gridgov.events.catalog_defaults import load_default_catalog
from gridgov.events.models import Event
from gridgov.events.parties import visible_clause
from gridgov.events.workflow import FINAL, STATE_LABELS, State
from gridgov.people.models import Person, SpecialGroupMember
from gridgov.places.models import House
from gridgov.regions.models import Region
from gridgov.settings import get_settings

OPEN_STATES = tuple(s.value for s in State if s not in FINAL)
SEVERITY = {s.code: s for s in load_default_catalog().severities}

#: region level → length of its code (events and register rows are grouped by code prefix)
CODE_LENGTH = {"street": 9, "community": 12, "grid": 15, "micro_grid": 17}
METRICS = {"events_week": "本周事件数", "open": "未结案件", "overdue": "超期件", "population": "实有人口"}
HEAT_PERIODS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365, "open": None}
MAX_REGIONS = 5000
MAX_HEAT_CELLS = 8000
POPULATION_TTL = 300.0  # seconds: the register changes slowly; the colours need not be live

_RES_SHIFT = 52
_RES_MASK = 0xF << _RES_SHIFT


# --- pure helpers ---------------------------------------------------------------------------

def heat_resolution(zoom: float) -> int:
    """The H3 resolution for a map zoom: hexagons about 20–60 px across on screen."""
    z = int(round(zoom))
    if z <= 9:
        return 6
    if z <= 11:
        return 7
    if z <= 13:
        return 8
    if z <= 15:
        return 9
    return 10


def key_shift(resolution: int) -> int:
    return 3 * (15 - resolution)


def parent_from_key(key: int, resolution: int) -> int:
    """The resolution-``resolution`` cell whose descendants have ``cell >> key_shift(resolution) == key``."""
    shift = key_shift(resolution)
    cell = (int(key) << shift) | ((1 << shift) - 1)
    return (cell & ~_RES_MASK) | (resolution << _RES_SHIFT)


def quantile_breaks(values: Any, classes: int = 5) -> list[float]:
    """Upper bounds of up to ``classes`` quantile classes over the positive values (ascending, unique).

    A value v falls in the first class whose bound is ≥ v; zero is its own class (no colour)."""
    arr = np.asarray(list(values), dtype=float)
    arr = arr[arr > 0]
    if not arr.size:
        return []
    qs = np.quantile(arr, np.linspace(0, 1, classes + 1)[1:], method="inverted_cdf")
    return [float(q) for q in np.unique(qs)]


def week_start(now: datetime | None = None) -> datetime:
    """Monday 00:00 of the current week in the work time zone (Asia/Shanghai), as an aware UTC time."""
    tz = ZoneInfo(get_settings().work_timezone)
    local = (now or utcnow()).astimezone(tz)
    monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return monday.astimezone(ZoneInfo("UTC"))


# --- conditions -----------------------------------------------------------------------------

def _require_map(user: User) -> None:
    require_permission(user, Permission.regions_read)


def _in_bbox(bbox: tuple[float, float, float, float]) -> ColumnElement[bool]:
    min_lon, min_lat, max_lon, max_lat = bbox
    return and_(Event.lon >= min_lon, Event.lon <= max_lon, Event.lat >= min_lat, Event.lat <= max_lat)


def _open() -> ColumnElement[bool]:
    return Event.state.in_(OPEN_STATES)


def metric_clause(metric: str, now: datetime | None = None, *, wide: bool = True) -> ColumnElement[bool]:
    if metric == "events_week":
        return _since(week_start(now), wide=wide)
    if metric == "open":
        return _open()
    if metric == "overdue":
        return and_(_open(), Event.overdue.is_(True))
    raise Invalid(f"未知的指标：{metric}；可选：{', '.join(METRICS)}", code="unknown_metric")


def _wide(user: User, region_prefix: str | None = None) -> bool:
    """Does the query span a street or more (then a time window is the narrower index)?"""
    if region_prefix is not None and len(region_prefix) > CODE_LENGTH["street"]:
        return False
    scope = scope_of(user)
    return scope.everything or any(len(p) <= CODE_LENGTH["street"] for p in scope.regions)


def _since(since: datetime, bbox: tuple[float, float, float, float] | None = None, *,
           wide: bool = True) -> ColumnElement[bool]:
    """Events reported since ``since`` (and in ``bbox``); for a ``wide`` query (a street or more) as
    ``id IN (…)`` over the created_at index.

    A subquery on purpose: with the time test beside visible_clause (an OR of the scope's region
    range and the user's own reports), SQLite walks the region range — every event of a county or
    city — instead of the few days asked for. A narrow scope (a grid) is the better index itself."""
    if not wide:
        conds = [Event.created_at >= since]
        if bbox is not None:
            conds.append(_in_bbox(bbox))
        return and_(*conds)
    e = aliased(Event)
    conds = [e.created_at >= since]
    if bbox is not None:
        conds += [e.lon >= bbox[0], e.lon <= bbox[2], e.lat >= bbox[1], e.lat <= bbox[3]]
    return Event.id.in_(select(e.id).where(*conds))


def _h3_key(resolution: int):
    """``h3 >> 3·(15 − r)``: equal for all cells with the same resolution-r parent (an int literal:
    PostgreSQL has ``bigint >> integer`` only)."""
    return Event.h3.op(">>")(literal_column(str(int(key_shift(resolution)))))


def _severity_rank():
    return case({code: s.rank for code, s in SEVERITY.items()}, value=Event.severity, else_=0)


# --- events in the viewport -----------------------------------------------------------------

def events_in_bbox(db: Session, user: User, bbox: tuple[float, float, float, float], zoom: int,
                   limit: int | None = None) -> dict[str, Any]:
    """Open events in the view: each one (``mode: points``) when there are few, else clusters per H3
    cell (``mode: clusters``: count, overdue count, the most serious severity, the mean point)."""
    _require_map(user)
    limit = limit or (400 if zoom < 13 else 1500)
    conds = [_open(), Event.lon.isnot(None), _in_bbox(bbox), visible_clause(user)]
    rows = db.execute(
        select(Event.id, Event.code, Event.title, Event.state, Event.severity, Event.overdue, Event.warned,
               Event.lon, Event.lat, Event.created_at, Event.due_at, Event.address, Event.region_code)
        .where(*conds).order_by(Event.id.desc()).limit(limit + 1)).all()
    if len(rows) <= limit:
        return {"mode": "points", "total": len(rows), "events": [{
            "id": r.id, "code": r.code, "title": r.title, "state": r.state,
            "state_label": STATE_LABELS[State(r.state)], "severity": r.severity,
            "severity_label": SEVERITY[r.severity].label if r.severity in SEVERITY else r.severity,
            "overdue": bool(r.overdue), "warned": bool(r.warned), "lon": round(r.lon, 6), "lat": round(r.lat, 6),
            "created_at": r.created_at, "due_at": r.due_at, "address": r.address, "region_code": r.region_code,
        } for r in rows]}
    res = max(5, min(heat_resolution(zoom) - 1, get_settings().h3_resolution))
    key = _h3_key(res)
    stmt = (select(key.label("k"), func.count().label("n"),
                   func.sum(case((Event.overdue.is_(True), 1), else_=0)).label("overdue"),
                   func.max(_severity_rank()).label("rank"),
                   func.avg(Event.lon).label("lon"), func.avg(Event.lat).label("lat"))
            .where(*conds, Event.h3.isnot(None)).group_by(key))
    by_rank = {s.rank: s.code for s in SEVERITY.values()}
    clusters = [{"h3": format(parent_from_key(r.k, res), "x"), "count": int(r.n), "overdue": int(r.overdue or 0),
                 "severity": by_rank.get(int(r.rank or 0)), "lon": round(float(r.lon), 6),
                 "lat": round(float(r.lat), 6)} for r in db.execute(stmt)]
    clusters.sort(key=lambda c: -c["count"])
    return {"mode": "clusters", "resolution": res, "total": sum(c["count"] for c in clusters),
            "clusters": clusters}


# --- heat -----------------------------------------------------------------------------------

def heat(db: Session, user: User, bbox: tuple[float, float, float, float], zoom: int, period: str = "30d",
         resolution: int | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Events counted per H3 cell in the view (cells as hexagon rings of [lat, lon]), with quantile
    breaks for the colour ramp. ``period``: the last 7/30/90/365 days, or ``open`` (unfinished)."""
    _require_map(user)
    if period not in HEAT_PERIODS:
        raise Invalid(f"未知的时间范围：{period}；可选：{', '.join(HEAT_PERIODS)}", code="unknown_period")
    stored = get_settings().h3_resolution
    res = resolution if resolution is not None else heat_resolution(zoom)
    if not 0 <= res <= stored:
        raise Invalid(f"H3 分辨率应在 0–{stored} 之间", code="invalid_resolution")
    days = HEAT_PERIODS[period]
    if days is not None and days >= LONG_PERIOD_DAYS:
        counts = _heat_from_columns(db, user, bbox, res, days, now)
    else:
        conds = [Event.h3.isnot(None), visible_clause(user)]
        conds += [_open(), _in_bbox(bbox)] if days is None else [
            _since((now or utcnow()) - timedelta(days=days), bbox, wide=_wide(user))]
        key = _h3_key(res)
        counts = {}
        for k, n in db.execute(select(key, func.count()).where(*conds).group_by(key)):
            cell = parent_from_key(k, res)
            counts[cell] = counts.get(cell, 0) + int(n)
    truncated = len(counts) > MAX_HEAT_CELLS
    cells = sorted(counts.items(), key=lambda kv: -kv[1])[:MAX_HEAT_CELLS]
    out = []
    for cell, n in cells:
        ring = h3.cell_to_boundary(format(cell, "x"))
        out.append({"h3": format(cell, "x"), "count": n,
                    "boundary": [[round(lat, 5), round(lon, 5)] for lat, lon in ring]})
    return {"resolution": res, "period": period, "total": int(sum(counts.values())),
            "max": max(counts.values(), default=0), "breaks": quantile_breaks(counts.values()),
            "truncated": truncated, "cells": out}


# Long windows (90 days, a year) touch most of the events table whatever the view: those are read
# once per user and window as three numpy columns (h3, lon, lat; ~9 MB for a city's year) and kept
# LONG_PERIOD_TTL seconds; each view is then a vectorised filter and count.
LONG_PERIOD_DAYS = 90
LONG_PERIOD_TTL = 120.0
_COLUMNS: dict[tuple, tuple[float, datetime, np.ndarray, np.ndarray, np.ndarray]] = {}
_COLUMNS_LOCK = threading.Lock()


def _event_columns(db: Session, user: User, days: int, now: datetime | None):
    key = (str(db.get_bind().url), user.id, days)
    mono = time.monotonic()
    with _COLUMNS_LOCK:
        hit = _COLUMNS.get(key)
    if hit is not None and mono - hit[0] < LONG_PERIOD_TTL and now is None:
        return hit[1:]
    since = (now or utcnow()) - timedelta(days=days)
    if _wide(user):
        # visible_clause as a column, not a condition: one pass over the window (see _since)
        stmt = select(Event.h3, Event.lon, Event.lat, visible_clause(user)).where(
            Event.h3.isnot(None), Event.lon.isnot(None), Event.created_at >= since)
        rows = [r for r in db.execute(stmt) if r[3]]
    else:
        rows = db.execute(select(Event.h3, Event.lon, Event.lat).where(
            Event.h3.isnot(None), Event.lon.isnot(None), Event.created_at >= since, visible_clause(user))).all()
    cells = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    lon = np.fromiter((r[1] for r in rows), dtype=float, count=len(rows))
    lat = np.fromiter((r[2] for r in rows), dtype=float, count=len(rows))
    value = (since, cells, lon, lat)
    if now is None:
        with _COLUMNS_LOCK:
            while len(_COLUMNS) >= 6:
                _COLUMNS.pop(next(iter(_COLUMNS)))
            _COLUMNS[key] = (mono, *value)
    return value


def clear_heat_cache() -> None:
    with _COLUMNS_LOCK:
        _COLUMNS.clear()


def _heat_from_columns(db: Session, user: User, bbox: tuple[float, float, float, float], res: int, days: int,
                       now: datetime | None) -> dict[int, int]:
    _since, cells, lon, lat = _event_columns(db, user, days, now)
    inside = (lon >= bbox[0]) & (lon <= bbox[2]) & (lat >= bbox[1]) & (lat <= bbox[3])
    keys, n = np.unique(cells[inside] >> key_shift(res), return_counts=True)
    counts: dict[int, int] = {}
    for k, c in zip(keys.tolist(), n.tolist()):
        cell = parent_from_key(k, res)
        counts[cell] = counts.get(cell, 0) + c
    return counts


# --- metrics per region ---------------------------------------------------------------------

def regions_in_view(db: Session, user: User, level: str, bbox: tuple[float, float, float, float]) -> list[str]:
    min_lon, min_lat, max_lon, max_lat = bbox
    codes = list(db.scalars(select(Region.code).where(
        Region.valid_to.is_(None), Region.level == level, Region.geometry.isnot(None),
        Region.min_lon <= max_lon, Region.max_lon >= min_lon, Region.min_lat <= max_lat, Region.max_lat >= min_lat,
        scope_clause(user, region_column=Region.code)).order_by(Region.code).limit(MAX_REGIONS + 1)))
    if len(codes) > MAX_REGIONS:
        raise Invalid(f"视野内区域超过 {MAX_REGIONS} 个，请放大地图", code="too_many_regions")
    return codes


def _common_prefix(codes: list[str]) -> str:
    if not codes:
        return ""
    first, last = codes[0], codes[-1]  # sorted: the common prefix of all is that of the extremes
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


_POP_CACHE: dict[tuple, tuple[float, dict[str, int]]] = {}
_POP_LOCK = threading.Lock()


def _population_by_code(db: Session, user: User, length: int, prefix: str) -> dict[str, int]:
    """Persons per region code prefix of ``length`` (in the user's scope), cached a few minutes."""
    scope = scope_of(user)
    key = (str(db.get_bind().url), length, prefix, scope.everything, scope.regions, scope.department_id)
    now = time.monotonic()
    with _POP_LOCK:
        hit = _POP_CACHE.get(key)
    if hit is not None and now - hit[0] < POPULATION_TTL:
        return hit[1]
    group = func.substr(Person.grid_code, 1, length)
    conds = [Person.grid_code.isnot(None), scope_clause(user, region_column=Person.grid_code)]
    if prefix:
        conds.append(subtree_clause(Person.grid_code, prefix))
    values = {code: int(n) for code, n in db.execute(select(group, func.count()).where(*conds).group_by(group))}
    with _POP_LOCK:
        if len(_POP_CACHE) > 64:
            _POP_CACHE.clear()
        _POP_CACHE[key] = (now, values)
    return values


def clear_population_cache() -> None:
    with _POP_LOCK:
        _POP_CACHE.clear()


def metric_values(db: Session, user: User, level: str, bbox: tuple[float, float, float, float], metric: str,
                  now: datetime | None = None) -> dict[str, Any]:
    """The metric for every region of ``level`` in the view (0 where nothing counts), with quantile
    breaks for the legend."""
    _require_map(user)
    if metric not in METRICS:
        raise Invalid(f"未知的指标：{metric}；可选：{', '.join(METRICS)}", code="unknown_metric")
    if level not in CODE_LENGTH:
        raise Invalid(f"指标着色只支持以下层级：{', '.join(CODE_LENGTH)}", code="invalid_level")
    if metric == "population" and not has_permission(user.role, Permission.register_read):
        raise Forbidden("您的角色无权查看人口数据", code="forbidden")
    codes = regions_in_view(db, user, level, bbox)
    values = dict.fromkeys(codes, 0)
    if codes:
        length = CODE_LENGTH[level]
        prefix = _common_prefix(codes)
        if metric == "population":
            # counted per county (the cache then serves every view within it) or the view's range
            counted = _population_by_code(db, user, length, prefix[:6])
        else:
            group = func.substr(Event.region_code, 1, length)
            conds = [metric_clause(metric, now, wide=_wide(user, prefix)), visible_clause(user)]
            if prefix:
                conds.append(subtree_clause(Event.region_code, prefix))
            counted = dict(db.execute(select(group, func.count()).where(*conds).group_by(group)).all())
        for code in codes:
            values[code] = int(counted.get(code, 0))
    return {"metric": metric, "label": METRICS[metric], "level": level, "values": values,
            "breaks": quantile_breaks(values.values()), "max": max(values.values(), default=0),
            "total": int(sum(values.values()))}


# --- one region's facts ---------------------------------------------------------------------

def region_facts(db: Session, user: User, code: str, now: datetime | None = None) -> dict[str, Any]:
    """Events this week, open and overdue, population, houses and special groups in a region (all
    within the user's scope and event visibility); register figures only for roles that read it."""
    from gridgov.regions import service as regions

    _require_map(user)
    region = regions.current(db, code)
    scope = scope_of(user)
    if not (scope.covers_region(code) or scope.covers_ancestor_of(code)):
        raise Forbidden(f"区域 {code} 不在您的权限范围内", code="out_of_scope")
    in_region = subtree_clause(Event.region_code, code)
    visible = visible_clause(user)
    week_count = db.scalar(select(func.count()).where(
        in_region, visible, metric_clause("events_week", now, wide=_wide(user, code))))
    row = db.execute(select(func.count(), func.sum(case((Event.overdue.is_(True), 1), else_=0))).where(
        in_region, visible, _open())).one()
    facts: dict[str, Any] = {"code": region.code, "name": region.name, "level": region.level,
                             "events_week": int(week_count or 0), "open": int(row[0] or 0),
                             "overdue": int(row[1] or 0), "population": None, "houses": None,
                             "special_groups": None}
    if has_permission(user.role, Permission.register_read):
        def count(model, *extra):
            return db.scalar(select(func.count()).select_from(model).where(
                subtree_clause(model.grid_code, code), scope_clause(user, region_column=model.grid_code),
                *extra)) or 0
        facts.update(population=count(Person), houses=count(House),
                     special_groups=count(SpecialGroupMember, SpecialGroupMember.valid_to.is_(None)))
    return facts
