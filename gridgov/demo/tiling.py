"""Geometry helpers of the demo generator: a local km frame, irregular outlines, random points,
Voronoi tilings clipped to their parents, the final clean-up into an exact coverage, and
non-overlapping boxes for exclusive grids. Pure: no database.

Everything is vectorised over arrays of shapely geometries; the few Python loops run over parents
(hundreds to a few thousand) or over rare repairs, never over every micro-grid doing heavy work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import Polygon

KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON_EQUATOR = 111.320
DECIMALS = 7           # output precision in degrees (~1 cm)
_POLYGON = 3           # shapely type id


@dataclass(frozen=True, slots=True)
class LocalFrame:
    """Equirectangular km coordinates around (lon0, lat0)."""

    lon0: float
    lat0: float

    @property
    def kx(self) -> float:
        return KM_PER_DEG_LON_EQUATOR * math.cos(math.radians(self.lat0))

    def xy(self, lon, lat) -> tuple[float, float]:
        return (lon - self.lon0) * self.kx, (lat - self.lat0) * KM_PER_DEG_LAT

    def to_deg(self, geoms):
        scale = np.array([1.0 / self.kx, 1.0 / KM_PER_DEG_LAT])
        origin = np.array([self.lon0, self.lat0])
        return shapely.transform(geoms, lambda c: c * scale + origin)

    def to_km(self, geoms):
        scale = np.array([self.kx, KM_PER_DEG_LAT])
        origin = np.array([self.lon0, self.lat0])
        return shapely.transform(geoms, lambda c: (c - origin) * scale)


def blob(cx: float, cy: float, area: float, rng: np.random.Generator, *, roughness: float = 0.12,
         stretch: tuple[float, float] = (1.0, 1.0), radii: np.ndarray | None = None,
         vertices: int = 160) -> Polygon:
    """An irregular star-shaped polygon of exactly ``area`` around (cx, cy).

    ``radii`` (optional) are relative radii at evenly spaced angles from east, counter-clockwise,
    interpolated periodically; low-frequency noise of ``roughness`` is added on top.
    """
    theta = np.linspace(0.0, 2 * math.pi, vertices, endpoint=False)
    r = np.ones_like(theta)
    if radii is not None:
        knots = np.linspace(0.0, 2 * math.pi, len(radii) + 1)
        r = np.interp(theta, knots, np.append(radii, radii[0]))
    for k in range(2, 33):
        r = r * (1.0 + (roughness / k) * np.cos(k * theta + rng.uniform(0, 2 * math.pi)))
    x = stretch[0] * r * np.cos(theta)
    y = stretch[1] * r * np.sin(theta)
    poly = shapely.polygons(np.column_stack([x, y]))
    f = math.sqrt(area / poly.area)
    return shapely.polygons(np.column_stack([cx + f * x, cy + f * y]))


def points_in(polys: np.ndarray, counts: np.ndarray,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``counts[i]`` uniform random points inside each ``polys[i]``, grouped by polygon in order.

    Returns ``(xy, owner)``. Rejection sampling in each bounding box, vectorised over polygons.
    """
    counts = np.asarray(counts, dtype=np.int64)
    n = len(polys)
    shapely.prepare(polys)
    bounds = shapely.bounds(polys)
    box_area = (bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])
    fill = np.clip(shapely.area(polys) / np.maximum(box_area, 1e-300), 0.05, 1.0)
    need = counts.copy()
    xs, ys, owners = [], [], []
    while need.sum() > 0:
        tries = np.ceil(need / fill * 1.3).astype(np.int64) + (need > 0)
        idx = np.repeat(np.arange(n), tries)
        b = bounds[idx]
        x = b[:, 0] + rng.random(len(idx)) * (b[:, 2] - b[:, 0])
        y = b[:, 1] + rng.random(len(idx)) * (b[:, 3] - b[:, 1])
        ok = shapely.contains_xy(polys[idx], x, y)
        idx, x, y = idx[ok], x[ok], y[ok]
        start = np.searchsorted(idx, idx)            # idx is sorted: rank within its polygon
        keep = (np.arange(len(idx)) - start) < need[idx]
        xs.append(x[keep])
        ys.append(y[keep])
        owners.append(idx[keep])
        need -= np.bincount(idx[keep], minlength=n)
    owner = np.concatenate(owners) if owners else np.zeros(0, np.int64)
    order = np.argsort(owner, kind="stable")
    xy = np.column_stack([np.concatenate(xs), np.concatenate(ys)]) if xs else np.zeros((0, 2))
    return xy[order], owner[order]


def gaussian_points(poly: Polygon, cx: float, cy: float, sigma: float, n: int,
                    rng: np.random.Generator) -> np.ndarray:
    """``n`` normal samples around (cx, cy), keeping those inside ``poly``."""
    xy = rng.normal((cx, cy), sigma, size=(n, 2))
    return xy[shapely.contains_xy(poly, xy[:, 0], xy[:, 1])]


def owners_of(xy: np.ndarray, polys: np.ndarray) -> np.ndarray:
    """Index of the polygon containing each point (-1 where none does)."""
    tree = shapely.STRtree(polys)
    pi, gi = tree.query(shapely.points(xy), predicate="intersects")
    out = np.full(len(xy), -1, dtype=np.int64)
    out[pi[::-1]] = gi[::-1]                 # first match wins
    return out


def kmeans(points: np.ndarray, k: int, rng: np.random.Generator, iters: int = 8) -> np.ndarray:
    """``k`` centres of ``points`` (k-means++ start, a few Lloyd steps), each a cluster's mean."""
    n = len(points)
    if n <= k:
        raise ValueError(f"k-means needs more than {k} points, got {n}")
    centres = np.empty((k, 2))
    centres[0] = points[rng.integers(n)]
    d2 = ((points - centres[0]) ** 2).sum(1)
    for j in range(1, k):
        total = d2.sum()
        i = int(rng.choice(n, p=d2 / total)) if total > 0 else int(rng.integers(n))
        centres[j] = points[i]
        d2 = np.minimum(d2, ((points - centres[j]) ** 2).sum(1))
    for _ in range(iters):
        label = ((points[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1)
        size = np.bincount(label, minlength=k)
        sx = np.bincount(label, points[:, 0], minlength=k)
        sy = np.bincount(label, points[:, 1], minlength=k)
        full = size > 0
        centres[full] = np.column_stack([sx[full] / size[full], sy[full] / size[full]])
        if not full.all():      # restart empty clusters at the points farthest from their centre
            far = ((points - centres[label]) ** 2).sum(1).argsort()[::-1]
            centres[~full] = points[far[: int((~full).sum())]]
    return centres


def seeds_inside(parent: Polygon, centres: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Move centres lying outside ``parent`` onto the nearest of ``points`` (all inside)."""
    out = ~shapely.contains_xy(parent, centres[:, 0], centres[:, 1])
    for j in np.flatnonzero(out):
        centres[j] = points[((points - centres[j]) ** 2).sum(1).argmin()]
    return centres


def kmeans_seeds(parents: np.ndarray, counts: np.ndarray, pool: np.ndarray, pool_owner: np.ndarray,
                 rng: np.random.Generator, report=None) -> tuple[np.ndarray, np.ndarray]:
    """``counts[i]`` (0 or more) seeds inside each parent at the k-means centres of its points in
    ``pool`` (padded with evenly spread points where a parent has fewer than 3 points per seed).

    Returns ``(seeds, owner)``, grouped by parent in order.
    """
    n = len(parents)
    counts = np.asarray(counts, dtype=np.int64)
    order = np.argsort(pool_owner, kind="stable")
    pts, own = pool[order], pool_owner[order]
    have = np.bincount(own, minlength=n)
    extra_xy, extra_own = points_in(parents, np.where(counts > 0, np.maximum(3 * counts - have, 0), 0), rng)
    at = np.searchsorted(own, np.arange(n + 1))
    extra_at = np.searchsorted(extra_own, np.arange(n + 1))
    seeds = []
    for i in np.flatnonzero(counts):
        points = np.concatenate([pts[at[i]:at[i + 1]], extra_xy[extra_at[i]:extra_at[i + 1]]])
        k = int(counts[i])
        centres = points.mean(0, keepdims=True) if k == 1 else kmeans(points, k, rng)
        centres = seeds_inside(parents[i], centres, points)
        _, first = np.unique(centres, axis=0, return_index=True)
        if len(first) < k:                       # two centres snapped onto one point
            dup = np.setdiff1d(np.arange(k), first)
            free = points[~(points[:, None, :] == centres[None]).all(-1).any(1)]
            centres[dup] = free[rng.choice(len(free), len(dup), replace=False)]
        seeds.append(centres)
        if report and i % 100 == 0:
            report(int(i), n)
    xy = np.concatenate(seeds) if seeds else np.zeros((0, 2))
    return xy, np.repeat(np.arange(n), counts)


def voronoi_split(parents: np.ndarray, seeds: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split each ``parents[i]`` into the Voronoi cells of its seeds (``owner == i``, sorted),
    clipped to the parent. Every child is a Polygon; the children of a parent tile it.

    Returns ``(children, child_owner)`` grouped by parent in order (cell order within a parent is
    GEOS's, not the seeds').
    """
    n = len(parents)
    counts = np.bincount(owner, minlength=n)
    if (counts == 0).any():
        raise ValueError("every parent needs at least one seed")
    multi = np.flatnonzero(counts > 1)
    remap = np.full(n, -1)
    remap[multi] = np.arange(len(multi))
    sel = counts[owner] > 1
    mps = shapely.multipoints(seeds[sel], indices=remap[owner[sel]])
    cells, part_of = shapely.get_parts(shapely.voronoi_polygons(mps, extend_to=parents[multi]),
                                       return_index=True)
    if len(cells) != sel.sum():
        raise RuntimeError("Voronoi diagram lost a seed (duplicate points?)")
    within = parents[multi][part_of]
    shapely.prepare(within)
    clipped = cells.copy()
    cut = ~shapely.contains_properly(within, cells)         # interior cells need no clipping
    clipped[cut] = shapely.intersection(cells[cut], within[cut])
    single = np.flatnonzero(counts == 1)
    children = np.concatenate([clipped, parents[single]])
    child_owner = np.concatenate([multi[part_of], single])
    order = np.argsort(child_owner, kind="stable")
    children, child_owner = children[order], child_owner[order]
    _repair(children, child_owner)
    return children, child_owner


def _repair(children: np.ndarray, owner: np.ndarray) -> None:
    """Make every child a single Polygon: stray pieces of a clipped cell (a non-convex parent) go
    to the sibling sharing the longest border with them."""
    pending: list[tuple[int, Polygon]] = []
    for i in np.flatnonzero(shapely.get_type_id(children) != _POLYGON):
        parts = [p for p in shapely.get_parts(children[i]) if p.geom_type == "Polygon" and p.area > 0]
        if not parts:
            raise RuntimeError("a Voronoi cell fell outside its parent")
        parts.sort(key=lambda p: -p.area)
        children[i] = parts[0]
        pending += [(int(owner[i]), p) for p in parts[1:]]
    while pending:                 # a piece may border only other pieces: those go first
        left = []
        for parent, piece in pending:
            siblings = np.flatnonzero(owner == parent)
            shared = shapely.length(shapely.intersection(piece.boundary, children[siblings]))
            for k in np.argsort(-shared, kind="stable"):
                merged = shapely.union(children[siblings[k]], piece) if shared[k] > 0 else None
                if merged is not None and merged.geom_type == "Polygon":
                    children[siblings[k]] = merged
                    break
            else:
                left.append((parent, piece))
        if len(left) == len(pending):
            raise RuntimeError("could not attach a stray piece of a Voronoi cell")
        pending = left


def relax(parents: np.ndarray, children: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """One Lloyd step: seeds at the children's centroids (point-on-surface if outside)."""
    c = shapely.centroid(children)
    xy = shapely.get_coordinates(c)
    outside = ~shapely.contains_xy(parents[owner], xy[:, 0], xy[:, 1])
    if outside.any():
        xy[outside] = shapely.get_coordinates(shapely.point_on_surface(children[outside]))
    return xy


def clean_round(geoms: np.ndarray) -> np.ndarray:
    """Turn near-coverage polygons (T-junctions and float noise where cells of different parents
    meet) into an exact coverage: shared edges get identical vertices, then every coordinate is
    rounded to ``DECIMALS`` — identical vertices round identically, so edges stay shared."""
    cleaned = shapely.coverage_clean(geoms)
    rounded = shapely.transform(cleaned, lambda c: np.round(c, DECIMALS))
    bad = (shapely.get_type_id(rounded) != _POLYGON) | ~shapely.is_valid(rounded)
    if bad.any():
        raise RuntimeError(f"{int(bad.sum())} polygons became invalid after rounding")
    return rounded


def union_groups(geoms: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Exact union of each group of an edge-matched coverage (``owner`` sorted)."""
    bounds = np.searchsorted(owner, np.arange(n + 1))
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = shapely.coverage_union_all(geoms[bounds[i]:bounds[i + 1]])
        if out[i].geom_type != "Polygon":
            out[i] = shapely.union_all(geoms[bounds[i]:bounds[i + 1]])
    return out


def place_boxes(containers: np.ndarray, owner: np.ndarray, areas_km2: np.ndarray, frame: LocalFrame,
                rng: np.random.Generator, rounds: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping rotated rectangles (lon/lat, rounded) of the given areas, each inside
    ``containers[owner[i]]`` (lon/lat). Boxes that do not fit shrink after a few rounds, and after
    more rounds move to the container with the most free room.

    Returns ``(boxes, owner)`` — the owner array may differ from the input where boxes moved.
    """
    owner = np.asarray(owner).copy()
    areas = np.asarray(areas_km2, dtype=float).copy()
    n = len(owner)
    boxes = np.full(n, None, dtype=object)
    aspect = rng.uniform(1.0, 2.2, n)
    angle = rng.uniform(0.0, math.pi, n)
    shapely.prepare(containers)
    used = np.zeros(len(containers))
    free = shapely.area(frame.to_km(containers))
    placed: list = []
    for r in range(rounds):
        pend = np.flatnonzero(shapely.is_missing(boxes))
        if len(pend) == 0:
            break
        if r >= rounds // 2:      # move the rest to the roomiest containers
            room = free - used
            owner[pend] = np.argsort(-room, kind="stable")[np.arange(len(pend)) % len(room)]
        pend = pend[np.argsort(owner[pend], kind="stable")]
        counts = np.bincount(owner[pend], minlength=len(containers))
        centre, _ = points_in(containers, counts, rng)
        shrink = 0.8 ** max(0, r - 4)
        cand = _rectangles(centre, areas[pend] * shrink, aspect[pend], angle[pend], frame)
        ok = shapely.contains(containers[owner[pend]], cand)
        if placed:
            hit, _ = shapely.STRtree(np.array(placed, dtype=object)).query(cand, predicate="intersects")
            ok[hit] = False
        idx = np.flatnonzero(ok)
        a, b = shapely.STRtree(cand[idx]).query(cand[idx], predicate="intersects")
        keep = np.ones(len(idx), dtype=bool)
        for i, j in sorted(zip(a[a < b].tolist(), b[a < b].tolist()), key=lambda p: (p[1], p[0])):
            if keep[i]:
                keep[j] = False
        for k in idx[keep]:
            boxes[pend[k]] = cand[k]
            placed.append(cand[k])
            used[owner[pend[k]]] += areas[pend[k]] * shrink
    if shapely.is_missing(boxes).any():
        raise RuntimeError("could not place every exclusive grid")
    return boxes, owner


def _rectangles(centre: np.ndarray, area: np.ndarray, aspect: np.ndarray, angle: np.ndarray,
                frame: LocalFrame) -> np.ndarray:
    w = np.sqrt(area * aspect)
    h = area / w
    corners = np.array([(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5), (-0.5, -0.5)])
    dx = corners[None, :, 0] * w[:, None]
    dy = corners[None, :, 1] * h[:, None]
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    lon = centre[:, :1] + (c * dx - s * dy) / frame.kx
    lat = centre[:, 1:] + (s * dx + c * dy) / KM_PER_DEG_LAT
    return shapely.polygons(np.round(np.stack([lon, lat], axis=-1), DECIMALS))


def partition(outline: Polygon, sites: np.ndarray, targets: np.ndarray, rng: np.random.Generator, *,
              atoms: int = 4000, dense_centre: tuple[float, float] | None = None,
              dense_sigma: float = 8.0, wobble: float = 0.3) -> np.ndarray:
    """Split ``outline`` into one connected Polygon per site with about ``targets`` areas and
    irregular borders.

    The outline is cut into small atoms (Voronoi cells of random points, denser around
    ``dense_centre``); each atom goes to the site with the least weighted distance, perturbed by a
    smooth noise field of relative size ``wobble``; the weights are tuned to the target areas and
    atoms cut off from their site's region are handed to a neighbour.
    """
    k = len(sites)
    n_dense = atoms // 2 if dense_centre is not None else 0
    pts = [points_in(np.array([outline]), np.array([atoms - n_dense]), rng)[0]]
    if n_dense:
        pts.append(gaussian_points(outline, *dense_centre, dense_sigma, n_dense, rng))
    pts = np.concatenate(pts)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=outline))
    cells = shapely.get_parts(shapely.intersection(cells, outline))
    cells = cells[(shapely.get_type_id(cells) == _POLYGON) & (shapely.area(cells) > 0)]
    xy = shapely.get_coordinates(shapely.point_on_surface(cells))
    area = shapely.area(cells)
    dist = np.hypot(xy[:, None, 0] - sites[None, :, 0], xy[:, None, 1] - sites[None, :, 1])
    waves = rng.normal(0.0, 1.0 / 12.0, size=(k, 4, 2))          # wavelengths of ~10-40 km
    phase = rng.uniform(0, 2 * math.pi, size=(k, 4))
    noise = np.sin(np.einsum("nd,kwd->nkw", xy, waves) + phase[None]).mean(-1)
    home = owners_of(sites, cells)
    weight = np.sqrt(targets)
    for _ in range(300):
        label = (dist / weight * (1.0 + wobble * noise)).argmin(1)
        label[home] = np.arange(k)
        got = np.bincount(label, area, minlength=k)
        weight *= (targets / np.maximum(got, 1e-9)) ** 0.2
    label = _connect(cells, label, home)
    return np.array([shapely.union_all(cells[label == i]) for i in range(k)], dtype=object)


def _connect(cells: np.ndarray, label: np.ndarray, home: np.ndarray) -> np.ndarray:
    """Hand atoms that are cut off from their site's atom to the neighbour they border most."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    a, b = shapely.STRtree(cells).query(cells, predicate="intersects")
    a, b = a[a < b], b[a < b]
    shared = shapely.length(shapely.intersection(shapely.boundary(cells[a]), shapely.boundary(cells[b])))
    a, b, shared = a[shared > 0], b[shared > 0], shared[shared > 0]
    n = len(cells)
    label = label.copy()
    for _ in range(20):
        same = label[a] == label[b]
        graph = coo_matrix((np.ones(same.sum()), (a[same], b[same])), shape=(n, n))
        _, comp = connected_components(graph, directed=False)
        stray = ~np.isin(comp, comp[home])
        if not stray.any():
            return label
        votes: dict[tuple[int, int], float] = {}
        for i, j, w in zip(np.r_[a, b], np.r_[b, a], np.r_[shared, shared]):
            if stray[i] and label[j] != label[i]:
                votes[(comp[i], label[j])] = votes.get((comp[i], label[j]), 0.0) + w
        best: dict[int, tuple[float, int]] = {}
        for (c, lab), w in sorted(votes.items()):
            if c not in best or w > best[c][0]:
                best[c] = (w, lab)
        for i in np.flatnonzero(stray):
            if comp[i] in best:
                label[i] = best[comp[i]][1]
    raise RuntimeError("could not make the partition connected")


def apportion(total: int, weights: np.ndarray, lo: int = 0, hi: int | None = None) -> np.ndarray:
    """Integers summing exactly to ``total``, proportional to ``weights``, each in [lo, hi]
    (capped shares are handed to the others; largest remainders get the last units)."""
    w = np.asarray(weights, dtype=float)
    n = len(w)
    hi_arr = np.full(n, np.inf) if hi is None else np.broadcast_to(np.asarray(hi, dtype=float), (n,))
    if total < lo * n or total > hi_arr.sum():
        raise ValueError(f"cannot split {total} into {n} parts within [{lo}, {hi}]")
    x = lo + (total - lo * n) * w / w.sum()
    for _ in range(100):
        x = np.clip(x, lo, hi_arr)
        diff = total - x.sum()
        if abs(diff) < 1e-9:
            break
        free = (x < hi_arr) if diff > 0 else (x > lo)
        x[free] += diff * w[free] / w[free].sum()
    base = np.floor(x + 1e-9).astype(np.int64)
    room = base < hi_arr
    order = np.lexsort((np.arange(n), -(x - base)))
    order = order[room[order]][: total - int(base.sum())]
    base[order] += 1
    return base
