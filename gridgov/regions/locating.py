"""From stored region rows to a locator answering "which micro-grid, grid, community, street,
county holds this point" for many points at once.

The exact point-in-polygon work is done by :class:`gridgov.regions.locate.LocateIndex` over the
*leaves* of the basic hierarchy (micro-grids, or the finest level present where a region has no
children); every leaf knows its ancestors, so one lookup answers every level. Points in a gap not
covered by any leaf fall back to the coarser levels. Exclusive grids are a separate layer.

Border rule: leaves are ordered by code, and a point on a border shared by several regions
belongs to the one with the lowest code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from gridgov.regions.locate import LocateIndex

LEVEL_ORDER = ("county", "street", "community", "grid", "micro_grid")


class Locator:
    def __init__(self, rows: Sequence[Any]):
        basic = [r for r in rows if r.level in LEVEL_ORDER]
        exclusive = sorted((r for r in rows if r.level == "exclusive_grid"), key=lambda r: r.code)
        parents = {r.parent_code for r in basic}
        by_code = {r.code: r for r in basic}
        leaves = sorted((r for r in basic if r.code not in parents), key=lambda r: r.code)
        inner = sorted((r for r in basic if r.code in parents), key=lambda r: (-len(r.code), r.code))
        self._leaf_index = LocateIndex.build(shapely.from_wkb([r.geometry for r in leaves])) if leaves else None
        self._inner_index = [(lvl, LocateIndex.build(shapely.from_wkb([r.geometry for r in group])), group)
                             for lvl, group in _by_level(inner)]
        self._excl_index = LocateIndex.build(shapely.from_wkb([r.geometry for r in exclusive])) if exclusive else None
        self._leaf_results = [self._result(r, by_code) for r in leaves]
        self._exclusive_codes = [r.code for r in exclusive]
        self._by_code = by_code

    @staticmethod
    def _result(region: Any, by_code: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {lvl: None for lvl in ("micro_grid", "grid", "community", "street", "county")}
        out["region_id"] = region.id
        node = region
        while node is not None:
            if node.level in out:
                out[node.level] = node.code
            node = by_code.get(node.parent_code)
        return out

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> list[dict[str, Any] | None]:
        n = len(lon)
        results: list[dict[str, Any] | None] = [None] * n
        if n == 0:
            return results
        found = self._leaf_index.locate(lon, lat) if self._leaf_index else np.full(n, -1)
        for i, k in enumerate(found):
            if k >= 0:
                results[i] = dict(self._leaf_results[k])
        missing = np.flatnonzero(found < 0)
        for _level, index, group in self._inner_index:  # finest level first
            if len(missing) == 0:
                break
            hit = index.locate(lon[missing], lat[missing])
            for i, k in zip(missing[hit >= 0], hit[hit >= 0]):
                results[i] = self._result(group[k], self._by_code)
            missing = missing[hit < 0]
        if self._excl_index is not None:
            excl = self._excl_index.locate(lon, lat)
            for i in np.flatnonzero(excl >= 0):
                if results[i] is not None:
                    results[i]["exclusive_grids"] = [self._exclusive_codes[excl[i]]]
        for r in results:
            if r is not None:
                r.setdefault("exclusive_grids", [])
        return results


    def locate_one(self, lon: float, lat: float) -> dict[str, Any] | None:
        """:meth:`locate` for one point (the same answer, without numpy's per-call overhead)."""
        k = self._leaf_index.locate_one(lon, lat) if self._leaf_index else -1
        result = dict(self._leaf_results[k]) if k >= 0 else None
        if result is None:
            for _level, index, group in self._inner_index:  # finest level first
                k = index.locate_one(lon, lat)
                if k >= 0:
                    result = self._result(group[k], self._by_code)
                    break
        if result is None:
            return None
        k = self._excl_index.locate_one(lon, lat) if self._excl_index is not None else -1
        result["exclusive_grids"] = [self._exclusive_codes[k]] if k >= 0 else []
        return result


def _by_level(regions: list[Any]):
    levels: dict[str, list[Any]] = {}
    for r in regions:
        levels.setdefault(r.level, []).append(r)
    for lvl in reversed(LEVEL_ORDER):
        if lvl in levels:
            yield lvl, sorted(levels[lvl], key=lambda r: r.code)


def build_locator(rows: Sequence[Any]) -> Locator:
    return Locator(rows)
