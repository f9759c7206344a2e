"""Exact, fast point-in-grid location (pure: numpy, scipy, shapely; no database).

``LocateIndex`` answers "which polygon of this layer covers the point" for millions of points at
once, with exactly the answer of a brute-force Shapely test (``intersects_xy``, i.e. *covers*
semantics) plus the border rule below.  ``HierarchyLocator`` maps points to every level of the
administrative hierarchy (micro-grid → grid → community → street → county), and
``grid_neighbours`` lists the polygons that share a stretch of boundary.

Border rule
-----------
A layer is a sequence of polygons whose interiors do not overlap (grids tiling a community; gaps
are allowed).  Its order is its *priority order*:

* a point in the interior of a polygon belongs to that polygon;
* a point on the boundary of the layer's area (an outer edge, the edge of a hole or gap) belongs to
  the polygon whose boundary it lies on - polygons are closed sets (covers, not contains);
* a point covered by several polygons - it lies on their shared edge or on a vertex where they
  meet - belongs to the one that comes **first in the layer's order**, so exactly one polygon is
  returned.  ``HierarchyLocator`` orders each level by region code ascending, so there
  **the lowest code wins**;
* a point covered by no polygon, outside the layer's bounding box, or with a NaN/inf coordinate
  gets ``-1`` (no polygon).

How it works
------------
A hierarchical raster over the layer's bounding box (cells of ``4**depth`` finest cells at level
0, each *boundary* cell split into 4 x 4 children at the next level, down to the finest cells).
A cell is a boundary cell when any polygon edge comes within a tiny margin of it; the marking is
conservative (an edge that touches a cell always marks it, floating-point error included).  A
cell that no edge touches lies wholly inside one polygon or wholly outside all of them, so its
answer is stored in the raster (found once at build time by a scanline fill).  A point is located
by integer arithmetic and one array gather per level; only points in the finest boundary cells
(a few percent) are tested exactly, with Shapely's prepared ``intersects_xy``, against the few
polygons whose edges touch their cell, in priority order.  When every edge in such a cell is
shared by two polygons (no gap can reach into it) the last candidate is taken without a test.

Preconditions: valid ``Polygon``/``MultiPolygon`` geometries whose interiors do not overlap.
``build`` raises ``ValueError`` for other geometry types, empty or invalid geometries, and for
overlaps more than about one finest raster cell wide (a few metres at city scale); narrower
overlaps are not detected, and a point inside one then gets one of the covering polygons, not
necessarily the first.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from scipy import ndimage

__all__ = [
    "LocateIndex",
    "HierarchyLocator",
    "grid_neighbours",
    "neighbour_pairs",
    "DEFAULT_LEVELS",
]

DEFAULT_LEVELS: tuple[str, ...] = ("micro_grid", "grid", "community", "street", "county")

# Margin (in finest cells) by which every edge is widened when boundary cells are marked.  The
# floating-point error of mapping a coordinate to a cell is ~1e-11 cells, so 1e-6 is ample.
_EPS = 1e-6
# Extra margin per unit slope when an edge's row range is interpolated inside a column.
_SLOPE_ERR = 1e-9
_UNSET = np.iinfo(np.int32).min
# Auto cell size: aim at about this many boundary cells at the finest level ...
_TARGET_BOUNDARY_CELLS = 8_000_000
# ... but never finer than 1/64 of the median polygon's side.
_MIN_CELLS_PER_SIDE = 64
# Level 0 (a dense array) has at most this many cells.
_MAX_LEVEL0_CELLS = 1 << 20
# Below this many points a query runs in the calling thread.
_PARALLEL_MIN_POINTS = 65_536
_CHUNK_POINTS = 1 << 18
# Build work is done in pieces of this size to bound its temporary memory.
_MARK_CHUNK_EDGES = 4096
_SPAN_CHUNK_CROSSINGS = 1 << 21
_LABEL_CHUNK_BLOCKS = 1 << 18
# Point tests run on each prepared polygon at build time (see LocateIndex.build).
_WARM_UP_TESTS = 4

_executor_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=max(1, os.cpu_count() or 1), thread_name_prefix="gridgov-locate"
            )
        return _executor


# --------------------------------------------------------------------------------------------
# geometry helpers


def _as_geometry_array(geometries: Iterable[Any]) -> np.ndarray:
    items = list(geometries)
    arr = np.empty(len(items), dtype=object)
    arr[:] = items
    return arr


def _check_polygons(geoms: np.ndarray, ids: np.ndarray) -> None:
    if geoms.size == 0:
        return
    if any(g is None for g in geoms):
        bad = next(i for i, g in enumerate(geoms) if g is None)
        raise ValueError(f"geometry of {ids[bad]!r} is missing")
    type_id = shapely.get_type_id(geoms)
    bad = np.flatnonzero((type_id != 3) & (type_id != 6))
    if bad.size:
        i = bad[0]
        kind = getattr(geoms[i], "geom_type", type(geoms[i]).__name__)
        raise ValueError(f"geometry of {ids[i]!r} is a {kind}; only Polygon and MultiPolygon can be located")
    bad = np.flatnonzero(shapely.is_empty(geoms))
    if bad.size:
        raise ValueError(f"geometry of {ids[bad[0]]!r} is empty")
    bad = np.flatnonzero(~shapely.is_valid(geoms))
    if bad.size:
        i = bad[0]
        raise ValueError(
            f"geometry of {ids[i]!r} is invalid ({shapely.is_valid_reason(geoms[i])}); "
            f"{bad.size} invalid geometries in all - repair them (shapely.make_valid) first"
        )
    bad = np.flatnonzero(~np.isfinite(shapely.bounds(geoms)).all(axis=1))
    if bad.size:
        raise ValueError(f"geometry of {ids[bad[0]]!r} has non-finite coordinates")


def _edges(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All ring segments of all polygons: start points, end points, polygon position."""
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    same = coord_ring[:-1] == coord_ring[1:]
    a = coords[:-1][same]
    b = coords[1:][same]
    poly = part_of[ring_of[coord_ring[:-1][same]]]
    keep = (a != b).any(axis=1)
    return a[keep], b[keep], poly[keep].astype(np.int64)


def _shared_edges(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each segment: how many segments have exactly the same two end points, and a group id."""
    swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    lo = np.where(swap[:, None], b, a)
    hi = np.where(swap[:, None], a, b)
    key = np.concatenate([lo, hi], axis=1) + 0.0  # + 0.0: -0.0 -> 0.0
    order = np.lexsort(key.T[::-1])
    ks = key[order]
    flags = np.ones(ks.shape[0], dtype=bool)
    flags[1:] = (ks[1:] != ks[:-1]).any(axis=1)
    gid_sorted = np.cumsum(flags) - 1
    sizes = np.diff(np.append(np.flatnonzero(flags), ks.shape[0]))
    group = np.empty(ks.shape[0], dtype=np.int64)
    group[order] = gid_sorted
    return sizes[group], group


# --------------------------------------------------------------------------------------------
# sorting helpers (np.unique / np.isin are far slower than a sort on large integer arrays)


def _first_flags(sorted_keys: np.ndarray) -> np.ndarray:
    flags = np.empty(sorted_keys.size, dtype=bool)
    if sorted_keys.size:
        flags[0] = True
        np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=flags[1:])
    return flags


def _unique_int(keys: np.ndarray) -> np.ndarray:
    keys = np.sort(keys)
    return keys[_first_flags(keys)]


def _group(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group equal keys: (group id of each key, position of each group's first key, group sizes).

    Group ids follow the sorted order of the keys."""
    order = np.argsort(keys, kind="stable")
    flags = _first_flags(keys[order])
    gid_sorted = np.cumsum(flags) - 1
    gid = np.empty(keys.size, dtype=np.int64)
    gid[order] = gid_sorted
    starts = np.flatnonzero(flags)
    sizes = np.diff(np.append(starts, keys.size))
    return gid, order[starts], sizes


# --------------------------------------------------------------------------------------------
# Morton (Z-order) codes


def _spread_bits(v: np.ndarray) -> np.ndarray:
    v = v.astype(np.uint64)
    v = (v | (v << np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
    v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    v = (v | (v << np.uint64(2))) & np.uint64(0x3333333333333333)
    v = (v | (v << np.uint64(1))) & np.uint64(0x5555555555555555)
    return v


def _compact_bits(v: np.ndarray) -> np.ndarray:
    v = v.astype(np.uint64) & np.uint64(0x5555555555555555)
    v = (v | (v >> np.uint64(1))) & np.uint64(0x3333333333333333)
    v = (v | (v >> np.uint64(2))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    v = (v | (v >> np.uint64(4))) & np.uint64(0x00FF00FF00FF00FF)
    v = (v | (v >> np.uint64(8))) & np.uint64(0x0000FFFF0000FFFF)
    v = (v | (v >> np.uint64(16))) & np.uint64(0x00000000FFFFFFFF)
    return v.astype(np.int64)


def _morton(cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    return (_spread_bits(cx) | (_spread_bits(cy) << np.uint64(1))).astype(np.int64)


# --------------------------------------------------------------------------------------------
# build steps


def _supercover(
    ua: np.ndarray, va: np.ndarray, ub: np.ndarray, vb: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells (column, row) touched by each segment, widened by ``_EPS``; returns (edge, col, row).

    Coordinates are in cell units.  Conservative: every cell the exact segment comes within
    ``_EPS`` of is returned (and possibly a few more), whatever the rounding.
    """
    swap = ub < ua
    ua, ub = np.where(swap, ub, ua), np.where(swap, ua, ub)
    va, vb = np.where(swap, vb, va), np.where(swap, va, vb)
    c0 = np.floor(ua - _EPS).astype(np.int64)
    c1 = np.floor(ub + _EPS).astype(np.int64)
    ncol = c1 - c0 + 1
    e = np.repeat(np.arange(ua.size), ncol)
    first = np.cumsum(ncol) - ncol
    col = np.arange(e.size, dtype=np.int64) - np.repeat(first, ncol) + c0[e]
    eua, eub, eva, evb = ua[e], ub[e], va[e], vb[e]
    du = eub - eua
    dv = evb - eva
    colf = col.astype(np.float64)
    ul = np.maximum(eua, colf - _EPS)
    uh = np.minimum(eub, colf + (1.0 + _EPS))
    vertical = du <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        tl = np.where(vertical, 0.0, np.clip((ul - eua) / du, 0.0, 1.0))
        th = np.where(vertical, 1.0, np.clip((uh - eua) / du, 0.0, 1.0))
        err = np.where(vertical, _EPS, _EPS + _SLOPE_ERR * np.abs(dv) / du)
    v1 = eva + tl * dv
    v2 = eva + th * dv
    lo = np.maximum(np.minimum(v1, v2) - err, np.minimum(eva, evb) - _EPS)
    hi = np.minimum(np.maximum(v1, v2) + err, np.maximum(eva, evb) + _EPS)
    r0 = np.floor(lo).astype(np.int64)
    r1 = np.floor(hi).astype(np.int64)
    nrow = r1 - r0 + 1
    k = np.repeat(np.arange(e.size), nrow)
    first = np.cumsum(nrow) - nrow
    row = np.arange(k.size, dtype=np.int64) - np.repeat(first, nrow) + r0[k]
    return e[k], col[k], row


def _spans(
    ua: np.ndarray, va: np.ndarray, ub: np.ndarray, vb: np.ndarray, poly: np.ndarray, nx: int, ny: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scanline fill at the finest cell centres: sorted runs (row*(nx+2)+col0, row*(nx+2)+col1, poly).

    Cell (c, r) has centre (c + 0.5, r + 0.5) in cell units; a run covers the cells whose centre
    lies inside the polygon by the even-odd rule.  Only cells far from every edge are ever looked up,
    so rounding near crossings does not matter; what matters is that every ring gives an even
    number of crossings on every row, which the half-open rule on the (deterministic) row
    thresholds guarantees.  ``poly`` must be non-decreasing (edges grouped by polygon).
    """
    stride = nx + 2
    # orient each segment upwards, so that a segment shared by two polygons is computed identically
    swap = (vb < va) | ((vb == va) & (ub < ua))
    ua, ub = np.where(swap, ub, ua), np.where(swap, ua, ub)
    va, vb = np.where(swap, vb, va), np.where(swap, va, vb)
    r0 = np.ceil(va - 0.5).astype(np.int64)
    nrows = np.maximum(np.ceil(vb - 0.5).astype(np.int64) - r0, 0)
    # work through the polygons in groups of about 2M crossings, to bound the temporaries
    budget = _SPAN_CHUNK_CROSSINGS
    starts, ends, polys = [], [], []
    npoly = int(poly[-1]) + 1
    cum = np.cumsum(nrows)
    edge_lo = 0
    while edge_lo < poly.size:
        target = np.searchsorted(cum, (cum[edge_lo - 1] if edge_lo else 0) + budget, side="right")
        p_hi = int(poly[min(max(target, edge_lo + 1), poly.size) - 1]) + 1  # whole polygons
        edge_hi = int(np.searchsorted(poly, p_hi, side="left"))
        sl = slice(edge_lo, edge_hi)
        n = nrows[sl]
        e = np.repeat(np.arange(edge_lo, edge_hi), n)
        row = np.arange(e.size, dtype=np.int64) - np.repeat(np.cumsum(n) - n, n) + r0[e]
        ea = ua[e]
        eva = va[e]
        u = ea + (row + 0.5 - eva) * ((ub[e] - ea) / (vb[e] - eva))
        col = np.clip(np.ceil(u - 0.5), 0, nx).astype(np.int64)
        p = poly[e]
        del ea, eva, u, e
        if math.log2(max(npoly, 2)) + math.log2(ny + 2) + math.log2(stride + 1) < 62:
            order = np.argsort((p * (ny + 2) + row) * stride + col)
        else:  # pragma: no cover - only for gigantic rasters
            order = np.lexsort((col, row, p))
        p, row, col = p[order], row[order], col[order]
        if p.size % 2 or np.any(p[0::2] != p[1::2]) or np.any(row[0::2] != row[1::2]):
            raise ValueError("scanline fill found an odd crossing count; are all rings closed?")
        start = row[0::2] * stride + col[0::2]
        end = row[0::2] * stride + col[1::2]
        keep = end > start
        starts.append(start[keep])
        ends.append(end[keep])
        polys.append(p[0::2][keep].astype(np.int32))
        edge_lo = edge_hi
    start = np.concatenate(starts)
    order = np.argsort(start)
    return start[order], np.concatenate(ends)[order], np.concatenate(polys)[order]


def _lookup_spans(
    start: np.ndarray, end: np.ndarray, poly: np.ndarray, fx: np.ndarray, fy: np.ndarray, stride: int
) -> np.ndarray:
    key = fy.astype(np.int64) * stride + fx
    order = np.argsort(key)  # sorted queries make the binary searches cache-friendly (~7x faster)
    key = key[order]
    j = np.searchsorted(start, key, side="right") - 1
    jj = np.maximum(j, 0)
    inside = (j >= 0) & (key < end[jj])
    out = np.empty(key.size, dtype=np.int32)
    out[order] = np.where(inside, poly[jj], -1)
    return out


_BLOCK_STRUCTURE = np.zeros((3, 3, 3), dtype=bool)
_BLOCK_STRUCTURE[1] = ndimage.generate_binary_structure(2, 1)  # 4-connected, never across blocks


def _label_free_cells(
    cells: np.ndarray,
    origin_x: np.ndarray,
    origin_y: np.ndarray,
    shift: int,
    spans: tuple[np.ndarray, np.ndarray, np.ndarray, int],
) -> int:
    """Fill the cells still ``_UNSET`` in ``cells`` (k blocks of h x w cells, each cell
    ``2**shift`` fine cells wide, block i's lower-left fine cell at origin_x/y[i]) with the polygon
    covering them.  Connected free cells of one block lie in one face, so one look-up per
    connected component suffices; returns the number of components."""
    lab, nlab = ndimage.label(cells == _UNSET, structure=_BLOCK_STRUCTURE)
    if nlab:
        flat = lab.ravel()
        first = np.full(nlab + 1, flat.size, dtype=np.int64)
        np.minimum.at(first, flat, np.arange(flat.size, dtype=np.int64))
        k, rest = np.divmod(first[1:], cells.shape[1] * cells.shape[2])
        r, c = np.divmod(rest, cells.shape[2])
        start, end, poly, stride = spans
        labels = _lookup_spans(
            start, end, poly, origin_x[k] + (c << shift), origin_y[k] + (r << shift), stride
        )
        mask = flat > 0
        cells.reshape(-1)[mask] = labels[flat[mask] - 1]
    return int(nlab)


# --------------------------------------------------------------------------------------------


@dataclass(eq=False, repr=False)
class LocateIndex:
    """Raster index over one non-overlapping polygon layer; see the module docstring.

    Build with :meth:`build`; query with :meth:`locate` (positions) or :meth:`locate_ids`.
    Read-only once built, so one index can serve many threads.
    """

    geometries: np.ndarray
    ids: np.ndarray
    bounds: tuple[float, float, float, float]
    x0: float
    y0: float
    sx: float
    sy: float
    depth: int
    nx0: int
    ny0: int
    level0: np.ndarray
    blocks: list[np.ndarray]
    set_ptr: np.ndarray
    set_len: np.ndarray
    set_closed: np.ndarray
    set_cand: np.ndarray
    stats: dict[str, Any] = field(default_factory=dict)

    # ---------------------------------------------------------------- build
    @classmethod
    def build(
        cls,
        geometries: Sequence[Any] | np.ndarray,
        ids: Sequence[Any] | np.ndarray | None = None,
        cell_size: float | None = None,
    ) -> LocateIndex:
        """Index ``geometries`` (the order is the priority order of the border rule).

        ``ids``: labels returned by :meth:`locate_ids` (default: positions).  ``cell_size``: the
        finest raster cell's height in coordinate units (its width is scaled by 1/cos(latitude)
        when the coordinates look like degrees); by default it is chosen from the polygons' sizes
        and total edge length so that the index stays a few hundred MB at 70,000 grids.
        """
        t_start = time.perf_counter()
        geoms = _as_geometry_array(geometries)
        n = geoms.size
        ids_arr = np.arange(n) if ids is None else np.asarray(ids)
        if ids_arr.shape != (n,):
            raise ValueError(f"ids has shape {ids_arr.shape}, expected ({n},)")
        _check_polygons(geoms, ids_arr)
        if n >= 1 << 30:
            raise ValueError("too many polygons")
        # private copies: preparing mutates the GEOS objects
        geoms = shapely.from_wkb(shapely.to_wkb(geoms)) if n else geoms
        if n == 0:
            return cls._empty(geoms, ids_arr)

        minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(geoms))
        degrees = -180.0 <= minx and maxx <= 180.0 and -90.0 <= miny and maxy <= 90.0
        aspect = 1.0
        if degrees:
            aspect = 1.0 / max(math.cos(math.radians((miny + maxy) / 2)), 0.1)
        a, b, poly = _edges(geoms)
        extent = max(maxx - minx, 1e-12) / aspect, max(maxy - miny, 1e-12)
        if cell_size is None:
            length = float(np.hypot((b[:, 0] - a[:, 0]) / aspect, b[:, 1] - a[:, 1]).sum()) / 2
            side = float(np.median(np.sqrt(shapely.area(geoms) / aspect)))
            cell_size = max(1.3 * length / _TARGET_BOUNDARY_CELLS, side / _MIN_CELLS_PER_SIDE)
        cell_size = float(cell_size)
        if not cell_size > 0 or not math.isfinite(cell_size):
            raise ValueError(f"cell_size must be positive, got {cell_size!r}")
        # at most 2**20 finest cells per axis (Morton keys fit in 40 bits)
        cell_size = max(cell_size, max(extent) / ((1 << 20) - 8))
        sy = cell_size
        sx = cell_size * aspect
        nxf_min = (maxx - minx) / sx + 4
        nyf_min = (maxy - miny) / sy + 4
        depth = 0
        while math.ceil(nxf_min / 4**depth) * math.ceil(nyf_min / 4**depth) > _MAX_LEVEL0_CELLS:
            depth += 1
        nx0 = math.ceil(nxf_min / 4**depth)
        ny0 = math.ceil(nyf_min / 4**depth)
        nxf, nyf = nx0 * 4**depth, ny0 * 4**depth
        x0 = minx - 2 * sx
        y0 = miny - 2 * sy

        ua = (a[:, 0] - x0) / sx
        va = (a[:, 1] - y0) / sy
        ub = (b[:, 0] - x0) / sx
        vb = (b[:, 1] - y0) / sy

        # ---- shared segments (for the "closed cell" shortcut)
        counts, _ = _shared_edges(a, b)
        unshared = (counts != 2).astype(np.int64)
        t_edges = time.perf_counter()

        # ---- boundary cells at the finest level, with their candidate polygons
        npoly2 = 2 * n
        if 2 * math.ceil(math.log2(max(nxf, nyf))) + math.log2(npoly2) >= 62:
            raise ValueError("raster too large for 64-bit keys; pass a larger cell_size")
        keys_parts = []
        step = _MARK_CHUNK_EDGES
        for s in range(0, a.shape[0], step):
            sl = slice(s, s + step)
            e, col, row = _supercover(ua[sl], va[sl], ub[sl], vb[sl])
            np.clip(col, 0, nxf - 1, out=col)
            np.clip(row, 0, nyf - 1, out=row)
            k = _morton(col, row) * npoly2 + poly[sl][e] * 2 + unshared[sl][e]
            keys_parts.append(_unique_int(k))
        keys = np.concatenate(keys_parts)
        del keys_parts
        keys.sort()
        keys = keys[_first_flags(keys)]
        n_marks = keys.size
        cflag = (keys & 1).astype(bool)
        cellm = keys // npoly2
        cpoly = ((keys - cellm * npoly2) >> 1).astype(np.int32)
        del keys
        new_cell = _first_flags(cellm)
        cell_start = np.flatnonzero(new_cell)
        cell_open = np.logical_or.reduceat(cflag, cell_start)
        del cflag
        keep = new_cell.copy()
        keep[1:] |= cpoly[1:] != cpoly[:-1]
        cellm, cpoly = cellm[keep], cpoly[keep]
        new_cell = new_cell[keep]
        del keep
        cell_start = np.flatnonzero(new_cell)
        fine_m = cellm[cell_start]  # sorted Morton codes of boundary cells
        del cellm, new_cell
        n_bcells = fine_m.size
        cand_len = np.diff(np.append(cell_start, cpoly.size))
        t_mark = time.perf_counter()

        # ---- deduplicate candidate sets (most cells along one edge share {A, B})
        # key of a set of up to 3 candidates: (p0+1) | (p1+1) << 20 | (p2+1) << 40 | open << 61
        setkey = cell_open.astype(np.int64) << 61
        for k in range(3):
            has = cand_len > k
            pk = cpoly[np.minimum(cell_start + k, cpoly.size - 1)].astype(np.int64) + 1
            setkey |= np.where(has, pk, 0) << (20 * k)
            del has, pk
        long_sets = np.flatnonzero((cand_len > 3) | (n >= (1 << 20) - 1))
        setkey[long_sets] = -1 - long_sets  # never shared
        del long_sets
        set_of_cell, set_first, _ = _group(setkey)
        set_len = cand_len[set_first].astype(np.int32)
        set_closed = ~cell_open[set_first]
        set_ptr = (np.cumsum(set_len) - set_len).astype(np.int64)
        idx = np.repeat(cell_start[set_first], set_len) + (
            np.arange(int(set_len.sum())) - np.repeat(set_ptr, set_len)
        )
        set_cand = cpoly[idx].astype(np.int32)
        del setkey, idx, cpoly, cand_len, cell_start
        t_sets = time.perf_counter()

        # ---- scanline runs for labelling the cells no edge touches
        s_start, s_end, s_poly = _spans(ua, va, ub, vb, poly, nxf, nyf)
        stride = nxf + 2
        if s_start.size > 1:
            overlap = np.flatnonzero(s_end[:-1] - s_start[1:] > 1)
            if overlap.size:
                i = overlap[0]
                row = s_start[i + 1] // stride
                colc = s_start[i + 1] - row * stride
                x = x0 + (colc + 0.5) * sx
                y = y0 + (row + 0.5) * sy
                pa, pb = sorted((int(s_poly[i]), int(s_poly[i + 1])))
                raise ValueError(
                    f"polygons {ids_arr[pa]!r} and {ids_arr[pb]!r} overlap (e.g. at {x:.9g}, {y:.9g}); "
                    "a layer must not overlap"
                )
        t_spans = time.perf_counter()

        # ---- assemble the levels
        fx = _compact_bits(fine_m).astype(np.int32)
        fy = _compact_bits(fine_m >> 1).astype(np.int32)
        # firsts[lev]: position (among the fine boundary cells, in Morton order) of the first fine
        # cell of each boundary cell of level lev; these are sorted, and a cell's rank among them
        # is the id of its block of children at level lev + 1
        firsts: list[np.ndarray] = []
        for lev in range(depth):
            firsts.append(np.flatnonzero(_first_flags(fine_m >> (4 * (depth - lev)))))
        firsts.append(np.arange(n_bcells))
        del fine_m

        def pointers(lev: int, firsts: list[np.ndarray] = firsts) -> np.ndarray:
            """What a boundary cell of level lev stores: its block (or finest: its candidate set)."""
            own = np.arange(firsts[lev].size) if lev < depth else set_of_cell
            return (-2 - own).astype(np.int32)

        spans = (s_start, s_end, s_poly, stride)
        n_components = 0
        # level 0: one dense array
        level0 = np.full(nx0 * ny0, _UNSET, dtype=np.int32)
        sh = 2 * depth
        sel = firsts[0]
        level0[(fy[sel] >> sh).astype(np.int64) * nx0 + (fx[sel] >> sh)] = pointers(0)
        zero = np.zeros(1, dtype=np.int64)
        n_components += _label_free_cells(level0.reshape(1, ny0, nx0), zero, zero, sh, spans)
        # levels 1..depth: 4 x 4 blocks, one per boundary cell of the level above
        blocks: list[np.ndarray] = []
        for lev in range(1, depth + 1):
            nblocks = firsts[lev - 1].size
            arr = np.full(nblocks * 16, _UNSET, dtype=np.int32)
            sh = 2 * (depth - lev)
            sel = firsts[lev]
            parent = np.searchsorted(firsts[lev - 1], sel, side="right") - 1
            slot = ((fy[sel] >> sh) & 3) * 4 + ((fx[sel] >> sh) & 3)
            arr[parent * 16 + slot] = pointers(lev)
            del parent, slot
            # each block's lower-left corner, in fine cells
            px = ((fx[firsts[lev - 1]] >> (sh + 2)) << (sh + 2)).astype(np.int64)
            py = ((fy[firsts[lev - 1]] >> (sh + 2)) << (sh + 2)).astype(np.int64)
            step = _LABEL_CHUNK_BLOCKS
            for b0 in range(0, nblocks, step):
                b1 = min(b0 + step, nblocks)
                cells = arr[b0 * 16 : b1 * 16].reshape(b1 - b0, 4, 4)
                n_components += _label_free_cells(cells, px[b0:b1], py[b0:b1], sh, spans)
            blocks.append(arr)
        del firsts, fx, fy, spans, s_start, s_end, s_poly
        t_levels = time.perf_counter()

        # ---- prepare the polygons for the exact tests.  GEOS builds a prepared polygon's point
        # locators lazily - a simple one on the first test, the indexed one on the second, its index
        # on first use - and not thread-safely, so run a few tests here, before any query threads.
        shapely.prepare(geoms)
        vertex = shapely.get_point(shapely.get_exterior_ring(shapely.get_geometry(geoms, 0)), 0)
        vx, vy = shapely.get_x(vertex), shapely.get_y(vertex)
        for _ in range(_WARM_UP_TESTS):
            shapely.intersects_xy(geoms, vx, vy)
        t_end = time.perf_counter()

        index = cls(
            geometries=geoms,
            ids=ids_arr,
            bounds=(minx, miny, maxx, maxy),
            x0=x0,
            y0=y0,
            sx=sx,
            sy=sy,
            depth=depth,
            nx0=nx0,
            ny0=ny0,
            level0=level0,
            blocks=blocks,
            set_ptr=set_ptr,
            set_len=set_len,
            set_closed=set_closed,
            set_cand=set_cand,
        )
        index.stats = {
            "polygons": n,
            "edges": int(a.shape[0]),
            "cell_size": (sx, sy),
            "depth": depth,
            "level0_shape": (ny0, nx0),
            "finest_shape": (nyf, nxf),
            "boundary_cells": int(n_bcells),
            "cell_polygon_marks": int(n_marks),
            "candidate_sets": int(set_len.size),
            "blocks_per_level": [int(bl.size // 16) for bl in blocks],
            "components": int(n_components),
            "nbytes": index.nbytes,
            "seconds": {
                "edges": t_edges - t_start,
                "mark": t_mark - t_edges,
                "sets": t_sets - t_mark,
                "spans": t_spans - t_sets,
                "levels": t_levels - t_spans,
                "prepare": t_end - t_levels,
                "total": t_end - t_start,
            },
        }
        return index

    @classmethod
    def _empty(cls, geoms: np.ndarray, ids: np.ndarray) -> LocateIndex:
        e32 = np.zeros(0, dtype=np.int32)
        return cls(
            geometries=geoms,
            ids=ids,
            bounds=(math.nan,) * 4,
            x0=0.0,
            y0=0.0,
            sx=1.0,
            sy=1.0,
            depth=0,
            nx0=1,
            ny0=1,
            level0=np.full(1, -1, dtype=np.int32),
            blocks=[],
            set_ptr=np.zeros(0, dtype=np.int64),
            set_len=e32,
            set_closed=np.zeros(0, dtype=bool),
            set_cand=e32,
            stats={"polygons": 0},
        )

    # ---------------------------------------------------------------- info
    def __len__(self) -> int:
        return int(self.geometries.size)

    def __repr__(self) -> str:
        return (
            f"<LocateIndex: {len(self)} polygons, depth {self.depth}, "
            f"{self.stats.get('boundary_cells', 0)} boundary cells, {self.nbytes / 2**20:.1f} MB>"
        )

    @property
    def nbytes(self) -> int:
        """Bytes held by the raster and candidate arrays (not the polygons themselves)."""
        arrays = [self.level0, self.set_ptr, self.set_len, self.set_closed, self.set_cand, *self.blocks]
        return int(sum(a.nbytes for a in arrays))

    # ---------------------------------------------------------------- query
    def locate(self, x: Any, y: Any, *, threads: int | None = None) -> np.ndarray:
        """Position (in build order) of the polygon covering each point, or -1 (int64 array).

        ``x``/``y`` are array-likes of equal shape (longitude/latitude for a lon/lat layer); the
        result has their shape.  NaN/inf coordinates give -1.  ``threads``: worker threads
        (default: all cores for large inputs).
        """
        xa = np.asarray(x, dtype=np.float64)
        ya = np.asarray(y, dtype=np.float64)
        if xa.shape != ya.shape:
            raise ValueError(f"x and y have different shapes {xa.shape} and {ya.shape}")
        shape = xa.shape
        xa = xa.ravel()
        ya = ya.ravel()
        n = xa.size
        out = np.empty(n, dtype=np.int64)
        if n == 0:
            return out.reshape(shape)
        if threads is None:
            threads = os.cpu_count() or 1
        if threads <= 1 or n < _PARALLEL_MIN_POINTS:
            for s in range(0, n, _CHUNK_POINTS):
                sl = slice(s, s + _CHUNK_POINTS)
                out[sl] = self._locate_chunk(xa[sl], ya[sl])
            return out.reshape(shape)
        nchunks = max(threads, math.ceil(n / _CHUNK_POINTS))
        bounds = np.linspace(0, n, nchunks + 1).astype(np.int64)

        def work(first: int) -> None:  # worker `first` takes chunks first, first + threads, ...
            for i in range(first, nchunks, threads):
                sl = slice(bounds[i], bounds[i + 1])
                out[sl] = self._locate_chunk(xa[sl], ya[sl])

        pool = _pool()
        for f in [pool.submit(work, k) for k in range(threads)]:
            f.result()
        return out.reshape(shape)

    def locate_one(self, x: float, y: float) -> int:
        """:meth:`locate` for a single point: the same walk as :meth:`_locate_chunk` on Python
        scalars (a report places one point; numpy's per-call overhead was most of the cost)."""
        depth = self.depth
        u = (x - self.x0) / self.sx
        v = (y - self.y0) / self.sy
        if not (0 <= u < (self.nx0 << (2 * depth)) and 0 <= v < (self.ny0 << (2 * depth))):  # NaN too
            return -1
        iu, iv = int(u), int(v)
        sh = 2 * depth
        val = int(self.level0[(iv >> sh) * self.nx0 + (iu >> sh)])
        for lev, arr in enumerate(self.blocks, start=1):
            if val >= -1:
                break
            sh = 2 * (depth - lev)
            su, sv = iu >> sh, iv >> sh
            val = int(arr[(-2 - val) * 16 + (((sv & 3) << 2) | (su & 3))])
        if val >= -1:
            return val
        s = -2 - val
        ptr, cnt, closed = int(self.set_ptr[s]), int(self.set_len[s]), bool(self.set_closed[s])
        for j in range(cnt):
            cand = int(self.set_cand[ptr + j])
            if j == cnt - 1 and closed:  # the last candidate of a closed set covers what is left
                return cand
            if shapely.intersects_xy(self.geometries[cand], x, y):
                return cand
        return -1

    def locate_ids(self, x: Any, y: Any, *, missing: Any = None, threads: int | None = None) -> np.ndarray:
        """Like :meth:`locate` but returns ``ids``; points in no polygon get ``missing``
        (default: -1 for integer ids, None otherwise)."""
        pos = self.locate(x, y, threads=threads)
        found = pos >= 0
        if np.issubdtype(self.ids.dtype, np.integer) and (missing is None or isinstance(missing, int)):
            out = np.full(pos.shape, -1 if missing is None else missing, dtype=np.int64)
        else:
            out = np.full(pos.shape, None, dtype=object)
            if missing is not None:
                out[:] = missing
        out[found] = self.ids[pos[found]]
        return out

    def _locate_chunk(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        nxf = self.nx0 << (2 * self.depth)
        nyf = self.ny0 << (2 * self.depth)
        u = (x - self.x0) / self.sx
        v = (y - self.y0) / self.sy
        ok = (u >= 0) & (u < nxf) & (v >= 0) & (v < nyf)  # False for NaN
        iu = np.where(ok, u, 0.0).astype(np.int32)
        iv = np.where(ok, v, 0.0).astype(np.int32)
        sh = 2 * self.depth
        val = self.level0[(iv >> sh) * self.nx0 + (iu >> sh)]
        val[~ok] = -1
        for lev, arr in enumerate(self.blocks, start=1):
            sel = np.flatnonzero(val < -1)
            if sel.size == 0:
                break
            sh = 2 * (self.depth - lev)
            su = iu[sel]
            sv = iv[sel]
            if sh:
                su >>= sh
                sv >>= sh
            pos = (-2 - val[sel]).astype(np.int64) * 16 + (((sv & 3) << 2) | (su & 3))
            val[sel] = arr[pos]
        res = val.astype(np.int64)
        sel = np.flatnonzero(val < -1)
        if sel.size:
            res[sel] = self._test_candidates(-2 - val[sel], x[sel], y[sel])
        return res

    def _test_candidates(self, sets: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        res = np.full(sets.size, -1, dtype=np.int64)
        ptr = self.set_ptr[sets]
        cnt = self.set_len[sets]
        closed = self.set_closed[sets]
        pending = np.arange(sets.size)
        j = 0
        while pending.size:
            cand = self.set_cand[ptr[pending] + j]
            last = cnt[pending] == j + 1
            free = last & closed[pending]
            if free.any():
                test = np.flatnonzero(~free)
                hit = free.copy()
                pt = pending[test]
                hit[test] = shapely.intersects_xy(self.geometries[cand[test]], x[pt], y[pt])
            else:
                hit = shapely.intersects_xy(self.geometries[cand], x[pending], y[pending])
            res[pending[hit]] = cand[hit]
            pending = pending[~(hit | last)]
            j += 1
        return res


# --------------------------------------------------------------------------------------------


@dataclass
class _Level:
    name: str
    codes: np.ndarray  # object array of code strings, sorted ascending
    ancestors: dict[str, np.ndarray]  # coarser level name -> position in that level (or -1)
    index: LocateIndex | None


class HierarchyLocator:
    """Locate points at every level of a region hierarchy at once.

    Built from regions given as parallel sequences (code, level name, parent code, geometry).
    ``level_order`` lists the level names from the leaf (finest) to the coarsest.  A point is located in
    the leaf layer; its coarser regions follow from the parent links.  A point in no leaf (a gap)
    is located in the next coarser layer that has geometries, and so on.  Within every level the
    border rule applies with the regions ordered by code ascending: the lowest code wins.
    """

    def __init__(self, levels: list[_Level]):
        self._levels = levels
        self.level_names: tuple[str, ...] = tuple(lv.name for lv in levels)

    @classmethod
    def from_regions(
        cls,
        codes: Sequence[str],
        levels: Sequence[str],
        parent_codes: Sequence[str | None],
        geometries: Sequence[Any],
        *,
        level_order: Sequence[str] = DEFAULT_LEVELS,
        cell_size: float | None = None,
        fallback: bool = True,
    ) -> HierarchyLocator:
        """Build from parallel sequences; regions whose level is not in ``level_order`` only serve
        as links in parent chains.  Levels coarser than the leaf are indexed (for points in gaps
        between leaves) when ``fallback`` and their regions have geometries."""
        if not (len(codes) == len(levels) == len(parent_codes) == len(geometries)):
            raise ValueError("codes, levels, parent_codes and geometries must have the same length")
        level_order = tuple(level_order)
        if not level_order:
            raise ValueError("level_order is empty")
        parent_of: dict[str, str | None] = {}
        level_of: dict[str, str] = {}
        geom_of: dict[str, Any] = {}
        for code, lev, parent, geom in zip(codes, levels, parent_codes, geometries, strict=True):
            code = str(code)
            if code in parent_of:
                raise ValueError(f"duplicate region code {code!r}")
            parent_of[code] = None if parent is None else str(parent)
            level_of[code] = lev
            geom_of[code] = geom
        by_level = {name: sorted(c for c, lv in level_of.items() if lv == name) for name in level_order}
        position = {name: {c: i for i, c in enumerate(cs)} for name, cs in by_level.items()}
        built: list[_Level] = []
        for i, name in enumerate(level_order):
            cs = by_level[name]
            anc: dict[str, np.ndarray] = {}
            coarser = level_order[i + 1 :]
            table = {c_name: np.full(len(cs), -1, dtype=np.int64) for c_name in coarser}
            for k, code in enumerate(cs):
                seen = {code}
                p = parent_of.get(code)
                while p is not None and p not in seen:
                    seen.add(p)
                    plev = level_of.get(p)
                    if plev in table:
                        table[plev][k] = position[plev][p]
                    p = parent_of.get(p)
            anc.update(table)
            index = None
            geoms = [geom_of[c] for c in cs]
            has_geoms = bool(cs) and all(g is not None for g in geoms)
            if i == 0:
                if not has_geoms:
                    raise ValueError(f"every {name!r} region needs a geometry")
                index = LocateIndex.build(geoms, ids=np.array(cs, dtype=object), cell_size=cell_size)
            elif fallback and has_geoms:
                index = LocateIndex.build(geoms, ids=np.array(cs, dtype=object))
            codes_arr = np.empty(len(cs), dtype=object)
            codes_arr[:] = cs
            built.append(_Level(name, codes_arr, anc, index))
        return cls(built)

    @classmethod
    def from_specs(
        cls,
        specs: Iterable[Any],
        *,
        level_order: Sequence[str] = DEFAULT_LEVELS,
        cell_size: float | None = None,
        fallback: bool = True,
    ) -> HierarchyLocator:
        """Build from objects with ``code``, ``level``, ``parent_code`` and ``geometry``."""
        specs = list(specs)
        return cls.from_regions(
            [s.code for s in specs],
            [s.level for s in specs],
            [s.parent_code for s in specs],
            [s.geometry for s in specs],
            level_order=level_order,
            cell_size=cell_size,
            fallback=fallback,
        )

    @property
    def leaf_index(self) -> LocateIndex:
        index = self._levels[0].index
        assert index is not None
        return index

    def codes(self, level: str) -> np.ndarray:
        """The codes of one level, in the order positions refer to (ascending)."""
        return self._levels[self.level_names.index(level)].codes

    def locate_positions(self, x: Any, y: Any, *, threads: int | None = None) -> dict[str, np.ndarray]:
        """For each level name: the position of the region in :meth:`codes` (int64), or -1."""
        xa = np.asarray(x, dtype=np.float64).ravel()
        ya = np.asarray(y, dtype=np.float64).ravel()
        out = {lv.name: np.full(xa.size, -1, dtype=np.int64) for lv in self._levels}
        todo = np.arange(xa.size)
        for i, lv in enumerate(self._levels):
            if todo.size == 0:
                break
            if lv.index is None:
                continue
            pos = lv.index.locate(xa[todo], ya[todo], threads=threads)
            found = pos >= 0
            hit = todo[found]
            hpos = pos[found]
            out[lv.name][hit] = hpos
            for coarser in self.level_names[i + 1 :]:
                out[coarser][hit] = lv.ancestors[coarser][hpos]
            todo = todo[~found]
        return out

    def locate(self, x: Any, y: Any, *, threads: int | None = None) -> dict[str, np.ndarray]:
        """For each level name: an object array with the region code of each point, or None."""
        pos = self.locate_positions(x, y, threads=threads)
        result: dict[str, np.ndarray] = {}
        for lv in self._levels:
            p = pos[lv.name]
            codes = np.full(p.size, None, dtype=object)
            found = p >= 0
            codes[found] = lv.codes[p[found]]
            result[lv.name] = codes
        return result


# --------------------------------------------------------------------------------------------


def grid_neighbours(
    geometries: Sequence[Any] | np.ndarray,
    ids: Sequence[Any] | np.ndarray | None = None,
    *,
    min_length: float = 0.0,
) -> dict[Any, list[Any]]:
    """Neighbours of each polygon: the polygons sharing a stretch of boundary longer than
    ``min_length`` (a common corner point is not enough).

    Returns ``{id: sorted list of neighbour ids}`` with an entry (possibly empty) for every id;
    ``ids`` default to positions.  Segments shared exactly (same end points) are matched by hashing;
    every other pair of polygons whose envelopes meet is checked with Shapely (the length of the
    intersection).  Polygons that overlap count as neighbours.
    """
    geoms = _as_geometry_array(geometries)
    n = geoms.size
    ids_arr = np.arange(n) if ids is None else np.asarray(ids)
    if ids_arr.shape != (n,):
        raise ValueError(f"ids has shape {ids_arr.shape}, expected ({n},)")
    result: dict[Any, list[Any]] = {k.item() if hasattr(k, "item") else k: [] for k in ids_arr}
    if len(result) != n:
        raise ValueError("ids must be unique")
    if n < 2:
        return result
    _check_polygons(geoms, ids_arr)
    a, b, poly = _edges(geoms)
    counts, group = _shared_edges(a, b)
    # pairs sharing identical segments, with the shared length
    sh = np.flatnonzero(counts >= 2)
    found = np.zeros((0, 2), dtype=np.int64)
    if sh.size:
        order = sh[np.argsort(group[sh], kind="stable")]
        g = group[order]
        p = poly[order]
        length = np.hypot(*(b[order] - a[order]).T)
        # all pairs within each group (groups are tiny: 2 for a valid tiling)
        starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        sizes = np.diff(np.r_[starts, g.size])
        pi, pj, pl = [], [], []
        for size in np.unique(sizes):
            st = starts[sizes == size]
            for u in range(size):
                for w in range(u + 1, size):
                    pi.append(p[st + u])
                    pj.append(p[st + w])
                    pl.append(length[st])
        pi_a, pj_a, pl_a = np.concatenate(pi), np.concatenate(pj), np.concatenate(pl)
        keep = pi_a != pj_a
        lo = np.minimum(pi_a, pj_a)[keep]
        hi = np.maximum(pi_a, pj_a)[keep]
        pair = lo * n + hi
        inv, first, _ = _group(pair)
        upair = pair[first]
        total = np.bincount(inv, weights=pl_a[keep])
        good = total > min_length
        found = np.stack([upair[good] // n, upair[good] % n], axis=1)
        matched = np.sort(upair[good])  # pairs sharing too little here are measured below
    else:
        matched = np.zeros(0, dtype=np.int64)
    # every other pair whose envelopes meet
    tree = shapely.STRtree(geoms)
    qi, qj = tree.query(geoms)
    keep = qi < qj
    qi, qj = qi[keep], qj[keep]
    if matched.size:
        q = qi * n + qj
        at = np.minimum(np.searchsorted(matched, q), matched.size - 1)
        known = matched[at] == q
        qi, qj = qi[~known], qj[~known]
    if qi.size:
        touch = shapely.intersects(geoms[qi], geoms[qj])
        qi, qj = qi[touch], qj[touch]
        if qi.size:
            length = shapely.length(shapely.intersection(geoms[qi], geoms[qj]))
            ok = length > min_length
            found = np.concatenate([found, np.stack([qi[ok], qj[ok]], axis=1)])
    for i, j in found.tolist():
        ki, kj = ids_arr[i], ids_arr[j]
        ki = ki.item() if hasattr(ki, "item") else ki
        kj = kj.item() if hasattr(kj, "item") else kj
        result[ki].append(kj)
        result[kj].append(ki)
    for k in result:
        result[k].sort()
    return result


def neighbour_pairs(result: Mapping[Any, list[Any]]) -> set[tuple[Any, Any]]:
    """The unordered neighbour pairs of a :func:`grid_neighbours` result, as (smaller, larger)."""
    return {(a, b) if a <= b else (b, a) for a, ns in result.items() for b in ns}
