"""The pure demo generator: determinism, codes, names, and exact tiling at every level."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter, defaultdict

import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from gridgov.codes import region_code_level, region_code_parent
from gridgov.demo.geometry import CITY_AREA_KM2, PROFILES, RegionSpec, city_layout, generate_regions
from gridgov.demo.names import cn_number, real_counties, real_division
from gridgov.demo.tiling import LocalFrame, apportion, points_in, voronoi_split
from gridgov.regions.topology import RegionInput, validate

BASIC = ("county", "street", "community", "grid", "micro_grid")
FRAME = LocalFrame(123.237, 41.268)


@pytest.fixture(scope="module")
def tiny() -> list[RegionSpec]:
    return generate_regions("tiny", seed=1)


@pytest.fixture(scope="module")
def county() -> list[RegionSpec]:
    return generate_regions("county", seed=7)


def _digest(specs: list[RegionSpec]) -> str:
    h = hashlib.sha256()
    for s in specs:
        h.update(f"{s.code}|{s.name}|{s.level}|{s.parent_code}|{s.exclusive_type}|".encode())
        if s.geometry is not None:
            h.update(shapely.to_wkb(s.geometry))
    return h.hexdigest()


def _m2(geoms) -> np.ndarray:
    """Areas in m² (local equirectangular metres)."""
    return shapely.area(FRAME.to_km(np.asarray(geoms, dtype=object))) * 1e6


def _children(specs) -> dict[str, list[RegionSpec]]:
    out: dict[str, list[RegionSpec]] = defaultdict(list)
    for s in specs:
        if s.parent_code is not None:
            out[s.parent_code].append(s)
    return out


def _assert_tiles(parent: RegionSpec, kids: list[RegionSpec]) -> None:
    """Children cover the parent exactly, overlap nowhere (≤ 1 m²) and share identical edges."""
    geoms = np.array([k.geometry for k in kids], dtype=object)
    parent_m2 = _m2([parent.geometry])[0]
    sym = _m2([shapely.symmetric_difference(shapely.union_all(geoms), parent.geometry)])[0]
    assert sym < 1e-6 * parent_m2, f"{parent.code}: children differ from parent by {sym:.3f} m²"
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    a, b = a[a < b], b[a < b]
    if len(a):
        overlap = _m2(shapely.intersection(geoms[a], geoms[b]))
        assert overlap.max() <= 1.0, f"{parent.code}: siblings overlap by {overlap.max():.3f} m²"
    assert shapely.coverage_is_valid(geoms), f"{parent.code}: shared edges do not match"


# --- tiny: everything --------------------------------------------------------------------------

def test_tiny_is_deterministic(tiny):
    assert _digest(generate_regions("tiny", seed=1)) == _digest(tiny)
    assert _digest(generate_regions("tiny", seed=2)) != _digest(tiny)


def test_tiny_is_the_same_in_other_processes(tiny):
    script = ("import hashlib, shapely\nfrom gridgov.demo.geometry import generate_regions\n"
              "h = hashlib.sha256()\n"
              "for s in generate_regions('tiny', seed=1):\n"
              "    h.update(f'{s.code}|{s.name}|{s.level}|{s.parent_code}|{s.exclusive_type}|'.encode())\n"
              "    if s.geometry is not None: h.update(shapely.to_wkb(s.geometry))\n"
              "print(h.hexdigest())\n")
    for hash_seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                             check=True)
        assert out.stdout.strip() == _digest(tiny)


def test_tiny_counts(tiny):
    levels = Counter(s.level for s in tiny)
    assert levels["province"] == levels["city"] == levels["county"] == 1
    assert levels["street"] == 2
    assert levels["community"] == 4
    assert levels["grid"] == 12
    assert 2 <= levels["exclusive_grid"] <= 3
    per_grid = Counter(s.parent_code for s in tiny if s.level == "micro_grid")
    assert set(per_grid) == {s.code for s in tiny if s.level == "grid"}
    assert all(2 <= n <= 4 for n in per_grid.values())


def test_codes_are_valid_unique_and_follow_their_parent(tiny):
    codes = [s.code for s in tiny]
    assert len(codes) == len(set(codes))
    seen: set[str] = set()
    for s in tiny:
        assert region_code_level(s.code) == s.level
        assert region_code_parent(s.code) == s.parent_code
        assert s.parent_code is None or s.parent_code in seen, f"{s.code} comes before its parent"
        seen.add(s.code)


def test_code_segments_match_the_kind(tiny):
    for s in tiny:
        if s.level == "street":
            kind = "街道" if s.name.endswith("街道") else s.name[-1]
            lo, hi = {"街道": (1, 99), "镇": (100, 199), "乡": (200, 399)}[kind]
            assert lo <= int(s.code[6:9]) <= hi, s
        elif s.level == "community":
            segment = int(s.code[9:12])
            assert (1 <= segment <= 199) if s.name.endswith("社区") else (200 <= segment <= 399), s
        elif s.level == "grid":
            assert 1 <= int(s.code[12:]) <= 499
            assert s.name.endswith(f"第{int(s.code[12:])}网格")
        elif s.level == "exclusive_grid":
            assert 500 <= int(s.code[12:]) <= 999
            assert s.name.endswith("专属网格") and s.exclusive_type
        elif s.level == "micro_grid":
            assert 1 <= int(s.code[15:]) <= 99
            assert s.name.endswith(f"第{int(s.code[15:])}微网格")
    first = next(s for s in tiny if s.level == "exclusive_grid")
    assert first.code.endswith("500")


def test_real_divisions_come_from_cpca(tiny):
    top = {s.level: s for s in tiny if s.level in ("province", "city", "county")}
    assert (top["province"].code, top["province"].name, top["province"].geometry) == ("21", "辽宁省", None)
    assert (top["city"].code, top["city"].name) == ("2110", "辽阳市")
    assert (top["county"].code, top["county"].name) == ("211021", "辽阳县")
    assert {d.code: d.name for d in real_counties("2110")} == {
        "211002": "白塔区", "211003": "文圣区", "211004": "宏伟区", "211005": "弓长岭区",
        "211011": "太子河区", "211021": "辽阳县", "211081": "灯塔市"}
    assert real_division("211021").lon == pytest.approx(123.1, abs=0.1)


def test_names_are_unique_within_their_parent(tiny):
    for parent, kids in _children(tiny).items():
        names = [k.name for k in kids]
        assert len(names) == len(set(names)), parent


def test_geometries_are_valid_rounded_polygons(tiny):
    for s in tiny:
        if s.level == "province":
            continue
        assert s.geometry.geom_type == "Polygon" and s.geometry.is_valid, s.code
        xy = shapely.get_coordinates(s.geometry)
        assert (np.round(xy, 7) == xy).all(), s.code
        assert 122 < xy[:, 0].min() and xy[:, 0].max() < 124.5
        assert 40.5 < xy[:, 1].min() and xy[:, 1].max() < 42


def test_children_tile_their_parent_at_every_level(tiny):
    by_code = {s.code: s for s in tiny}
    kids = _children(tiny)
    checked = Counter()
    for code, members in kids.items():
        basic = [k for k in members if k.level in BASIC]
        if basic and by_code[code].geometry is not None:
            _assert_tiles(by_code[code], basic)
            checked[basic[0].level] += 1
    assert set(checked) == set(BASIC)


def test_exclusive_grids_lie_in_their_community_and_do_not_overlap(tiny):
    by_code = {s.code: s for s in tiny}
    exclusive = [s for s in tiny if s.level == "exclusive_grid"]
    for s in exclusive:
        assert shapely.covered_by(s.geometry, by_code[s.parent_code].geometry)
        assert 0.003e6 < _m2([s.geometry])[0] < 0.11e6
    geoms = np.array([s.geometry for s in exclusive], dtype=object)
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    assert (a == b).all()


def test_the_topology_validator_accepts_the_demo(tiny):
    items = [RegionInput(code=s.code, name=s.name, level=s.level, parent_code=s.parent_code,
                         geometry=s.geometry, exclusive_type=s.exclusive_type) for s in tiny]
    report = validate(items)
    assert report.ok, report.as_dict(limit=5)


def test_progress_is_reported():
    calls: list[tuple[str, int, int]] = []
    generate_regions("tiny", progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert len({c[0] for c in calls}) >= 5
    assert all(0 <= done <= total for _, done, total in calls)


def test_unknown_scale_is_refused():
    with pytest.raises(ValueError, match="unknown scale"):
        generate_regions("province")


# --- the city layout and the county scale ------------------------------------------------------

def test_city_layout_tiles_the_city_with_seven_counties():
    layout = city_layout()
    assert sorted(layout) == sorted(PROFILES)
    geoms = np.array(list(layout.values()), dtype=object)       # km
    assert all(g.geom_type == "Polygon" and g.is_valid and not g.interiors for g in geoms)
    assert shapely.union_all(geoms).area == pytest.approx(CITY_AREA_KM2, rel=1e-6)
    assert sum(g.area for g in geoms) == pytest.approx(CITY_AREA_KM2, rel=1e-6)
    for code, g in layout.items():
        assert g.area == pytest.approx(PROFILES[code].area_km2, rel=0.2), code
        d = real_division(code)
        assert g.contains(shapely.Point(FRAME.xy(d.lon, d.lat))), f"{code} lost its centre"


def test_county_scale_counts(county):
    levels = Counter(s.level for s in county)
    assert levels["county"] == 1 and levels["street"] == 15
    assert 150 <= levels["community"] <= 250
    assert levels["grid"] == 600
    assert levels["micro_grid"] == 10_000
    assert levels["exclusive_grid"] == 400
    county_m2 = _m2([next(s.geometry for s in county if s.level == "county")])[0]
    assert 1_800e6 < county_m2 < 2_300e6


def test_county_scale_tiles_a_sample(county):
    by_code = {s.code: s for s in county}
    kids = _children(county)
    _assert_tiles(by_code["211021"], kids["211021"])
    streets = [s for s in county if s.level == "street"]
    for street in streets[::3]:
        _assert_tiles(street, kids[street.code])
    communities = [s for s in county if s.level == "community"]
    for community in communities[::15]:
        grids = [k for k in kids[community.code] if k.level == "grid"]
        _assert_tiles(community, grids)
        for grid in grids[:3]:
            _assert_tiles(grid, kids[grid.code])
    micro = np.array([s.geometry for s in county if s.level == "micro_grid"], dtype=object)
    assert shapely.coverage_is_valid(micro)


def test_county_scale_urban_grids_are_small_and_rural_ones_large(county):
    by_code = {s.code: s for s in county}
    grids = [s for s in county if s.level == "grid"]
    seat = [g for g in grids if by_code[g.parent_code].name.endswith("社区")
            and by_code[by_code[g.parent_code].parent_code].name.endswith("街道")]
    rural = [g for g in grids if by_code[g.parent_code].name.endswith("村")]
    assert seat and rural
    assert np.median(_m2([g.geometry for g in seat])) < 0.35e6
    assert np.median(_m2([g.geometry for g in rural])) > 1e6


# --- small helpers -----------------------------------------------------------------------------

@given(st.integers(0, 5000), st.lists(st.floats(0.01, 100), min_size=1, max_size=40), st.integers(0, 3))
def test_apportion_hits_the_total_within_bounds(total, weights, lo):
    n = len(weights)
    hi = max(lo + 1, -(-total // n) + 2)
    if total < lo * n:
        with pytest.raises(ValueError):
            apportion(total, np.array(weights), lo, hi)
        return
    out = apportion(total, np.array(weights), lo, hi)
    assert out.sum() == total and out.min() >= lo and out.max() <= hi


def test_voronoi_split_of_a_non_convex_parent_gives_single_polygons():
    rng = np.random.default_rng(3)
    teeth = [shapely.box(x, 0, x + 0.6, 8) for x in range(0, 10, 2)]
    comb = shapely.union_all([shapely.box(0, 0, 10, 1), *teeth])
    parents = np.array([comb], dtype=object)
    seeds, owner = points_in(parents, np.array([40]), rng)
    children, parent = voronoi_split(parents, seeds, owner)
    assert len(children) == 40 and (parent == 0).all()
    assert all(c.geom_type == "Polygon" and c.is_valid for c in children)
    assert shapely.union_all(children).symmetric_difference(comb).area < 1e-9
    assert sum(c.area for c in children) == pytest.approx(comb.area, rel=1e-9)


def test_cn_number():
    assert [cn_number(n) for n in (1, 2, 10, 12, 20, 35, 99)] == ["一", "二", "十", "十二", "二十", "三十五", "九十九"]
