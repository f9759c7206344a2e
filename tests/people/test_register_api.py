"""The register through the API on SQLite and PostgreSQL: buildings → houses → persons, masking,
audited reveal, moves with history, households, organizations, special groups and visits, scope."""

import itertools
from datetime import date

import pytest

from gridgov.codes import build_citizen_id

_seq = itertools.count(101)


def new_id(birth=date(1985, 3, 12)):
    return build_citizen_id("211021", birth, next(_seq))


@pytest.fixture(scope="module")
def place(client, auth, demo_db):
    """A building and two houses in the grid worker's grid, and one in another grid."""
    h = auth("operator")
    grid = client.get(f"/api/v1/regions/{demo_db.first_grid}", headers=h).json()
    lon, lat = grid["center"]
    b = client.post("/api/v1/buildings", headers=h, json={
        "name": "幸福家园3号楼", "address": "辽阳县人民街道幸福路12号幸福家园3号楼", "lon": lon, "lat": lat,
        "floors": 6, "units": 2})
    assert b.status_code == 201, b.text
    b = b.json()
    assert b["grid_code"].startswith(demo_db.first_grid) and b["h3"]
    houses = []
    for room in ("501", "502"):
        r = client.post(f"/api/v1/buildings/{b['id']}/houses", headers=h,
                        json={"unit_no": "2", "floor_no": "5", "room_no": room, "area_m2": 89.5, "owner_name": "王建国"})
        assert r.status_code == 201, r.text
        houses.append(r.json())
    # another grid of the same community: outside the grid worker's scope
    other = [g for g in client.get("/api/v1/regions", params={"parent": demo_db.first_grid[:12]}, headers=h).json()
             if g["level"] == "grid" and g["code"] != demo_db.first_grid][0]
    ob = client.post("/api/v1/buildings", headers=h, json={"name": "外网格楼", "lon": other["center"][0],
                                                            "lat": other["center"][1]}).json()
    oh = client.post(f"/api/v1/buildings/{ob['id']}/houses", headers=h, json={"room_no": "101"}).json()
    return {"building": b, "houses": houses, "other_house": oh}


def test_house_owner_is_masked(client, auth, place):
    r = client.get(f"/api/v1/houses/{place['houses'][0]['id']}", headers=auth("operator")).json()
    assert r["owner_name"] == "王*国" and r["address"].endswith("2单元501室")


def test_person_lifecycle_masking_reveal_and_audit(client, auth, place, demo_db):
    h = auth("grid_worker")
    cid = new_id()
    r = client.post("/api/v1/persons", headers=h, json={
        "citizen_id": cid, "name": "王秀英", "phone": "138 1234 5678", "house_id": place["houses"][0]["id"]})
    assert r.status_code == 201, r.text
    p = r.json()
    assert p["citizen_id"] == cid[:4] + "*" * 10 + cid[-4:] and p["name"] == "王*英" and p["phone"] == "138****5678"
    assert p["masked"] and p["birth_date"] is None and p["age"] >= 40 and p["sex"] in ("male", "female")
    assert p["grid_code"].startswith(demo_db.first_grid)
    # reveal needs a purpose, and is audited with it
    assert client.post(f"/api/v1/persons/{p['id']}/reveal", headers=h, json={"purpose": "看"}).status_code == 422
    full = client.post(f"/api/v1/persons/{p['id']}/reveal", headers=h, json={"purpose": "核实走访对象身份"}).json()
    assert full["citizen_id"] == cid and full["name"] == "王秀英" and full["phone"] == "13812345678"
    trail = client.get("/api/v1/audit", headers=auth("leader"), params={"limit": 50}).json()
    assert any(e["action"] == "personal.reveal" and e["object_id"] == str(p["id"]) and "核实走访对象身份" in e["detail"]
               for e in trail)
    # leaders read but may not reveal
    assert client.post(f"/api/v1/persons/{p['id']}/reveal", headers=auth("leader"),
                       json={"purpose": "随便看看吧"}).status_code == 403
    # a move keeps the history
    r = client.post(f"/api/v1/persons/{p['id']}/move", headers=h, json={"house_id": place["houses"][1]["id"],
                                                                          "role": "tenant"})
    assert r.status_code == 200, r.text
    res = client.get(f"/api/v1/persons/{p['id']}/residences", headers=h).json()
    assert len(res) == 2 and res[0]["valid_to"] is not None and res[1]["valid_to"] is None
    # a move dated before the current residence began would make the history run backwards
    back = client.post(f"/api/v1/persons/{p['id']}/move", headers=h,
                       json={"house_id": place["houses"][0]["id"], "on": "2001-01-01"})
    assert back.status_code == 422 and back.json()["error"]["code"] == "move_before_current_residence"
    assert len(client.get(f"/api/v1/persons/{p['id']}/residences", headers=h).json()) == 2
    hist = client.get(f"/api/v1/persons/{p['id']}/history", headers=h).json()
    assert [x["action"] for x in hist] == ["create", "move"] and "house_id" in hist[1]["changes"]
    # the history shows personal values masked, as the record itself does
    created = hist[0]["changes"]
    assert created["name"] == [None, "王*英"] and created["phone"] == [None, "138****5678"]
    assert created["birth_date"][1] == "****-**-**" and "王秀英" not in str(hist) and "13812345678" not in str(hist)


@pytest.mark.parametrize("body,code", [
    ({"citizen_id": "211021198503120000", "name": "甲"}, "invalid_citizen_id"),
    ({"citizen_id": "21102119850312", "name": "甲"}, "invalid_request"),
    ({"name": "甲", "phone": "12345"}, "invalid_phone"),
    ({"name": "甲", "sex": "female", "citizen_id": build_citizen_id("211021", date(1990, 1, 1), 11)}, "sex_mismatch"),
    ({"name": "甲", "house_id": 99999999}, "house_not_found"),
])
def test_bad_person_input(client, auth, place, body, code):
    full = {"citizen_id": new_id(), "house_id": place["houses"][0]["id"], **body}
    r = client.post("/api/v1/persons", headers=auth("operator"), json=full)
    assert 400 <= r.status_code < 500 and r.json()["error"]["code"] == code, r.text


def test_duplicate_person_is_409(client, auth, place):
    body = {"citizen_id": new_id(), "name": "李四", "house_id": place["houses"][0]["id"]}
    assert client.post("/api/v1/persons", headers=auth("operator"), json=body).status_code == 201
    r = client.post("/api/v1/persons", headers=auth("operator"), json=body)
    assert r.status_code == 409 and r.json()["error"]["code"] == "person_exists"


def test_scope_of_the_register(client, auth, place):
    other_house = place["other_house"]["id"]
    r = client.post("/api/v1/persons", headers=auth("grid_worker"),
                    json={"citizen_id": new_id(), "name": "赵五", "house_id": other_house})
    assert r.status_code == 403 and r.json()["error"]["code"] == "out_of_scope"
    r = client.post("/api/v1/persons", headers=auth("operator"),
                    json={"citizen_id": new_id(), "name": "赵五", "house_id": other_house})
    pid = r.json()["id"]
    assert client.get(f"/api/v1/persons/{pid}", headers=auth("grid_worker")).status_code == 403
    assert client.get(f"/api/v1/persons/{pid}", headers=auth("leader")).status_code == 200
    for role in ("handler", "resident"):
        assert client.get(f"/api/v1/persons/{pid}", headers=auth(role)).status_code == 403
    found = client.get("/api/v1/persons/search", headers=auth("grid_worker"), params={"q": "赵五"}).json()
    assert found["results"] == []


def test_search_kinds(client, auth, place):
    h = auth("operator")
    cid = new_id(date(1970, 7, 7))
    p = client.post("/api/v1/persons", headers=h, json={"citizen_id": cid, "name": "欧阳娜娜", "phone": "13998765432",
                                                       "house_id": place["houses"][1]["id"]}).json()
    for q, kind in [("欧阳", "name"), ("ouyang", "pinyin"), ("oynn", "pinyin"), (cid, "citizen_id"),
                    ("13998765432", "phone"), ("5432", "phone_tail"), ("幸福路12号", "address")]:
        r = client.get("/api/v1/persons/search", headers=h, params={"q": q}).json()
        assert r["kind"] == kind, (q, r["kind"])
        assert p["id"] in [x["id"] for x in r["results"]], (q, kind)
    assert client.get("/api/v1/persons/search", headers=h, params={"q": " "}).status_code == 422


def test_households_organizations_groups_visits(client, auth, place, demo_db):
    h = auth("grid_worker")
    head_id = new_id(date(1950, 2, 2))
    head = client.post("/api/v1/persons", headers=h, json={"citizen_id": head_id, "name": "孙大爷",
                                                          "house_id": place["houses"][1]["id"]}).json()
    kid = client.post("/api/v1/persons", headers=h, json={"citizen_id": new_id(date(2015, 2, 2)), "name": "孙小宝",
                                                         "house_id": place["houses"][1]["id"]}).json()
    hh = client.post("/api/v1/households", headers=h, json={"house_id": place["houses"][1]["id"],
                                                           "head_person_id": head["id"]})
    assert hh.status_code == 201, hh.text
    hh = client.post(f"/api/v1/households/{hh.json()['id']}/members", headers=h,
                     json={"person_id": kid["id"], "relation": "grandchild"}).json()
    assert {m["relation"] for m in hh["members"]} == {"head", "grandchild"}
    # special group with validated attributes
    bad = client.post(f"/api/v1/persons/{head['id']}/special-groups", headers=h,
                      json={"group": "disabled", "attributes": {"category": "飞行"}})
    assert bad.status_code == 422 and "残疾类别" in bad.json()["error"]["message"]
    me = client.get("/api/v1/auth/me", headers=h).json()
    m = client.post(f"/api/v1/persons/{head['id']}/special-groups", headers=h, json={
        "group": "elderly_alone", "attributes": {"health": "一般"}, "responsible_user_id": me["id"],
        "visit_interval_days": 7}).json()
    assert m["group_label"] == "独居老人" and m["overdue_days"] == 0
    # personal attributes come back masked (the certificate number embeds the citizen ID)
    cert = head_id + "11"
    d = client.post(f"/api/v1/persons/{kid['id']}/special-groups", headers=h, json={
        "group": "disabled", "attributes": {"category": "肢体", "grade": "二级", "certificate_no": cert}})
    assert d.status_code == 201, d.text
    assert d.json()["attributes"]["certificate_no"] == cert[:4] + "*" * (len(cert) - 8) + cert[-4:]
    listed = client.get("/api/v1/special-groups", headers=h, params={"group": "disabled"}).json()
    assert cert not in str(listed)
    v = client.post("/api/v1/visits", headers=h, json={"member_id": m["id"], "content": "上门查看，身体尚可"})
    assert v.status_code == 201, v.text
    assert client.post("/api/v1/visits", headers=h, json={"member_id": m["id"], "content": " "}).status_code == 422
    members = client.get("/api/v1/special-groups", headers=h, params={"group": "elderly_alone"}).json()
    assert any(x["id"] == m["id"] and x["last_visit_at"] for x in members)
    assert isinstance(client.get("/api/v1/visits/overdue", headers=h).json(), list)
    # organizations: USCC checked, located, contacts masked
    grid = client.get(f"/api/v1/regions/{demo_db.first_grid}", headers=h).json()
    body = {"uscc": "91350100M000100Y43", "name": "辽阳县幸福超市", "lon": grid["center"][0], "lat": grid["center"][1],
            "legal_rep_name": "钱多多", "legal_rep_phone": "13700001111"}
    bad = client.post("/api/v1/organizations", headers=h, json={**body, "uscc": "91350100M000100Y44"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_uscc"
    org = client.post("/api/v1/organizations", headers=h, json=body)
    assert org.status_code in (201, 409), org.text
    if org.status_code == 201:
        assert org.json()["legal_rep_phone"] == "137****1111" and org.json()["legal_rep_name"] == "钱*多"
