"""Regions and grids: reading the tree in scope, import with topology checks, versions, locate."""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.chain import digest
from gridgov.access.models import User
from gridgov.access.roles import Permission
from gridgov.access.scope import Scope, scope_clause, scope_of
from gridgov.access.service import require_permission
from gridgov.cache import ProcessCache
from gridgov.codes import region_code_level
from gridgov.codes.errors import CodeError
from gridgov.db import analyze, utcnow
from gridgov.errors import Forbidden, Invalid, NotFound
from gridgov.regions import geo
from gridgov.regions.models import LEVEL_LABELS, Region
from gridgov.regions.topology import Existing, RegionInput, TopologyReport, validate
from gridgov.settings import get_settings

MAX_MAP_FEATURES = 5000


def _current():
    return Region.valid_to.is_(None)


def _visible(scope: Scope, code: str) -> bool:
    return scope.covers_region(code) or scope.covers_ancestor_of(code)


def _scope_filter(user: User | None):
    """Current regions inside the user's scope (subtrees of their scope roots)."""
    return scope_clause(user, region_column=Region.code)


def _child_counts(db: Session, codes: list[str]) -> dict[str, int]:
    if not codes:
        return {}
    rows = db.execute(
        select(Region.parent_code, func.count()).where(_current(), Region.parent_code.in_(codes))
        .group_by(Region.parent_code)
    )
    return {p: n for p, n in rows}


def item(region: Region, child_count: int = 0, path: str | None = None) -> dict[str, Any]:
    center = [region.lon, region.lat] if region.lon is not None else None
    return {"code": region.code, "name": region.name, "level": region.level,
            "level_label": LEVEL_LABELS[region.level], "parent_code": region.parent_code,
            "child_count": child_count, "bbox": region.bbox, "center": center, "path": path}


def _items(db: Session, regions: list[Region]) -> list[dict[str, Any]]:
    counts = _child_counts(db, [r.code for r in regions])
    return [item(r, counts.get(r.code, 0)) for r in regions]


def current(db: Session, code: str) -> Region:
    try:
        region_code_level(code)
    except CodeError as exc:
        raise Invalid(f"区域编码 {code} 格式错误：{exc.message}", code="invalid_region_code") from exc
    region = db.scalar(select(Region).where(Region.code == code, _current()))
    if region is None:
        raise NotFound(f"区域 {code} 不存在", code="region_not_found")
    return region


def _require_region(db: Session, user: User, code: str) -> Region:
    require_permission(user, Permission.regions_read)
    region = current(db, code)
    if not _visible(scope_of(user), code):
        raise Forbidden(f"区域 {code} 不在您的权限范围内", code="out_of_scope")
    return region


def roots(db: Session, user: User) -> list[dict[str, Any]]:
    """The top of the user's tree: their scope roots (admin: the top-level regions stored)."""
    require_permission(user, Permission.regions_read)
    scope = scope_of(user)
    if scope.everything:
        top = db.scalar(select(func.min(func.length(Region.code))).where(_current(), Region.geometry.isnot(None)))
        stmt = select(Region).where(_current(), func.length(Region.code) == top)
    else:
        stmt = select(Region).where(_current(), Region.code.in_(scope.regions))
    return _items(db, list(db.scalars(stmt.order_by(Region.code))))


def children(db: Session, user: User, parent: str) -> list[dict[str, Any]]:
    _require_region(db, user, parent)
    stmt = select(Region).where(_current(), Region.parent_code == parent)
    scope = scope_of(user)
    if not scope.covers_region(parent):  # an ancestor of the scope: show only the path down to it
        stmt = stmt.where(or_(_scope_filter(user), Region.code.in_(_ancestor_codes(scope))))
    return _items(db, list(db.scalars(stmt.order_by(Region.code))))


def _ancestor_codes(scope: Scope) -> list[str]:
    from gridgov.codes import region_code_parent

    out: set[str] = set()
    for code in scope.regions:
        parent = region_code_parent(code)
        while parent:
            out.add(parent)
            parent = region_code_parent(parent)
    return sorted(out)


def ancestors(db: Session, region: Region) -> list[Region]:
    from gridgov.codes import region_code_parent

    codes = []
    parent = region.parent_code
    while parent:
        codes.append(parent)
        parent = region_code_parent(parent)
    found = {r.code: r for r in db.scalars(select(Region).where(_current(), Region.code.in_(codes)))}
    return [found[c] for c in reversed(codes) if c in found]


def detail(db: Session, user: User, code: str, with_geometry: bool = False) -> dict[str, Any]:
    region = _require_region(db, user, code)
    out = item(region, _child_counts(db, [code]).get(code, 0))
    out.update(
        id=region.id, version=region.version, valid_from=region.valid_from, valid_to=region.valid_to,
        area_m2=region.area_m2, exclusive_type=region.exclusive_type,
        h3=format(region.h3, "x") if region.h3 is not None else None,
        ancestors=[{"code": a.code, "name": a.name, "level": a.level} for a in ancestors(db, region)],
    )
    if with_geometry and region.geometry is not None:
        out["geometry"] = shapely.geometry.mapping(shapely.from_wkb(region.geometry))
    return out


def history(db: Session, user: User, code: str) -> list[dict[str, Any]]:
    _require_region(db, user, code)
    rows = db.scalars(select(Region).where(Region.code == code).order_by(Region.version))
    return [{"id": r.id, "version": r.version, "name": r.name, "valid_from": r.valid_from,
             "valid_to": r.valid_to, "area_m2": r.area_m2} for r in rows]


def search(db: Session, user: User, q: str, limit: int = 20) -> list[dict[str, Any]]:
    require_permission(user, Permission.regions_read)
    q = q.strip()
    if not q:
        raise Invalid("请输入要搜索的名称或编码", code="empty_query")
    cond = Region.code.startswith(q, autoescape=True) if q.isdigit() else Region.name.contains(q, autoescape=True)
    stmt = (select(Region).where(_current(), cond, _scope_filter(user))
            .order_by(func.length(Region.code), Region.code).limit(limit))
    regions = list(db.scalars(stmt))
    counts = _child_counts(db, [r.code for r in regions])
    out = []
    for r in regions:
        names = [a.name for a in ancestors(db, r) if a.level not in ("province", "city")]
        out.append(item(r, counts.get(r.code, 0), path=" / ".join([*names, r.name])))
    return out


def features_in_bbox(db: Session, user: User, bbox: tuple[float, float, float, float], zoom: int,
                     level: str, parent: str | None = None) -> dict[str, Any]:
    """Current regions of one level in the bbox, in scope, simplified for the zoom, as GeoJSON."""
    require_permission(user, Permission.regions_read)
    min_lon, min_lat, max_lon, max_lat = bbox
    stmt = select(Region.code, Region.name, Region.level, Region.parent_code, Region.exclusive_type,
                  Region.geometry).where(
        _current(), Region.level == level, Region.geometry.isnot(None),
        Region.min_lon <= max_lon, Region.max_lon >= min_lon,
        Region.min_lat <= max_lat, Region.max_lat >= min_lat, _scope_filter(user))
    if parent:
        stmt = stmt.where(Region.code.startswith(parent, autoescape=True))
    rows = db.execute(stmt.order_by(Region.code).limit(MAX_MAP_FEATURES + 1)).all()
    if len(rows) > MAX_MAP_FEATURES:
        return {"type": "FeatureCollection", "features": [], "truncated": True}
    if not rows:
        return {"type": "FeatureCollection", "features": []}
    geoms = shapely.from_wkb([r.geometry for r in rows])
    tolerance = geo.simplify_tolerance_for_zoom(zoom)
    view = shapely.box(*bbox).buffer(tolerance * 50)
    geoms = shapely.simplify(shapely.intersection(geoms, view), tolerance, preserve_topology=True)
    geoms = shapely.set_precision(geoms, tolerance / 4) if tolerance > 1e-6 else geoms
    features = []
    for r, g in zip(rows, geoms):
        if g is None or g.is_empty:
            continue
        features.append({"type": "Feature", "geometry": shapely.geometry.mapping(g),
                         "properties": {"code": r.code, "name": r.name, "level": r.level,
                                        "parent_code": r.parent_code, "exclusive_type": r.exclusive_type}})
    return {"type": "FeatureCollection", "features": features}


# Simplified geometry per (database, region version id, zoom), with the GeoJSON feature text once
# written: a region version never changes its boundary or name (a change is a new row), so the cache
# needs no invalidation, only a size bound. Entries are [geometry, feature text or None].
_SIMPLIFIED: OrderedDict[tuple[str, int, int], list] = OrderedDict()
_SIMPLIFIED_MAX = 200_000
_SIMPLIFIED_LOCK = threading.Lock()


def _decimals_for(tolerance: float) -> int:
    """Coordinate decimals that keep quantisation under the simplification tolerance (≤ half a pixel)."""
    return int(min(7, max(3, math.ceil(-math.log10(tolerance)) + 1)))


def _simplified(db: Session, ids: list[int], zoom: int) -> dict[int, list]:
    """Region id → [geometry simplified for ``zoom`` and quantised, its feature text or None]."""
    url = str(db.get_bind().url)
    out: dict[int, list] = {}
    with _SIMPLIFIED_LOCK:
        for i in ids:
            g = _SIMPLIFIED.get((url, i, zoom))
            if g is not None:
                _SIMPLIFIED.move_to_end((url, i, zoom))
                out[i] = g
    missing = [i for i in ids if i not in out]
    if not missing:
        return out
    tolerance = geo.simplify_tolerance_for_zoom(zoom)
    decimals = _decimals_for(tolerance)
    for chunk in _chunks(missing, 900):
        rows = db.execute(select(Region.id, Region.geometry).where(Region.id.in_(chunk))).all()
        geoms = shapely.simplify(shapely.from_wkb([r.geometry for r in rows]), tolerance, preserve_topology=True)
        geoms = shapely.transform(geoms, lambda c: np.round(c, decimals))
        with _SIMPLIFIED_LOCK:
            for r, g in zip(rows, geoms):
                out[r.id] = entry = [g, None]
                _SIMPLIFIED[(url, r.id, zoom)] = entry
            while len(_SIMPLIFIED) > _SIMPLIFIED_MAX:
                _SIMPLIFIED.popitem(last=False)
    return out


def features_in_bbox_json(db: Session, user: User, bbox: tuple[float, float, float, float], zoom: int,
                          level: str, parent: str | None = None, limit: int = MAX_MAP_FEATURES) -> str:
    """:func:`features_in_bbox` as a JSON text, faster: geometry simplified once per zoom and cached,
    coordinates quantised to the zoom (≤ half a pixel), only regions reaching past the view clipped,
    GeoJSON written by GEOS. Same features, same properties, same truncation rule."""
    require_permission(user, Permission.regions_read)
    min_lon, min_lat, max_lon, max_lat = bbox
    stmt = select(Region.id, Region.code, Region.name, Region.level, Region.parent_code, Region.exclusive_type,
                  Region.min_lon, Region.min_lat, Region.max_lon, Region.max_lat).where(
        _current(), Region.level == level, Region.geometry.isnot(None),
        Region.min_lon <= max_lon, Region.max_lon >= min_lon,
        Region.min_lat <= max_lat, Region.max_lat >= min_lat, _scope_filter(user))
    if parent:
        stmt = stmt.where(Region.code.startswith(parent, autoescape=True))
    limit = min(limit, MAX_MAP_FEATURES)
    rows = db.execute(stmt.order_by(Region.code).limit(limit + 1)).all()
    if len(rows) > limit:
        return '{"type":"FeatureCollection","features":[],"truncated":true}'
    if not rows:
        return '{"type":"FeatureCollection","features":[]}'
    by_id = _simplified(db, [r.id for r in rows], zoom)
    tolerance = geo.simplify_tolerance_for_zoom(zoom)
    pad = tolerance * 50
    view = (min_lon - pad, min_lat - pad, max_lon + pad, max_lat + pad)
    entries = [by_id[r.id] for r in rows]
    # Only regions reaching past the (padded) view are cut to it; the rest are sent whole, as the
    # feature text written the first time they were sent at this zoom.
    outside = np.array([r.min_lon < view[0] or r.min_lat < view[1] or r.max_lon > view[2] or r.max_lat > view[3]
                        for r in rows], dtype=bool)
    texts: list[str | None] = [None if cut else e[1] for e, cut in zip(entries, outside)]
    todo = [i for i, t in enumerate(texts) if t is None]
    if todo:
        geoms = np.array([entries[i][0] for i in todo], dtype=object)
        cut = outside[todo]
        if cut.any():
            decimals = _decimals_for(tolerance)
            clipped = shapely.intersection(geoms[cut], shapely.box(*view))
            geoms[cut] = shapely.transform(clipped, lambda c: np.round(c, decimals))
        for i, g, text in zip(todo, geoms, shapely.to_geojson(geoms)):
            if g is None or g.is_empty or text is None:
                texts[i] = ""
                continue
            r = rows[i]
            props = json.dumps({"code": r.code, "name": r.name, "level": r.level, "parent_code": r.parent_code,
                                "exclusive_type": r.exclusive_type}, ensure_ascii=False, separators=(",", ":"))
            texts[i] = f'{{"type":"Feature","geometry":{text},"properties":{props}}}'
            if not outside[i]:
                entries[i][1] = texts[i]
    return '{"type":"FeatureCollection","features":[' + ",".join(t for t in texts if t) + "]}"


def neighbours(db: Session, user: User, code: str) -> list[dict[str, Any]]:
    from gridgov.regions.locate import grid_neighbours

    region = _require_region(db, user, code)
    if region.geometry is None:
        return []
    g = shapely.from_wkb(region.geometry)
    minx, miny, maxx, maxy = g.bounds
    eps = 1e-6
    rows = list(db.scalars(select(Region).where(
        _current(), Region.level == region.level, Region.min_lon <= maxx + eps, Region.max_lon >= minx - eps,
        Region.min_lat <= maxy + eps, Region.max_lat >= miny - eps)))
    geoms = shapely.from_wkb([r.geometry for r in rows])
    found = grid_neighbours(geoms, [r.code for r in rows]).get(code, [])
    by_code = {r.code: r for r in rows}
    return [{"code": c, "name": by_code[c].name, "level": by_code[c].level} for c in sorted(found)]


# --- import ---------------------------------------------------------------------------------

def parse_feature_collection(data: Any, crs: str = "wgs84") -> tuple[list[RegionInput], TopologyReport]:
    """GeoJSON FeatureCollection → inputs; structural problems go into the report, nothing raised
    except for a document that is not a FeatureCollection at all."""
    from gridgov.regions.coords import to_wgs84

    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
            data.get("features"), list):
        raise Invalid("文件不是 GeoJSON FeatureCollection（需要 type=FeatureCollection 和 features 数组）",
                      code="not_feature_collection")
    report = TopologyReport()
    items: list[RegionInput] = []
    for n, feature in enumerate(data["features"], start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        code = str(props.get("code", "")).strip() if isinstance(props, dict) else ""
        label = code or f"#{n}"
        if not isinstance(props, dict) or not code:
            report.add("missing_code", label, f"第 {n} 个要素缺少 properties.code")
            continue
        geometry = None
        if feature.get("geometry") is not None:
            try:
                geometry = shapely.geometry.shape(feature["geometry"])
                if crs not in ("wgs84", "cgcs2000") and not geometry.is_empty:
                    geometry = shapely.transform(geometry, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], crs)))
            except Exception as exc:
                report.add("invalid_geometry", code, f"区域 {code} 的几何无法解析：{exc}")
                continue
        items.append(RegionInput(code=code, name=str(props.get("name") or "").strip(),
                                 level=props.get("level"), parent_code=props.get("parent_code"),
                                 geometry=geometry, exclusive_type=props.get("exclusive_type")))
    report.checked = len(data["features"])
    return items, report


def _existing_context(db: Session, items: list[RegionInput]) -> dict[str, Existing]:
    """Current regions the validator needs: the parents of the items and their current children."""
    from gridgov.codes import region_code_parent

    parents: set[str] = set()
    for i in items:
        try:
            p = region_code_parent(i.code)
        except CodeError:
            continue
        if p:
            parents.add(p)
    codes = parents | {i.code for i in items}
    out: dict[str, Existing] = {}
    for chunk in _chunks(sorted(codes), 500):
        rows = db.execute(select(Region.code, Region.level, Region.parent_code, Region.geometry).where(
            _current(), or_(Region.code.in_(chunk), Region.parent_code.in_(chunk)))).all()
        for r in rows:
            out[r.code] = Existing(r.code, r.level, r.parent_code,
                                   shapely.from_wkb(r.geometry) if r.geometry is not None else None)
    return out


def _chunks(seq: list, n: int) -> Iterable[list]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def import_regions(db: Session, actor: User | None, items: list[RegionInput], *, pre_report: TopologyReport | None = None,
                   dry_run: bool = False, source: str = "api",
                   progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Validate everything, then write everything or nothing. Returns counts and the report."""
    if actor is not None:
        require_permission(actor, Permission.regions_import)
    report = validate(items, _existing_context(db, items))
    if pre_report is not None:
        report.errors[:0] = pre_report.errors
        report.checked = max(report.checked, pre_report.checked)
    result = {"created": 0, "updated": 0, "unchanged": 0, "report": report.as_dict()}
    if not report.ok or dry_run:
        return result
    created, updated, unchanged = write_regions(db, items, progress=progress)
    result.update(created=created, updated=updated, unchanged=unchanged)
    audit.record(db, actor, "regions.import", "region_import", source,
                 after={"codes": digest(sorted(i.code for i in items))},
                 detail={"created": created, "updated": updated, "unchanged": unchanged, "source": source})
    return result


def write_regions(db: Session, items: list[RegionInput], *, at: datetime | None = None,
                  progress: Callable[[str, int, int], None] | None = None, batch: int = 5000) -> tuple[int, int, int]:
    """Insert new regions, version changed ones, skip unchanged ones. Items must be validated."""
    at = at or utcnow()
    res = get_settings().h3_resolution
    created = updated = unchanged = 0
    total = len(items)
    for start in range(0, total, batch):
        chunk = items[start:start + batch]
        olds = {r.code: r for r in db.scalars(select(Region).where(
            _current(), Region.code.in_([i.code for i in chunk])))}
        geoms = np.array([i.geometry for i in chunk], dtype=object)
        has = np.array([g is not None for g in geoms])
        wkb = np.full(len(chunk), None, dtype=object)
        areas = np.full(len(chunk), np.nan)
        points = np.full(len(chunk), None, dtype=object)
        if has.any():
            wkb[has] = shapely.to_wkb(geoms[has], output_dimension=2)
            areas[has] = geo.area_m2(geoms[has])
            points[has] = shapely.point_on_surface(geoms[has])
        rows = []
        for item_, g, w, a, p in zip(chunk, geoms, wkb, areas, points):
            gdigest = geo.geometry_digest(g) if g is not None else None
            old = olds.get(item_.code)
            if old is not None and old.geometry_digest == gdigest and old.name == item_.name and \
                    old.exclusive_type == item_.exclusive_type:
                unchanged += 1
                continue
            version = 1
            if old is not None:
                old.valid_to = at
                version = old.version + 1
                updated += 1
            else:
                created += 1
            row = dict(code=item_.code, version=version, name=item_.name, level=item_.level,
                       parent_code=item_.parent_code, exclusive_type=item_.exclusive_type,
                       geometry=w, geometry_digest=gdigest, valid_from=at, valid_to=None,
                       area_m2=None, min_lon=None, min_lat=None, max_lon=None, max_lat=None, lon=None, lat=None,
                       h3=None)  # every row has every key: executemany takes its columns from the first
            if g is not None:
                minx, miny, maxx, maxy = g.bounds
                row.update(area_m2=float(a), min_lon=minx, min_lat=miny, max_lon=maxx, max_lat=maxy,
                           lon=p.x, lat=p.y, h3=geo.h3_cell(p.x, p.y, res))
            rows.append(row)
        db.flush()
        if rows:
            db.execute(Region.__table__.insert(), rows)
        if progress:
            progress("写入区域", min(start + batch, total), total)
    analyze(db, Region.__tablename__, changed=created + updated)
    invalidate_locator()
    return created, updated, unchanged


def stored_topology(db: Session, user: User, code: str) -> dict[str, Any]:
    """Re-check a stored parent: its children's overlaps and gaps, children inside it."""
    _require_region(db, user, code)
    rows = db.execute(select(Region.code, Region.name, Region.level, Region.parent_code, Region.geometry,
                             Region.exclusive_type).where(_current(), or_(Region.parent_code == code))).all()
    items = [RegionInput(r.code, r.name, r.level, r.parent_code,
                         shapely.from_wkb(r.geometry) if r.geometry is not None else None, r.exclusive_type)
             for r in rows]
    parent = current(db, code)
    context = {code: Existing(code, parent.level, parent.parent_code,
                              shapely.from_wkb(parent.geometry) if parent.geometry is not None else None)}
    return validate(items, context).as_dict()


# --- locate ---------------------------------------------------------------------------------

_LOCATOR_CACHE: dict[tuple, Any] = {}


def invalidate_locator() -> None:
    _LOCATOR_CACHE.clear()


def _generation(db: Session) -> tuple:
    row = db.execute(select(func.max(Region.id), func.count(Region.valid_to))).one()
    return (str(db.get_bind().url), row[0], row[1])


def locate(db: Session, lon: np.ndarray, lat: np.ndarray, at: datetime | None = None) -> list[dict | None]:
    """Locate many points at once → micro-grid, grid, community, street, county (or None)."""
    from gridgov.regions.locating import build_locator

    key = (_generation(db), at)
    locator = _LOCATOR_CACHE.get(key)
    if locator is None:
        cond = _current() if at is None else and_(Region.valid_from <= at,
                                                  or_(Region.valid_to.is_(None), Region.valid_to > at))
        rows = db.execute(select(Region.id, Region.code, Region.level, Region.parent_code, Region.geometry)
                          .where(cond, Region.geometry.isnot(None))).all()
        locator = build_locator(rows)
        if len(_LOCATOR_CACHE) > 4:
            _LOCATOR_CACHE.clear()
        _LOCATOR_CACHE[key] = locator
    return locator.locate(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))


def feature_collection_from_bytes(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Invalid(f"文件不是有效的 JSON：{exc}", code="invalid_json") from exc


def place_point(db: Session, lon: float, lat: float, crs: str = "wgs84") -> dict[str, Any]:
    """Where a register record sits: its finest grid code, that grid's version id, lon/lat in
    WGS84 and the H3 cell. Raises a 422 when the point lies outside every grid."""
    x0, y0 = _wgs84(lon, lat, crs)
    return _placed(locate(db, np.array([x0]), np.array([y0]))[0], lon, lat, x0, y0)


# --- event intake's point placing: the locator without a query per point --------------------------

#: how long a worker process trusts its locator without asking the database whether the regions
#: changed (seconds; then it answers for one more period while a background thread asks); a region
#: edit through the same process is seen at once (:func:`invalidate_locator` drops the locator)
GENERATION_SECONDS = 2.0
_GENERATIONS = ProcessCache("regions", GENERATION_SECONDS)


def place_point_cached(db: Session, lon: float, lat: float, crs: str = "wgs84") -> dict[str, Any]:
    """:func:`place_point` for event intake: the same answer, but the regions' generation (one
    query) is checked at most every :data:`GENERATION_SECONDS`, and one point skips numpy."""
    locator = _LOCATOR_CACHE.get((_GENERATIONS.get(db, "generation", _generation), None))
    if locator is None:  # not built yet, or the regions changed: the full path builds it
        return place_point(db, lon, lat, crs)
    x0, y0 = _wgs84(lon, lat, crs)
    return _placed(locator.locate_one(x0, y0), lon, lat, x0, y0)


def _wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    if crs == "wgs84":
        return float(lon), float(lat)
    from gridgov.regions.coords import to_wgs84

    x, y = to_wgs84(np.array([float(lon)]), np.array([float(lat)]), crs)
    return float(x[0]), float(y[0])


def _placed(found: dict[str, Any] | None, lon: float, lat: float, x0: float, y0: float) -> dict[str, Any]:
    if found is None:
        raise Invalid(f"坐标 ({lon}, {lat}) 不在任何网格内", code="outside_grids")
    code = found["micro_grid"] or found["grid"] or found["community"]
    return {"grid_code": code, "grid_region_id": found["region_id"], "lon": x0, "lat": y0,
            "h3": geo.h3_cell(x0, y0, get_settings().h3_resolution)}
