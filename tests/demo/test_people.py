"""The demo register (gridgov.demo.people): valid and linked data in the tiny demo on both
backends, scoped search through the API, and the county-scale figures from the pure generator."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import numpy as np
import pytest
import shapely
from sqlalchemy import func, select

from gridgov.codes import parse_citizen_id, parse_uscc
from gridgov.db import get_engine, session_scope
from gridgov.demo.geometry import generate_regions
from gridgov.demo.people import RegionTable, _name_pinyin, generate_register
from gridgov.people.groups import GROUPS, validate_attributes
from gridgov.people.models import (
    Household,
    HouseholdMember,
    Organization,
    Person,
    Residence,
    SpecialGroupMember,
)
from gridgov.people.service import pinyin_of
from gridgov.places.models import Building, House
from gridgov.regions.models import Region

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def db(demo_db):
    with session_scope(get_engine(demo_db.url)) as session:
        yield session


def _search(client, headers, q: str) -> dict:
    r = client.get("/api/v1/persons/search", params={"q": q, "limit": 100}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


# --- the tiny demo in the database ------------------------------------------------------------

def test_the_demo_has_a_register(db):
    persons = db.scalar(select(func.count()).select_from(Person))
    assert 200 <= persons <= 800
    for model in (Building, House, Household, HouseholdMember, Residence, SpecialGroupMember, Organization):
        assert db.scalar(select(func.count()).select_from(model)) > 0, model.__tablename__


def test_citizen_ids_are_valid_unique_and_match_sex_and_birth(db):
    rows = db.execute(select(Person.citizen_id, Person.sex, Person.birth_date)).all()
    assert len({r.citizen_id for r in rows}) == len(rows)
    for r in rows:
        parsed = parse_citizen_id(r.citizen_id)
        assert parsed.sex == r.sex
        assert parsed.birth_date == r.birth_date


def test_every_person_is_in_a_house_in_a_building_in_a_grid(db):
    micro = {r.code: r for r in db.execute(select(Region.id, Region.code, Region.geometry).where(
        Region.level == "micro_grid", Region.valid_to.is_(None)))}
    rows = db.execute(
        select(Person.grid_code, Person.grid_region_id, Person.residence_address, House.address,
               House.grid_code.label("house_grid"), Building.grid_code.label("building_grid"),
               Building.grid_region_id.label("building_region"), Building.lon, Building.lat, Person.lon.label("plon"))
        .join(House, House.id == Person.house_id).join(Building, Building.id == House.building_id)).all()
    assert len(rows) == db.scalar(select(func.count()).select_from(Person))      # nobody without a house
    for r in rows:
        assert r.grid_code == r.house_grid == r.building_grid
        assert r.building_grid in micro
        assert r.building_region == micro[r.building_grid].id == r.grid_region_id
        assert r.residence_address == r.address
        assert r.plon == r.lon
        poly = shapely.from_wkb(micro[r.building_grid].geometry)
        assert shapely.intersects_xy(poly, r.lon, r.lat)


def test_buildings_have_codes_keys_and_tokens(db):
    rows = db.execute(select(Building.code, Building.grid_code, Building.address, Building.addr_key,
                             Building.declare_token)).all()
    assert len({r.declare_token for r in rows}) == len(rows)
    for r in rows:
        assert r.code.startswith(f"B{r.grid_code}") and len(r.code) == len(r.grid_code) + 6
        assert r.address.endswith(r.addr_key) and len(r.addr_key) < len(r.address)


def test_household_heads_are_members(db):
    households = db.execute(select(Household.id, Household.head_person_id, Household.kind, Household.house_id)).all()
    heads = {(m.household_id, m.person_id) for m in db.execute(
        select(HouseholdMember.household_id, HouseholdMember.person_id).where(HouseholdMember.relation == "head"))}
    assert {h.kind for h in households} == {"actual", "registered"}
    for h in households:
        assert (h.id, h.head_person_id) in heads
    # every person belongs to exactly one actual household, in the house they live in
    rows = db.execute(select(Person.id, Person.house_id, Household.house_id.label("hh_house"))
                      .join(HouseholdMember, HouseholdMember.person_id == Person.id)
                      .join(Household, (Household.id == HouseholdMember.household_id) & (Household.kind == "actual"))
                      ).all()
    assert Counter(r.id for r in rows) == Counter(db.scalars(select(Person.id)).all())
    assert all(r.house_id == r.hh_house for r in rows)


def test_tenants_are_floating_in_rented_houses(db):
    rows = db.execute(select(Person.population_type, House.status, House.is_rental, Residence.role)
                      .join(House, House.id == Person.house_id)
                      .join(Residence, (Residence.person_id == Person.id) & Residence.valid_to.is_(None))).all()
    for r in rows:
        if r.role == "tenant":
            assert r.population_type in ("floating", "overseas") and r.status == "rented" and r.is_rental
        else:
            assert r.population_type == "registered" and r.status == "self_occupied"


def test_special_group_members_validate_and_have_their_grid_worker(db):
    from gridgov.access.models import User, UserScope

    scopes = {u: c for u, c in db.execute(select(UserScope.user_id, UserScope.region_code))}
    roles = dict(db.execute(select(User.id, User.role)).all())
    rows = db.execute(select(SpecialGroupMember, Person.grid_code)
                      .join(Person, Person.id == SpecialGroupMember.person_id)).all()
    assert rows
    for m, grid in rows:
        assert validate_attributes(m.group, json.loads(m.attributes)) == []
        assert m.visit_interval_days == GROUPS[m.group].visit_interval_days
        assert roles[m.responsible_user_id] == "grid_worker"
        assert grid.startswith(scopes[m.responsible_user_id]) and m.grid_code == grid


def test_one_grid_worker_per_basic_grid(db, demo_db):
    from gridgov.access.models import User, UserScope

    grids = set(db.scalars(select(Region.code).where(Region.level == "grid", Region.valid_to.is_(None))))
    # the demo's own accounts (gridworker, gw<grid code>): other tests add grid workers to the shared demo
    rows = db.execute(select(User.username, UserScope.region_code).join(UserScope, UserScope.user_id == User.id)
                      .where(User.role == "grid_worker",
                             (User.username == "gridworker")
                             | (User.username.startswith("gw") & ~User.username.startswith("gw_", autoescape=True)))).all()
    assert Counter(r.region_code for r in rows) == Counter(grids)
    assert ("gridworker", demo_db.first_grid) in {(r.username, r.region_code) for r in rows}


def test_organizations_have_valid_codes_and_real_representatives(db):
    rows = db.execute(select(Organization.uscc, Organization.legal_rep_citizen_id, Organization.legal_rep_name,
                             Organization.grid_code, Building.grid_code.label("bgrid"))
                      .join(Building, Building.id == Organization.building_id)).all()
    assert rows
    people = dict(db.execute(select(Person.citizen_id, Person.name)).all())
    for r in rows:
        parse_uscc(r.uscc)
        assert people[r.legal_rep_citizen_id] == r.legal_rep_name
        assert r.grid_code == r.bgrid


# --- search through the API --------------------------------------------------------------------

def _someone(db, grid_prefix: str, outside: bool = False) -> Person:
    cond = ~Person.grid_code.startswith(grid_prefix) if outside else Person.grid_code.startswith(grid_prefix)
    return db.scalars(select(Person).where(cond, Person.phone.isnot(None)).order_by(Person.id)).first()


def test_search_finds_a_person_by_name_pinyin_initials_id_and_phone(client, auth, db, demo_db):
    p = _someone(db, demo_db.first_grid, outside=True)
    for q, kind in ((p.name, "name"), (p.name_pinyin, "pinyin"), (p.name_initials, "pinyin"),
                    (p.citizen_id, "citizen_id"), (p.phone, "phone"), (p.phone_tail, "phone_tail")):
        out = _search(client, auth("leader"), q)
        assert out["kind"] == kind
        assert p.id in [x["id"] for x in out["results"]], q


def test_grid_worker_sees_only_their_grid(client, auth, db, demo_db):
    inside = _someone(db, demo_db.first_grid)
    outside = _someone(db, demo_db.first_grid, outside=True)
    assert inside is not None and outside is not None
    found = _search(client, auth("grid_worker"), inside.citizen_id)["results"]
    assert [x["id"] for x in found] == [inside.id]
    assert _search(client, auth("grid_worker"), outside.citizen_id)["results"] == []
    assert [x["id"] for x in _search(client, auth("leader"), outside.citizen_id)["results"]] == [outside.id]
    for q in (inside.name[0], inside.name_initials[:1], inside.phone_tail, outside.name[0], outside.phone_tail):
        for x in _search(client, auth("grid_worker"), q)["results"]:
            assert x["grid_code"].startswith(demo_db.first_grid), q


def test_address_keys_are_what_address_key_makes(db):
    """The generator builds keys structurally (no parsing of 1.2M addresses); they must equal
    ``address_key`` of the address text, for every building and house kind."""
    from gridgov.places.addressing import address_key

    for model in (Building, House):
        rows = db.execute(select(model.address, model.addr_key)).all()
        assert rows
        for r in rows:
            assert address_key(r.address) == r.addr_key, r.address


def test_search_by_address(client, auth, db):
    for where in (House.room_no.isnot(None), House.room_no.is_(None)):      # a flat; a village house
        house = db.scalars(select(House).where(where, House.status == "self_occupied", House.use == "residential")
                           .order_by(House.id)).first()
        if house is None:
            continue
        building = db.get(Building, house.building_id)
        residents = set(db.scalars(select(Person.id).where(Person.house_id == house.id)))
        assert residents
        for q in (building.addr_key, house.addr_key, house.address):
            out = _search(client, auth("leader"), q)
            assert out["kind"] == "address", q
            assert residents <= {x["id"] for x in out["results"]}, q


# --- the pure generator --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_regions() -> RegionTable:
    return RegionTable.from_specs(generate_regions("tiny", seed=3))


def test_generation_is_deterministic(tiny_regions):
    a = generate_register(tiny_regions, "tiny", 5, TODAY)
    b = generate_register(tiny_regions, "tiny", 5, TODAY)
    c = generate_register(tiny_regions, "tiny", 6, TODAY)
    assert list(a.persons["citizen_id"]) == list(b.persons["citizen_id"])
    assert list(a.persons["name"]) == list(b.persons["name"])
    assert a.buildings["declare_token"] == b.buildings["declare_token"]
    assert list(a.persons["citizen_id"]) != list(c.persons["citizen_id"])


def test_fast_pinyin_equals_the_service(tiny_regions):
    names = set(generate_register(tiny_regions, "tiny", 5, TODAY).persons["name"].tolist())
    names |= {"李长乐", "单于飞", "曾朝阳", "欧阳娜娜", "乐乐", "重阳"}
    for name in names:
        assert _name_pinyin(name) == pinyin_of(name), name


@pytest.fixture(scope="module")
def county():
    rt = RegionTable.from_specs(generate_regions("county", seed=7))
    return rt, generate_register(rt, "county", 7, TODAY)


def test_county_scale_figures(county):
    rt, reg = county
    p, n = reg.persons, len(reg.persons["birth"])
    assert 285_000 <= n <= 315_000
    assert 200_000 <= len(reg.houses["building"]) <= 270_000
    age = p["age"]
    assert 0.10 <= (age < 15).mean() <= 0.16
    assert 0.24 <= (age >= 60).mean() <= 0.31
    assert 2.2 <= n / len(reg.households["house"]) <= 2.8
    types = Counter(p["population_type"].tolist())
    assert 0.02 <= types["floating"] / n <= 0.12 and 0 < types["overseas"] < 0.002 * n
    assert 0.06 <= (p["ethnicity"] == "满族").mean() <= 0.14
    phones = p["phone"][p["phone"] > 0]
    assert len(np.unique(phones)) == len(phones) and (age[p["phone"] > 0] >= 12).all()
    assert len(set(p["citizen_id"].tolist())) == n
    rates = Counter(reg.groups["group"].tolist())
    expected = {"elderly_alone": 0.015, "disabled": 0.05, "subsistence": 0.025, "mental_disorder": 0.0045,
                "left_behind_child": 0.01, "released_prisoner": 0.0015, "community_correction": 0.0005,
                "drug_rehab": 0.0005, "petition_focus": 0.0002}
    for group, rate in expected.items():
        assert rate * 0.8 <= rates[group] / n <= rate * 1.25, group
    overdue = (reg.groups["next_visit_due"] < (TODAY - date(1970, 1, 1)).days).mean()
    assert 0.08 <= overdue <= 0.18
    orgs = len(reg.organizations["name"])
    assert n / 50 <= orgs <= n / 30
    assert len(set(reg.organizations["uscc"])) == orgs
    assert len(reg.workers["username"]) == len(rt.grid_code)
    status = Counter(reg.houses["status"].tolist())
    assert 0.02 <= status["rented"] / (status["rented"] + status["self_occupied"]) <= 0.15
    floors = reg.buildings["floors"][reg.buildings["kind"] <= 3]
    assert floors.max() >= 18 and floors.min() >= 2


def test_county_address_keys_sample(county):
    from gridgov.places.addressing import address_key

    _, reg = county
    b = reg.buildings
    rng = np.random.default_rng(1)
    for kind in np.unique(b["kind"]).tolist():
        idx = np.flatnonzero(b["kind"] == kind)
        for i in rng.choice(idx, min(300, len(idx)), replace=False).tolist():
            assert address_key(b["address"][i]) == b["addr_key"][i], b["address"][i]
    addresses, keys, _ = reg.house_texts(rng.choice(reg.houses["n"], 2000, replace=False))
    for a, k in zip(addresses, keys):
        assert address_key(a) == k, a
