"""The standard address library through the API, on the tiny demo (SQLite and PostgreSQL): the
demo's library, exact and fuzzy matching, ambiguity, no match, geocoding, search, creation, aliases,
permissions and bad input."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from gridgov.access.models import AuditEntry
from gridgov.db import get_engine, session_scope
from gridgov.places.matching.canonical import FIELDS, Elements, canonical_text, clean, local_key
from gridgov.places.models import AddressAlias, Building, House, StandardAddress

API = "/api/v1/addresses"
CN = "〇一二三四五六七八九"
FULL = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.fixture(scope="module")
def db(demo_db):
    with session_scope(get_engine(demo_db.url)) as session:
        yield session


@pytest.fixture(scope="module")
def room(db) -> StandardAddress:
    """A room in a unit of a building with several units (its room number exists in another unit too)."""
    rows = db.scalars(
        select(StandardAddress)
        .where(StandardAddress.level == "room", StandardAddress.unit_no == "2")
        .order_by(StandardAddress.id)
    )
    for r in rows:
        twin = db.scalar(
            select(StandardAddress.id).where(
                StandardAddress.level == "room",
                StandardAddress.unit_no == "1",
                StandardAddress.room_no == r.room_no,
                StandardAddress.addr_key.startswith(r.addr_key.split("2单元")[0]),
            )
        )
        if twin:
            return r
    pytest.fail("the tiny demo has no building with two units")


def _match(client, headers, text: str, **extra) -> dict:
    r = client.post(f"{API}/match", json={"text": text, **extra}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _cn(text: str) -> str:
    return re.sub(r"\d+(?=号楼|单元|室)", lambda m: "".join(CN[int(d)] for d in m.group(0)), text)


# --- the demo fills the library ----------------------------------------------------------------


def test_demo_buildings_and_houses_point_into_the_library(db):
    levels = dict(
        db.execute(select(StandardAddress.level, func.count()).group_by(StandardAddress.level)).all()
    )
    assert levels.get("building") and levels.get("unit") and levels.get("room")
    rows = db.execute(
        select(
            Building.address,
            Building.addr_key,
            Building.grid_code,
            StandardAddress.text,
            StandardAddress.addr_key.label("key"),
            StandardAddress.level,
            StandardAddress.grid_code.label("grid"),
        ).join(StandardAddress, StandardAddress.id == Building.address_id)
    ).all()
    # every building the demo wrote (one bulk stamp; tests elsewhere add buildings to the shared demo)
    demo_stamp = db.scalar(select(func.min(Building.created_at)))
    demo_buildings = db.scalar(select(func.count()).select_from(Building).where(Building.created_at == demo_stamp))
    assert len(rows) == demo_buildings
    for r in rows:
        assert r.level == "building" and r.key == r.addr_key and r.grid == r.grid_code
        assert r.text == "辽宁省辽阳市" + r.address
    houses = db.execute(
        select(
            House.addr_key, House.room_no, StandardAddress.addr_key.label("key"), StandardAddress.level
        ).join(StandardAddress, StandardAddress.id == House.address_id)
    ).all()
    house_stamp = db.scalar(select(func.min(House.created_at)))
    assert len(houses) == db.scalar(select(func.count()).select_from(House).where(House.created_at == house_stamp))
    for h in houses:
        assert h.key == h.addr_key and h.level == ("room" if h.room_no else "building")
    assert db.scalar(select(func.count()).select_from(AddressAlias)) >= 2
    for a in db.scalars(select(StandardAddress)):  # every level: the canonical form of its own elements
        e = Elements(**{f: getattr(a, f) for f in FIELDS})
        assert (a.text, a.addr_key, a.level) == (canonical_text(e), local_key(e), e.level), a.code
        assert clean(a.text) == a.text


# --- matching ----------------------------------------------------------------------------------


def test_exact_match_of_a_demo_address(client, auth, room):
    out = _match(client, auth("leader"), room.text)
    assert out["match"] == "exact" and not out["ambiguous"]
    best = out["candidates"][0]
    assert (best["id"], best["score"], best["exact"], best["level"]) == (room.id, 1.0, True, "room")
    assert best["grid_code"] == room.grid_code and best["lon"] == pytest.approx(room.lon)


def test_omitted_province_and_city(client, auth, room):
    out = _match(client, auth("grid_worker"), room.text.removeprefix("辽宁省辽阳市"))
    assert out["candidates"][0]["id"] == room.id and out["match"] == "exact"


def test_fuzzy_match_without_road_and_regions(client, auth, room):
    text = room.community + room.poi + room.addr_key.split(room.poi, 1)[1]  # 团结社区新运里1号楼2单元502室
    out = _match(client, auth("leader"), text)
    best = out["candidates"][0]
    assert out["match"] == "fuzzy" and best["id"] == room.id and 0.9 <= best["score"] < 1.0
    assert [c["score"] for c in out["candidates"]] == sorted(
        (c["score"] for c in out["candidates"]), reverse=True
    )


def test_full_width_chinese_numerals_variants_and_noise(client, auth, room):
    key = room.addr_key
    for text in (
        key.translate(FULL),
        _cn(key),
        key.replace("号楼", "栋").replace("室", "户"),
        room.district + _cn(key).replace("号楼", "幢") + "（东门）附近",
        f"{room.town}{key}对面",
    ):
        out = _match(client, auth("leader"), text)
        assert out["candidates"][0]["id"] == room.id, (text, out)
        assert key in out["query"]["normalized"], text


def test_ambiguous_query_gives_candidates_by_score(client, auth, room):
    text = room.addr_key.replace(f"{room.unit_no}单元", "")  # the room number without the unit
    out = _match(client, auth("leader"), text)
    cands = out["candidates"]
    assert out["ambiguous"] and len(cands) >= 2
    assert cands[0]["score"] == cands[1]["score"] and {c["level"] for c in cands[:2]} == {"room"}
    assert room.id in {c["id"] for c in cands}
    assert [c["score"] for c in cands] == sorted((c["score"] for c in cands), reverse=True)


def test_former_name_from_the_alias_table(client, auth, db):
    alias = db.scalar(select(AddressAlias).where(AddressAlias.field == "poi").order_by(AddressAlias.id))
    target = db.scalar(
        select(StandardAddress)
        .where(StandardAddress.poi == alias.name, StandardAddress.level == "building")
        .order_by(StandardAddress.id)
    )
    out = _match(client, auth("leader"), f"{alias.alias}{target.building_no}号楼")
    assert out["candidates"][0]["id"] == target.id
    assert "曾用名" in out["candidates"][0]["note"]


def test_nothing_matches_with_a_reason(client, auth):
    for text, reasons in (
        ("火星基地99号", {"no_candidates", "below_threshold"}),
        ("辽阳县枣营镇", {"region_only"}),
        ("！！！", {"unparseable", "no_candidates"}),
    ):
        out = _match(client, auth("leader"), text)
        assert out["match"] == "none" and out["candidates"] == [] and out["reason"] in reasons, (text, out)
        assert out["message"]


@pytest.mark.parametrize(
    "body,code",
    [
        ({"text": ""}, "invalid_request"),
        ({"text": "   "}, "empty_address"),
        ({"text": "（附近）"}, "empty_address"),
        ({"text": "长安路" * 3400}, "invalid_request"),
        ({"text": 12}, "invalid_request"),
        ({}, "invalid_request"),
        ({"text": "长安路2号", "limit": 0}, "invalid_request"),
    ],
)
def test_bad_input_is_a_422(client, auth, body, code):
    r = client.post(f"{API}/match", json=body, headers=auth("leader"))
    assert r.status_code == 422 and r.json()["error"]["code"] == code, r.text


def test_batch_match(client, auth, room, db):
    building = db.get(StandardAddress, room.parent_id)
    lines = [room.text, "", "火星基地99号", _cn(room.addr_key)]
    r = client.post(f"{API}/batch-match", json={"lines": lines}, headers=auth("operator"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["count"] == 4 and out["matched"] == 2
    results = out["results"]
    assert results[0]["candidates"][0]["id"] == room.id and results[3]["candidates"][0]["id"] == room.id
    assert results[1]["reason"] == "empty" and results[2]["match"] == "none"
    assert building.level in ("unit", "building")
    for body in ({"lines": ["长安路2号"] * 1001}, {"lines": []}, {"lines": ["长安路" * 100]}):
        r = client.post(f"{API}/batch-match", json=body, headers=auth("operator"))
        assert r.status_code == 422, r.text


# --- geocoding ---------------------------------------------------------------------------------


def test_geocode(client, auth, room):
    r = client.post(f"{API}/geocode", json={"text": room.addr_key}, headers=auth("leader"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["precision"], out["coarse"], out["grid_code"]) == ("room", False, room.grid_code)
    assert (out["lon"], out["lat"]) == (pytest.approx(room.lon), pytest.approx(room.lat))
    assert out["h3"] == format(room.h3, "x") and out["address"]["id"] == room.id


def test_geocode_falls_back_to_the_region(client, auth, db):
    town = db.scalar(select(StandardAddress.town).where(StandardAddress.town.endswith("镇")).limit(1))
    r = client.post(f"{API}/geocode", json={"text": f"辽阳县{town}"}, headers=auth("leader"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["coarse"] and out["match"] == "region" and out["region"]["name"] == town
    assert out["precision"] == "street" and out["lon"] is not None
    r = client.post(f"{API}/geocode", json={"text": "火星基地99号"}, headers=auth("leader"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_match", r.text
    assert r.json()["error"]["details"]["reason"] in ("no_candidates", "below_threshold")


# --- reading -----------------------------------------------------------------------------------


def test_search_and_read(client, auth, room):
    building_key = room.addr_key.split(f"{room.unit_no}单元")[0]
    r = client.get(API, params={"q": building_key, "limit": 500}, headers=auth("leader"))
    assert r.status_code == 200, r.text
    rows = r.json()
    assert rows[0]["key"] == building_key and rows[0]["level"] == "building"
    assert room.id in {x["id"] for x in rows} and all(x["key"].startswith(building_key) for x in rows)
    r = client.get(API, params={"grid": room.grid_code, "level": "unit"}, headers=auth("leader"))
    assert (
        r.status_code == 200
        and r.json()
        and all(x["level"] == "unit" and x["grid_code"] == room.grid_code for x in r.json())
    )
    r = client.get(API, params={"q": room.code}, headers=auth("leader"))
    assert [x["id"] for x in r.json()] == [room.id]
    r = client.get(f"{API}/{rows[0]['id']}", headers=auth("leader"))
    assert r.status_code == 200 and r.json()["children"] >= 1
    r = client.get(f"{API}/999999999", headers=auth("leader"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "address_not_found"


def test_permissions(client, auth, room):
    assert client.post(f"{API}/match", json={"text": room.text}).status_code == 401
    for role in ("resident", "handler"):
        r = client.post(f"{API}/match", json={"text": room.text}, headers=auth(role))
        assert r.status_code == 403, (role, r.text)
    r = client.post(
        API, json={"text": "长安路1号测试楼", "lon": room.lon, "lat": room.lat}, headers=auth("leader")
    )
    assert r.status_code == 403  # leaders read, they do not write


# --- writing -----------------------------------------------------------------------------------


def test_create_a_building_then_a_room_and_match_them(client, auth, db, room):
    headers = auth("operator")
    building = db.get(StandardAddress, room.parent_id)
    while building.parent_id:
        building = db.get(StandardAddress, building.parent_id)
    text = f"{building.road}{building.road_no}号{building.poi}88号楼"
    r = client.post(API, json={"text": text, "lon": building.lon, "lat": building.lat}, headers=headers)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["level"] == "building" and made["grid_code"] == building.grid_code
    assert (
        made["text"] == f"{building.province}{building.city}{building.district}{building.town}"
        f"{building.community}{text}"
    )
    assert made["code"].startswith(f"A{building.grid_code}")
    r = client.post(API, json={"text": text, "lon": building.lon, "lat": building.lat}, headers=headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "address_exists"
    r = client.post(API, json={"text": f"{text}3单元1101室"}, headers=headers)  # located like its building
    assert r.status_code == 201, r.text
    flat = r.json()
    assert (
        flat["level"] == "room"
        and flat["parent_id"] == made["id"]
        and flat["code"] == made["code"] + "-3-1101"
    )
    out = _match(client, headers, f"{building.poi}88栋三单元1101户")
    assert out["candidates"][0]["id"] == flat["id"]
    assert db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "address.create", AuditEntry.object_id == str(made["id"]))
    )


def test_create_rejects_bad_addresses(client, auth, room):
    headers = auth("operator")
    cases = [
        ({"text": "长安路1号某楼"}, 422, "location_required"),
        ({"text": "新运里77号楼5单元101室"}, 422, "parent_missing"),
        ({"text": "辽阳县", "lon": room.lon, "lat": room.lat}, 422, "address_incomplete"),
        (
            {"text": f"白塔区{room.road}{room.road_no}号新楼", "lon": room.lon, "lat": room.lat},
            422,
            "region_mismatch",
        ),
        ({"text": "长安路1号某楼", "lon": 0.0, "lat": 0.0}, 422, "outside_grids"),
        (
            {
                "elements": {"road": "长安路", "road_no": "1", "poi": "很" * 61},
                "lon": room.lon,
                "lat": room.lat,
            },
            422,
            "invalid_request",
        ),
        ({"text": "长安路1号某楼", "lon": "123", "lat": 41}, 422, "invalid_request"),
    ]
    for body, status, code in cases:
        r = client.post(API, json=body, headers=headers)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (body, r.text)


def test_grid_worker_writes_only_in_their_grid(client, auth, db, demo_db):
    outside = db.scalar(
        select(StandardAddress)
        .where(StandardAddress.level == "building", ~StandardAddress.grid_code.startswith(demo_db.first_grid))
        .limit(1)
    )
    r = client.post(
        API,
        json={"text": f"{outside.road}{outside.road_no}号网格外楼", "lon": outside.lon, "lat": outside.lat},
        headers=auth("grid_worker"),
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "out_of_scope", r.text


def test_create_an_alias_and_match_through_it(client, auth, room):
    body = {"field": "poi", "alias": "老测试宿舍", "name": room.poi, "kind": "alias"}
    r = client.post(f"{API}/aliases", json=body, headers=auth("operator"))
    assert r.status_code == 201, r.text
    assert client.post(f"{API}/aliases", json=body, headers=auth("operator")).status_code == 409
    assert client.post(f"{API}/aliases", json=body, headers=auth("leader")).status_code == 403
    bad = {**body, "alias": "坏\x00名"}
    assert client.post(f"{API}/aliases", json=bad, headers=auth("operator")).status_code == 422
    key = room.addr_key.split(room.poi, 1)[1]
    out = _match(client, auth("leader"), f"老测试宿舍{key}")
    assert out["candidates"][0]["id"] == room.id and "别名" in out["candidates"][0]["note"]
