"""Exactness of the point-in-grid engine against brute-force Shapely, and grid neighbours."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridgov.regions.locate import (
    HierarchyLocator,
    LocateIndex,
    grid_neighbours,
    neighbour_pairs,
)

# --------------------------------------------------------------------------------------------
# synthetic tilings


def voronoi_tiling(
    seed: int,
    n: int = 60,
    *,
    origin: tuple[float, float] = (123.2, 41.25),
    size: tuple[float, float] = (0.04, 0.03),
    irregular: bool = False,
    gaps: int = 0,
    holes: int = 0,
    multi: int = 0,
    merges: int = 0,
    shuffle: bool = True,
) -> list:
    """Voronoi cells of random points clipped to a box (or an irregular outline), with options:
    ``gaps`` cells removed, ``holes`` cells given a hole (half of them filled by an island
    polygon), ``multi`` pairs of non-adjacent cells joined into MultiPolygons, ``merges`` pairs of
    adjacent cells joined into one polygon (which leaves T-junction-free but vertex-rich edges)."""
    rng = np.random.default_rng(seed)
    x0, y0 = origin
    w, h = size
    box = shapely.box(x0, y0, x0 + w, y0 + h)
    if irregular:
        t = np.linspace(0, 2 * np.pi, 23, endpoint=False)
        r = 0.5 * (1 + 0.35 * rng.uniform(-1, 1, t.size))
        outline = shapely.Polygon(
            np.c_[x0 + w / 2 + r * np.cos(t) * w, y0 + h / 2 + r * np.sin(t) * h]
        ).intersection(box)
        outline = max(shapely.get_parts(shapely.make_valid(outline)), key=lambda g: g.area)
    else:
        outline = box
    pts = np.c_[rng.uniform(x0, x0 + w, n), rng.uniform(y0, y0 + h, n)]
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=box))
    cells = [c for c in shapely.intersection(cells, outline) if not c.is_empty and c.area > 0]
    cells = [
        max(shapely.get_parts(c), key=lambda g: g.area) if c.geom_type != "Polygon" else c for c in cells
    ]
    cells = list(cells)
    out: list = []
    used: set[int] = set()
    order = list(rng.permutation(len(cells)))
    # merges of adjacent cells and MultiPolygons of separated cells
    for want_touch, count in ((True, merges), (False, multi)):
        made = 0
        for i in order:
            if made >= count:
                break
            if i in used:
                continue
            for j in order:
                if j == i or j in used:
                    continue
                inter = cells[i].intersection(cells[j])
                touching = inter.length > 0
                if want_touch == touching and (want_touch or cells[i].distance(cells[j]) > 0):
                    u = shapely.union(cells[i], cells[j])
                    if u.is_valid and u.geom_type == ("Polygon" if want_touch else "MultiPolygon"):
                        out.append(u)
                        used.update((i, j))
                        made += 1
                        break
    rest = [i for i in order if i not in used]
    for k, i in enumerate(rest):
        c = cells[i]
        if k < gaps:
            continue
        if k < gaps + holes:
            core = shapely.buffer(c.representative_point(), np.sqrt(c.area) / 6, quad_segs=3)
            if c.contains(core):
                out.append(c.difference(core))
                if (k - gaps) % 2 == 0:
                    out.append(core)  # an island in the hole
                continue
        out.append(c)
    if shuffle:
        out = [out[i] for i in rng.permutation(len(out))]
    for g in out:
        assert g.is_valid and g.geom_type in ("Polygon", "MultiPolygon")
    return out


def brute_force(geoms, x, y) -> np.ndarray:
    """The lowest position among the polygons covering each point, or -1."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    res = np.full(x.shape, -1, dtype=np.int64)
    for i in range(len(geoms) - 1, -1, -1):
        res[shapely.intersects_xy(geoms[i], x, y)] = i
    return res


def boundary_points(geoms, rng, per_edge: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """All vertices, plus points along every edge (exact midpoints and random fractions)."""
    coords = shapely.get_coordinates(shapely.get_rings(shapely.get_parts(geoms)))
    xs = [coords[:, 0]]
    ys = [coords[:, 1]]
    rings = shapely.get_rings(shapely.get_parts(geoms))
    for ring in rings:
        c = shapely.get_coordinates(ring)
        a, b = c[:-1], c[1:]
        for t in [0.5, *rng.uniform(0, 1, per_edge - 1)]:
            p = a + t * (b - a)
            xs.append(p[:, 0])
            ys.append(p[:, 1])
    return np.concatenate(xs), np.concatenate(ys)


def random_points(geoms, rng, n: int, pad: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    dx, dy = (maxx - minx) * pad, (maxy - miny) * pad
    return rng.uniform(minx - dx, maxx + dx, n), rng.uniform(miny - dy, maxy + dy, n)


def assert_exact(geoms, x, y, **build) -> LocateIndex:
    index = LocateIndex.build(geoms, **build)
    got = index.locate(x, y, threads=1)
    want = brute_force(geoms, x, y)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, (
        f"{bad.size} mismatches, e.g. ({x[bad[0]]!r}, {y[bad[0]]!r}): {got[bad[0]]} != {want[bad[0]]}"
    )
    return index


# --------------------------------------------------------------------------------------------
# exactness on tilings


@pytest.mark.parametrize(
    "kind",
    [
        dict(),
        dict(irregular=True, gaps=6),
        dict(holes=6, multi=3, merges=4),
        dict(irregular=True, gaps=4, holes=5, multi=3, merges=3),
        dict(origin=(500_000.0, 4_560_000.0), size=(4_000.0, 3_000.0), holes=3, multi=2),
    ],
    ids=["box", "irregular-gaps", "holes-multi-merges", "everything", "projected"],
)
def test_tilings_match_brute_force(kind):
    rng = np.random.default_rng(7)
    geoms = voronoi_tiling(11, 120, **kind)
    x, y = random_points(geoms, rng, 20_000)
    bx, by = boundary_points(geoms, rng)
    x = np.concatenate([x, bx])
    y = np.concatenate([y, by])
    index = assert_exact(geoms, x, y)
    # the boundary points really exercise the border rule: many are covered by two or more polygons
    multi = sum(shapely.intersects_xy(g, bx, by).astype(int) for g in geoms)
    assert (multi >= 2).sum() > 100
    assert index.stats["boundary_cells"] > 0


@pytest.mark.parametrize("cell_size", [1e-5, 4e-4, 5e-3, 0.05])
def test_any_cell_size_is_exact(cell_size):
    rng = np.random.default_rng(3)
    geoms = voronoi_tiling(5, 40, holes=3, multi=1, gaps=2)
    x, y = random_points(geoms, rng, 5_000)
    bx, by = boundary_points(geoms, rng, per_edge=2)
    assert_exact(geoms, np.r_[x, bx], np.r_[y, by], cell_size=cell_size)


def test_deep_hierarchy_is_exact():
    rng = np.random.default_rng(4)
    geoms = voronoi_tiling(6, 30)
    x, y = random_points(geoms, rng, 5_000)
    bx, by = boundary_points(geoms, rng, per_edge=2)
    index = assert_exact(geoms, np.r_[x, bx], np.r_[y, by], cell_size=2e-6)
    assert index.depth >= 2


def test_build_in_small_pieces_is_exact(monkeypatch):
    """The chunked build steps (marking, scanline fill, labelling) give the same exact index."""
    import gridgov.regions.locate as locate_module

    monkeypatch.setattr(locate_module, "_MARK_CHUNK_EDGES", 7)
    monkeypatch.setattr(locate_module, "_SPAN_CHUNK_CROSSINGS", 50)
    monkeypatch.setattr(locate_module, "_LABEL_CHUNK_BLOCKS", 5)
    rng = np.random.default_rng(8)
    geoms = voronoi_tiling(9, 50, holes=3, multi=2, gaps=2)
    x, y = random_points(geoms, rng, 5_000)
    bx, by = boundary_points(geoms, rng, per_edge=2)
    index = assert_exact(geoms, np.r_[x, bx], np.r_[y, by], cell_size=2e-5)
    assert index.depth >= 1 and index.stats["blocks_per_level"][-1] > 5


def squares(nx: int, ny: int, size: float = 1.0, x0: float = 0.0, y0: float = 0.0) -> list:
    return [
        shapely.box(x0 + i * size, y0 + j * size, x0 + (i + 1) * size, y0 + (j + 1) * size)
        for j in range(ny)
        for i in range(nx)
    ]


@pytest.mark.parametrize("cell_size", [None, 0.25, 1.0, 0.1])
def test_square_grid_border_rule(cell_size):
    """Edges on raster lines; points exactly on shared edges and corners get the lowest index."""
    geoms = squares(4, 3)
    perm = np.random.default_rng(0).permutation(len(geoms))
    geoms = [geoms[i] for i in perm]  # priority is not spatial
    index = LocateIndex.build(geoms, cell_size=cell_size)
    pos_of = {tuple(np.round(g.centroid.coords[0], 3)): k for k, g in enumerate(geoms)}

    def at(cx, cy):
        return pos_of[(cx, cy)]

    # interior, shared vertical edge, shared horizontal edge, 4-corner, outer edge, outer corner
    x = np.array([0.5, 1.0, 2.5, 1.0, 0.0, 4.0, 4.0, 2.0, 0.0, 4.0000001, -1e-12])
    y = np.array([0.5, 0.5, 1.0, 1.0, 0.3, 3.0, 0.0, 3.0, 3.0, 1.0, 1.0])
    got = index.locate(x, y)
    want = [
        at(0.5, 0.5),
        min(at(0.5, 0.5), at(1.5, 0.5)),
        min(at(2.5, 0.5), at(2.5, 1.5)),
        min(at(0.5, 0.5), at(1.5, 0.5), at(0.5, 1.5), at(1.5, 1.5)),
        at(0.5, 0.5),
        at(3.5, 2.5),
        at(3.5, 0.5),
        min(at(1.5, 2.5), at(2.5, 2.5)),
        at(0.5, 2.5),
        -1,
        -1,
    ]
    assert got.tolist() == want
    np.testing.assert_array_equal(got, brute_force(geoms, x, y))
    # a dense lattice of points on all the grid lines
    t = np.linspace(0, 4, 33)
    gx, gy = np.meshgrid(t, np.linspace(0, 3, 25))
    assert_exact(geoms, gx.ravel(), gy.ravel(), cell_size=cell_size)


@pytest.mark.parametrize("origin", [(0.0, 0.0), (123.2, 41.25)])
@pytest.mark.parametrize("cell_size", [None, 0.05, 0.0123])
def test_near_vertical_and_near_horizontal_edges(origin, cell_size):
    """Long, almost axis-parallel shared edges crossing raster lines, with points on them and within
    a few ulps of them: the cells they touch must all be marked."""
    ox, oy = origin
    k = np.arange(11)
    # a polyline from bottom to top wobbling by ~1e-9 around x = ox + 0.5
    line = np.c_[ox + 0.5 + np.where(k % 2, 1e-9, -1e-9) * k, oy + k * 0.1]
    left = shapely.Polygon(np.r_[[[ox, oy]], line, [[ox, oy + 1.0]]])
    right = shapely.Polygon(np.r_[[[ox + 1.0, oy]], line, [[ox + 1.0, oy + 1.0]]][::-1])
    # a polyline from left to right, almost horizontal, cutting a second pair of polygons above
    flat = np.c_[ox + k * 0.1, oy + 1.5 + np.where(k % 2, 3e-10, -3e-10)]
    lower = shapely.Polygon(np.r_[[[ox, oy + 1.0]], [[ox + 1.0, oy + 1.0]], flat[::-1]])
    upper = shapely.Polygon(np.r_[flat, [[ox + 1.0, oy + 2.0]], [[ox, oy + 2.0]]])
    geoms = [right, upper, left, lower]
    assert all(g.is_valid for g in geoms)
    rng = np.random.default_rng(1)
    bx, by = boundary_points(geoms, rng, per_edge=40)
    ulps = np.array([-3, -1, 0, 1, 3])
    nx = np.concatenate([bx + u * np.spacing(bx) for u in ulps] + [bx] * 5)
    ny = np.concatenate([by] * 5 + [by + u * np.spacing(by) for u in ulps])
    x, y = random_points(geoms, rng, 5_000)
    assert_exact(geoms, np.r_[x, nx], np.r_[y, ny], cell_size=cell_size)


def test_outside_nan_inf_empty_and_shapes():
    geoms = squares(2, 2)
    index = LocateIndex.build(geoms)
    x = np.array([np.nan, 0.5, np.inf, -np.inf, 0.5, 1e300, -5.0, 2.0, 0.0, 2.0])
    y = np.array([0.5, np.nan, 0.5, 0.5, np.nan, 0.5, 0.5, 2.0, 0.0, 0.0])
    got = index.locate(x, y)
    assert got.tolist() == [-1, -1, -1, -1, -1, -1, -1, 3, 0, 1]
    assert got.dtype == np.int64
    empty = index.locate(np.array([]), np.array([]))
    assert empty.shape == (0,) and empty.dtype == np.int64
    grid = index.locate(np.array([[0.5, 1.5], [0.5, 9.0]]), np.array([[0.5, 0.5], [1.5, 0.5]]))
    assert grid.tolist() == [[0, 1], [2, -1]]
    assert index.locate([0.5], [1.5]).tolist() == [2]
    with pytest.raises(ValueError):
        index.locate([0.5, 1.0], [0.5])


def test_bbox_edge_points():
    geoms = voronoi_tiling(2, 30)
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    t = np.linspace(0, 1, 101)
    x = np.concatenate(
        [minx + t * (maxx - minx), np.full(101, maxx), maxx - t * (maxx - minx), np.full(101, minx)]
    )
    y = np.concatenate(
        [np.full(101, miny), miny + t * (maxy - miny), np.full(101, maxy), maxy - t * (maxy - miny)]
    )
    index = assert_exact(geoms, x, y)
    assert (index.locate(x, y) >= 0).all()  # the box is fully tiled, its edge included
    eps = np.nextafter(maxx, np.inf)
    assert index.locate([eps], [(miny + maxy) / 2]).tolist() == [-1]


def test_empty_layer():
    index = LocateIndex.build([])
    assert len(index) == 0
    assert index.locate([1.0, np.nan], [2.0, 3.0]).tolist() == [-1, -1]


def test_ids_and_threads():
    rng = np.random.default_rng(9)
    geoms = voronoi_tiling(8, 80, gaps=5)
    codes = np.array([f"G{k:04d}" for k in range(len(geoms))], dtype=object)
    index = LocateIndex.build(geoms, ids=codes)
    x, y = random_points(geoms, rng, 150_000)  # large enough for the parallel path
    one = index.locate(x, y, threads=1)
    two = index.locate(x, y, threads=2)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(one, brute_force(geoms, x, y))
    named = index.locate_ids(x[:1000], y[:1000])
    for p, c in zip(one[:1000], named, strict=True):
        assert c == (codes[p] if p >= 0 else None)
    assert index.locate_ids([1e9], [1e9], missing="").tolist() == [""]
    numeric = LocateIndex.build(geoms, ids=np.arange(100, 100 + len(geoms)))
    got = numeric.locate_ids(x[:1000], y[:1000])
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, np.where(one[:1000] >= 0, one[:1000] + 100, -1))
    assert numeric.locate_ids([1e9], [1e9], missing=-999).tolist() == [-999]


def test_original_geometries_untouched():
    geoms = squares(2, 1)
    LocateIndex.build(geoms)
    assert not any(shapely.is_prepared(g) for g in geoms)


def test_bad_input():
    with pytest.raises(ValueError, match="only Polygon"):
        LocateIndex.build([shapely.box(0, 0, 1, 1), shapely.Point(0, 0)])
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    with pytest.raises(ValueError, match="invalid"):
        LocateIndex.build([bowtie])
    with pytest.raises(ValueError, match="empty"):
        LocateIndex.build([shapely.Polygon()])
    with pytest.raises(ValueError, match="overlap"):
        LocateIndex.build([shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3)], ids=["a", "b"])
    with pytest.raises(ValueError, match="ids"):
        LocateIndex.build([shapely.box(0, 0, 2, 2)], ids=[1, 2])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(3, 60),
    irregular=st.booleans(),
    gaps=st.integers(0, 3),
    holes=st.integers(0, 3),
    multi=st.integers(0, 2),
    cell_fraction=st.one_of(st.none(), st.floats(0.002, 0.5)),
)
def test_property_equals_brute_force(seed, n, irregular, gaps, holes, multi, cell_fraction):
    geoms = voronoi_tiling(seed, n, irregular=irregular, gaps=gaps, holes=holes, multi=multi)
    if not geoms:
        return
    rng = np.random.default_rng(seed)
    x, y = random_points(geoms, rng, 2_000, pad=0.2)
    bx, by = boundary_points(geoms, rng, per_edge=2)
    cell = None if cell_fraction is None else cell_fraction * 0.03
    assert_exact(geoms, np.r_[x, bx], np.r_[y, by], cell_size=cell)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(*[st.integers(0, 24).map(lambda k: k / 4)] * 4),  # end points on a quarter-cell lattice
        min_size=1,
        max_size=20,
    ),
    st.floats(-0.01, 0.01),
)
def test_supercover_marks_every_touched_cell(segments, jitter):
    """Every raster cell whose closed square meets a segment is marked (corners, cell lines ...)."""
    from gridgov.regions.locate import _supercover

    seg = np.array(segments, dtype=float) + np.array([0.0, 0.0, jitter, 0.0])
    seg = seg[(seg[:, 0] != seg[:, 2]) | (seg[:, 1] != seg[:, 3])]
    if seg.size == 0:
        return
    e, col, row = _supercover(seg[:, 0], seg[:, 1], seg[:, 2], seg[:, 3])
    marked = set(zip(e.tolist(), col.tolist(), row.tolist(), strict=True))
    for k, (ua, va, ub, vb) in enumerate(seg):
        line = shapely.LineString([(ua, va), (ub, vb)])
        for c in range(int(np.floor(min(ua, ub))) - 1, int(np.floor(max(ua, ub))) + 2):
            for r in range(int(np.floor(min(va, vb))) - 1, int(np.floor(max(va, vb))) + 2):
                if shapely.box(c, r, c + 1, r + 1).intersects(line):
                    assert (k, c, r) in marked, (k, c, r)


# --------------------------------------------------------------------------------------------
# hierarchy


def test_hierarchy_codes_and_gap_fallback():
    rng = np.random.default_rng(12)
    micro = voronoi_tiling(21, 90, shuffle=False)
    # grids: group micro-grids by a coarse 3x2 split of the box; community: 2 halves; county: all
    cent = np.array([g.centroid.coords[0] for g in micro])
    minx, miny, maxx, maxy = shapely.total_bounds(micro)
    gi = np.minimum(((cent[:, 0] - minx) / (maxx - minx) * 3).astype(int), 2)
    gj = np.minimum(((cent[:, 1] - miny) / (maxy - miny) * 2).astype(int), 1)
    grid_of = gi * 2 + gj
    codes, levels, parents, geometries = [], [], [], []
    county = "210102"
    codes.append(county), levels.append("county"), parents.append(None), geometries.append(None)
    for c in range(2):
        comm = f"{county}001{c:03d}"
        members = [k for k in range(6) if k // 3 == c]
        union = shapely.union_all([micro[m] for m in range(len(micro)) if grid_of[m] in members])
        codes.append(comm), levels.append("community"), parents.append(county), geometries.append(union)
        for g in members:
            gcode = f"{comm}{g:03d}"
            ms = [m for m in range(len(micro)) if grid_of[m] == g]
            gunion = shapely.union_all([micro[m] for m in ms])
            codes.append(gcode), levels.append("grid"), parents.append(comm), geometries.append(gunion)
            for k, m in enumerate(ms):
                codes.append(f"{gcode}{k:02d}"), levels.append("micro_grid"), parents.append(gcode)
                geometries.append(micro[m])
    # drop a few micro-grids: their area is a gap in the leaf layer but still inside a grid
    dropped = {i for i, lv in enumerate(levels) if lv == "micro_grid"}
    dropped = set(sorted(dropped)[::17])
    keep = [i for i in range(len(codes)) if i not in dropped]
    codes = [codes[i] for i in keep]
    levels = [levels[i] for i in keep]
    parents = [parents[i] for i in keep]
    geometries = [geometries[i] for i in keep]
    order = ("micro_grid", "grid", "community", "county")
    loc = HierarchyLocator.from_regions(codes, levels, parents, geometries, level_order=order)
    x, y = random_points(micro, rng, 10_000)
    bx, by = boundary_points(micro, rng, per_edge=2)
    x, y = np.r_[x, bx], np.r_[y, by]
    got = loc.locate(x, y)
    assert set(got) == set(order)
    parent = dict(zip(codes, parents, strict=True))
    for name in ("micro_grid", "grid", "community"):
        lv_codes = sorted(c for c, lv in zip(codes, levels, strict=True) if lv == name)
        lv_geoms = [geometries[codes.index(c)] for c in lv_codes]
        want = brute_force(lv_geoms, x, y)
        want_codes = np.array([lv_codes[w] if w >= 0 else None for w in want], dtype=object)
        if name == "micro_grid":
            np.testing.assert_array_equal(got[name], want_codes)
            in_gap = want < 0
        else:
            # outside gaps, the coarser codes are the leaf's ancestors (not a geometric test)
            leaf = got["micro_grid"]
            for k in np.flatnonzero(~in_gap)[:2000]:
                p = parent[leaf[k]]
                while p is not None and levels[codes.index(p)] != name:
                    p = parent[p]
                assert got[name][k] == p
            # in the leaf gaps, they come from the coarser layers, with the same border rule
            if name == "grid":
                np.testing.assert_array_equal(got[name][in_gap], want_codes[in_gap])
    assert in_gap.sum() > 0 and (got["grid"][in_gap] != None).sum() > 0  # noqa: E711
    assert (got["county"][got["community"] != None] == county).all()  # noqa: E711
    positions = loc.locate_positions(x[:10], y[:10])
    for name in order:
        p = positions[name]
        assert [loc.codes(name)[q] if q >= 0 else None for q in p] == list(got[name][:10])


def test_hierarchy_from_specs():
    class Spec:
        def __init__(self, code, level, parent_code, geometry):
            self.code, self.level, self.parent_code, self.geometry = code, level, parent_code, geometry

    specs = [
        Spec("1", "county", None, shapely.box(0, 0, 2, 1)),
        Spec("1a", "grid", "1", shapely.box(0, 0, 2, 1)),
        Spec("1a2", "micro_grid", "1a", shapely.box(1, 0, 2, 1)),
        Spec("1a1", "micro_grid", "1a", shapely.box(0, 0, 1, 1)),
    ]
    loc = HierarchyLocator.from_specs(specs, level_order=("micro_grid", "grid", "county"))
    got = loc.locate([0.5, 1.0, 1.5, 3.0], [0.5, 0.5, 0.5, 0.5])
    assert got["micro_grid"].tolist() == ["1a1", "1a1", "1a2", None]  # on the shared edge: lowest code
    assert got["grid"].tolist() == ["1a", "1a", "1a", None]
    assert got["county"].tolist() == ["1", "1", "1", None]


# --------------------------------------------------------------------------------------------
# neighbours


def test_neighbours_of_square_grid():
    geoms = squares(3, 3)
    ids = [f"g{k}" for k in range(9)]
    nb = grid_neighbours(geoms, ids)
    assert nb["g4"] == ["g1", "g3", "g5", "g7"]  # corners (g0, g2, g6, g8) only touch at a point
    assert nb["g0"] == ["g1", "g3"]
    assert sum(len(v) for v in nb.values()) == 2 * 12
    assert not any(shapely.is_prepared(g) for g in geoms)


def test_neighbours_t_junction_and_corner():
    top = shapely.box(0, 1, 2, 2)  # shares part of its bottom edge with each square below
    left = shapely.box(0, 0, 1, 1)
    right = shapely.box(1, 0, 2, 1)
    far = shapely.box(5, 5, 6, 6)
    corner = shapely.box(2, 2, 3, 3)  # touches `top` at the point (2, 2) only
    nb = grid_neighbours([top, left, right, far, corner])
    assert nb == {0: [1, 2], 1: [0, 2], 2: [0, 1], 3: [], 4: []}
    # min_length: the shared edges are 1 long
    assert grid_neighbours([top, left, right], min_length=1.5) == {0: [], 1: [], 2: []}
    assert grid_neighbours([top, left, right], min_length=0.9) == {0: [1, 2], 1: [0, 2], 2: [0, 1]}
    # a shared border made of an identical segment plus a T-junction: lengths add up
    a = shapely.Polygon([(0, 0), (1, 0), (3, 0), (3, 1), (0, 1)])
    b = shapely.Polygon(
        [(0, 0), (1, 0), (2, 0), (2, -1), (0, -1)]
    )  # shares (0,0)-(1,0) exactly, (1,0)-(2,0) not
    c = shapely.Polygon([(2, 0), (3, 0), (3, -1), (2, -1)])
    d = shapely.Polygon([(0, -1), (3, -1), (3, -2), (0, -2)])  # under b and c: T-junctions only
    assert grid_neighbours([a, b, c, d], min_length=1.5) == {0: [1], 1: [0, 3], 2: [], 3: [1]}
    with pytest.raises(ValueError, match="unique"):
        grid_neighbours([top, left], ["x", "x"])


def test_neighbours_match_pairwise_shapely():
    geoms = voronoi_tiling(31, 80, holes=4, multi=2, merges=3, gaps=3)
    nb = grid_neighbours(geoms)
    want = set()
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            if shapely.intersection(geoms[i], geoms[j]).length > 0:
                want.add((i, j))
    assert neighbour_pairs(nb) == want
    assert grid_neighbours([]) == {}
    assert grid_neighbours([shapely.box(0, 0, 1, 1)], ["x"]) == {"x": []}
