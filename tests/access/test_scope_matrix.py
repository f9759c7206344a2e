"""Role × resource × inside/outside scope: every allowed read works, every other one is denied.

The targets come from the tiny demo: the grid worker's grid G and a sibling grid G2 in the same
community, the first street S1 (holding G) and a second street S2, and the county C.
"""

import pytest


@pytest.fixture(scope="module")
def targets(client, auth, demo_db):
    h = auth("admin")
    g = demo_db.first_grid
    community = g[:12]
    grids = [r["code"] for r in client.get("/api/v1/regions", params={"parent": community}, headers=h).json()
             if r["level"] == "grid"]
    g2 = next(c for c in grids if c != g)
    streets = [r["code"] for r in client.get("/api/v1/regions", params={"parent": demo_db.top_code}, headers=h).json()]
    s1 = g[:9]
    s2 = next(s for s in streets if s != s1)
    micro = client.get("/api/v1/regions", params={"parent": g}, headers=h).json()[0]["code"]
    micro2 = client.get("/api/v1/regions", params={"parent": g2}, headers=h).json()[0]["code"]
    comm2 = client.get("/api/v1/regions", params={"parent": s2}, headers=h).json()[0]["code"]
    # a leader of one street only
    r = client.post("/api/v1/users", headers=h, json={"username": f"street_{demo_db.backend}", "password": "Street123",
                                                       "role": "leader", "scopes": [s1]})
    assert r.status_code in (201, 409), r.text
    tok = client.post("/api/v1/auth/token", data={"username": f"street_{demo_db.backend}",
                                                  "password": "Street123"}).json()["access_token"]
    return {"C": demo_db.top_code, "S1": s1, "S2": s2, "K1": community, "K2": comm2, "G": g, "G2": g2,
            "M": micro, "M2": micro2, "street_token": tok}


ALLOWED = {
    "admin": set("C S1 S2 K1 K2 G G2 M M2".split()),
    "operator": set("C S1 S2 K1 K2 G G2 M M2".split()),
    "leader": set("C S1 S2 K1 K2 G G2 M M2".split()),
    "handler": set("C S1 S2 K1 K2 G G2 M M2".split()),
    "grid_worker": set("C S1 K1 G M".split()),  # own grid + the path above it for context
    "street_leader": set("C S1 K1 G G2 M M2".split()),
    "resident": set(),
}
TARGETS = "C S1 S2 K1 K2 G G2 M M2".split()


def headers_for(role, auth, targets):
    if role == "street_leader":
        return {"Authorization": f"Bearer {targets['street_token']}"}
    return auth(role)


@pytest.mark.parametrize("role", list(ALLOWED))
def test_region_detail_matrix(role, client, auth, targets):
    h = headers_for(role, auth, targets)
    for t in TARGETS:
        r = client.get(f"/api/v1/regions/{targets[t]}", headers=h)
        if t in ALLOWED[role]:
            assert r.status_code == 200, (role, t, r.text)
        else:
            assert r.status_code == 403, (role, t, r.text)
            assert r.json()["error"]["code"] in ("out_of_scope", "permission_denied")


@pytest.mark.parametrize("role", list(ALLOWED))
def test_children_and_features_stay_in_scope(role, client, auth, targets):
    h = headers_for(role, auth, targets)
    if role == "resident":
        assert client.get("/api/v1/regions", headers=h).status_code == 403
        return
    roots = client.get("/api/v1/regions", headers=h).json()
    expected_roots = {"grid_worker": [targets["G"]], "street_leader": [targets["S1"]]}.get(role, [targets["C"]])
    if role == "admin":
        expected_roots = [r["code"] for r in roots]  # admin's roots: the top regions stored
    assert [r["code"] for r in roots] == expected_roots
    bbox = "-180,-90,180,90"
    for level in ("street", "community", "grid", "micro_grid", "exclusive_grid"):
        fc = client.get("/api/v1/grids", params={"bbox": bbox, "level": level, "zoom": 12}, headers=h).json()
        for f in fc["features"]:
            code = f["properties"]["code"]
            if role == "grid_worker":
                assert code.startswith(targets["G"]), code
            if role == "street_leader":
                assert code.startswith(targets["S1"]), code


def test_search_is_scoped(client, auth, targets):
    r = client.get("/api/v1/regions/search", params={"q": targets["K2"]}, headers=auth("grid_worker"))
    assert r.status_code == 200 and r.json() == []
    r = client.get("/api/v1/regions/search", params={"q": targets["K2"]}, headers=auth("leader"))
    codes = [x["code"] for x in r.json()]
    assert codes[0] == targets["K2"] and all(c.startswith(targets["K2"]) for c in codes)


@pytest.mark.parametrize("role,status", [("admin", 200), ("leader", 200), ("operator", 200), ("grid_worker", 403),
                                         ("handler", 403), ("resident", 403)])
def test_user_list_permission(role, status, client, auth, targets):
    assert client.get("/api/v1/users", headers=auth(role)).status_code == status


def test_street_leader_sees_only_users_of_their_street(client, auth, targets):
    users = client.get("/api/v1/users", headers={"Authorization": f"Bearer {targets['street_token']}"}).json()
    assert users and all(any(s.startswith(targets["S1"]) for s in u["scopes"]) for u in users)


@pytest.mark.parametrize("role", ["operator", "handler", "grid_worker", "leader", "resident"])
def test_only_admin_imports_regions(role, client, auth):
    r = client.post("/api/v1/regions/import", headers=auth(role),
                    json={"type": "FeatureCollection", "features": []})
    assert r.status_code == 403


def test_anonymous_is_401_everywhere(client, targets):
    for path in ("/api/v1/regions", f"/api/v1/regions/{targets['C']}", "/api/v1/users", "/api/v1/audit"):
        assert client.get(path).status_code == 401
