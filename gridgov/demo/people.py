"""The demo's register: buildings, houses, households, persons, special groups, visits,
organizations and one grid worker per basic grid, consistent with the generated grids
(人进户、户进房、房进楼、楼进格).

Two halves:

* :func:`generate_register` — pure (no database): from a :class:`RegionTable` (read from the
  database, or from :func:`gridgov.demo.geometry.generate_regions` specs) and a seeded numpy
  ``Generator`` it makes every table as columns. Foreign keys are 0-based row positions.
* :func:`load_people` — the loader step: reads the regions just written, generates, creates the
  grid workers and writes everything with the fastest path of the backend (SQLite: ``executemany``
  on the raw connection; PostgreSQL: ``COPY``), ids assigned up front, secondary indexes dropped
  during the load and rebuilt after it, one audit entry for the whole step.

How the place is made:

* every basic grid gets a house quota (about 0.8 houses per resident; urban grids hold more
  people than village grids); urban grids are filled with 小区 compounds of 5–33-floor buildings
  (taller in the districts' cores, low-rise in town seats) on named roads, micro-grids left without
  housing get a shop or office building now and then; village grids get one house per building
  (``X村N组M号``, the key ``address_key`` makes of it keeps the village). Schools, hospitals, markets … of the exclusive grids become buildings and
  organizations of their own;
* households are drawn per house from a mix of family types (elderly alone and elderly couples
  are common: Liaoning is old), about one in eight occupied urban flats is rented to floating
  households; houses left over are vacant (the 1.2M-house city with 1.5M residents implies
  a high vacancy, which north-eastern cities do have);
* persons get valid citizen IDs (their county or, for the floating, real counties elsewhere;
  HK/Macao residence permits for the rare 境外 residents), family surnames, cohort-typical given
  names, ethnicity (满族 about a tenth), phones for most adults;
* special groups are drawn at realistic rates with attributes that pass
  :func:`gridgov.people.groups.validate_attributes`; visits are due so that about one in eight is
  overdue.
"""

from __future__ import annotations

import base64
import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import shapely

from gridgov.demo import people_names as W
from gridgov.demo.bulk import Bulk
from gridgov.demo.names import BRANDS, INDUSTRIES, URBAN_WORDS, cn_number

Progress = Callable[[str, int, int], None]

PERSONS = {"tiny": 360, "county": 300_000, "city": 1_500_000}
HOUSES_PER_PERSON = 0.8
RESIDENTIAL_QUOTA = 0.92          # of those, the quota of flats; shops, offices and whole buildings fill the rest
PERSONS_PER_ORGANIZATION = 40
DISTRICTS = frozenset({"211002", "211003", "211004", "211005", "211011"})   # urban districts of 辽阳市
EPOCH = date(1970, 1, 1)
DEMO_SOURCE = "demo"

# grid classes
CORE, SEAT, TOWN, RURAL = 0, 1, 2, 3
GRID_WEIGHT = np.array([1.5, 1.5, 1.2, 1.0])       # residents of a basic grid, relative

# building kinds
TOWER, MID, WALK, LOW, VILLAGE, SHOPS, OFFICE, PUBLIC = range(8)
KIND_USE = ("residential", "residential", "residential", "residential", "residential", "commercial", "office",
            "public")
URBAN_MIX = {CORE: (0.22, 0.18, 0.60, 0.0), SEAT: (0.08, 0.15, 0.77, 0.0), TOWN: (0.0, 0.05, 0.60, 0.35)}
SPARE_COMMERCIAL = {CORE: 0.45, SEAT: 0.35, TOWN: 0.25}   # spare urban micro-grids with a shop building
BUILT = {TOWER: (2006, 2024), MID: (1996, 2017), WALK: (1978, 2009), LOW: (1975, 2003), VILLAGE: (1965, 2023),
         SHOPS: (1990, 2020), OFFICE: (1998, 2020), PUBLIC: (1975, 2020)}

RELATIONS = ("head", "spouse", "child", "parent", "grandchild", "tenant", "other")
HEAD, SPOUSE, CHILD, PARENT, GRANDCHILD, TENANT, OTHER = range(7)
POPULATION_TYPES = ("registered", "floating", "overseas")
REGISTERED, FLOATING, OVERSEAS = range(3)
HOUSE_STATUSES = ("self_occupied", "rented", "vacant", "business")
OCCUPIED, RENTED, VACANT, BUSINESS = range(4)

# household types: (local urban share, local rural share)
LOCAL_TYPES = {
    "elderly_alone": (0.10, 0.09), "adult_alone": (0.10, 0.07), "elderly_couple": (0.20, 0.20),
    "empty_nest": (0.15, 0.15), "one_child": (0.24, 0.20), "two_children": (0.02, 0.04),
    "three_generations": (0.075, 0.10), "skipped_generation": (0.02, 0.05), "single_parent": (0.06, 0.04),
    "extended": (0.03, 0.05),
}
FLOATING_TYPES = {"worker": 0.40, "couple": 0.25, "family": 0.25, "shared": 0.10}
RENTED_SHARE = {CORE: 0.18, SEAT: 0.15, TOWN: 0.11, RURAL: 0.05}
OVERSEAS_SHARE = 0.004           # of floating households: HK/Macao residents with residence permits

# where floating residents come from: (province code, share); 2110 = other counties of 辽阳市
ORIGINS = (("2110", 0.12), ("21", 0.38), ("23", 0.14), ("22", 0.10), ("15", 0.07), ("13", 0.04), ("37", 0.05),
           ("41", 0.04), ("51", 0.02), ("14", 0.02), ("34", 0.01), ("32", 0.01))

# special groups: share of all residents
GROUP_RATES = {"disabled": 0.05, "subsistence": 0.025, "mental_disorder": 0.0045, "left_behind_child": 0.01,
               "released_prisoner": 0.0015, "community_correction": 0.0005, "drug_rehab": 0.0005,
               "petition_focus": 0.0002, "elderly_alone": 0.015}
OVERDUE_SHARE = 0.12


# --- regions -------------------------------------------------------------------------------

@dataclass
class RegionTable:
    """The regions the register hangs on, as arrays (rows sorted by code within each level)."""

    county_code: list[str]
    county_name: list[str]
    street_name: list[str]
    street_kind: list[str]          # 街道 镇 乡
    street_county: np.ndarray
    comm_code: list[str]
    comm_name: list[str]
    comm_word: list[str]
    comm_urban: np.ndarray
    comm_street: np.ndarray
    grid_code: list[str]
    grid_comm: np.ndarray
    micro_code: list[str]
    micro_id: np.ndarray
    micro_grid: np.ndarray
    micro_geom: np.ndarray
    excl_name: list[str]
    excl_type: list[str]
    excl_comm: np.ndarray
    excl_xy: np.ndarray

    @classmethod
    def from_rows(cls, rows: Iterable[tuple]) -> RegionTable:
        """``rows``: (id, code, name, level, parent_code, geometry (shapely or WKB), exclusive_type,
        lon, lat) of the current regions."""
        by_level: dict[str, list[tuple]] = {}
        for r in rows:
            by_level.setdefault(r[3], []).append(r)
        for rs in by_level.values():
            rs.sort(key=lambda r: r[1])

        def level(name: str) -> list[tuple]:
            return by_level.get(name, [])

        def parents(rs: list[tuple], parent_rows: list[tuple]) -> np.ndarray:
            pos = {r[1]: i for i, r in enumerate(parent_rows)}
            return np.array([pos[r[4]] for r in rs], dtype=np.int64)

        counties, streets, comms = level("county"), level("street"), level("community")
        grids, micros, excl = level("grid"), level("micro_grid"), level("exclusive_grid")
        if not grids or not micros:
            raise ValueError("the register needs grids and micro-grids: load the regions first")
        geoms = [r[5] for r in micros]
        if geoms and isinstance(geoms[0], (bytes, bytearray, memoryview)):
            geoms = shapely.from_wkb([bytes(g) for g in geoms])
        excl_xy = np.zeros((len(excl), 2))
        for i, r in enumerate(excl):
            if r[7] is not None:
                excl_xy[i] = (r[7], r[8])
            else:
                p = shapely.point_on_surface(r[5] if not isinstance(r[5], (bytes, memoryview)) else
                                             shapely.from_wkb(bytes(r[5])))
                excl_xy[i] = (p.x, p.y)
        street_kind = ["街道" if r[2].endswith("街道") else r[2][-1] for r in streets]
        comm_urban = np.array([r[2].endswith("社区") for r in comms])
        comm_word = [r[2].removesuffix("社区").removesuffix("村") for r in comms]
        return cls(
            county_code=[r[1] for r in counties], county_name=[r[2] for r in counties],
            street_name=[r[2] for r in streets], street_kind=street_kind, street_county=parents(streets, counties),
            comm_code=[r[1] for r in comms], comm_name=[r[2] for r in comms], comm_word=comm_word,
            comm_urban=comm_urban, comm_street=parents(comms, streets),
            grid_code=[r[1] for r in grids], grid_comm=parents(grids, comms),
            micro_code=[r[1] for r in micros], micro_id=np.array([r[0] for r in micros], dtype=np.int64),
            micro_grid=parents(micros, grids), micro_geom=np.array(geoms, dtype=object),
            excl_name=[r[2] for r in excl], excl_type=[r[6] or "other" for r in excl],
            excl_comm=parents(excl, comms) if excl else np.zeros(0, np.int64), excl_xy=excl_xy,
        )

    @classmethod
    def from_specs(cls, specs: Sequence[Any]) -> RegionTable:
        """From :func:`gridgov.demo.geometry.generate_regions` output (ids are positions + 1)."""
        return cls.from_rows((i + 1, s.code, s.name, s.level, s.parent_code, s.geometry, s.exclusive_type, None, None)
                             for i, s in enumerate(specs))

    @classmethod
    def from_db(cls, db) -> RegionTable:
        from sqlalchemy import select

        from gridgov.regions.models import Region

        levels = ("county", "street", "community", "grid", "micro_grid", "exclusive_grid")
        rows = db.execute(select(Region.id, Region.code, Region.name, Region.level, Region.parent_code,
                                 Region.geometry, Region.exclusive_type, Region.lon, Region.lat)
                          .where(Region.valid_to.is_(None), Region.level.in_(levels))).all()
        rows = [tuple(r) if r[3] == "micro_grid" else (*r[:5], None, *r[6:]) for r in rows]
        return cls.from_rows(rows)

    def grid_classes(self) -> np.ndarray:
        comm = self.grid_comm
        street = self.comm_street[comm]
        county = self.street_county[street]
        district = np.array([c in DISTRICTS for c in self.county_code])[county]
        town = np.array([k != "街道" for k in self.street_kind])[street]
        urban = self.comm_urban[comm]
        return np.where(~urban, RURAL, np.where(town, TOWN, np.where(district, CORE, SEAT))).astype(np.int64)


# --- the generated register ----------------------------------------------------------------

@dataclass
class Register:
    """Every generated table as columns; foreign keys are 0-based positions in the other table."""

    today: date
    buildings: dict[str, Any] = field(default_factory=dict)
    houses: dict[str, Any] = field(default_factory=dict)
    persons: dict[str, Any] = field(default_factory=dict)
    households: dict[str, Any] = field(default_factory=dict)
    members: dict[str, Any] = field(default_factory=dict)
    residences: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, Any] = field(default_factory=dict)
    visits: dict[str, Any] = field(default_factory=dict)
    organizations: dict[str, Any] = field(default_factory=dict)
    workers: dict[str, Any] = field(default_factory=dict)

    def house_texts(self, idx: np.ndarray) -> tuple[list[str], list[str], list[str]]:
        """Address, address key and code of the houses at positions ``idx`` (made on demand: a
        city's 1.2M houses would otherwise hold ~0.5 GB of strings)."""
        b, h = self.buildings, self.houses
        b_addr, b_key, b_code = b["address"], b["addr_key"], b["code"]
        bi = h["building"][idx].tolist()
        unit = h["unit"][idx].tolist()
        room = h["room"][idx].tolist()
        has_room = h["has_room"][idx].tolist()
        addresses, keys, codes = [], [], []
        for i, u, r, hr in zip(bi, unit, room, has_room):
            if hr:
                suffix = f"{u}单元{r}室" if u else f"{r}室"
                addresses.append(b_addr[i] + suffix)
                keys.append(b_key[i] + suffix)
                codes.append(f"{b_code[i]}-{u}-{r}")
            else:
                addresses.append(b_addr[i])
                keys.append(b_key[i])
                codes.append(f"{b_code[i]}-0-0")
        return addresses, keys, codes

    def counts(self) -> dict[str, int]:
        return {name: _length(getattr(self, name)) for name in
                ("buildings", "houses", "households", "persons", "members", "residences", "groups", "visits",
                 "organizations", "workers")}


def _length(columns: dict[str, Any]) -> int:
    for v in columns.values():
        if isinstance(v, (list, np.ndarray)):
            return len(v)
    return 0


def _days(d: date) -> int:
    return (d - EPOCH).days


def _date_strings(days: np.ndarray) -> np.ndarray:
    return (np.datetime64("1970-01-01") + np.asarray(days, dtype=np.int64).astype("timedelta64[D]")).astype(str)


def _weighted_pick(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """``n`` distinct positions drawn with probability ∝ ``weights`` (exponential keys)."""
    w = np.asarray(weights, dtype=float)
    n = int(min(n, int((w > 0).sum())))
    if n <= 0:
        return np.zeros(0, np.int64)
    keys = rng.exponential(size=len(w)) / np.where(w > 0, w, np.nan)
    keys = np.where(np.isnan(keys), np.inf, keys)
    return np.sort(np.argpartition(keys, n - 1)[:n]) if n < len(w) else np.flatnonzero(w > 0)


def _group_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """For a sorted key array, the position where each element's run of equal keys starts."""
    n = len(sorted_keys)
    if n == 0:
        return np.zeros(0, np.int64)
    new = np.ones(n, dtype=bool)
    new[1:] = sorted_keys[1:] != sorted_keys[:-1]
    return np.maximum.accumulate(np.where(new, np.arange(n), 0))


class _Namer:
    """Unique names within a scope: ``claim`` returns the first free candidate, else a numbered one."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def claim(self, candidates: Iterable[str], fallback: str, suffix: str = "期") -> str:
        for c in candidates:
            if c not in self.used:
                self.used.add(c)
                return c
        for n in range(2, 100_000):
            name = f"{fallback}{cn_number(n) if n < 100 else n}{suffix}"
            if name not in self.used:
                self.used.add(name)
                return name
        raise RuntimeError("ran out of names")


def _pick(rng: np.random.Generator, seq: Sequence[str]) -> str:
    return seq[int(rng.integers(len(seq)))]


# --- buildings and houses ------------------------------------------------------------------

@dataclass
class _Places:
    micro: list[int] = field(default_factory=list)
    kind: list[int] = field(default_factory=list)
    floors: list[int] = field(default_factory=list)
    units: list[int] = field(default_factory=list)
    rooms: list[int] = field(default_factory=list)      # per floor and unit; shops: shops on floor 1
    mixed: list[bool] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    address: list[str] = field(default_factory=list)
    key: list[str] = field(default_factory=list)
    xy: list[tuple[float, float] | None] = field(default_factory=list)
    org: list[int] = field(default_factory=list)        # exclusive grid served (-1: none)

    def add(self, micro: int, kind: int, floors: int, units: int, rooms: int, name: str, address: str, key: str,
            mixed: bool = False, xy: tuple[float, float] | None = None, org: int = -1) -> None:
        self.micro.append(micro)
        self.kind.append(kind)
        self.floors.append(floors)
        self.units.append(units)
        self.rooms.append(rooms)
        self.mixed.append(mixed)
        self.name.append(name)
        self.address.append(address)
        self.key.append(key)
        self.xy.append(xy)
        self.org.append(org)


class _Streets:
    """Road names per community and house numbers per road, unique within each county."""

    def __init__(self, rt: RegionTable, rng: np.random.Generator) -> None:
        self.rt, self.rng = rt, rng
        self.road_names = [_Namer() for _ in rt.county_code]
        self.compound_names = [_Namer() for _ in rt.county_code]
        self.roads: dict[int, list[str]] = {}
        self.next_no: dict[tuple[int, str], int] = {}
        self.village_no: dict[int, tuple[int, int, int]] = {}     # group, houses left in it, last house

    def county_of(self, comm: int) -> int:
        return int(self.rt.street_county[self.rt.comm_street[comm]])

    def road(self, comm: int) -> str:
        roads = self.roads.get(comm)
        if roads is None:
            county = self.county_of(comm)
            words = list(URBAN_WORDS) + [w for w in W.COMPOUND_WORDS if len(w) == 2]
            roads = []
            for _ in range(int(self.rng.integers(2, 4))):
                cands = [_pick(self.rng, words) + _pick(self.rng, W.ROAD_SUFFIXES) for _ in range(12)]
                roads.append(self.road_names[county].claim(cands, _pick(self.rng, words) + "路", "路"))
            self.roads[comm] = roads
        return _pick(self.rng, roads)

    def number(self, comm: int, road: str) -> int:
        key = (self.county_of(comm), road)
        n = self.next_no.get(key, int(self.rng.integers(1, 9)))
        self.next_no[key] = n + int(self.rng.integers(2, 13))
        return n

    def village_number(self, comm: int) -> str:
        """The next ``N组M号`` of a village (groups of 25–60 houses)."""
        group, left, house = self.village_no.get(comm, (0, 0, 0))
        if left <= 0:
            group, left, house = group + 1, int(self.rng.integers(25, 61)), 0
        self.village_no[comm] = (group, left - 1, house + 1)
        return f"{group}组{house + 1}号"

    def prefix(self, comm: int) -> str:
        rt = self.rt
        street = int(rt.comm_street[comm])
        return f"{rt.county_name[int(rt.street_county[street])]}{rt.street_name[street]}{rt.comm_name[comm]}"


def _sample_spec(rng: np.random.Generator, kind: int) -> tuple[int, int, int]:
    if kind == TOWER:
        return int(rng.integers(18, 34)), int(rng.choice([1, 2, 3], p=[0.3, 0.5, 0.2])), int(rng.integers(2, 5))
    if kind == MID:
        return int(rng.choice([7, 9, 11, 11, 11, 14, 17])), int(rng.integers(2, 4)), 2
    if kind == WALK:
        return int(rng.choice([5, 6, 7], p=[0.2, 0.7, 0.1])), int(rng.choice([1, 2, 3, 4], p=[0.15, 0.35, 0.35, 0.15])), 2
    return int(rng.integers(2, 5)), int(rng.integers(1, 3)), 2


def _urban_grid(places: _Places, streets: _Streets, rng: np.random.Generator, grid: int, cls: int, quota: int,
                micros: np.ndarray, comm: int) -> None:
    """Compounds of residential buildings for ``quota`` houses, spread over the grid's micro-grids;
    spare micro-grids sometimes get a shop or office building."""
    specs: list[tuple[int, int, int, int]] = []
    remaining = quota
    mix = URBAN_MIX[cls]
    while remaining > 6 or not specs:
        kind = int(rng.choice(4, p=mix))
        floors, units, rooms = _sample_spec(rng, kind)
        if floors * units * rooms > 1.4 * remaining + 6:        # too big for what is left: a smaller block
            kind = WALK if remaining > 10 else LOW
            units = 1 if remaining < 24 else 2
            floors = int(np.clip(math.ceil(remaining / (units * 2)), 2, 6))
            rooms = 2
        specs.append((kind, floors, units, rooms))
        remaining -= floors * units * rooms
    n, m = len(specs), len(micros)
    prefix = streets.prefix(comm)
    county = streets.county_of(comm)
    slot = (np.arange(n) * m) // n                               # spread evenly over the micro-grids
    j = 0
    while j < n:
        size = int(rng.integers(3, 13))
        block = specs[j:j + size]
        new = block[0][0] in (TOWER, MID)
        suffixes = W.COMPOUND_SUFFIXES_NEW if new else W.COMPOUND_SUFFIXES_OLD
        words = W.COMPOUND_WORDS + URBAN_WORDS
        cands = [_pick(rng, words) + _pick(rng, suffixes) for _ in range(10)]
        compound = streets.compound_names[county].claim(cands, cands[0], "期")
        road = streets.road(comm)
        no = streets.number(comm, road)
        for k, (kind, floors, units, rooms) in enumerate(block, start=1):
            key = f"{road}{no}号{compound}{k}号楼"
            mixed = kind == WALK and cls != TOWN and k == 1 and rng.random() < 0.5
            places.add(int(micros[slot[j + k - 1]]), kind, floors, units, rooms, f"{compound}{k}号楼",
                       prefix + key, key, mixed=mixed)
        j += size
    spare = np.setdiff1d(np.arange(m), slot)
    for s in spare[rng.random(len(spare)) < SPARE_COMMERCIAL[cls]]:
        label = _pick(rng, W.COMMERCIAL_NAMES)
        office = label in ("大厦", "写字楼", "商务楼")
        words = list(URBAN_WORDS) + list(BRANDS)
        name = streets.compound_names[county].claim([_pick(rng, words) + label for _ in range(8)],
                                                    _pick(rng, words) + label, "期")
        road = streets.road(comm)
        key = f"{road}{streets.number(comm, road)}号{name}"
        if office:
            places.add(int(micros[s]), OFFICE, int(rng.integers(5, 13)), 1, 2, name,
                       prefix + key, key)
        else:
            places.add(int(micros[s]), SHOPS, int(rng.integers(1, 5)), 1, int(rng.integers(2, 9)), name,
                       prefix + key, key)


def _village_grids(places: _Places, rt: RegionTable, streets: _Streets, rng: np.random.Generator,
                   grids: np.ndarray, quota: np.ndarray, micros_of: list[np.ndarray]) -> None:
    """One house per building, numbered ``X村N组M号`` within each village."""
    for g, q in zip(grids.tolist(), quota.tolist()):
        comm = int(rt.grid_comm[g])
        street = int(rt.comm_street[comm])
        street_prefix = f"{rt.county_name[int(rt.street_county[street])]}{rt.street_name[street]}"
        village = rt.comm_name[comm]
        micros = micros_of[g]
        share = rng.uniform(0.6, 1.4, len(micros))
        counts = np.floor(q * share / share.sum()).astype(np.int64)
        counts[: q - int(counts.sum())] += 1
        for micro, c in zip(micros.tolist(), counts.tolist()):
            for _ in range(c):
                key = village + streets.village_number(comm)      # address_key keeps 村 before N组
                places.micro.append(micro)
                places.kind.append(VILLAGE)
                places.floors.append(1)
                places.units.append(0)
                places.rooms.append(1)
                places.mixed.append(False)
                places.name.append(key)
                places.address.append(street_prefix + key)
                places.key.append(key)
                places.xy.append(None)
                places.org.append(-1)


def _exclusive_places(places: _Places, rt: RegionTable, streets: _Streets, rng: np.random.Generator) -> None:
    """A building for each exclusive grid (school, hospital, market …), at its label point."""
    if not len(rt.excl_name):
        return
    tree = shapely.STRtree(rt.micro_geom)
    pts = shapely.points(rt.excl_xy)
    hit_pt, hit_poly = tree.query(pts, predicate="intersects")
    owner = np.full(len(pts), -1, dtype=np.int64)
    first = np.unique(hit_pt, return_index=True)
    owner[first[0]] = hit_poly[first[1]]
    missing = np.flatnonzero(owner < 0)
    if len(missing):
        owner[missing] = tree.nearest(pts[missing])
    for i, (name, kind) in enumerate(zip(rt.excl_name, rt.excl_type)):
        comm = int(rt.excl_comm[i])
        title = name.removesuffix("专属网格")
        if rt.comm_urban[comm]:
            road = streets.road(comm)
            key = f"{road}{streets.number(comm, road)}号{title}"
        else:       # a village address: 王家堡村3组61号王家堡村卫生室
            key = rt.comm_name[comm] + streets.village_number(comm) + title
        bkind = SHOPS if kind == "market" else PUBLIC
        floors = int(rng.integers(1, 7)) if kind != "park" else 1
        prefix = streets.prefix(comm) if rt.comm_urban[comm] else streets.prefix(comm).removesuffix(rt.comm_name[comm])
        places.add(int(owner[i]), bkind, floors, 1, 0, title, prefix + key, key,
                   xy=(float(rt.excl_xy[i, 0]), float(rt.excl_xy[i, 1])), org=i)


def _houses_of(kind: np.ndarray, floors: np.ndarray, units: np.ndarray, rooms: np.ndarray,
               mixed: np.ndarray) -> dict[str, np.ndarray]:
    """House positions of every building: (building, unit, floor, room, use code)."""
    n = len(kind)
    apt = kind <= LOW
    cap = np.zeros(n, dtype=np.int64)
    cap[apt] = floors[apt] * units[apt] * rooms[apt]
    cap[kind == VILLAGE] = 1
    shops = kind == SHOPS
    cap[shops] = rooms[shops]
    office = kind == OFFICE
    cap[office] = 2 + (floors[office] - 1) * rooms[office]      # two shops on the ground floor, offices above
    b = np.repeat(np.arange(n), cap)
    k = np.arange(len(b)) - np.repeat(np.cumsum(cap) - cap, cap)
    unit = np.zeros(len(b), dtype=np.int64)
    floor = np.zeros(len(b), dtype=np.int64)
    room = np.zeros(len(b), dtype=np.int64)
    use = np.zeros(len(b), dtype=np.int64)                      # 0 residential 1 commercial 2 office
    ka = kind[b]
    a = ka <= LOW
    per_unit = (floors * rooms)[b]
    unit[a] = k[a] // per_unit[a] + 1
    rem = k[a] % per_unit[a]
    floor[a] = rem // rooms[b][a] + 1
    room[a] = rem % rooms[b][a] + 1
    use[a & mixed[b] & (floor == 1)] = 1
    s = ka == SHOPS
    floor[s], room[s], use[s] = 1, k[s] + 1, 1
    o = ka == OFFICE
    ground = o & (k < 2)
    floor[ground], room[ground], use[ground] = 1, k[ground] + 1, 1
    up = o & (k >= 2)
    floor[up] = (k[up] - 2) // rooms[b][up] + 2
    room[up] = (k[up] - 2) % rooms[b][up] + 1
    use[up] = 2
    return {"building": b, "unit": unit, "floor": floor, "room": room, "use": use}


# --- people --------------------------------------------------------------------------------

class _Members:
    """Members of households of one type, slot by slot."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, hh: np.ndarray, rel: int, male: np.ndarray, age: np.ndarray, own_surname: np.ndarray | bool,
            present: np.ndarray | None = None) -> None:
        n = len(hh)
        own = np.broadcast_to(np.asarray(own_surname, dtype=bool), (n,))
        keep = np.ones(n, dtype=bool) if present is None else present
        self.parts.append((hh[keep], np.full(int(keep.sum()), rel), np.asarray(male)[keep],
                           np.asarray(age, dtype=float)[keep], own[keep]))

    def arrays(self) -> tuple[np.ndarray, ...]:
        return tuple(np.concatenate([p[i] for p in self.parts]) for i in range(5))


def _couple(rng, n, lo, hi, male_head=0.8, head_age=None):
    age = rng.uniform(lo, hi, n) if head_age is None else head_age
    male = rng.random(n) < male_head
    spouse = np.clip(age + np.where(male, -1, 1) * rng.normal(2.0, 2.5, n), 18, 100)
    mother = np.where(male, spouse, age)
    return age, male, spouse, mother


def _child_age(rng, mother, lo=22, hi=34, cap=None):
    age = mother - rng.uniform(lo, hi, len(mother))
    feasible = np.maximum(mother - lo, 0.5)           # a young mother: any age her child can have
    age = np.where(age < 0, rng.random(len(mother)) * feasible, age)
    return age if cap is None else np.minimum(age, cap)


def _household_members(rng: np.random.Generator, types: np.ndarray, names: Sequence[str]) -> tuple[np.ndarray, ...]:
    """Members of every household: (household, relation, male, age, own surname), head first."""
    m = _Members()
    t = {name: np.flatnonzero(types == i) for i, name in enumerate(names)}

    def one(name):
        return t.get(name, np.zeros(0, np.int64))

    hh = one("elderly_alone")
    m.add(hh, HEAD, rng.random(len(hh)) < 0.35, 60 + np.minimum(rng.gamma(2.2, 6.5, len(hh)), 39), False)
    hh = one("adult_alone")
    m.add(hh, HEAD, rng.random(len(hh)) < 0.55, 22 + rng.beta(1.3, 2.0, len(hh)) * 38, False)
    for name, lo, hi in (("elderly_couple", None, None), ("empty_nest", 45, 60)):
        hh = one(name)
        head_age = 60 + np.minimum(rng.gamma(2.0, 5.5, len(hh)), 36) if lo is None else None
        age, male, spouse, _ = _couple(rng, len(hh), lo or 0, hi or 0, 0.85, head_age)
        m.add(hh, HEAD, male, age, False)
        m.add(hh, SPOUSE, ~male, spouse, True)
    hh = one("one_child")
    age, male, spouse, mother = _couple(rng, len(hh), 25, 62)
    m.add(hh, HEAD, male, age, False)
    m.add(hh, SPOUSE, ~male, spouse, True)
    m.add(hh, CHILD, rng.random(len(hh)) < 0.515, _child_age(rng, mother, 23, 36), rng.random(len(hh)) < 0.05)
    hh = one("two_children")
    age, male, spouse, mother = _couple(rng, len(hh), 28, 50)
    first = _child_age(rng, mother, 22, 32)
    m.add(hh, HEAD, male, age, False)
    m.add(hh, SPOUSE, ~male, spouse, True)
    m.add(hh, CHILD, rng.random(len(hh)) < 0.515, first, False)
    m.add(hh, CHILD, rng.random(len(hh)) < 0.515, np.maximum(first - rng.uniform(1, 8, len(hh)), 0.1), False)
    hh = one("three_generations")
    age, male, spouse, mother = _couple(rng, len(hh), 30, 52)
    m.add(hh, HEAD, male, age, False)
    m.add(hh, SPOUSE, ~male, spouse, True)
    m.add(hh, CHILD, rng.random(len(hh)) < 0.515, _child_age(rng, mother), False)
    father = np.minimum(age + rng.uniform(24, 34, len(hh)), 99)
    both = rng.random(len(hh)) < 0.45
    mother_only = ~both & (rng.random(len(hh)) < 0.7)
    m.add(hh, PARENT, np.ones(len(hh), bool), father, ~male, present=both | ~mother_only)
    m.add(hh, PARENT, np.zeros(len(hh), bool), np.clip(father - rng.uniform(0, 4, len(hh)), 40, 99), True,
          present=both | mother_only)
    hh = one("skipped_generation")
    age = rng.uniform(52, 78, len(hh))
    male = rng.random(len(hh)) < 0.8
    m.add(hh, HEAD, male, age, False)
    m.add(hh, SPOUSE, ~male, np.clip(age + np.where(male, -2, 2), 45, 99), True, present=rng.random(len(hh)) < 0.8)
    m.add(hh, GRANDCHILD, rng.random(len(hh)) < 0.52, rng.uniform(2, 15.9, len(hh)), rng.random(len(hh)) < 0.25)
    m.add(hh, GRANDCHILD, rng.random(len(hh)) < 0.52, rng.uniform(2, 15.9, len(hh)), rng.random(len(hh)) < 0.25,
          present=rng.random(len(hh)) < 0.2)
    hh = one("single_parent")
    age = rng.uniform(28, 55, len(hh))
    male = rng.random(len(hh)) < 0.3
    m.add(hh, HEAD, male, age, False)
    m.add(hh, CHILD, rng.random(len(hh)) < 0.515, _child_age(rng, age), ~male)
    hh = one("extended")
    age, male, spouse, mother = _couple(rng, len(hh), 50, 68, 0.9)
    son = np.maximum(_child_age(rng, mother, 22, 30), 22)
    wife = np.clip(son + rng.normal(-1.5, 2.0, len(hh)), 20, 60)
    m.add(hh, HEAD, male, age, False)
    m.add(hh, SPOUSE, ~male, spouse, True)
    m.add(hh, CHILD, np.ones(len(hh), bool), son, False)
    m.add(hh, OTHER, np.zeros(len(hh), bool), wife, True)
    m.add(hh, GRANDCHILD, rng.random(len(hh)) < 0.515, _child_age(rng, wife, 23, 34, cap=14), False,
          present=rng.random(len(hh)) < 0.8)
    # floating households (tenants)
    hh = one("worker")
    m.add(hh, HEAD, rng.random(len(hh)) < 0.6, rng.uniform(18, 46, len(hh)), False)
    hh = one("couple")
    age, male, spouse, _ = _couple(rng, len(hh), 22, 50, 0.85)
    m.add(hh, HEAD, male, age, False)
    m.add(hh, SPOUSE, ~male, spouse, True)
    hh = one("family")
    age, male, spouse, mother = _couple(rng, len(hh), 25, 45, 0.85)
    m.add(hh, HEAD, male, age, False)
    m.add(hh, SPOUSE, ~male, spouse, True)
    m.add(hh, CHILD, rng.random(len(hh)) < 0.515, _child_age(rng, mother, 22, 32, cap=15), False)
    hh = one("shared")
    age = rng.uniform(18, 40, len(hh))
    male = rng.random(len(hh)) < 0.55
    m.add(hh, HEAD, male, age, False)
    same = rng.random(len(hh)) < 0.8
    m.add(hh, TENANT, np.where(same, male, ~male), rng.uniform(18, 40, len(hh)), True)
    m.add(hh, TENANT, np.where(same, male, ~male), rng.uniform(18, 40, len(hh)), True,
          present=rng.random(len(hh)) < 0.4)
    hh_, rel, male_, age_, own = m.arrays()
    order = np.lexsort((rel != HEAD, hh_))         # by household, head first
    return hh_[order], rel[order], male_[order].astype(bool), age_[order], own[order]


def _surname_table() -> tuple[list[str], np.ndarray, np.ndarray]:
    names = [s for s, _ in W.SURNAMES]
    w = np.array([x for _, x in W.SURNAMES], dtype=float)
    manchu = np.array([s in W.MANCHU_SURNAMES for s in names])
    return names, w / w.sum(), manchu


def _given_names(rng: np.random.Generator, male: np.ndarray, birth_year: np.ndarray) -> list[str]:
    cohort = np.searchsorted(np.array(W.COHORT_YEARS), birth_year, side="right")
    out = np.empty(len(male), dtype=object)
    single = rng.random(len(male)) < np.array(W.SINGLE_CHAR_SHARE)[cohort]
    for c in range(4):
        for is_male, pools in ((True, W.GIVEN_MALE), (False, W.GIVEN_FEMALE)):
            sel = np.flatnonzero((cohort == c) & (male == is_male))
            if not len(sel):
                continue
            pool = np.array(list(pools[c]), dtype=object)
            a = pool[rng.integers(len(pool), size=len(sel))]
            b = pool[rng.integers(len(pool), size=len(sel))]
            out[sel] = np.where(single[sel] | (a == b), a, a + b)
    return out


def _names(rng: np.random.Generator, male: np.ndarray, birth_year: np.ndarray,
           surname_idx: np.ndarray | None = None) -> np.ndarray:
    surnames, p, _ = _surname_table()
    if surname_idx is None:
        surname_idx = rng.choice(len(surnames), size=len(male), p=p)
    return np.array(surnames, dtype=object)[surname_idx] + _given_names(rng, male, birth_year)


@lru_cache(maxsize=4096)
def _char_pinyin(ch: str) -> str:
    from gridgov.people.service import pinyin_of

    return pinyin_of(ch)[0]


def _name_pinyin(name: str) -> tuple[str, str]:
    """``pinyin_of(name)``, from a per-character cache when no part of the name is a pypinyin phrase
    (then pypinyin reads it character by character anyway: the result is the same, 20x faster)."""
    from pypinyin.constants import PHRASES_DICT

    from gridgov.people.service import pinyin_of

    if any(name[i:j] in PHRASES_DICT for i in range(len(name)) for j in range(i + 2, len(name) + 1)):
        return pinyin_of(name)
    syllables = [_char_pinyin(c) for c in name]
    return "".join(syllables)[:120], "".join(s[0] for s in syllables if s)[:20]


def _pinyin(names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pinyin and initials exactly as the people service computes them, once per distinct name."""
    unique, inverse = np.unique(names.astype(str), return_inverse=True)
    pairs = [_name_pinyin(n) for n in unique.tolist()]
    full = np.array([a for a, _ in pairs], dtype=object)
    initials = np.array([b for _, b in pairs], dtype=object)
    return full[inverse], initials[inverse]


def _cpca_counties() -> dict[str, list[str]]:
    from gridgov.demo.names import _cpca_table

    out: dict[str, list[str]] = {}
    for code, d in _cpca_table().items():
        if len(code) == 6 and d.lon is not None and not code.endswith("01"):
            out.setdefault(code[:2], []).append(code)
            out.setdefault(code[:4], []).append(code)
    return {k: sorted(v) for k, v in out.items()}


def _division_path(code: str) -> str:
    from gridgov.demo.names import _cpca_table

    table = _cpca_table()
    parts = [table[c].name for c in (code[:2], code[:4], code) if c in table]
    return "".join(dict.fromkeys(parts))


def _citizen_ids(rng: np.random.Generator, region: np.ndarray, birth_days: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Valid, unique 18-character IDs: sequence codes counted within (region, birth date, sex)."""
    from gridgov.codes.citizen_id import CHECK_CHARS, WEIGHTS

    regions, ridx = np.unique(region.astype(str), return_inverse=True)
    key = (ridx.astype(np.int64) * 100_000 + birth_days) * 2 + male
    order = np.argsort(key, kind="stable")
    ks = key[order]
    start = _group_starts(ks)
    rank = np.arange(len(ks)) - start
    offset = rng.integers(0, 500, len(ks))[start]
    if len(rank) and rank.max() >= 500:
        raise RuntimeError("more than 500 persons share a region, birth date and sex")
    seq = np.empty(len(key), dtype=np.int64)
    seq[order] = 2 * ((offset + rank) % 500) + male[order]
    w = np.array(WEIGHTS)
    rdig = np.array([[int(c) for c in r] for r in regions.tolist()]).reshape(len(regions), 6)
    rsum = rdig @ w[:6]
    dates = np.char.replace(_date_strings(birth_days), "-", "")
    ddig = dates.view("<U1").reshape(len(dates), 8).astype(np.int64)
    total = rsum[ridx] + ddig @ w[6:14] + (seq // 100) * w[14] + (seq // 10 % 10) * w[15] + (seq % 10) * w[16]
    check = np.array(list(CHECK_CHARS))[total % 11]
    return np.array([f"{r}{d}{s:03d}{c}" for r, d, s, c in
                     zip(regions[ridx].tolist(), dates.tolist(), seq.tolist(), check.tolist())], dtype=object)


PHONE_PREFIXES = (130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 155, 156, 157, 158, 159, 176,
                  177, 178, 180, 181, 182, 183, 185, 186, 187, 188, 189, 191, 198, 199, 166, 147, 173, 175)


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct mobile numbers (int64)."""
    out = np.array(PHONE_PREFIXES)[rng.integers(len(PHONE_PREFIXES), size=n)] * 10**8 + rng.integers(0, 10**8, n)
    for _ in range(20):
        _, first = np.unique(out, return_index=True)
        dup = np.setdiff1d(np.arange(n), first)
        if not len(dup):
            break
        out[dup] = np.array(PHONE_PREFIXES)[rng.integers(len(PHONE_PREFIXES), size=len(dup))] * 10**8 + \
            rng.integers(0, 10**8, len(dup))
    return out


def _tokens(rng: np.random.Generator, n: int) -> list[str]:
    raw = rng.bytes(12 * n)
    out = [base64.urlsafe_b64encode(raw[i:i + 12]).decode() for i in range(0, 12 * n, 12)]
    if len(set(out)) != n:
        raise RuntimeError("declare tokens collided")
    return out


def _h3(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    from gridgov.regions.geo import h3_cells
    from gridgov.settings import get_settings

    return h3_cells(lon, lat, get_settings().h3_resolution) if len(lon) else np.zeros(0, np.int64)


# --- the generator -------------------------------------------------------------------------

def generate_register(rt: RegionTable, scale: str, seed: int, today: date | None = None,
                      progress: Progress | None = None, persons: int | None = None) -> Register:
    """Generate the whole register for ``rt`` (deterministic for a seed and ``today``)."""
    report = progress or (lambda stage, done, total: None)
    today = today or date.today()
    rng = np.random.default_rng([seed, 20_261_122])
    target = persons or PERSONS[scale]
    reg = Register(today=today)
    report("生成楼栋", 0, 3)
    b = _generate_buildings(rt, rng, target)
    report("生成楼栋", 1, 3)
    h = _houses_of(b["kind"], b["floors"], b["units"], b["rooms"], b["mixed"])
    report("生成楼栋", 2, 3)
    reg.buildings, reg.houses = b, _house_columns(rng, b, h)
    report("生成楼栋", 3, 3)
    report("生成人口", 0, 3)
    _generate_people(rng, rt, reg, target, today, report)
    report("生成人口", 3, 3)
    report("生成特殊人群", 0, 1)
    _generate_groups(rng, rt, reg, today)
    report("生成特殊人群", 1, 1)
    report("生成单位", 0, 1)
    _generate_organizations(rng, rt, reg, target)
    _generate_workers(rng, rt, reg)
    report("生成单位", 1, 1)
    return reg


def _generate_buildings(rt: RegionTable, rng: np.random.Generator, persons: int) -> dict[str, Any]:
    cls = rt.grid_classes()
    n_grid = len(rt.grid_code)
    weight = GRID_WEIGHT[cls] * rng.lognormal(0, 0.25, n_grid)
    from gridgov.demo.tiling import apportion

    quota = apportion(round(persons * HOUSES_PER_PERSON * RESIDENTIAL_QUOTA), weight, 1)
    order = np.argsort(rt.micro_grid, kind="stable")
    bounds = np.searchsorted(rt.micro_grid[order], np.arange(n_grid + 1))
    micros_of = [order[bounds[g]:bounds[g + 1]] for g in range(n_grid)]
    places = _Places()
    streets = _Streets(rt, rng)
    for g in np.flatnonzero(cls != RURAL).tolist():
        _urban_grid(places, streets, rng, g, int(cls[g]), int(quota[g]), micros_of[g], int(rt.grid_comm[g]))
    rural = np.flatnonzero(cls == RURAL)
    _village_grids(places, rt, streets, rng, rural, quota[rural], micros_of)
    _exclusive_places(places, rt, streets, rng)

    micro = np.array(places.micro, dtype=np.int64)
    order = np.argsort(micro, kind="stable")
    micro = micro[order]
    kind = np.array(places.kind, dtype=np.int64)[order]
    n = len(micro)
    fixed = np.array([p is not None for p in places.xy])[order]
    xy = np.zeros((n, 2))
    if fixed.any():
        xy[fixed] = np.array([places.xy[i] for i in order[fixed]])
    counts = np.bincount(micro[~fixed], minlength=len(rt.micro_code))
    from gridgov.demo.tiling import points_in

    sampled, _ = points_in(rt.micro_geom, counts, rng)
    xy[~fixed] = sampled
    xy = np.round(xy, 7)
    rank = np.arange(n) - _group_starts(micro)
    codes = [f"B{rt.micro_code[m]}{r + 1:05d}" for m, r in zip(micro.tolist(), rank.tolist())]
    lo = np.array([BUILT[k][0] for k in range(8)])[kind]
    hi = np.array([BUILT[k][1] for k in range(8)])[kind]
    built = rng.integers(lo, hi)
    use = np.array(KIND_USE, dtype=object)[kind]
    mixed = np.array(places.mixed)[order]
    use[mixed] = "mixed"
    pick = order.tolist()
    return {
        "micro": micro, "kind": kind, "code": codes,
        "name": [places.name[i] for i in pick], "address": [places.address[i] for i in pick],
        "addr_key": [places.key[i] for i in pick],
        "use": use, "floors": np.array(places.floors, dtype=np.int64)[order],
        "units": np.array(places.units, dtype=np.int64)[order], "rooms": np.array(places.rooms, dtype=np.int64)[order],
        "mixed": mixed, "built_year": built, "lon": xy[:, 0], "lat": xy[:, 1], "h3": _h3(xy[:, 0], xy[:, 1]),
        "declare_token": _tokens(rng, n), "org": np.array(places.org, dtype=np.int64)[order],
    }


def _house_columns(rng: np.random.Generator, b: dict[str, Any], h: dict[str, np.ndarray]) -> dict[str, Any]:
    bi, unit, floor, room, use = h["building"], h["unit"], h["floor"], h["room"], h["use"]
    kind = b["kind"][bi]
    n = len(bi)
    room_no = np.where(room > 0, floor * 100 + room, 0)
    has_room = (kind != VILLAGE) & (room > 0)
    mean = np.array([100, 85, 65, 80, 100, 45, 60, 60], dtype=float)[kind]
    sd = np.array([25, 20, 15, 20, 30, 25, 20, 20], dtype=float)[kind]
    area = np.round(np.clip(rng.normal(mean, sd), 18, 260), 1)
    area[use == 1] = np.round(np.clip(rng.normal(45, 25, int((use == 1).sum())), 12, 300), 1)
    uses = np.array(["residential", "commercial", "office"], dtype=object)[use]
    return {"building": bi, "unit": unit, "floor": floor, "room": room_no, "has_room": has_room, "use": uses,
            "use_code": use, "area_m2": area, "n": n}


def _generate_people(rng: np.random.Generator, rt: RegionTable, reg: Register, target: int, today: date,
                     report: Progress) -> None:
    b, h = reg.buildings, reg.houses
    cls_grid = rt.grid_classes()
    b_grid = rt.micro_grid[b["micro"]]
    b_cls = cls_grid[b_grid]
    h_b = h["building"]
    n_house = len(h_b)
    h_cls = b_cls[h_b]
    h_kind = b["kind"][h_b]
    residential = np.flatnonzero(h["use_code"] == 0)
    # who lives where: houses in a random order weighted by how lived-in that kind is; rented ones
    # hold floating households; fill until the target population is reached
    liveliness = np.array([0.75, 0.95, 1.0, 1.0, 1.25, 0, 0, 0])[h_kind[residential]]
    liveliness = liveliness * np.where(b["built_year"][h_b[residential]] >= 2018, 0.7, 1.0)
    keys = rng.exponential(size=len(residential)) / liveliness
    candidates = residential[np.argsort(keys)]
    rented = rng.random(len(candidates)) < np.array([RENTED_SHARE[c] for c in range(4)])[h_cls[candidates]]
    local_names, floating_names = list(LOCAL_TYPES), list(FLOATING_TYPES)
    names = local_names + floating_names
    urban_p = np.array([v[0] for v in LOCAL_TYPES.values()])
    rural_p = np.array([v[1] for v in LOCAL_TYPES.values()])
    float_p = np.array(list(FLOATING_TYPES.values()))
    rural = h_cls[candidates] == RURAL
    u = rng.random(len(candidates))
    types = np.where(rural, np.searchsorted(np.cumsum(rural_p), u * rural_p.sum()),
                     np.searchsorted(np.cumsum(urban_p), u * urban_p.sum()))
    types = np.where(rented, len(local_names) + np.searchsorted(np.cumsum(float_p), u * float_p.sum()), types)
    types = np.minimum(types, len(names) - 1)
    mean_size = np.array([1, 1, 2, 2, 3, 4, 4.5, 3.1, 2, 5, 1, 2, 3, 2.4])[types]
    take = int(np.searchsorted(np.cumsum(mean_size), target)) + 1
    take = min(take, len(candidates))
    occ_order = np.argsort(candidates[:take])                    # households in house order
    hh_house = candidates[:take][occ_order]
    hh_type = types[:take][occ_order]
    hh_floating = rented[:take][occ_order]
    n_hh = len(hh_house)
    hh, rel, male, age, own_surname = _household_members(rng, hh_type, names)
    n = len(hh)
    report("生成人口", 1, 3)

    # birth dates, surnames, ethnicity, names
    today_days = _days(today)
    birth = today_days - np.floor(age * 365.25 + rng.uniform(0, 365, n)).astype(np.int64)
    birth = np.clip(birth, _days(date(1905, 1, 1)), today_days - 1)
    birth_year = (np.datetime64("1970-01-01") + birth.astype("timedelta64[D]")).astype("datetime64[Y]").astype(
        np.int64) + 1970
    eth_names = np.array([e for e, _ in W.ETHNICITIES], dtype=object)
    eth_p = np.array([p for _, p in W.ETHNICITIES])
    eth_p = eth_p / eth_p.sum()
    float_eth = np.array([0.95, 0.02, 0.01, 0.01, 0.005, 0.0, 0.0025, 0.0025])
    hh_eth = np.where(hh_floating, rng.choice(len(eth_p), n_hh, p=float_eth / float_eth.sum()),
                      rng.choice(len(eth_p), n_hh, p=eth_p))
    own_eth = own_surname & (rng.random(n) < 0.3)
    eth = np.where(own_eth, rng.choice(len(eth_p), n, p=eth_p), hh_eth[hh])
    surnames, sp, manchu = _surname_table()
    hh_surname = rng.choice(len(surnames), n_hh, p=sp)
    manchu_idx = np.flatnonzero(manchu)
    is_manchu = (eth_names[hh_eth] == "满族") & (rng.random(n_hh) < 0.4)
    hh_surname[is_manchu] = manchu_idx[rng.integers(len(manchu_idx), size=int(is_manchu.sum()))]
    surname = np.where(own_surname, rng.choice(len(surnames), n, p=sp), hh_surname[hh])
    name = _names(rng, male, birth_year, surname)
    pinyin, initials = _pinyin(name)

    # where they are registered: IDs carry the county of issue
    house = hh_house[hh]
    bld = h_b[house]
    micro = b["micro"][bld]
    grid = rt.micro_grid[micro]
    county = rt.street_county[rt.comm_street[rt.grid_comm[grid]]]
    county_codes = np.array(rt.county_code, dtype=object)
    floating = hh_floating[hh]
    overseas_hh = hh_floating & (rng.random(n_hh) < OVERSEAS_SHARE)
    overseas = overseas_hh[hh]
    ptype = np.where(overseas, OVERSEAS, np.where(floating, FLOATING, REGISTERED))
    counties = _cpca_counties()
    liaoyang = np.array(counties.get("2110", ["211021"]), dtype=object)
    liaoning = np.array([c for c in counties.get("21", ["210102"]) if not c.startswith("2110")], dtype=object)
    region = county_codes[county].copy()
    roll = rng.random(n)
    other_county = (ptype == REGISTERED) & (roll < 0.10)
    region[other_county] = liaoyang[rng.integers(len(liaoyang), size=int(other_county.sum()))]
    other_prov = (ptype == REGISTERED) & (roll >= 0.10) & (roll < 0.15)
    region[other_prov] = liaoning[rng.integers(len(liaoning), size=int(other_prov.sum()))]
    origin_codes = [c for c, _ in ORIGINS]
    origin_p = np.array([p for _, p in ORIGINS])
    hh_origin = rng.choice(len(origin_codes), n_hh, p=origin_p / origin_p.sum())
    fl = np.flatnonzero(ptype == FLOATING)
    same_place = rng.random(len(fl)) < 0.8                # families come from one county
    pick_origin = hh_origin[hh[fl]]
    fl_region = np.empty(len(fl), dtype=object)
    for k, code in enumerate(origin_codes):
        pool = [c for c in counties.get(code, []) if not c.startswith("2110") or code == "2110"]
        sel = np.flatnonzero(pick_origin == k)
        if not len(sel):
            continue
        hh_choice = rng.integers(len(pool), size=n_hh)
        own_choice = rng.integers(len(pool), size=len(sel))
        idx = np.where(same_place[sel], hh_choice[hh[fl[sel]]], own_choice)
        fl_region[sel] = np.array(pool, dtype=object)[idx]
    region[fl] = fl_region
    ov = np.flatnonzero(ptype == OVERSEAS)
    region[ov] = np.where(rng.random(len(ov)) < 0.7, "810000", "820000")
    cids = _citizen_ids(rng, region.astype(str), birth, male.astype(np.int64))
    report("生成人口", 2, 3)

    # phones
    years = (today_days - birth) / 365.25
    has_phone = rng.random(n) < np.select([years < 12, years < 16, years < 70, years < 80], [0.0, 0.5, 0.95, 0.75], 0.5)
    phones = np.zeros(n, dtype=np.int64)                    # 0: none
    phones[has_phone] = _phones(rng, int(has_phone.sum()))

    # moving in
    built_days = np.array([_days(date(int(y), 1, 1)) for y in range(1900, today.year + 1)])
    hh_built = built_days[np.clip(b["built_year"][h_b[hh_house]] - 1900, 0, len(built_days) - 1)]
    head_pos = np.flatnonzero(rel == HEAD)
    hh_head = np.full(n_hh, -1, dtype=np.int64)
    hh_head[hh[head_pos]] = head_pos
    missing = hh_head < 0
    if missing.any():       # cannot happen with the types above, but keep every household headed
        first = np.searchsorted(hh, np.arange(n_hh))
        hh_head[missing] = first[missing]
    head_adult = birth[hh_head] + round(20 * 365.25)
    start = np.maximum(hh_built, np.minimum(head_adult, today_days - 30))
    local_move = start + (rng.random(n_hh) * np.maximum(today_days - start, 1)).astype(np.int64)
    float_move = today_days - np.minimum(rng.exponential(700, n_hh), 8 * 365).astype(np.int64)
    hh_moved = np.where(hh_floating, np.maximum(float_move, hh_built), local_move)
    hh_moved = np.minimum(hh_moved, today_days - 1)
    moved = np.maximum(hh_moved[hh], birth)
    late = rel == PARENT
    moved[late] = moved[late] + (rng.random(int(late.sum())) * (today_days - moved[late])).astype(np.int64)

    # houses: status and owners
    status = np.full(n_house, VACANT, dtype=np.int64)
    status[h["use_code"] != 0] = np.where(rng.random(int((h["use_code"] != 0).sum())) < 0.65, BUSINESS, VACANT)
    status[hh_house] = np.where(hh_floating, RENTED, OCCUPIED)
    owner_pid = np.full(n_house, -1, dtype=np.int64)
    owner_pid[hh_house[~hh_floating]] = hh_head[~hh_floating]
    adult = (years >= 28) & (ptype == REGISTERED)
    landlords = _pick_in_group(rng, county, adult, county[hh_head[hh_floating]])
    owner_pid[hh_house[hh_floating]] = landlords
    owner_name = np.full(n_house, None, dtype=object)
    has_owner = owner_pid >= 0
    owner_name[has_owner] = name[owner_pid[has_owner]]
    nobody = np.flatnonzero(~has_owner)
    owner_name[nobody] = _names(rng, rng.random(len(nobody)) < 0.55, rng.integers(1945, 1995, len(nobody)))
    is_rental = status == RENTED
    is_rental[status == VACANT] = rng.random(int((status == VACANT).sum())) < 0.04

    h.update(status=np.array(HOUSE_STATUSES, dtype=object)[status], status_code=status, is_rental=is_rental,
             owner_pid=owner_pid, owner_name=owner_name)
    # 户籍: locals are registered at their home (their ID may come from where they were born);
    # the floating keep the county of their ID
    hukou_code = np.where(ptype == REGISTERED, county_codes[county], region)
    from gridgov.people.service import hukou_region  # natural length, as the service stores: 810000 → 81

    codes, at = np.unique(hukou_code.astype(str), return_inverse=True)
    hukou_code = np.array([hukou_region(None, c) for c in codes.tolist()], dtype=object)[at]
    hukou_address = np.full(n, None, dtype=object)         # None: the house's address
    other = np.flatnonzero(ptype != REGISTERED)
    paths = {c: _division_path(c) for c in np.unique(region[other].astype(str)).tolist()}
    hukou_address[other] = [paths[c] if not c.startswith(("81", "82")) else
                            ("香港特别行政区" if c.startswith("81") else "澳门特别行政区") for c in region[other].tolist()]
    reg.persons = {
        "household": hh, "relation": rel, "house": house, "building": bld, "micro": micro, "grid": grid,
        "county": county, "citizen_id": cids, "name": name, "name_pinyin": pinyin, "name_initials": initials,
        "sex": np.where(male, "male", "female").astype(object), "male": male, "birth": birth,
        "ethnicity": eth_names[eth], "phone": phones, "hukou_region_code": hukou_code,
        "hukou_address": hukou_address, "population_type": np.array(POPULATION_TYPES, dtype=object)[ptype],
        "ptype": ptype, "moved_in": moved, "age": years,
    }
    reg.households = {"house": hh_house, "head": hh_head, "floating": hh_floating, "type": hh_type,
                      "type_names": names, "moved": hh_moved}
    # registered households (户籍户) for local families: the same house, head and local members
    local_hh = ~hh_floating
    reg.households["registered"] = local_hh
    member_local = ~floating
    reg.members = {"household": hh, "person": np.arange(n), "relation": rel, "valid_from": moved,
                   "registered_household": np.where(member_local, hh, -1)}
    # residences: the current one, and for some an older one closed when they moved in
    role = np.where(floating, 2, np.where(np.arange(n) == hh_head[hh], 0, 1))      # owner family tenant
    prev = np.flatnonzero((rng.random(n) < np.where(floating, 0.25, 0.05)) & (moved - birth > 3 * 365))
    house_county = rt.street_county[rt.comm_street[rt.grid_comm[rt.micro_grid[b["micro"][h_b]]]]]
    prev_house = _pick_in_group(rng, house_county, np.zeros(n_house, bool), county[prev],
                                pool_index=residential, pool_group=house_county[residential])
    span = moved[prev] - np.maximum(birth[prev], moved[prev] - 15 * 365)
    prev_from = moved[prev] - (rng.uniform(0.2, 1.0, len(prev)) * span).astype(np.int64)
    reg.residences = {
        "person": np.concatenate([np.arange(n), prev]), "house": np.concatenate([house, prev_house]),
        "role": np.concatenate([role, np.where(floating[prev], 2, 1)]),
        "valid_from": np.concatenate([moved, prev_from]),
        "valid_to": np.concatenate([np.full(n, -1, np.int64), moved[prev]]),
    }


def _pick_in_group(rng: np.random.Generator, group: np.ndarray, eligible: np.ndarray, wanted: np.ndarray,
                   pool_index: np.ndarray | None = None, pool_group: np.ndarray | None = None) -> np.ndarray:
    """For each value in ``wanted`` a random pool element of the same group (any pool element when
    the group has none). The pool is the positions where ``eligible`` (or ``pool_index`` with its
    ``pool_group``)."""
    if pool_index is None:
        pool_index = np.flatnonzero(eligible)
        pool_group = group[pool_index]
    if not len(pool_index):
        return np.full(len(wanted), -1, dtype=np.int64)
    order = np.argsort(pool_group, kind="stable")
    pool_index, pool_group = pool_index[order], pool_group[order]
    lo = np.searchsorted(pool_group, wanted, side="left")
    hi = np.searchsorted(pool_group, wanted, side="right")
    size = hi - lo
    anywhere = rng.integers(len(pool_index), size=len(wanted))
    inside = lo + (rng.random(len(wanted)) * np.maximum(size, 1)).astype(np.int64)
    return pool_index[np.where(size > 0, inside, anywhere)]


# --- special groups ------------------------------------------------------------------------

def _generate_groups(rng: np.random.Generator, rt: RegionTable, reg: Register, today: date) -> None:
    from gridgov.people.groups import GROUPS

    p = reg.persons
    n = len(p["birth"])
    today_days = _days(today)
    years = p["age"]
    adult = years >= 18
    male = p["male"]
    hh = p["household"]
    rel = p["relation"]
    rural = (rt.grid_classes()[p["grid"]] == RURAL)
    hh_type = reg.households["type"][hh]
    names = reg.households["type_names"]
    chosen: dict[str, np.ndarray] = {}
    alone = (hh_type == names.index("elderly_alone")) & (years >= 65)
    chosen["elderly_alone"] = _weighted_pick(rng, alone * (years - 60.0), round(GROUP_RATES["elderly_alone"] * n))
    chosen["disabled"] = _weighted_pick(rng, np.select([years < 18, years < 40, years < 60, years < 80],
                                                       [0.3, 1.0, 2.0, 4.0], 6.0), round(GROUP_RATES["disabled"] * n))
    # 低保 by household: all members of the households picked
    n_hh = len(reg.households["house"])
    hh_size = np.bincount(hh, minlength=n_hh)
    hh_w = np.where(reg.households["floating"], 0.0, 1.0)
    poor_types = [names.index(t) for t in ("elderly_alone", "single_parent", "skipped_generation")]
    hh_w = hh_w * np.where(np.isin(reg.households["type"], poor_types), 3.0, 1.0)
    hh_w = hh_w * np.where(rural[reg.households["head"]], 1.6, 1.0)
    keys = rng.exponential(size=n_hh) / np.where(hh_w > 0, hh_w, np.nan)
    hh_order = np.argsort(np.where(np.isnan(keys), np.inf, keys))
    k = int(np.searchsorted(np.cumsum(hh_size[hh_order]), GROUP_RATES["subsistence"] * n)) + 1
    poor = np.zeros(n_hh, dtype=bool)
    poor[hh_order[:k]] = True
    chosen["subsistence"] = np.flatnonzero(poor[hh])
    chosen["mental_disorder"] = _weighted_pick(rng, adult * 1.0, round(GROUP_RATES["mental_disorder"] * n))
    left = np.flatnonzero((hh_type == names.index("skipped_generation")) & (rel == GRANDCHILD) & (years < 16))
    left = left[np.argsort(~rural[left], kind="stable")]               # rural ones first
    chosen["left_behind_child"] = np.sort(left[: round(GROUP_RATES["left_behind_child"] * n)])
    band = (years >= 20) & (years < 65)
    chosen["released_prisoner"] = _weighted_pick(rng, band * np.where(male, 6.0, 1.0),
                                                 round(GROUP_RATES["released_prisoner"] * n))
    chosen["community_correction"] = _weighted_pick(rng, ((years >= 18) & (years < 60)) * np.where(male, 5.0, 1.0),
                                                    round(GROUP_RATES["community_correction"] * n))
    chosen["drug_rehab"] = _weighted_pick(rng, ((years >= 18) & (years < 55)) * np.where(male, 4.0, 1.0),
                                          round(GROUP_RATES["drug_rehab"] * n))
    chosen["petition_focus"] = _weighted_pick(rng, ((years >= 35) & (years < 75)) * 1.0,
                                              round(GROUP_RATES["petition_focus"] * n))

    person = np.concatenate([v for v in chosen.values()]).astype(np.int64)
    group = np.concatenate([np.full(len(v), g, dtype=object) for g, v in chosen.items()])
    m = len(person)
    interval = np.array([GROUPS[g].visit_interval_days for g in group.tolist()], dtype=np.int64)
    since = today_days - rng.integers(30, 6 * 365, m)
    since = np.maximum(since, p["birth"][person] + 1)
    attrs = np.empty(m, dtype=object)
    risk = np.full(m, "low", dtype=object)
    names_arr = p["name"]
    head = reg.households["head"]

    def iso(d: int) -> str:
        return date.fromordinal(EPOCH.toordinal() + int(d)).isoformat()

    for i in range(m):
        g, who = group[i], int(person[i])
        r = rng.random()
        if g == "community_correction":
            start = today_days - int(rng.integers(10, 900))
            end = start + int(rng.choice([180, 365, 730, 1095, 1460]))
            if end <= today_days:
                end = today_days + int(rng.integers(30, 400))
            since[i] = start
            attrs[i] = {"correction_type": str(rng.choice(["缓刑", "缓刑", "缓刑", "假释", "管制", "暂予监外执行"])),
                        "start_date": iso(start), "end_date": iso(end), "offence": _pick(rng, W.OFFENCES)}
            risk[i] = "medium" if r < 0.7 else "high"
        elif g == "released_prisoner":
            release = today_days - int(rng.integers(30, 5 * 365))
            since[i] = release
            attrs[i] = {"release_date": iso(release), "offence": _pick(rng, W.OFFENCES),
                        "resettlement": str(rng.choice(["已安置", "已安置", "帮教中", "未安置"]))}
            risk[i] = "medium" if r < 0.4 else "low"
        elif g == "drug_rehab":
            start = today_days - int(rng.integers(30, 3 * 365))
            since[i] = start
            attrs[i] = {"measure": str(rng.choice(["社区戒毒", "社区康复"])), "start_date": iso(start), "term_years": 3}
            risk[i] = "medium" if r < 0.6 else "high"
        elif g == "mental_disorder":
            level = int(rng.choice(6, p=[0.45, 0.3, 0.13, 0.08, 0.03, 0.01]))
            guardian = names_arr[head[hh[who]]] if head[hh[who]] != who else "（社区监护）"
            attrs[i] = {"diagnosis": _pick(rng, W.DIAGNOSES), "danger_level": level, "guardian": guardian}
            risk[i] = "high" if level >= 3 else ("medium" if level >= 1 else "low")
        elif g == "petition_focus":
            attrs[i] = {"claim": _pick(rng, W.PETITION_CLAIMS), "measures": _pick(rng, W.PETITION_MEASURES)}
            risk[i] = "medium" if r < 0.6 else "high"
        elif g == "left_behind_child":
            attrs[i] = {"guardian": names_arr[head[hh[who]]], "parents_workplace": _pick(rng, W.WORKPLACES)}
        elif g == "elderly_alone":
            health = str(rng.choice(W.HEALTH, p=[0.25, 0.45, 0.22, 0.08]))
            attrs[i] = {"health": health, "emergency_contact": None}
            risk[i] = "medium" if health in ("较差", "失能") else "low"
        elif g == "disabled":
            category = int(rng.choice(7, p=[0.12, 0.2, 0.03, 0.42, 0.08, 0.1, 0.05]))
            grade = int(rng.choice(4, p=[0.12, 0.24, 0.3, 0.34]))
            attrs[i] = {"category": ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")[category],
                        "grade": ("一级", "二级", "三级", "四级")[grade],
                        "certificate_no": f"{p['citizen_id'][who]}{category + 1}{grade + 1}"}
        elif g == "subsistence":
            approved = today_days - int(rng.integers(30, 6 * 365))
            since[i] = approved
            attrs[i] = {"category": "农村低保" if rural[who] else "城市低保",
                        "monthly_amount": int(rng.integers(8, 30)) * 25, "approved_on": iso(approved)}
    # emergency contacts of the elderly living alone: a made-up child with a phone
    alone = np.flatnonzero(group == "elderly_alone")
    contacts = _names(rng, rng.random(len(alone)) < 0.5, rng.integers(1960, 1990, len(alone)))
    contact_phones = _phones(rng, len(alone)).astype(str)
    for j, i in enumerate(alone.tolist()):
        relation = "儿子" if rng.random() < 0.5 else "女儿"
        attrs[i]["emergency_contact"] = f"{contacts[j]}（{relation}）{contact_phones[j]}"
    since = np.minimum(since, today_days - 1)
    # visits: most members had one; about OVERDUE_SHARE are past their due date
    visited = rng.random(m) < 0.9
    late = rng.random(m) < OVERDUE_SHARE
    ago = np.where(late, rng.uniform(1.05, 2.5, m), rng.uniform(0.0, 0.98, m)) * interval
    last = today_days - np.round(ago).astype(np.int64)
    visited &= last > since
    due = np.where(visited, last + interval, since + interval)
    # never visited yet: enrolled recently enough to be mostly on time
    fresh = ~visited
    since[fresh] = np.where(late[fresh], today_days - interval[fresh] - rng.integers(1, 20, int(fresh.sum())),
                            today_days - (rng.random(int(fresh.sum())) * interval[fresh]).astype(np.int64))
    due[fresh] = since[fresh] + interval[fresh]
    seconds = (last * 86_400 + rng.integers(1, 9, m) * 3600 + rng.integers(0, 3600, m))   # 09-17h Beijing
    reg.groups = {"person": person, "group": group, "attributes": [json.dumps(a, ensure_ascii=False) for a in attrs],
                  "risk_level": risk, "visit_interval_days": interval, "last_visit": np.where(visited, seconds, -1),
                  "next_visit_due": due, "valid_from": since, "grid": p["grid"][person], "micro": p["micro"][person]}
    vm = np.flatnonzero(visited)
    method = np.array(["home", "phone", "video"], dtype=object)[rng.choice(3, len(vm), p=[0.75, 0.2, 0.05])]
    content = [_pick(rng, W.VISIT_TEXT[g]) for g in group[vm].tolist()]
    findings = np.where(rng.random(len(vm)) < 0.85, "无异常", "已记录需求，跟进中").astype(object)
    reg.visits = {"member": vm, "person": person[vm], "visited_at": seconds[vm], "method": method,
                  "content": content, "findings": findings, "grid": p["grid"][person[vm]],
                  "micro": p["micro"][person[vm]]}


# --- organizations and grid workers ----------------------------------------------------------

ORG_MIX = (("individual", 0.55), ("enterprise", 0.30), ("school", 0.03), ("hospital", 0.05), ("social", 0.04),
           ("institution", 0.02), ("other", 0.01))
EXCLUSIVE_ORG = {"school": ("school", "1", "2"), "hospital": ("hospital", "1", "2"), "market": ("enterprise", "9", "1"),
                 "enterprise": ("enterprise", "9", "1"), "park": ("institution", "1", "2"),
                 "station": ("enterprise", "9", "1"), "government": ("government", "1", "1"),
                 "nursing_home": ("social", "5", "2"), "other": ("other", "9", "1")}
ORG_CODES = {"individual": ("9", "2"), "enterprise": ("9", "1"), "school": ("5", "2"), "hospital": ("9", "1"),
             "social": ("5", "1"), "institution": ("1", "2"), "other": ("9", "3")}


def _generate_organizations(rng: np.random.Generator, rt: RegionTable, reg: Register, target: int) -> None:
    from gridgov.codes import build_uscc
    from gridgov.codes.uscc import CHARSET

    b, p = reg.buildings, reg.persons
    total = max(round(len(p["birth"]) / PERSONS_PER_ORGANIZATION), 1)
    b_county = rt.street_county[rt.comm_street[rt.grid_comm[rt.micro_grid[b["micro"]]]]]
    excl_b = np.flatnonzero(b["org"] >= 0)
    rest = max(total - len(excl_b), 0)
    weight = np.array([0.6, 0.6, 0.6, 0.5, 0.15, 8.0, 6.0, 0.0])[b["kind"]] * np.where(b["mixed"], 6.0, 1.0)
    at = rng.choice(len(weight), size=rest, p=weight / weight.sum()) if rest else np.zeros(0, np.int64)
    kinds = [k for k, _ in ORG_MIX]
    kind_p = np.array([x for _, x in ORG_MIX])
    pick = rng.choice(len(kinds), rest, p=kind_p / kind_p.sum())
    county_names = rt.county_name
    namers = [_Namer() for _ in county_names]
    names: list[str] = []
    types: list[str] = []
    codes: list[tuple[str, str]] = []
    buildings: list[int] = []
    employees: list[int] = []
    for bi in excl_b.tolist():
        i = int(b["org"][bi])
        org_type, a, t = EXCLUSIVE_ORG.get(rt.excl_type[i], EXCLUSIVE_ORG["other"])
        county = int(b_county[bi])
        names.append(namers[county].claim([b["name"][bi]], b["name"][bi], "分部"))
        types.append(org_type)
        codes.append((a, t))
        buildings.append(bi)
        employees.append(int(rng.integers(20, 400)) if org_type in ("school", "hospital", "government")
                         else int(rng.integers(3, 120)))
    city_short = "辽阳"
    for bi, k in zip(at.tolist(), pick.tolist()):
        kind = kinds[k]
        county = int(b_county[bi])
        comm = int(rt.grid_comm[rt.micro_grid[b["micro"][bi]]])
        word = rt.comm_word[comm]
        cname = county_names[county]
        if kind == "individual":
            shop = _pick(rng, W.SHOP_KINDS)
            cands = [f"{cname}{word}{shop}", f"{cname}{_pick(rng, [s for s, _ in W.SURNAMES[:40]])}记{shop}",
                     f"{cname}{_pick(rng, URBAN_WORDS)}{shop}"]
            fallback, staff = f"{cname}{word}{shop}", int(rng.integers(1, 6))
        elif kind == "enterprise":
            cands = [f"{city_short}{_pick(rng, BRANDS)}{_pick(rng, INDUSTRIES)}有限公司" for _ in range(4)]
            cands.append(f"{cname}{_pick(rng, BRANDS)}{_pick(rng, INDUSTRIES)}有限责任公司")
            fallback, staff = cands[0].removesuffix("有限公司"), int(np.clip(rng.lognormal(3.0, 1.0), 3, 900))
        elif kind == "school":
            cands = [f"{cname}{word}{_pick(rng, W.SCHOOL_KINDS)}", f"{cname}{_pick(rng, URBAN_WORDS)}{_pick(rng, W.SCHOOL_KINDS)}"]
            fallback, staff = cands[0], int(rng.integers(5, 60))
        elif kind == "hospital":
            cands = [f"{cname}{word}{_pick(rng, W.CLINIC_KINDS)}",
                     f"{cname}{_pick(rng, [s for s, _ in W.SURNAMES[:40]])}氏{_pick(rng, W.CLINIC_KINDS)}"]
            fallback, staff = cands[0], int(rng.integers(2, 20))
        elif kind == "social":
            cands = [f"{cname}{word}{_pick(rng, W.SOCIAL_KINDS)}"]
            fallback, staff = cands[0], int(rng.integers(2, 25))
        elif kind == "institution":
            unit = _pick(rng, ("供水站", "文化站", "农机服务站", "综合服务中心", "劳动保障所"))
            cands = [f"{cname}{word}{unit}"]
            fallback, staff = cands[0], int(rng.integers(3, 40))
        else:
            cands = [f"{cname}{word}农民专业合作社", f"{cname}{_pick(rng, URBAN_WORDS)}农民专业合作社"]
            fallback, staff = cands[0].removesuffix("农民专业合作社") + "种植", int(rng.integers(5, 60))
            fallback += "农民专业合作社"
        names.append(namers[county].claim(cands, fallback, "分店" if kind == "individual" else "分部"))
        types.append(kind)
        codes.append(ORG_CODES[kind])
        buildings.append(bi)
        employees.append(staff)
    n = len(names)
    bidx = np.array(buildings, dtype=np.int64)
    county = b_county[bidx]
    ccodes = np.array(rt.county_code, dtype=object)[county]
    seen: set[str] = set()
    usccs = []
    body = np.array(list(CHARSET))[rng.integers(len(CHARSET), size=(n, 8))]
    for i in range(n):
        a, t = codes[i]
        code = build_uscc(a, t, ccodes[i], "".join(body[i]))
        while code in seen:
            code = build_uscc(a, t, ccodes[i], "".join(rng.choice(list(CHARSET), 8)))
        seen.add(code)
        usccs.append(code)
    # legal representatives: adults of the same basic grid
    grid = rt.micro_grid[b["micro"][bidx]]
    eligible = (p["age"] >= 25) & (p["age"] < 66)
    rep = _pick_in_group(rng, p["grid"], eligible, grid)
    contact = np.where(rng.random(n) < 0.5, rep, _pick_in_group(rng, p["grid"], eligible, grid))
    reg.organizations = {"building": bidx, "name": names, "org_type": types, "uscc": usccs, "employees": employees,
                         "legal_rep": rep, "contact": contact}


def _generate_workers(rng: np.random.Generator, rt: RegionTable, reg: Register) -> None:
    n = len(rt.grid_code)
    female = rng.random(n) < 0.7
    names = _names(rng, ~female, rng.integers(1972, 2000, n))
    reg.workers = {"grid": np.arange(n), "username": [f"gw{c}" for c in rt.grid_code],
                   "display_name": [f"网格员 {x}" for x in names.tolist()]}


# --- standard addresses --------------------------------------------------------------------

FORMER_COMPOUND_WORDS = ("机床", "纺织", "化纤", "水泥", "石化", "铁路", "电业", "粮库", "供销", "造纸", "棉麻", "轴承")
FORMER_COMPOUND_SUFFIXES = ("厂宿舍", "家属院", "职工宿舍", "家属楼")
FORMER_ROAD_WORDS = ("解放", "红旗", "东风", "跃进", "前进", "红卫", "反修", "文化", "工农", "新华")
FORMER_SHARE = 0.03              # of compounds and roads (at least one of each) with a former name (曾用名)


@dataclass
class AddressPlan:
    """The demo's standard address library as positions: every building, then every unit of an
    apartment building, then every house with a room number (``house_row``: each house's address
    row, its building's for houses without a room). Texts are made batch by batch (:meth:`columns`)."""

    elements: dict[str, np.ndarray]  # per building: province … building_no, text, key, code (object arrays)
    building: np.ndarray             # per row: the building
    unit: np.ndarray                 # per row: unit number (0: none)
    floor: np.ndarray
    room: np.ndarray                 # per row: room number (0: none)
    parent: np.ndarray               # per row: parent row (-1: none)
    house_row: np.ndarray
    n_buildings: int
    n_units: int

    @property
    def n(self) -> int:
        return len(self.building)

    def columns(self, lo: int, hi: int, base_id: int) -> dict[str, list]:
        """The text columns of rows [lo, hi)."""
        e = self.elements
        b, u, f, r = (a[lo:hi] for a in (self.building, self.unit, self.floor, self.room))
        out: dict[str, list] = {k: e[k][b].tolist() for k in ("province", "city", "district", "town", "community",
                                                              "community_code", "road", "road_no", "poi",
                                                              "building_no")}
        suffix = [(f"{x}单元" if x else "") + (f"{y}室" if y else "") for x, y in zip(u.tolist(), r.tolist())]
        tail = [("" if not y else f"-{x}-{y}") or (f"-{x}" if x else "") for x, y in zip(u.tolist(), r.tolist())]
        out["text"] = [t + s for t, s in zip(e["text"][b].tolist(), suffix)]
        out["addr_key"] = [k + s for k, s in zip(e["key"][b].tolist(), suffix)]
        out["code"] = [c + t for c, t in zip(e["code"][b].tolist(), tail)]
        out["level"] = ["room" if y else "unit" if x else "building" for x, y in zip(u.tolist(), r.tolist())]
        out["unit_no"] = [str(x) if x else None for x in u.tolist()]
        out["floor_no"] = [str(x) if x else None for x in f.tolist()]
        out["room_no"] = [str(x) if x else None for x in r.tolist()]
        out["parent_id"] = [p + base_id if p >= 0 else None for p in self.parent[lo:hi].tolist()]
        return out


def plan_addresses(rt: RegionTable, reg: Register, province: list[str | None], city: list[str | None]) -> AddressPlan:
    """The address library for the generated buildings and houses (``province``/``city``: names per
    county of ``rt``). Elements come from each building's key, split by the library's own rules
    (``gridgov.places.matching.canonical``), so keys equal the buildings' and houses' ``addr_key``."""
    from gridgov.places.matching.canonical import split_local

    b, h = reg.buildings, reg.houses
    nb = len(b["code"])
    comm = rt.grid_comm[rt.micro_grid[b["micro"]]]
    street = rt.comm_street[comm]
    county = rt.street_county[street]
    names = {"province": (province, county), "city": (city, county), "district": (rt.county_name, county),
             "town": (rt.street_name, street), "community": (rt.comm_name, comm),
             "community_code": (rt.comm_code, comm)}
    elements = {f: np.array(v, dtype=object)[at] for f, (v, at) in names.items()}
    head = [f"{province[k] or ''}{city[k] or ''}{rt.county_name[k]}{rt.street_name[s]}"   # canonical_text's
            for s, k in zip(rt.comm_street.tolist(), rt.street_county[rt.comm_street].tolist())]   # regions
    cols: dict[str, list] = {f: [] for f in ("road", "road_no", "poi", "building_no", "text")}
    for key, c in zip(b["addr_key"], comm.tolist()):
        e = split_local(key)
        if e is None:
            raise RuntimeError(f"a generated address key is not canonical: {key!r}")
        for f in ("road", "road_no", "poi", "building_no"):
            cols[f].append(getattr(e, f))
        name = rt.comm_name[c]
        cols["text"].append(head[c] + (key if key.startswith(name) else name + key))
    cols["key"] = b["addr_key"]
    cols["code"] = ["A" + code[1:] for code in b["code"]]
    elements.update({f: np.array(v, dtype=object) for f, v in cols.items()})
    apt = (b["kind"] <= LOW) & (b["units"] > 0)
    n_u = np.where(apt, b["units"], 0)
    unit_b = np.repeat(np.arange(nb), n_u)
    unit_u = np.arange(len(unit_b)) - np.repeat(np.cumsum(n_u) - n_u, n_u) + 1
    unit_row = nb + np.cumsum(n_u) - n_u                       # row of each building's unit 1
    rooms = np.flatnonzero(h["has_room"])
    hb, hu = h["building"][rooms], h["unit"][rooms]
    nu = len(unit_b)
    house_row = h["building"].copy()
    house_row[rooms] = nb + nu + np.arange(len(rooms))
    zeros = np.zeros(nb, np.int64)
    return AddressPlan(
        elements=elements,
        building=np.concatenate([np.arange(nb), unit_b, hb]),
        unit=np.concatenate([zeros, unit_u, hu]),
        floor=np.concatenate([zeros, np.zeros(nu, np.int64), h["floor"][rooms]]),
        room=np.concatenate([zeros, np.zeros(nu, np.int64), h["room"][rooms]]),
        parent=np.concatenate([np.full(nb, -1), unit_b, np.where(hu > 0, unit_row[hb] + hu - 1, hb)]),
        house_row=house_row, n_buildings=nb, n_units=nu,
    )


def plan_aliases(plan: AddressPlan, rt: RegionTable, seed: int) -> dict[str, list]:
    """Former names (曾用名) for a few compounds and roads, unique, never a current name."""
    rng = np.random.default_rng([seed, 20_261_126])       # its own stream: the rest of the demo is unchanged
    e = plan.elements
    current = set(e["poi"].tolist()) | set(e["road"].tolist())
    out: dict[str, list] = {"field": [], "alias": [], "name": [], "region_code": []}
    used: set[str] = set()
    for column, words, suffixes in (("poi", FORMER_COMPOUND_WORDS, FORMER_COMPOUND_SUFFIXES),
                                   ("road", FORMER_ROAD_WORDS, ("路", "街"))):
        names = sorted({(n, cc[:6]) for n, cc, no in zip(e[column].tolist(), e["community_code"].tolist(),
                                                          e["building_no"].tolist())
                        if n and (column == "road" or no) and not n.endswith("组")})
        wanted = min(len(names), max(1, round(len(names) * FORMER_SHARE)))
        for k in np.sort(rng.choice(len(names), wanted, replace=False)).tolist():
            alias = _pick(rng, words) + _pick(rng, suffixes)
            if alias in used or alias in current:
                continue
            used.add(alias)
            for key, value in zip(out, (column, alias, names[k][0], names[k][1])):
                out[key].append(value)
    return out


# --- writing -------------------------------------------------------------------------------

def _lazy(values: np.ndarray, fn: Callable[[np.ndarray], list]) -> Callable[[int, int], list]:
    """A column made batch by batch from ``values`` (keeps a city's strings out of memory)."""
    return lambda lo, hi: fn(values[lo:hi])


def _date_list(days: np.ndarray) -> list[str]:
    return _date_strings(days).tolist()


def _secondary_indexes(db, tables: Sequence[Any]) -> list[Any]:
    """The non-unique indexes of ``tables`` that exist in the database (dropped during the load)."""
    from sqlalchemy import inspect

    insp = inspect(db.connection())
    out = []
    for t in tables:
        present = {ix["name"] for ix in insp.get_indexes(t.name)}
        out += [ix for ix in t.indexes if not ix.unique and ix.name in present]
    return out


def _foreign_keys(db, tables: Sequence[Any]) -> list[tuple[str, dict[str, Any]]]:
    """The foreign keys of ``tables`` as the database has them (PostgreSQL checks each row of a COPY
    with a trigger: dropping them and adding them back, which validates all rows in one join, is
    about four times faster)."""
    from sqlalchemy import inspect

    insp = inspect(db.connection())
    return [(t.name, fk) for t in tables for fk in insp.get_foreign_keys(t.name) if fk.get("name")]


def _add_foreign_key(db, table: str, fk: dict[str, Any]) -> None:
    from sqlalchemy import text

    cols = ", ".join(f'"{c}"' for c in fk["constrained_columns"])
    ref = ", ".join(f'"{c}"' for c in fk["referred_columns"])
    sql = (f'ALTER TABLE "{table}" ADD CONSTRAINT "{fk["name"]}" FOREIGN KEY ({cols}) '
           f'REFERENCES "{fk["referred_table"]}" ({ref})')
    options = fk.get("options") or {}
    for key, clause in (("ondelete", "ON DELETE"), ("onupdate", "ON UPDATE")):
        if options.get(key):
            sql += f" {clause} {options[key]}"
    if options.get("deferrable"):
        sql += " DEFERRABLE"
        if options.get("initially"):
            sql += f" INITIALLY {options['initially']}"
    db.execute(text(sql))


def load_people(db, ctx, progress: Progress | None = None) -> None:
    """The loader step: generate the register for the regions just loaded and write it."""
    from sqlalchemy import select, text

    from gridgov.access import audit
    from gridgov.access.models import User, UserScope
    from gridgov.access.passwords import hash_password
    from gridgov.access.roles import Role
    from gridgov.demo.loader import DEMO_PASSWORD
    from gridgov.people.models import (
        Household,
        HouseholdMember,
        Organization,
        Person,
        Residence,
        SpecialGroupMember,
        Visit,
    )
    from gridgov.places.models import AddressAlias, Building, House, StandardAddress
    from gridgov.regions.models import Region

    report = progress or (lambda stage, done, total: None)
    started = time.perf_counter()
    today = getattr(ctx, "today", None) or date.today()
    db.flush()
    rt = RegionTable.from_db(db)
    reg = generate_register(rt, ctx.scale, ctx.seed, today, report)
    generated = time.perf_counter() - started
    bulk = Bulk(db, report)
    now = bulk.now

    # grid workers: one per basic grid, one password hash for all; the demo's `gridworker` keeps the first grid
    report("创建网格员", 0, 1)
    existing = dict(db.execute(select(User.username, User.id)).all())
    first = getattr(ctx, "first_grid", "") or rt.grid_code[0]
    pw = hash_password(DEMO_PASSWORD)
    w = reg.workers
    fresh = [i for i, (u, code) in enumerate(zip(w["username"], rt.grid_code))
             if u not in existing and not (code == first and "gridworker" in existing)]
    if fresh:
        db.execute(User.__table__.insert(), [
            {"username": w["username"][i], "display_name": w["display_name"][i], "role": Role.grid_worker.value,
             "password_hash": pw, "active": True, "failed_logins": 0} for i in fresh])
    ids = dict(db.execute(select(User.username, User.id)).all())
    if fresh:
        db.execute(UserScope.__table__.insert(), [{"user_id": ids[w["username"][i]], "region_code": rt.grid_code[i]}
                                                  for i in fresh])
    worker_id = np.array([ids.get(u) or ids.get("gridworker") for u in w["username"]], dtype=np.int64)
    if first in rt.grid_code and "gridworker" in ids:
        worker_id[rt.grid_code.index(first)] = ids["gridworker"]
    report("创建网格员", 1, 1)

    tables = [StandardAddress.__table__, Building.__table__, House.__table__, Person.__table__, Household.__table__,
              HouseholdMember.__table__, Residence.__table__, SpecialGroupMember.__table__, Visit.__table__,
              Organization.__table__]
    base = {t.name: bulk.next_id(t) for t in tables}
    empty = all(base[t.name] == 1 for t in tables)
    indexes = _secondary_indexes(db, tables) if empty else []
    if bulk.dialect == "sqlite":
        bulk.raw.execute("PRAGMA cache_size = -262144")
    for ix in indexes:
        db.execute(text(f'DROP INDEX IF EXISTS "{ix.name}"'))
    foreign_keys = _foreign_keys(db, tables) if empty and bulk.dialect == "postgresql" else []
    for table, fk in foreign_keys:
        db.execute(text(f'ALTER TABLE "{table}" DROP CONSTRAINT "{fk["name"]}"'))

    micro_code = np.array(rt.micro_code, dtype=object)
    b, h, p = reg.buildings, reg.houses, reg.persons
    nb, nh, n = len(b["code"]), h["n"], len(p["birth"])
    bid = base["buildings"] + np.arange(nb)
    b_micro_code = micro_code[b["micro"]]
    b_region = rt.micro_id[b["micro"]]
    # the standard address library: buildings, units, rooms (houses and buildings point into it)
    report("生成标准地址", 0, 1)
    t_plan = time.perf_counter()
    above = dict(db.execute(select(Region.code, Region.name).where(Region.valid_to.is_(None),
                                                                  Region.level.in_(("province", "city")))).all())
    plan = plan_addresses(rt, reg, [above.get(c[:2]) for c in rt.county_code],
                          [above.get(c[:4]) for c in rt.county_code])
    plan_seconds = time.perf_counter() - t_plan
    report("生成标准地址", 1, 1)
    aid0 = base["addresses"]
    ab = plan.building
    address_text: dict[str, Any] = {}

    def address_column(name: str) -> Callable[[int, int], list]:
        def column(lo: int, hi: int) -> list:
            if address_text.get("range") != (lo, hi):
                address_text["range"], address_text["values"] = (lo, hi), plan.columns(lo, hi, aid0)
            return address_text["values"][name]
        return column

    text_columns = ("code", "text", "addr_key", "level", "parent_id", "province", "city", "district", "town",
                    "community", "community_code", "road", "road_no", "poi", "building_no", "unit_no", "floor_no",
                    "room_no")
    bulk.insert(StandardAddress.__table__, plan.n, {
        "id": aid0 + np.arange(plan.n), **{c: address_column(c) for c in text_columns},
        "lon": b["lon"][ab], "lat": b["lat"][ab], "h3": b["h3"][ab], "grid_code": b_micro_code[ab],
        "grid_region_id": b_region[ab], "created_at": now,
    }, "写入标准地址")
    aliases = plan_aliases(plan, rt, ctx.seed)
    bulk.insert(AddressAlias.__table__, len(aliases["alias"]), {**aliases, "kind": "former", "created_at": now},
                "写入地址别名")

    bulk.insert(Building.__table__, nb, {
        "id": bid, "code": b["code"], "name": b["name"], "address": b["address"], "addr_key": b["addr_key"],
        "address_id": aid0 + np.arange(nb),
        "use": b["use"], "floors": b["floors"], "units": np.where(b["units"] > 0, b["units"], None).astype(object),
        "built_year": b["built_year"], "declare_token": b["declare_token"], "lon": b["lon"], "lat": b["lat"],
        "h3": b["h3"], "grid_code": b_micro_code, "grid_region_id": b_region, "created_at": now, "updated_at": now,
    }, "写入楼栋")

    hb = h["building"]
    pid0 = base["persons"]
    texts: dict[str, Any] = {}

    def house_text(k: int) -> Callable[[int, int], list[str]]:
        def column(lo: int, hi: int) -> list[str]:
            if texts.get("range") != (lo, hi):
                texts["range"], texts["values"] = (lo, hi), reg.house_texts(np.arange(lo, hi))
            return texts["values"][k]
        return column

    owner = h["owner_pid"]
    bulk.insert(House.__table__, nh, {
        "id": base["houses"] + np.arange(nh), "code": house_text(2), "building_id": bid[hb],
        "address_id": aid0 + plan.house_row,
        "address": house_text(0), "addr_key": house_text(1),
        "unit_no": _lazy(h["unit"], lambda v: [str(x) if x else None for x in v.tolist()]),
        "floor_no": _lazy(h["floor"], lambda v: [str(x) if x else None for x in v.tolist()]),
        "room_no": _lazy(np.where(h["has_room"], h["room"], 0), lambda v: [str(x) if x else None for x in v.tolist()]),
        "use": h["use"], "area_m2": h["area_m2"],
        "owner_person_id": _lazy(owner, lambda v: [x + pid0 if x >= 0 else None for x in v.tolist()]),
        "owner_name": h["owner_name"], "is_rental": h["is_rental"], "status": h["status"],
        "lon": b["lon"][hb], "lat": b["lat"][hb], "h3": b["h3"][hb], "grid_code": b_micro_code[hb],
        "grid_region_id": b_region[hb], "created_at": now, "updated_at": now,
    }, "写入房屋")

    pb = p["building"]

    def residence(lo: int, hi: int) -> list[str]:
        return reg.house_texts(p["house"][lo:hi])[0]

    def hukou(lo: int, hi: int) -> list[str]:
        own = p["hukou_address"][lo:hi]
        if all(x is not None for x in own.tolist()):
            return own.tolist()
        home = residence(lo, hi)
        return [x if x is not None else y for x, y in zip(own.tolist(), home)]

    phone_text = _lazy(p["phone"], lambda v: [str(x) if x else None for x in v.tolist()])
    bulk.insert(Person.__table__, n, {
        "id": pid0 + np.arange(n), "citizen_id": p["citizen_id"], "name": p["name"], "name_pinyin": p["name_pinyin"],
        "name_initials": p["name_initials"], "sex": p["sex"], "birth_date": _lazy(p["birth"], _date_list),
        "ethnicity": p["ethnicity"], "phone": phone_text,
        "phone_tail": _lazy(p["phone"], lambda v: [f"{x % 10_000:04d}" if x else None for x in v.tolist()]),
        "hukou_region_code": p["hukou_region_code"], "hukou_address": hukou, "residence_address": residence,
        "house_id": base["houses"] + p["house"], "population_type": p["population_type"],
        "moved_in_on": _lazy(p["moved_in"], _date_list), "status": "active",
        "lon": b["lon"][pb], "lat": b["lat"][pb], "h3": b["h3"][pb], "grid_code": b_micro_code[pb],
        "grid_region_id": b_region[pb], "created_at": now, "updated_at": now,
    }, "写入人口")

    hhs = reg.households
    n_hh = len(hhs["house"])
    hh0 = base["households"]
    registered = np.flatnonzero(hhs["registered"])
    hh_grid = b_micro_code[hb[hhs["house"]]]
    all_house = np.concatenate([hhs["house"], hhs["house"][registered]])
    all_head = np.concatenate([hhs["head"], hhs["head"][registered]])
    n_all = len(all_house)
    kinds = np.where(np.arange(n_all) < n_hh, "actual", "registered").astype(object)

    def household_code(lo: int, hi: int) -> list[str]:
        codes = reg.house_texts(all_house[lo:hi])[2]
        return [f"H{c}-{'A' if i < n_hh else 'R'}" for c, i in zip(codes, range(lo, hi))]

    bulk.insert(Household.__table__, n_all, {
        "id": hh0 + np.arange(n_all), "code": household_code, "kind": kinds,
        "house_id": base["houses"] + all_house, "head_person_id": pid0 + all_head,
        "grid_code": np.concatenate([hh_grid, hh_grid[registered]]), "created_at": now,
    }, "写入户")

    mem = reg.members
    reg_pos = np.full(n_hh, -1, dtype=np.int64)
    reg_pos[registered] = n_hh + np.arange(len(registered))
    local = np.flatnonzero(mem["registered_household"] >= 0)
    m_hh = np.concatenate([mem["household"], reg_pos[mem["household"][local]]])
    m_person = np.concatenate([mem["person"], mem["person"][local]])
    m_rel = np.concatenate([mem["relation"], mem["relation"][local]])
    m_from = np.concatenate([mem["valid_from"], mem["valid_from"][local]])
    n_mem = len(m_hh)
    bulk.insert(HouseholdMember.__table__, n_mem, {
        "household_id": hh0 + m_hh, "person_id": pid0 + m_person,
        "relation": np.array(RELATIONS, dtype=object)[m_rel], "valid_from": _lazy(m_from, _date_list),
    }, "写入户成员")

    res = reg.residences
    n_res = len(res["person"])
    bulk.insert(Residence.__table__, n_res, {
        "person_id": pid0 + res["person"], "house_id": base["houses"] + res["house"],
        "role": np.array(["owner", "family", "tenant"], dtype=object)[res["role"]],
        "valid_from": _lazy(res["valid_from"], _date_list),
        "valid_to": _lazy(res["valid_to"], lambda v: [d if x >= 0 else None
                                                      for x, d in zip(v.tolist(), _date_list(np.maximum(v, 0)))]),
        "source": DEMO_SOURCE,
    }, "写入居住关系")

    g = reg.groups
    n_g = len(g["person"])
    g0 = base["special_group_members"]
    last = np.where(g["last_visit"] >= 0, bulk.stamps(np.maximum(g["last_visit"], 0)), None).astype(object)
    bulk.insert(SpecialGroupMember.__table__, n_g, {
        "id": g0 + np.arange(n_g), "person_id": pid0 + g["person"], "group": g["group"],
        "attributes": g["attributes"], "risk_level": g["risk_level"], "visit_interval_days": g["visit_interval_days"],
        "responsible_user_id": worker_id[g["grid"]], "grid_code": micro_code[g["micro"]], "last_visit_at": last,
        "next_visit_due": _lazy(g["next_visit_due"], _date_list), "valid_from": _lazy(g["valid_from"], _date_list),
    }, "写入特殊人群")

    v = reg.visits
    n_v = len(v["member"])
    stamps = bulk.stamps(v["visited_at"])
    bulk.insert(Visit.__table__, n_v, {
        "person_id": pid0 + v["person"], "member_id": g0 + v["member"], "worker_id": worker_id[v["grid"]],
        "visited_at": stamps, "method": v["method"], "content": v["content"], "findings": v["findings"],
        "grid_code": micro_code[v["micro"]], "created_at": stamps,
    }, "写入走访")

    o = reg.organizations
    n_o = len(o["name"])
    ob = o["building"]
    rep, contact = o["legal_rep"], o["contact"]
    bulk.insert(Organization.__table__, n_o, {
        "id": base["organizations"] + np.arange(n_o), "uscc": o["uscc"], "name": o["name"], "org_type": o["org_type"],
        "address": [b["address"][i] for i in ob.tolist()], "building_id": bid[ob],
        "legal_rep_name": p["name"][rep], "legal_rep_citizen_id": p["citizen_id"][rep],
        "legal_rep_phone": [str(x) if x else None for x in p["phone"][rep].tolist()],
        "contact_name": p["name"][contact],
        "contact_phone": [str(x) if x else None for x in p["phone"][contact].tolist()],
        "employees": np.array(o["employees"], dtype=np.int64), "lon": b["lon"][ob], "lat": b["lat"][ob],
        "h3": b["h3"][ob], "grid_code": b_micro_code[ob], "grid_region_id": b_region[ob],
        "created_at": now, "updated_at": now,
    }, "写入单位")
    steps = len(indexes) + len(foreign_keys)
    report("重建索引", 0, steps)
    t_index = time.perf_counter()
    for k, ix in enumerate(indexes, start=1):
        ix.create(db.connection())
        report("重建索引", k, steps)
    for k, (table, fk) in enumerate(foreign_keys, start=len(indexes) + 1):
        _add_foreign_key(db, table, fk)
        report("重建索引", k, steps)
    if bulk.dialect == "postgresql":      # fresh statistics, or the planner guesses (and autovacuum may be off)
        db.execute(text("ANALYZE " + ", ".join(f'"{t.name}"' for t in tables)))
    index_seconds = time.perf_counter() - t_index
    bulk.fix_sequences([t for t in tables if t.name not in ("household_members", "residences", "visits")])
    if bulk.dialect == "sqlite":
        bulk.raw.execute("PRAGMA cache_size = -2000")
    counts = {"grid_workers": len(fresh), **bulk.rows}
    timing = {"generate": round(generated, 2), "plan_addresses": round(plan_seconds, 2),
              "indexes": round(index_seconds, 2),
              **{f"write_{k}": round(s, 2) for k, s in bulk.seconds.items()},
              "total": round(time.perf_counter() - started, 2)}
    audit.record(db, None, "demo.people", "demo_register", f"demo-{ctx.scale}-{ctx.seed}",
                 detail={"counts": counts, "seconds": timing, "today": today.isoformat(), "backend": bulk.dialect})
    if hasattr(ctx, "register"):
        ctx.register = {**counts, **{f"{k}_s": v for k, v in timing.items()}}
