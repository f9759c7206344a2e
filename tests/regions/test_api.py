"""The regions API on the tiny demo: tree, detail, search, map features, locate, bad input."""

import pytest


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_tree_is_lazy_and_ordered(client, auth, demo_db):
    h = auth("leader")
    roots = client.get("/api/v1/regions", headers=h).json()
    assert [r["code"] for r in roots] == [demo_db.top_code]
    assert roots[0]["child_count"] >= 2 and roots[0]["level_label"] == "县/区"
    streets = client.get("/api/v1/regions", params={"parent": demo_db.top_code}, headers=h).json()
    assert [s["code"] for s in streets] == sorted(s["code"] for s in streets)
    assert all(s["level"] == "street" and s["parent_code"] == demo_db.top_code for s in streets)


def test_detail_with_geometry_and_h3(client, auth, demo_db):
    r = client.get(f"/api/v1/regions/{demo_db.first_grid}", params={"geometry": "true"}, headers=auth("leader"))
    body = r.json()
    assert body["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert body["h3"] and int(body["h3"], 16) > 0
    lon, lat = body["center"]
    assert body["bbox"][0] <= lon <= body["bbox"][2] and body["bbox"][1] <= lat <= body["bbox"][3]


@pytest.mark.parametrize("code,status,error", [
    ("12", 404, "region_not_found"),
    ("abc", 422, "invalid_region_code"),
    ("2110219999", 422, "invalid_region_code"),
    ("211021099", 404, "region_not_found"), ("211021999", 422, "invalid_region_code"),
])
def test_bad_codes(client, auth, code, status, error):
    r = client.get(f"/api/v1/regions/{code}", headers=auth("admin"))
    assert r.status_code == status and r.json()["error"]["code"] == error


def test_search_by_name_and_code(client, auth, demo_db):
    h = auth("leader")
    community = client.get("/api/v1/regions", params={"parent": demo_db.first_grid[:9]}, headers=h).json()[0]
    by_name = client.get("/api/v1/regions/search", params={"q": community["name"][:2]}, headers=h).json()
    assert community["code"] in [x["code"] for x in by_name]
    by_code = client.get("/api/v1/regions/search", params={"q": community["code"]}, headers=h).json()
    assert by_code[0]["code"] == community["code"] and community["name"] in by_code[0]["path"]
    assert client.get("/api/v1/regions/search", params={"q": " "}, headers=h).status_code == 422


def test_features_in_bbox_are_simplified_geojson(client, auth, demo_db):
    h = auth("leader")
    county = client.get(f"/api/v1/regions/{demo_db.top_code}", headers=h).json()
    bbox = ",".join(map(str, county["bbox"]))
    fc = client.get("/api/v1/grids", params={"bbox": bbox, "level": "grid", "zoom": 13}, headers=h).json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) >= 10
    coarse = client.get("/api/v1/grids", params={"bbox": bbox, "level": "grid", "zoom": 8}, headers=h).json()

    def vertices(collection):
        return sum(len(str(f["geometry"]["coordinates"])) for f in collection["features"])

    assert vertices(coarse) <= vertices(fc)


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "10,10,5,5", "0,0,0,100", "nan,0,1,1"])
def test_bad_bbox(client, auth, bbox):
    r = client.get("/api/v1/grids", params={"bbox": bbox}, headers=auth("leader"))
    assert r.status_code == 422 and r.json()["error"]["code"] in ("invalid_bbox", "invalid_request")


def test_locate_every_level_and_outside(client, auth, demo_db):
    h = auth("grid_worker")
    grid = client.get(f"/api/v1/regions/{demo_db.first_grid}", headers=h).json()
    lon, lat = grid["center"]
    r = client.post("/api/v1/locate", json={"points": [[lon, lat], [0.0, 0.0]]}, headers=h)
    assert r.status_code == 200
    first, second = r.json()["results"]
    assert first["grid"] == demo_db.first_grid and first["micro_grid"].startswith(demo_db.first_grid)
    assert first["community"] == demo_db.first_grid[:12] and first["street"] == demo_db.first_grid[:9]
    assert first["county"] == demo_db.top_code
    assert second is None


@pytest.mark.parametrize("body", [
    {"points": [[200, 10]]}, {"points": [[10]]}, {"points": "x"}, {"points": [["1", "2"]]},
    {"points": [[True, False]]}, {}, {"points": [[1, 2]], "crs": "mars"},
])
def test_locate_bad_input(client, auth, body):
    r = client.post("/api/v1/locate", json=body, headers=auth("leader"))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message"]


def test_neighbours_share_an_edge(client, auth, demo_db):
    r = client.get(f"/api/v1/regions/{demo_db.first_grid}/neighbours", headers=auth("leader")).json()
    assert r["neighbours"], r
    assert all(n["level"] == "grid" and n["code"] != demo_db.first_grid for n in r["neighbours"])


def test_stored_topology_is_clean(client, auth, demo_db):
    r = client.get(f"/api/v1/regions/{demo_db.first_grid[:12]}/topology", headers=auth("leader")).json()
    assert r["ok"], r["errors"][:5]
