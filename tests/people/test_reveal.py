"""Revealing organizations' representatives and contacts, and house owners: the same rule as a
person's reveal — the personal:reveal permission, a stated purpose, the scope, an audit entry."""

from __future__ import annotations

import json

import pytest

from gridgov.codes.uscc import build_uscc


@pytest.fixture(scope="module")
def records(client, auth, demo_db):
    """An organization and a house with an owner in the grid worker's grid, and a house outside it."""
    h = auth("operator")
    grid = client.get(f"/api/v1/regions/{demo_db.first_grid}", headers=h).json()
    lon, lat = grid["center"]
    org = client.post(
        "/api/v1/organizations",
        headers=h,
        json={
            "uscc": build_uscc("9", "1", "211021", "MA0R7L71"),
            "name": "辽阳县揭示测试商店",
            "lon": lon,
            "lat": lat,
            "legal_rep_name": "周法人",
            "legal_rep_phone": "13700002222",
            "contact_name": "吴联系",
            "contact_phone": "13600003333",
        },
    )
    assert org.status_code == 201, org.text
    b = client.post(
        "/api/v1/buildings", headers=h, json={"name": "揭示测试楼", "lon": lon, "lat": lat}
    ).json()
    house = client.post(
        f"/api/v1/buildings/{b['id']}/houses",
        headers=h,
        json={"unit_no": "1", "room_no": "301", "owner_name": "郑业主"},
    ).json()
    other = [
        g
        for g in client.get("/api/v1/regions", params={"parent": demo_db.first_grid[:12]}, headers=h).json()
        if g["level"] == "grid" and g["code"] != demo_db.first_grid
    ][0]
    ob = client.post(
        "/api/v1/buildings",
        headers=h,
        json={"name": "揭示外网格楼", "lon": other["center"][0], "lat": other["center"][1]},
    ).json()
    outside = client.post(
        f"/api/v1/buildings/{ob['id']}/houses", headers=h, json={"room_no": "101", "owner_name": "冯业主"}
    ).json()
    return {"org": org.json(), "house": house, "outside": outside}


def auth_user(client, auth, role):
    return client.get("/api/v1/auth/me", headers=auth(role)).json()["username"]


def audit_entries(client, auth, object_type, object_id):
    trail = client.get("/api/v1/audit", headers=auth("leader"), params={"limit": 100}).json()
    return [
        e
        for e in trail
        if e["action"] == "personal.reveal"
        and e["object_type"] == object_type
        and e["object_id"] == str(object_id)
    ]


def test_organization_is_masked_until_revealed_with_a_purpose(client, auth, records):
    org = records["org"]
    assert org["legal_rep_name"] == "周*人" and org["contact_phone"] == "136****3333"
    r = client.post(
        f"/api/v1/organizations/{org['id']}/reveal",
        headers=auth("grid_worker"),
        json={"purpose": "核实单位安全生产责任人"},
    )
    assert r.status_code == 200, r.text
    full = r.json()
    assert (full["legal_rep_name"], full["legal_rep_phone"], full["contact_name"], full["contact_phone"]) == (
        "周法人",
        "13700002222",
        "吴联系",
        "13600003333",
    )
    [entry] = audit_entries(client, auth, "organization", org["id"])
    detail = json.loads(entry["detail"])
    assert detail["purpose"] == "核实单位安全生产责任人"
    assert set(detail["fields"]) == {"legal_rep_name", "legal_rep_phone", "contact_name", "contact_phone"}
    assert entry["actor_name"] == auth_user(client, auth, "grid_worker")
    # reading it again is masked again
    again = client.get(f"/api/v1/organizations/{org['id']}", headers=auth("grid_worker")).json()
    assert again["legal_rep_name"] == "周*人"


def test_house_owner_is_revealed_with_a_purpose(client, auth, records):
    house = records["house"]
    assert house["owner_name"] == "郑*主"
    r = client.post(
        f"/api/v1/houses/{house['id']}/reveal", headers=auth("operator"), json={"purpose": "联系业主处理漏水"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["owner_name"] == "郑业主" and r.json()["id"] == house["id"]
    [entry] = audit_entries(client, auth, "house", house["id"])
    assert "联系业主处理漏水" in str(entry["detail"])


@pytest.mark.parametrize("path", ["organizations/{org}", "houses/{house}"])
@pytest.mark.parametrize(
    "body,status,code",
    [
        ({}, 422, "invalid_request"),  # no purpose
        ({"purpose": "看看"}, 422, "invalid_request"),  # too short (4 characters at least, as for persons)
        ({"purpose": "    "}, 422, "purpose_required"),  # long enough for the schema; blank once stripped
        ({"purpose": 1234}, 422, "invalid_request"),
    ],
)
def test_a_purpose_is_required(client, auth, records, path, body, status, code):
    url = "/api/v1/" + path.format(org=records["org"]["id"], house=records["house"]["id"]) + "/reveal"
    r = client.post(url, headers=auth("grid_worker"), json=body)
    assert r.status_code == status and r.json()["error"]["code"] == code, r.text


@pytest.mark.parametrize("role", ["leader", "handler", "resident"])
@pytest.mark.parametrize("path", ["organizations/{org}", "houses/{house}"])
def test_roles_without_the_permission_are_refused(client, auth, records, role, path):
    url = "/api/v1/" + path.format(org=records["org"]["id"], house=records["house"]["id"]) + "/reveal"
    r = client.post(url, headers=auth(role), json={"purpose": "随便看看这条记录"})
    assert r.status_code == 403, r.text
    assert client.post(url, json={"purpose": "随便看看这条记录"}).status_code == 401


def test_scope_and_missing_records(client, auth, records):
    h = auth("grid_worker")
    r = client.post(
        f"/api/v1/houses/{records['outside']['id']}/reveal", headers=h, json={"purpose": "核实业主身份"}
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "out_of_scope"
    assert not audit_entries(client, auth, "house", records["outside"]["id"])
    for url in ("/api/v1/houses/99999999/reveal", "/api/v1/organizations/99999999/reveal"):
        assert client.post(url, headers=h, json={"purpose": "核实业主身份"}).status_code == 404
