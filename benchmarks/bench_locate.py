"""Benchmark: locate 1,000,000 random points among the city-scale demo's 66,340 micro-grids.

Measured in the same run, on the same points:

* ``LocateIndex`` (gridgov.regions.locate): build time, points/s on all cores and on one thread;
* plain Shapely ``STRtree.query(points, predicate="intersects")``, single-threaded;
* ``geopandas.sjoin(points, polygons, predicate="intersects")``.

Our answers are checked against the exact answer (the lowest polygon position among the STRtree
hits, i.e. the border rule), and against sjoin's.  Prints a short table, then one JSON line::

    python benchmarks/bench_locate.py [--source demo|synthetic] [--points N] [--seed S]

``--source demo`` (default) uses ``gridgov.demo.geometry.generate_regions("city", seed=1)``; when
that cannot be imported it falls back, with a notice, to ``synthetic``: 66,340 Voronoi cells over
about 4,700 km² around (123.2E, 41.25N), denser near the centre.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import shapely

from gridgov.regions.locate import HierarchyLocator, LocateIndex

TARGET_POINTS_PER_S = 2_000_000
N_MICRO_GRIDS = 66_340
HIERARCHY = ("micro_grid", "grid", "community", "street", "county")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> bool:
    """Reset the kernel's high-water mark of this process's RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def high_water_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def synthetic_cells(n: int = N_MICRO_GRIDS, seed: int = 1) -> list:
    """Voronoi cells of ``n`` points (60 % clustered round the centre) in an irregular outline of
    4,700 km² around (123.2E, 41.25N)."""
    rng = np.random.default_rng(seed)
    cx, cy = 123.2, 41.25
    kx = 1 / (111.32 * np.cos(np.radians(cy)))  # degrees per km
    ky = 1 / 110.57
    radius = np.sqrt(4700 / np.pi)
    t = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    r = radius * (1 + 0.08 * np.sin(3 * t) + 0.05 * np.cos(5 * t))
    outline = shapely.Polygon(np.c_[cx + r * np.cos(t) * kx, cy + r * np.sin(t) * ky])
    f = np.sqrt(4700 / (outline.area / (kx * ky)))
    outline = shapely.affinity.scale(outline, f, f, origin=(cx, cy))
    chunks, have = [], 0
    while have < n:
        m = 2 * n
        centre = rng.normal(0, radius * 0.3, size=(m, 2))
        even = rng.uniform(-1.3 * radius, 1.3 * radius, size=(m, 2))
        p = np.where((rng.random(m) < 0.6)[:, None], centre, even)
        p = np.c_[cx + p[:, 0] * kx, cy + p[:, 1] * ky]
        inside = shapely.contains_xy(outline, p[:, 0], p[:, 1])
        chunks.append(p[inside])
        have += int(inside.sum())
    p = np.concatenate(chunks)[:n]
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(p), extend_to=outline))
    cells = shapely.intersection(cells, outline)
    return list(cells[~shapely.is_empty(cells)])


def load_source(source: str) -> tuple[str, list, list, list | None]:
    """(source used, micro-grid codes, geometries, all hierarchy regions or None), codes ascending."""
    if source == "demo":
        try:
            from gridgov.demo.geometry import generate_regions
        except ImportError as exc:  # the demo generator is optional for this benchmark
            print(f"notice: gridgov.demo.geometry unavailable ({exc}); using --source synthetic")
        else:
            specs = generate_regions("city", seed=1)
            micro = sorted((s.code, s.geometry) for s in specs if s.level == "micro_grid")
            regions = [s for s in specs if s.level in HIERARCHY]
            return "demo", [c for c, _ in micro], [g for _, g in micro], regions
    cells = synthetic_cells()
    codes = [f"S{k:06d}" for k in range(len(cells))]
    return "synthetic", codes, cells, None


def timed(fn, repeats: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return times, result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", choices=("demo", "synthetic"), default="demo")
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--repeats", type=int, default=5, help="timed runs of our locate (median reported)")
    ap.add_argument("--no-sjoin", action="store_true", help="skip the geopandas baseline")
    args = ap.parse_args()

    t = time.perf_counter()
    source, codes, geoms, regions = load_source(args.source)
    geometry_s = time.perf_counter() - t
    geoms = np.asarray(geoms, dtype=object)
    n_poly = len(geoms)
    print(f"source: {source}, {n_poly:,} polygons ({geometry_s:.1f} s to make), {os.cpu_count()} cores")

    # ---- our index
    rss0 = rss_mb()
    can_reset = reset_peak_rss()
    t = time.perf_counter()
    index = LocateIndex.build(geoms, ids=np.asarray(codes, dtype=object))
    build_s = time.perf_counter() - t
    rss_build = rss_mb() - rss0
    build_peak = high_water_mb() - rss0 if can_reset else float("nan")
    st = index.stats

    rng = np.random.default_rng(args.seed)
    minx, miny, maxx, maxy = index.bounds
    x = rng.uniform(minx, maxx, args.points)
    y = rng.uniform(miny, maxy, args.points)
    n = args.points

    t = time.perf_counter()
    ours = index.locate(x, y)
    first_s = time.perf_counter() - t
    times, _ = timed(lambda: index.locate(x, y), args.repeats)
    ours_s = float(np.median(times))
    times1, ours1 = timed(lambda: index.locate(x, y, threads=1), max(1, args.repeats // 2))
    ours1_s = float(np.median(times1))

    # ---- baseline: plain STRtree, single-threaded
    t = time.perf_counter()
    tree = shapely.STRtree(geoms)
    tree_build_s = time.perf_counter() - t
    points = shapely.points(x, y)
    t = time.perf_counter()
    pi, gi = tree.query(points, predicate="intersects")
    strtree_s = time.perf_counter() - t
    exact = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(exact, pi, gi)
    exact[exact == np.iinfo(np.int64).max] = -1
    multi = np.bincount(pi, minlength=n) > 1
    mismatches = int((ours != exact).sum())
    mismatches_1thread = int((ours1 != exact).sum())
    unique = np.bincount(pi, minlength=n) == 1
    mismatches_unique = int((ours[unique] != exact[unique]).sum())

    # ---- the border rule on the demo's own borders: every vertex and every edge midpoint
    rings = shapely.get_rings(shapely.get_parts(geoms))
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    same = ring_of[:-1] == ring_of[1:]
    mids = (coords[:-1][same] + coords[1:][same]) / 2
    bx = np.concatenate([coords[:, 0], mids[:, 0]])
    by = np.concatenate([coords[:, 1], mids[:, 1]])
    bi, bg = tree.query(shapely.points(bx, by), predicate="intersects")
    border_exact = np.full(bx.size, np.iinfo(np.int64).max)
    np.minimum.at(border_exact, bi, bg)
    border_exact[border_exact == np.iinfo(np.int64).max] = -1
    border_ours = index.locate(bx, by)
    border_multi = int((np.bincount(bi, minlength=bx.size) > 1).sum())
    border_mismatches = int((border_ours != border_exact).sum())
    del rings, coords, ring_of, mids

    # ---- baseline: geopandas sjoin
    sjoin_s = float("nan")
    sjoin_mismatches = None
    if not args.no_sjoin:
        import geopandas as gpd

        polys = gpd.GeoDataFrame({"pos": np.arange(n_poly)}, geometry=geoms, crs="EPSG:4326")
        pts = gpd.GeoDataFrame({"pid": np.arange(n)}, geometry=points, crs="EPSG:4326")
        t = time.perf_counter()
        joined = gpd.sjoin(pts, polys, how="inner", predicate="intersects")
        sjoin_s = time.perf_counter() - t
        sj = np.full(n, np.iinfo(np.int64).max)
        np.minimum.at(sj, joined["pid"].to_numpy(), joined["pos"].to_numpy())
        sj[sj == np.iinfo(np.int64).max] = -1
        sjoin_mismatches = int((sj != ours).sum())
        del polys, pts, joined

    # ---- the whole hierarchy (demo only)
    hier = {}
    if regions is not None:
        t = time.perf_counter()
        loc = HierarchyLocator.from_specs(regions, level_order=HIERARCHY)
        hier_build_s = time.perf_counter() - t
        loc.locate_positions(x, y)
        ht, res = timed(lambda: loc.locate_positions(x, y), 3)
        hier_s = float(np.median(ht))
        leaf_ok = int((res["micro_grid"] == ours).sum())
        hier = {
            "hierarchy_build_s": round(hier_build_s, 2),
            "hierarchy_points_per_s": round(n / hier_s),
            "hierarchy_leaf_agrees": leaf_ok == n,
        }

    ours_pps = n / ours_s
    figures = {
        "source": source,
        "polygons": n_poly,
        "points": n,
        "cores": os.cpu_count(),
        "build_s": round(build_s, 2),
        "index_mb": round(index.nbytes / 2**20, 1),
        "build_rss_increase_mb": round(rss_build, 1),
        "build_peak_rss_increase_mb": None if np.isnan(build_peak) else round(build_peak, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "finest_cell_m": round(st["cell_size"][1] * 110_574, 2),
        "raster_depth": st["depth"],
        "boundary_cells": st["boundary_cells"],
        "locate_points_per_s": round(ours_pps),
        "locate_points_per_s_first_call": round(n / first_s),
        "locate_points_per_s_best": round(n / min(times)),
        "locate_points_per_s_1thread": round(n / ours1_s),
        "strtree_points_per_s": round(n / strtree_s),
        "strtree_build_s": round(tree_build_s, 3),
        "sjoin_points_per_s": None if np.isnan(sjoin_s) else round(n / sjoin_s),
        "ratio_vs_strtree": round(strtree_s / ours_s, 1),
        "ratio_1thread_vs_strtree": round(strtree_s / ours1_s, 1),
        "ratio_vs_sjoin": None if np.isnan(sjoin_s) else round(sjoin_s / ours_s, 1),
        "points_located": int((ours >= 0).sum()),
        "points_on_shared_border": int(multi.sum()),
        "border_points_checked": int(bx.size),
        "border_points_multi_covered": border_multi,
        "border_mismatches": border_mismatches,
        "mismatches_vs_exact": mismatches,
        "mismatches_vs_exact_1thread": mismatches_1thread,
        "mismatches_unique_cover": mismatches_unique,
        "mismatches_vs_sjoin": sjoin_mismatches,
        "target_points_per_s": TARGET_POINTS_PER_S,
        "target_met": bool(ours_pps >= TARGET_POINTS_PER_S and mismatches == 0 and border_mismatches == 0),
        **hier,
    }

    rows = [
        (
            "index build",
            f"{build_s:.2f} s",
            f"{index.nbytes / 2**20:.0f} MB index; RSS during build +{build_peak:.0f} MB at peak, "
            f"+{rss_build:.0f} MB after",
        ),
        (
            "LocateIndex, all cores",
            f"{ours_pps / 1e6:.2f} M pts/s",
            f"median of {args.repeats}; exact: {mismatches} mismatches",
        ),
        ("LocateIndex, 1 thread", f"{n / ours1_s / 1e6:.2f} M pts/s", ""),
        (
            "border rule check",
            f"{bx.size:,} pts",
            f"vertices + edge midpoints, {border_multi:,} on shared borders: {border_mismatches} mismatches",
        ),
        (
            "Shapely STRtree, 1 thread",
            f"{n / strtree_s / 1e6:.2f} M pts/s",
            f"ours is {strtree_s / ours_s:.1f}x faster",
        ),
    ]
    if not np.isnan(sjoin_s):
        rows.append(
            ("GeoPandas sjoin", f"{n / sjoin_s / 1e6:.2f} M pts/s", f"ours is {sjoin_s / ours_s:.1f}x faster")
        )
    if hier:
        rows.append(
            (
                "HierarchyLocator (5 levels)",
                f"{hier['hierarchy_points_per_s'] / 1e6:.2f} M pts/s",
                f"build {hier['hierarchy_build_s']:.1f} s",
            )
        )
    print(
        f"\n{n:,} uniform random points in the bounding box; target {TARGET_POINTS_PER_S / 1e6:.0f} M pts/s "
        f"{'met' if figures['target_met'] else 'NOT met'}"
    )
    for name, value, note in rows:
        print(f"  {name:<28} {value:>16}   {note}")
    print(json.dumps({"name": "locate", "figures": figures}, ensure_ascii=False))
    return 0 if mismatches == 0 and mismatches_1thread == 0 and border_mismatches == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
