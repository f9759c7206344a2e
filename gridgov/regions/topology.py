"""Topology validation of regions and grids before anything is written. Pure: no database.

Checks, each reported with the region code and an area in m² where one applies:

- ``malformed_code``, ``duplicate_code``, ``level_mismatch`` (the level a code implies differs
  from the one given), ``unknown_parent``, ``parent_mismatch``;
- ``invalid_geometry`` (with GEOS's reason, e.g. self-intersection), ``wrong_geometry_type``,
  ``missing_geometry``;
- ``outside_parent``: the part of a region lying outside its parent;
- ``overlap``: basic siblings (same parent, same layer) whose interiors overlap;
- ``gap``: a parent's area not covered by its basic children (only for parents whose children
  are being imported or already exist — a parent with no children is not a gap);
- exclusive grids are their own layer: they must lie inside their community and must not
  overlap each other, but may overlap basic grids.

Areas under ``tolerance_m2`` (default 1 m²) are treated as numerical noise.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gridgov.codes import region_code_level, region_code_parent
from gridgov.codes.errors import CodeError
from gridgov.regions.geo import area_m2, degrees2_to_m2

TOLERANCE_M2 = 1.0
_AREA_LEVELS = {"province", "city"}  # may come without geometry


@dataclass(slots=True)
class RegionInput:
    code: str
    name: str
    level: str | None = None
    parent_code: str | None = None
    geometry: BaseGeometry | None = None
    exclusive_type: str | None = None


@dataclass(slots=True)
class Issue:
    kind: str
    code: str
    message: str
    area_m2: float | None = None
    other_code: str | None = None


@dataclass(slots=True)
class TopologyReport:
    checked: int = 0
    errors: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, kind: str, code: str, message: str, area: float | None = None, other: str | None = None):
        self.errors.append(Issue(kind, code, message, None if area is None else round(float(area), 2), other))

    def as_dict(self, limit: int = 1000) -> dict[str, Any]:
        counts: dict[str, int] = defaultdict(int)
        for issue in self.errors:
            counts[issue.kind] += 1
        return {"ok": self.ok, "checked": self.checked, "error_count": len(self.errors),
                "counts": dict(counts), "errors": [asdict(e) for e in self.errors[:limit]]}


@dataclass(slots=True)
class Existing:
    """A current region already stored, as the validator needs it."""

    code: str
    level: str
    parent_code: str | None
    geometry: BaseGeometry | None


def validate(items: list[RegionInput], existing: dict[str, Existing] | None = None,
             tolerance_m2: float = TOLERANCE_M2) -> TopologyReport:
    """Validate ``items`` (to be imported) against ``existing`` current regions."""
    existing = existing or {}
    report = TopologyReport(checked=len(items))
    good = _check_codes(items, existing, report)
    good = _check_geometries(good, report)
    merged = _merge(good, existing)
    _check_inside_parent(good, merged, report, tolerance_m2)
    _check_siblings(good, merged, report, tolerance_m2)
    return report


def _check_codes(items, existing, report) -> list[RegionInput]:
    seen: set[str] = set()
    good = []
    codes_in_file = {i.code for i in items if isinstance(i.code, str)}
    for item in items:
        code = item.code
        try:
            level = region_code_level(code)
            parent = region_code_parent(code)
        except CodeError as exc:
            report.add("malformed_code", str(code), f"编码 {code} 格式错误：{exc.message}")
            continue
        if code in seen:
            report.add("duplicate_code", code, f"编码 {code} 在文件中重复出现")
            continue
        seen.add(code)
        if item.level and item.level != level:
            report.add("level_mismatch", code, f"编码 {code} 对应层级 {level}，但给出的是 {item.level}")
            continue
        if item.parent_code and item.parent_code != parent:
            report.add("parent_mismatch", code, f"编码 {code} 的上级应为 {parent}，但给出的是 {item.parent_code}")
            continue
        if parent is not None and parent not in codes_in_file and parent not in existing and level not in _AREA_LEVELS:
            report.add("unknown_parent", code, f"上级区域 {parent} 不存在（既不在文件中，也不在库中）")
            continue
        if not (item.name or "").strip():
            report.add("missing_name", code, f"区域 {code} 缺少名称")
            continue
        item.level, item.parent_code = level, parent
        good.append(item)
    return good


def _check_geometries(items, report) -> list[RegionInput]:
    good = []
    for item in items:
        g = item.geometry
        if g is None:
            if item.level in _AREA_LEVELS:
                good.append(item)
            else:
                report.add("missing_geometry", item.code, f"区域 {item.code} 缺少边界")
            continue
        if g.geom_type not in ("Polygon", "MultiPolygon") or g.is_empty:
            report.add("wrong_geometry_type", item.code, f"区域 {item.code} 的边界应为面（Polygon/MultiPolygon），实为 {g.geom_type}")
            continue
        if not shapely.is_valid(g):
            report.add("invalid_geometry", item.code, f"区域 {item.code} 的边界无效：{shapely.is_valid_reason(g)}")
            continue
        good.append(item)
    return good


def _merge(items: list[RegionInput], existing: dict[str, Existing]) -> dict[str, Existing]:
    merged = dict(existing)
    for i in items:
        merged[i.code] = Existing(i.code, i.level or "", i.parent_code, i.geometry)
    return merged


def _check_inside_parent(items, merged, report, tol) -> None:
    pairs = [(i, merged[i.parent_code].geometry) for i in items
             if i.geometry is not None and i.parent_code in merged and merged[i.parent_code].geometry is not None]
    if not pairs:
        return
    child = np.array([p[0].geometry for p in pairs], dtype=object)
    parent = np.array([p[1] for p in pairs], dtype=object)
    covered = shapely.covered_by(child, parent)
    idx = np.flatnonzero(~covered)
    if len(idx) == 0:
        return
    outside = area_m2(shapely.difference(child[idx], parent[idx]))
    for k, a in zip(idx, outside):
        if a > tol:
            item = pairs[k][0]
            report.add("outside_parent", item.code, f"区域 {item.code} 有 {a:.1f} m² 超出上级 {item.parent_code} 的范围",
                       a, item.parent_code)


def _layer(region: Existing) -> str:
    return "exclusive" if region.level == "exclusive_grid" else "basic"


def _check_siblings(items, merged, report, tol) -> None:
    """Overlaps between siblings of one layer, and gaps in parents touched by this import."""
    touched_parents = {i.parent_code for i in items if i.parent_code}
    groups: dict[tuple[str, str], list[Existing]] = defaultdict(list)
    for r in merged.values():
        if r.parent_code in touched_parents and r.geometry is not None:
            groups[(r.parent_code, _layer(r))].append(r)
    new_codes = {i.code for i in items}
    all_regions = [r for members in groups.values() for r in members]
    if not all_regions:
        return
    geoms = np.array([r.geometry for r in all_regions], dtype=object)
    key = {id(r): (r.parent_code, _layer(r)) for r in all_regions}
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    mask = left < right
    left, right = left[mask], right[mask]
    same = np.array([key[id(all_regions[a])] == key[id(all_regions[b])] for a, b in zip(left, right)], dtype=bool)
    left, right = left[same], right[same]
    if len(left):
        inter = area_m2(shapely.intersection(geoms[left], geoms[right]))
        for a, b, area in zip(left, right, inter):
            ra, rb = all_regions[a], all_regions[b]
            if area > tol and (ra.code in new_codes or rb.code in new_codes):
                report.add("overlap", ra.code, f"区域 {ra.code} 与 {rb.code} 重叠 {area:.1f} m²", area, rb.code)
    # Gaps: parent area minus the children's areas, both in square degrees and converted at the
    # parent's latitude (one scale for all, so rounding cannot fake a gap); confirmed by a union.
    raw = shapely.area(geoms)
    area_of = {r.code: a for r, a in zip(all_regions, raw)}
    for (parent_code, layer), members in groups.items():
        parent = merged.get(parent_code)
        if layer != "basic" or parent is None or parent.geometry is None:
            continue
        lat = parent.geometry.centroid.y
        gap = degrees2_to_m2(parent.geometry.area - sum(area_of[m.code] for m in members), lat)
        if gap > tol:
            union = shapely.union_all([m.geometry for m in members])
            gap = float(area_m2(shapely.difference(parent.geometry, union))[0])
            if gap > tol:
                report.add("gap", parent_code, f"上级 {parent_code} 有 {gap:.1f} m² 未被其下级网格覆盖", gap)
