"""Synthetic regions for the demo: the real province, city and counties (names, codes and centres
from cpca's table), made-up streets, communities, grids, micro-grids and exclusive grids, all with
lon/lat polygons. Pure: no database.

How the shapes are made (in a local km frame, converted to lon/lat at the end):

1. counties — the city outline cut into its seven real county-level divisions around their real
   centres (:func:`city_layout`, the same for every seed, so 辽阳县 has one shape at the county and
   the city scale);
2. residents — a sample of one point per ten people: a dense core around each county seat and
   each town, the rest spread evenly;
3. streets, communities, grids — Voronoi cells of k-means centres of the residents in each parent,
   clipped to it, so cells are small where people are dense. 街道 are seeded among the seat's
   dense core and 镇/乡 among the rural residents, 社区 among dense and 村 among rural ones, so
   urban units stay compact;
4. micro-grids — Voronoi cells of evenly spread points in each grid (two Lloyd steps);
5. the micro-grids are cleaned into one exact coverage and rounded to 7 decimals, and every level
   above is the exact union of its children: children tile their parent with identical shared
   edges, no gap, no overlap;
6. exclusive grids — non-overlapping rectangles, each inside one community.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gridgov.demo import tiling
from gridgov.demo.names import (
    EXCLUSIVE_TYPES,
    ExclusiveNamer,
    Labels,
    label_divisions,
    label_grids,
    number_children,
    real_counties,
    real_division,
)

Progress = Callable[[str, int, int], None]

PROVINCE_CODE, CITY_CODE = "21", "2110"
LAYOUT_SEED = 2110             # the county layout does not change with the demo's seed
CITY_AREA_KM2 = 4_700.0
PEOPLE_PER_POINT = 10


@dataclass(slots=True)
class RegionSpec:
    code: str            # natural length; grid = community + 3 digits, micro-grid = grid + 2
    name: str
    level: str           # province, city, county, street, community, grid, micro_grid, exclusive_grid
    parent_code: str | None
    geometry: BaseGeometry | None     # lon/lat WGS84 Polygon; None for the province
    exclusive_type: str | None = None


@dataclass(frozen=True, slots=True)
class CountyProfile:
    """Rough synthetic figures of a county-level division, enough for plausible shapes."""

    area_km2: float
    population: int
    seat_share: float                # share of residents in the seat's dense core
    seat_sigma_km: float
    town_share: float                # share in the small cores of the towns (镇, 乡)
    streets: tuple[int, int, int]    # how many 街道, 镇, 乡


PROFILES: dict[str, CountyProfile] = {
    "211002": CountyProfile(45, 260_000, 1.0, 2.0, 0.0, (8, 0, 0)),        # 白塔区
    "211003": CountyProfile(115, 210_000, 0.85, 2.6, 0.03, (5, 1, 0)),     # 文圣区
    "211004": CountyProfile(55, 140_000, 0.9, 1.8, 0.03, (4, 1, 0)),       # 宏伟区
    "211005": CountyProfile(305, 65_000, 0.65, 1.8, 0.1, (3, 1, 1)),       # 弓长岭区
    "211011": CountyProfile(175, 170_000, 0.8, 2.6, 0.06, (4, 1, 1)),      # 太子河区
    "211021": CountyProfile(2030, 300_000, 0.2, 1.3, 0.15, (2, 11, 2)),    # 辽阳县
    "211081": CountyProfile(1975, 440_000, 0.3, 1.6, 0.15, (3, 10, 2)),    # 灯塔市
}
TINY_PROFILE = CountyProfile(8, 8_000, 0.5, 0.6, 0.1, (1, 1, 0))


@dataclass(frozen=True, slots=True)
class Scale:
    counties: tuple[str, ...]
    grids: int                         # basic grids, exactly
    micro_grids: int | None            # exactly; None: 2-4 per grid
    exclusive_grids: int               # exactly
    people_per_community: int = 7_000  # 社区 of a 街道
    people_per_village: int = 1_000
    communities_per_street: int | None = None


SCALES: dict[str, Scale] = {
    "tiny": Scale(("211021",), grids=12, micro_grids=None, exclusive_grids=3, communities_per_street=2),
    "county": Scale(("211021",), grids=600, micro_grids=10_000, exclusive_grids=400),
    "city": Scale(tuple(PROFILES), grids=3_343, micro_grids=66_340, exclusive_grids=16_209),
}

# exclusive grid types: share among 社区 and among 村, and size range in km²
_EXCLUSIVE_SHARE = {
    "社区": (0.16, 0.08, 0.14, 0.22, 0.10, 0.08, 0.10, 0.12),
    "村": (0.10, 0.05, 0.10, 0.50, 0.04, 0.06, 0.05, 0.10),
}
_EXCLUSIVE_SIZE = {"school": (0.015, 0.08), "hospital": (0.01, 0.06), "market": (0.01, 0.04),
                   "enterprise": (0.01, 0.1), "park": (0.02, 0.1), "station": (0.01, 0.03),
                   "government": (0.01, 0.02), "nursing_home": (0.01, 0.03)}
_EXCLUSIVE_FILL = 0.15   # at most this share of a community's area goes to exclusive grids


RURAL, SEAT, TOWN = 0, 1, 2     # where a resident's point comes from


@dataclass(slots=True)
class _Level:
    geoms: np.ndarray          # km polygons until the final clean-up, then lon/lat
    parent: np.ndarray         # index into the level above, sorted
    kind: np.ndarray           # 街道/镇/乡 or 社区/村 (grids and micro-grids: their community's)
    pop: np.ndarray
    seed: np.ndarray           # the Voronoi seed of each child (nan if a repair took it away)

    def take(self, order: np.ndarray) -> None:
        self.geoms, self.parent = self.geoms[order], self.parent[order]
        self.kind, self.pop, self.seed = self.kind[order], self.pop[order], self.seed[order]


@dataclass(slots=True)
class _Residents:
    """One point per ten residents, its origin and the region of the current level holding it."""

    xy: np.ndarray
    origin: np.ndarray
    owner: np.ndarray

    def locate(self, level: _Level) -> None:
        self.owner = tiling.owners_of(self.xy, level.geoms)
        level.pop = self.count(len(level.geoms))

    def count(self, n: int, mask: np.ndarray | None = None) -> np.ndarray:
        ok = self.owner >= 0 if mask is None else (self.owner >= 0) & mask
        return np.bincount(self.owner[ok], minlength=n) * float(PEOPLE_PER_POINT)


def generate_regions(scale: str, seed: int = 1, progress: Progress | None = None) -> list[RegionSpec]:
    """All regions of the demo ``scale`` (tiny, county, city), parents before children.

    The same (scale, seed) gives the same regions, names, codes and coordinates on every run.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: one of {', '.join(SCALES)}")
    cfg = SCALES[scale]
    report = progress or (lambda stage, done, total: None)
    rng = np.random.default_rng(seed)
    city = real_division(CITY_CODE)
    frame = tiling.LocalFrame(city.lon, city.lat)

    report("生成区县", 0, 1)
    counties, profiles = _counties(scale, cfg, frame)
    report("生成区县", 1, 1)
    people = _residents(counties, profiles, rng)
    streets = _streets(counties, profiles, people, rng, report)
    communities = _communities(streets, cfg, people, rng, report)
    grids = _grids(communities, cfg, people, rng, report)
    micro = _micro_grids(grids, cfg, rng, report)

    report("拓扑清理", 0, 2)
    micro.geoms = tiling.clean_round(frame.to_deg(micro.geoms))
    report("拓扑清理", 1, 2)
    areas_km2 = shapely.area(communities.geoms)           # still km: the unions below replace them
    for child, level in ((micro, grids), (grids, communities), (communities, streets), (streets, counties)):
        level.geoms = tiling.union_groups(child.geoms, child.parent, len(level.geoms))
    report("拓扑清理", 2, 2)

    exclusive = _exclusive_grids(communities, areas_km2, cfg, frame, rng, report)
    return _specs(cfg.counties, counties, streets, communities, grids, micro, exclusive, rng, report)


# --- counties ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def city_layout() -> dict[str, BaseGeometry]:
    """km polygons of 辽阳市's seven county-level divisions (frame: the city's cpca centre)."""
    rng = np.random.default_rng(LAYOUT_SEED)
    city = real_division(CITY_CODE)
    frame = tiling.LocalFrame(city.lon, city.lat)
    divisions = real_counties(CITY_CODE)
    if [d.code for d in divisions] != sorted(PROFILES):
        raise RuntimeError(f"cpca lists other divisions for {CITY_CODE}: {[d.code for d in divisions]}")
    sites = np.array([frame.xy(d.lon, d.lat) for d in divisions])
    radii = np.array([0.85, 0.75, 0.9, 1.05, 1.1, 1.0, 1.05, 1.0, 0.95, 0.85, 0.62, 0.7])
    outline = tiling.blob(-3.0, 5.0, CITY_AREA_KM2, rng, roughness=0.12, stretch=(0.9, 1.1), radii=radii)
    targets = np.array([PROFILES[d.code].area_km2 for d in divisions], dtype=float)
    targets *= outline.area / targets.sum()
    urban = sites[[PROFILES[d.code].seat_share >= 0.5 for d in divisions]].mean(0)   # the districts
    polys = tiling.partition(outline, sites, targets, rng, dense_centre=tuple(urban), dense_sigma=9.0)
    return {d.code: p for d, p in zip(divisions, polys)}


def _counties(scale: str, cfg: Scale, frame: tiling.LocalFrame) -> tuple[_Level, list[CountyProfile]]:
    """The counties (km polygons); their ``seed`` is the seat (cpca centre)."""
    seats = np.array([frame.xy(real_division(c).lon, real_division(c).lat) for c in cfg.counties])
    if scale == "tiny":
        geoms = [tiling.blob(*seats[0], TINY_PROFILE.area_km2, np.random.default_rng(LAYOUT_SEED))]
        profiles = [TINY_PROFILE]
    else:
        layout = city_layout()
        geoms = [layout[c] for c in cfg.counties]
        profiles = [PROFILES[c] for c in cfg.counties]
    n = len(geoms)
    level = _Level(np.array(geoms, dtype=object), np.zeros(n, dtype=np.int64), np.full(n, "", dtype=object),
                   np.array([p.population for p in profiles], dtype=float), seats)
    return level, profiles


def _residents(counties: _Level, profiles: list[CountyProfile], rng: np.random.Generator) -> _Residents:
    """Rural residents spread evenly and the seat's dense core; the towns' cores come later."""
    spread = [round(p.population * (1 - p.seat_share - p.town_share) / PEOPLE_PER_POINT) for p in profiles]
    xy, owner = tiling.points_in(counties.geoms, np.array(spread), rng)
    xs, owners, origins = [xy], [owner], [np.full(len(xy), RURAL)]
    for i, p in enumerate(profiles):
        core = tiling.gaussian_points(counties.geoms[i], *counties.seed[i], p.seat_sigma_km,
                                      round(p.population * p.seat_share / PEOPLE_PER_POINT), rng)
        xs.append(core)
        owners.append(np.full(len(core), i))
        origins.append(np.full(len(core), SEAT))
    return _Residents(np.concatenate(xs), np.concatenate(origins), np.concatenate(owners))


# --- streets, communities, grids, micro-grids ---------------------------------------------------

def _split(parents: _Level, dense: np.ndarray, sparse: np.ndarray, people: _Residents,
           dense_origins: tuple[int, ...], rng: np.random.Generator, stage: str,
           report: Progress) -> tuple[_Level, np.ndarray]:
    """Split each parent into Voronoi cells: ``dense[i]`` seeded at k-means centres of its
    residents of ``dense_origins``, ``sparse[i]`` at those of the others. Returns the children and
    whether each was seeded among the dense."""
    located = people.owner >= 0
    is_dense = np.isin(people.origin, dense_origins)
    m = len(parents.geoms)
    parts = []
    for half, (counts, sel) in enumerate(((dense, located & is_dense), (sparse, located & ~is_dense))):
        def step(done: int, total: int, half: int = half) -> None:
            report(stage, half * m + done, 2 * m)

        parts.append(tiling.kmeans_seeds(parents.geoms, counts, people.xy[sel], people.owner[sel], rng, step))
    report(stage, 2 * m, 2 * m)
    xy = np.concatenate([parts[0][0], parts[1][0]])
    owner = np.concatenate([parts[0][1], parts[1][1]])
    flag = np.arange(len(xy)) < len(parts[0][0])
    order = np.argsort(owner, kind="stable")
    xy, owner, flag = xy[order], owner[order], flag[order]
    geoms, parent = tiling.voronoi_split(parents.geoms, xy, owner)
    n = len(geoms)
    cell = tiling.owners_of(xy, geoms)
    seed = np.full((n, 2), np.nan)
    seed[cell[cell >= 0]] = xy[cell >= 0]
    dense_cell = np.zeros(n, dtype=bool)
    dense_cell[cell[(cell >= 0) & flag]] = True
    return _Level(geoms, parent, np.full(n, "", dtype=object), np.zeros(n), seed), dense_cell


def _sort(level: _Level, rank: np.ndarray | None = None) -> None:
    """Order children within each parent: by kind (code ranges), then north to south."""
    y = shapely.get_y(shapely.point_on_surface(level.geoms))
    rank = np.zeros(len(y)) if rank is None else rank
    level.take(np.lexsort((-y, rank, level.parent)))


def _streets(counties: _Level, profiles: list[CountyProfile], people: _Residents, rng, report) -> _Level:
    """街道 around the county seat, 镇 and 乡 (the most remote) over the countryside; each town
    gets its own small core of residents."""
    n_street = np.array([p.streets[0] for p in profiles])
    n_town = np.array([p.streets[1] + p.streets[2] for p in profiles])
    streets, urban = _split(counties, n_street, n_town, people, (SEAT,), rng, "划分街道乡镇", report)
    streets.kind[urban] = "街道"
    anchor = _anchors(streets)
    for i, p in enumerate(profiles):
        towns = np.flatnonzero((streets.parent == i) & ~urban)
        remote = np.hypot(*(anchor[towns] - counties.seed[i]).T)
        streets.kind[towns[np.argsort(-remote, kind="stable")]] = ["乡"] * p.streets[2] + ["镇"] * p.streets[1]
    _sort(streets, np.select([streets.kind == "街道", streets.kind == "镇"], [0, 1], 2))
    anchor = _anchors(streets)
    xs, origins = [people.xy], [people.origin]
    for i in np.flatnonzero(streets.kind != "街道"):
        p = profiles[streets.parent[i]]
        weight = (1.0 if streets.kind[i] == "镇" else 0.5) / (p.streets[1] + 0.5 * p.streets[2])
        core = tiling.gaussian_points(streets.geoms[i], *anchor[i], 0.7,
                                      round(p.population * p.town_share * weight / PEOPLE_PER_POINT), rng)
        xs.append(core)
        origins.append(np.full(len(core), TOWN))
    people.xy, people.origin = np.concatenate(xs), np.concatenate(origins)
    people.locate(streets)
    return streets


def _anchors(level: _Level) -> np.ndarray:
    """Each child's seed, or a point inside it where its seed went to a sibling."""
    inside = shapely.get_coordinates(shapely.point_on_surface(level.geoms))
    return np.where(np.isnan(level.seed), inside, level.seed)


def _communities(streets: _Level, cfg: Scale, people: _Residents, rng, report) -> _Level:
    """社区 (居委会) seeded among the dense residents, 村 among the rural ones."""
    n = len(streets.geoms)
    dense_pop = people.count(n, people.origin != RURAL)
    plan = np.array([_community_plan(k, d, p - d, cfg)
                     for k, d, p in zip(streets.kind, dense_pop, streets.pop)])
    communities, urban = _split(streets, plan[:, 0], plan[:, 1], people, (SEAT, TOWN), rng,
                                "划分社区村", report)
    communities.kind = np.where(urban, "社区", "村").astype(object)
    _sort(communities, (~urban).astype(int))
    people.locate(communities)
    return communities


def _community_plan(kind: str, dense: float, rural: float, cfg: Scale) -> tuple[int, int]:
    """How many 社区 and 村 a street has, from its dense and its rural residents."""
    if cfg.communities_per_street:
        n = cfg.communities_per_street
        return {"街道": (n, 0), "镇": (1, n - 1)}.get(kind, (0, n))
    villages = int(np.clip(round(rural / cfg.people_per_village), 0, 200))
    if kind == "街道":
        return int(np.clip(round(dense / cfg.people_per_community), 1, 199)), villages
    if kind == "镇":
        return (1 if dense < 1.5 * cfg.people_per_community else 2), max(villages, 1)
    return 0, int(np.clip(round((dense + rural) / cfg.people_per_village), 2, 200))


def _grids(communities: _Level, cfg: Scale, people: _Residents, rng, report) -> _Level:
    urban = np.where(communities.kind == "社区", 1.5, 1.0)     # urban grids hold fewer people
    counts = tiling.apportion(cfg.grids, np.maximum(communities.pop, PEOPLE_PER_POINT) * urban, 1, 499)
    grids, _ = _split(communities, counts, np.zeros_like(counts), people, (RURAL, SEAT, TOWN), rng,
                      "划分网格", report)
    grids.kind = communities.kind[grids.parent]
    _sort(grids)
    return grids


def _micro_grids(grids: _Level, cfg: Scale, rng: np.random.Generator, report: Progress) -> _Level:
    n = len(grids.geoms)
    if cfg.micro_grids is None:
        counts = rng.integers(2, 5, n)
    else:
        weight = np.where(grids.kind == "社区", 1.0, 0.65) * rng.uniform(0.75, 1.25, n)
        counts = tiling.apportion(cfg.micro_grids, weight, 2, 99)
    report("划分微网格", 0, 3)
    seeds, owner = tiling.points_in(grids.geoms, counts, rng)
    geoms, parent = tiling.voronoi_split(grids.geoms, seeds, owner)
    for step in (1, 2):              # two Lloyd steps even out the cells
        report("划分微网格", step, 3)
        geoms, parent = tiling.voronoi_split(grids.geoms, tiling.relax(grids.geoms, geoms, parent), parent)
    micro = _Level(geoms, parent, grids.kind[parent], np.zeros(len(geoms)), np.zeros((len(geoms), 2)))
    _sort(micro)
    report("划分微网格", 3, 3)
    return micro


# --- exclusive grids, names and codes ------------------------------------------------------------

def _exclusive_grids(communities: _Level, areas_km2: np.ndarray, cfg: Scale, frame: tiling.LocalFrame,
                     rng: np.random.Generator, report: Progress):
    """Boxes (lon/lat), owning community and type of every exclusive grid."""
    report("布设专属网格", 0, 1)
    n = len(communities.geoms)
    urban = communities.kind == "社区"
    room = np.floor(_EXCLUSIVE_FILL * areas_km2 / np.where(urban, 0.025, 0.035)).clip(0, 500)
    weights = np.maximum(communities.pop, PEOPLE_PER_POINT) * np.where(urban, 1.0, 1.4)
    owner = np.repeat(np.arange(n), tiling.apportion(cfg.exclusive_grids, weights, 0, room))
    kinds = np.empty(len(owner), dtype=object)
    for kind, share in _EXCLUSIVE_SHARE.items():
        sel = communities.kind[owner] == kind
        kinds[sel] = [EXCLUSIVE_TYPES[t] for t in rng.choice(len(EXCLUSIVE_TYPES), int(sel.sum()), p=share)]
    lo, hi = np.array([_EXCLUSIVE_SIZE[k] for k in kinds]).reshape(-1, 2).T
    size = np.exp(rng.uniform(np.log(lo), np.log(hi)))
    boxes, owner = tiling.place_boxes(communities.geoms, owner, size, frame, rng)
    order = np.lexsort((-shapely.get_y(shapely.centroid(boxes)), owner))
    report("布设专属网格", 1, 1)
    return boxes[order], owner[order], kinds[order]


def _specs(codes, counties, streets, communities, grids, micro, exclusive, rng, report) -> list[RegionSpec]:
    province, city = real_division(PROVINCE_CODE), real_division(CITY_CODE)
    report("命名编码", 0, 4)
    city_geometry = shapely.coverage_union_all(counties.geoms)
    specs = [RegionSpec(province.code, province.name, "province", None, None),
             RegionSpec(city.code, city.name, "city", province.code, city_geometry)]
    county = Labels(list(codes), [real_division(c).name for c in codes], [])
    used: list[set[str]] = [set() for _ in codes]       # place words, unique within a county
    street = label_divisions(county, streets.parent, streets.kind, np.arange(len(codes)), used, rng)
    community = label_divisions(street, communities.parent, communities.kind, streets.parent, used, rng)
    grid = label_grids(community, grids.parent)
    report("命名编码", 2, 4)
    micro_grid = label_grids(grid, micro.parent, micro=True)
    for level, labels, parents, rows in (("county", county, [city.code] * len(codes), counties),
                                         ("street", street, county.code, streets),
                                         ("community", community, street.code, communities),
                                         ("grid", grid, community.code, grids),
                                         ("micro_grid", micro_grid, grid.code, micro)):
        parent_code = parents if level == "county" else [parents[p] for p in rows.parent.tolist()]
        specs += [RegionSpec(c, n, level, p, g)
                  for c, n, p, g in zip(labels.code, labels.name, parent_code, rows.geoms)]
    report("命名编码", 3, 4)

    boxes, owner, kinds = exclusive
    namers = [ExclusiveNamer.for_county(name, city.name) for name in county.name]
    for box, k, kind, n in zip(boxes, owner.tolist(), kinds, number_children(owner, last=500)):
        s = int(communities.parent[k])
        name = namers[int(streets.parent[s])].name(rng, kind, community.word[k], street.name[s],
                                                   communities.kind[k] == "社区")
        code = f"{community.code[k]}{499 + n:03d}"
        specs.append(RegionSpec(code, name, "exclusive_grid", community.code[k], box, kind))
    report("命名编码", 4, 4)
    return specs
