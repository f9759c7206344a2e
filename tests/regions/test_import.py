"""Importing regions: valid collections load; every topology problem is reported and nothing is written."""

import json
import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from gridgov.app import create_app
from tests.regions.fixtures import X0, Y0, D, county_collection, feature, square, with_change


@pytest.fixture
def admin_client(empty_db):
    from gridgov.access import service
    from gridgov.db import get_engine, session_scope

    with session_scope(get_engine(empty_db)) as db:
        service.create_user(db, None, username="root", password="Root12345", role="admin")
    with TestClient(create_app(empty_db)) as c:
        tok = c.post("/api/v1/auth/token", data={"username": "root", "password": "Root12345"}).json()["access_token"]
        c.headers["Authorization"] = f"Bearer {tok}"
        yield c


def region_count(c):
    roots = c.get("/api/v1/regions").json()
    return len(roots)


def test_valid_collection_imports_and_reimport_is_unchanged(admin_client):
    fc = county_collection()
    r = admin_client.post("/api/v1/regions/import", json=fc)
    assert r.status_code == 200, r.text
    assert r.json()["created"] == len(fc["features"])
    r = admin_client.post("/api/v1/regions/import", json=fc)
    assert r.json() == {**r.json(), "created": 0, "updated": 0, "unchanged": len(fc["features"])}
    d = admin_client.get("/api/v1/regions/110101001001001").json()
    assert d["level"] == "grid" and [a["code"] for a in d["ancestors"]] == ["11", "1101", "110101", "110101001", "110101001001"]
    assert abs(d["area_m2"] - 0.01 * 0.02 * 111_195**2 * 0.7672) / d["area_m2"] < 0.01


def test_changed_boundary_is_versioned(admin_client):
    fc = county_collection()
    assert admin_client.post("/api/v1/regions/import", json=fc).status_code == 200
    # move the border between the two grids of community 1 (and their micro-grids) by 0.002°
    g1, g2 = "110101001001001", "110101001001002"
    changed = with_change(fc, g1, geometry=square(X0, Y0, D + 0.002, 2 * D))
    changed = with_change(changed, g2, geometry=square(X0 + D + 0.002, Y0, D - 0.002, 2 * D))
    for m in range(2):
        changed = with_change(changed, f"{g1}{m + 1:02d}", geometry=square(X0, Y0 + m * D, D + 0.002, D))
        changed = with_change(changed, f"{g2}{m + 1:02d}", geometry=square(X0 + D + 0.002, Y0 + m * D, D - 0.002, D))
    pt = [[X0 + D + 0.001, Y0 + 0.005]]
    before = admin_client.post("/api/v1/locate", json={"points": pt}).json()["results"][0]
    assert before["grid"] == g2
    r = admin_client.post("/api/v1/regions/import", json=changed)
    assert r.status_code == 200, r.text
    assert r.json()["updated"] == 6
    after = admin_client.post("/api/v1/locate", json={"points": pt}).json()["results"][0]
    assert after["grid"] == g1
    hist = admin_client.get(f"/api/v1/regions/{g1}/history").json()
    assert [h["version"] for h in hist] == [1, 2] and hist[0]["valid_to"] is not None
    # a record made before the change keeps its grid: locating at the old time gives the old answer
    old = admin_client.post("/api/v1/locate", json={"points": pt, "at": hist[0]["valid_from"]}).json()["results"][0]
    assert old["grid"] == g2 and old["region_id"] != after["region_id"]


def expect_failure(c, fc, kind, code=None):
    r = c.post("/api/v1/regions/import", json=fc)
    assert r.status_code == 422, r.text
    body = r.json()["error"]
    assert body["code"] == "topology_failed"
    issues = body["details"]["errors"]
    assert any(i["kind"] == kind and (code is None or i["code"] == code) for i in issues), issues
    assert c.get("/api/v1/regions").json() == []  # nothing was written
    return issues


def test_overlap_is_reported_in_square_metres(admin_client):
    fc = with_change(county_collection(), "110101001001002", geometry=square(X0 + D - 0.001, Y0, D + 0.001, 2 * D))
    issues = expect_failure(admin_client, fc, "overlap")
    overlap = next(i for i in issues if i["kind"] == "overlap")
    assert overlap["area_m2"] == pytest.approx(0.001 * 0.02 * 111_195**2 * 0.7672, rel=0.02)


def test_gap_is_reported(admin_client):
    fc = with_change(county_collection(), "110101001001002", geometry=square(X0 + D, Y0, D, 1.5 * D))
    issues = expect_failure(admin_client, fc, "gap", "110101001001")
    assert next(i for i in issues if i["kind"] == "gap")["area_m2"] > 40_000


def test_grid_outside_parent(admin_client):
    fc = with_change(county_collection(), "11010100100100101", geometry=square(X0 - 0.005, Y0, D, D))
    expect_failure(admin_client, fc, "outside_parent", "11010100100100101")


def test_self_intersecting_geometry(admin_client):
    bow = {"type": "Polygon", "coordinates": [[[X0, Y0], [X0 + D, Y0 + D], [X0 + D, Y0], [X0, Y0 + D], [X0, Y0]]]}
    issues = expect_failure(admin_client, with_change(county_collection(), "11010100100100101", geometry=bow),
                            "invalid_geometry")
    assert any("Self-intersection" in i["message"] for i in issues)


def test_malformed_and_duplicate_codes(admin_client):
    fc = county_collection()
    fc["features"].append(feature("1101010010010019", "坏编码", square(X0, Y0)))
    fc["features"].append(fc["features"][5])
    fc["features"].append(feature("110101001001", "", square(X0, Y0)))
    issues = expect_failure(admin_client, fc, "malformed_code")
    assert any(i["kind"] == "duplicate_code" for i in issues)


def test_unknown_parent_and_exclusive_outside(admin_client):
    fc = county_collection()
    fc["features"].append(feature("110101009001001", "孤儿网格", square(X0, Y0)))
    fc = with_change(fc, "110101001001500", geometry=square(X0 + 3 * D, Y0, 0.003, 0.003))
    issues = expect_failure(admin_client, fc, "unknown_parent", "110101009001001")
    assert any(i["kind"] == "outside_parent" and i["code"] == "110101001001500" for i in issues)


@pytest.mark.parametrize("payload,code", [
    (b"not json", "invalid_json"),
    (b'{"type": "Feature"}', "not_feature_collection"),
    (b"", "empty_body"),
])
def test_malformed_documents(admin_client, payload, code):
    r = admin_client.post("/api/v1/regions/import", content=payload, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == code


def test_broken_geometry_json_is_reported(admin_client):
    fc = with_change(county_collection(), "11010100100100101", geometry={"type": "Polygon", "coordinates": [[1, 2]]})
    expect_failure(admin_client, fc, "invalid_geometry", "11010100100100101")


def test_multipart_upload_and_gcj02(admin_client):
    from gridgov.regions.coords import wgs84_to_gcj02

    fc = county_collection()
    r = admin_client.post("/api/v1/regions/import", files={"file": ("county.geojson", json.dumps(fc).encode())},
                          params={"dry_run": "true"})
    assert r.status_code == 200 and r.json()["created"] == 0 and r.json()["report"]["ok"]
    assert admin_client.get("/api/v1/regions").json() == []
    r = admin_client.post("/api/v1/regions/import", files={"file": ("county.geojson", json.dumps(fc).encode())})
    assert r.status_code == 200
    # a point given in GCJ-02 (as Amap would) lands in the same grid as its WGS84 original
    lon, lat = X0 + 0.7 * D, Y0 + 0.7 * D
    glon, glat = wgs84_to_gcj02(lon, lat)
    a = admin_client.post("/api/v1/locate", json={"points": [[lon, lat]]}).json()["results"][0]
    b = admin_client.post("/api/v1/locate", json={"points": [[float(glon), float(glat)]], "crs": "gcj02"}).json()
    assert a == b["results"][0] and a["micro_grid"] == "11010100100100101"


def test_cli_import_reports_and_writes_nothing_on_failure(empty_db, tmp_path):
    env = {**os.environ, "GRIDGOV_DATABASE_URL": empty_db}
    bad = with_change(county_collection(), "110101001001002", geometry=square(X0 + D - 0.001, Y0, D + 0.001, 2 * D))
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(bad))
    r = subprocess.run([sys.executable, "-m", "gridgov.cli", "regions", "import", str(path)], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "overlap" in r.stderr and "未写入" in r.stderr
    path.write_text(json.dumps(county_collection()))
    r = subprocess.run([sys.executable, "-m", "gridgov.cli", "regions", "import", str(path)], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    pts = f"{X0 + 0.5 * D},{Y0 + 0.5 * D}\n{X0 + 1},{Y0}\nnonsense\n"
    r = subprocess.run([sys.executable, "-m", "gridgov.cli", "locate"], env=env, input=pts,
                       capture_output=True, text=True, timeout=120)
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert lines[0]["micro_grid"] == "11010100100100101" and lines[1] is None and "error" in lines[2]
    assert r.returncode == 1
