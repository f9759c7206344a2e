"""户籍地 (hukou_region_code): a recorded fact — the division code given by the user or the import
file, in natural length — and the citizen ID's region only when none is given."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from gridgov.codes import build_citizen_id

_seq = itertools.count(301)


def new_id(region: str = "211021") -> str:
    return build_citizen_id(region, date(1979, 4, 5), next(_seq))


@pytest.fixture(scope="module")
def house(client, auth, demo_db):
    h = auth("operator")
    grid = client.get(f"/api/v1/regions/{demo_db.first_grid}", headers=h).json()
    b = client.post(
        "/api/v1/buildings",
        headers=h,
        json={
            "name": "户籍测试楼",
            "address": "辽阳县户籍路1号户籍测试楼",
            "lon": grid["center"][0],
            "lat": grid["center"][1],
        },
    ).json()
    return {
        "building": b,
        "house": client.post(
            f"/api/v1/buildings/{b['id']}/houses", headers=h, json={"unit_no": "1", "room_no": "101"}
        ).json(),
    }


def create(client, auth, house, **fields):
    body = {"citizen_id": new_id(), "name": "户籍甲", "house_id": house["house"]["id"], **fields}
    return client.post("/api/v1/persons", headers=auth("operator"), json=body)


@pytest.mark.parametrize(
    "id_region,given,stored",
    [
        ("211021", None, "211021"),  # nothing given: the ID's region
        ("211000", None, "2110"),  # ... in natural length (a city-level ID region)
        ("130102", "211021", "211021"),  # given: the recorded place, whatever the ID says
        ("211021", "211002001", "211002001"),  # a street is a valid place of registration too
        ("211021", "211021000000", "211021"),  # the 12-digit statistical form is normalised
    ],
)
def test_the_recorded_place_wins_over_the_id(client, auth, house, id_region, given, stored):
    fields = {"citizen_id": new_id(id_region)}
    if given is not None:
        fields["hukou_region_code"] = given
    r = create(client, auth, house, **fields)
    assert r.status_code == 201, r.text
    assert r.json()["hukou_region_code"] == stored


@pytest.mark.parametrize(
    "given,code",
    [
        ("990000", "invalid_hukou_region"),
        ("211021000", "invalid_hukou_region"),
        ("21a", "invalid_request"),
        ("1", "invalid_request"),
    ],
)
def test_an_invalid_place_is_refused(client, auth, house, given, code):
    r = create(client, auth, house, hukou_region_code=given)
    assert r.status_code == 422 and r.json()["error"]["code"] == code, r.text


def test_a_correction_is_recorded_with_its_history(client, auth, house):
    p = create(client, auth, house).json()
    assert p["hukou_region_code"] == "211021"
    r = client.patch(
        f"/api/v1/persons/{p['id']}", headers=auth("operator"), json={"hukou_region_code": "211002"}
    )
    assert r.status_code == 200 and r.json()["hukou_region_code"] == "211002", r.text
    hist = client.get(f"/api/v1/persons/{p['id']}/history", headers=auth("operator")).json()
    assert hist[-1]["changes"]["hukou_region_code"] == ["211021", "211002"]
    bad = client.patch(
        f"/api/v1/persons/{p['id']}", headers=auth("operator"), json={"hukou_region_code": "990000"}
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_hukou_region"


def test_the_import_column(client, auth, house):
    code = house["building"]["code"]
    given, derived, bad = new_id("130102"), new_id("211000"), new_id()
    lines = [
        "姓名,身份证号,户籍地代码,楼栋编码,单元,房号",
        f"户籍乙,{given},211021,{code},1,102",
        f"户籍丙,{derived},,{code},1,103",
        f"户籍丁,{bad},990000,{code},1,104",
    ]
    r = client.post(
        "/api/v1/imports/persons",
        headers=auth("operator"),
        files={"file": ("hukou.csv", ("\r\n".join(lines) + "\r\n").encode())},
    )
    assert r.status_code == 200, r.text
    run = r.json()
    assert (run["created"], run["quarantined"]) == (2, 1), run
    assert run["quarantine"][0]["row"] == 4 and run["quarantine"][0]["reasons"][0].startswith("户籍地代码")
    found = {}
    for cid in (given, derived):
        hit = client.get("/api/v1/persons/search", headers=auth("operator"), params={"q": cid}).json()[
            "results"
        ]
        found[cid] = hit[0]["hukou_region_code"]
    assert found == {given: "211021", derived: "2110"}
