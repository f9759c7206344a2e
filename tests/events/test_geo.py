"""The map's event layers through the API on SQLite and PostgreSQL: open events in a bbox, the H3
heat grid and the metric per region against brute-force counts over the stored events (cells from
``h3.cell_to_parent``, regions from code prefixes), scope (a grid worker sees only their grid's
events), region facts, the faster /api/v1/grids against the original, and bad input (422, never 500)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import h3
import numpy as np
import pytest
import schemathesis
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from gridgov.access.models import User
from gridgov.db import get_engine, session_scope
from gridgov.events import geo_service
from gridgov.events.models import Event
from gridgov.people.models import Person, SpecialGroupMember
from gridgov.places.models import House
from gridgov.regions import service as regions_service

FINAL = {"closed", "evaluated", "rejected", "merged"}
CST = ZoneInfo("Asia/Shanghai")


# --- pure ---------------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(lat=st.floats(-80, 80), lon=st.floats(-179.9, 179.9), res=st.integers(0, 10))
def test_parent_from_key_is_cell_to_parent(lat, lon, res):
    cell = int(h3.latlng_to_cell(lat, lon, 10), 16)
    key = cell >> geo_service.key_shift(res)
    assert format(geo_service.parent_from_key(key, res), "x") == h3.cell_to_parent(format(cell, "x"), res)


def test_quantile_breaks():
    assert geo_service.quantile_breaks([]) == []
    assert geo_service.quantile_breaks([0, 0]) == []
    assert geo_service.quantile_breaks([5, 5, 5]) == [5.0]
    breaks = geo_service.quantile_breaks(range(0, 101))
    assert breaks == sorted(breaks) and len(breaks) == 5 and breaks[-1] == 100.0
    assert all(b in range(1, 101) for b in breaks)  # class bounds are observed values


def test_heat_resolution_grows_with_zoom():
    res = [geo_service.heat_resolution(z) for z in range(0, 23)]
    assert res == sorted(res) and res[0] >= 5 and res[-1] == 10


# --- helpers ------------------------------------------------------------------------------------

def _rows(url: str):
    with session_scope(get_engine(url)) as db:
        rows = db.execute(select(Event.h3, Event.lon, Event.lat, Event.created_at, Event.state, Event.overdue,
                                 Event.region_code, Event.reporter_user_id, Event.code)).all()
        return [r._asdict() for r in rows]


def _user_id(url: str, username: str) -> int:
    with session_scope(get_engine(url)) as db:
        return db.scalar(select(User.id).where(User.username == username))


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _in(r, bbox) -> bool:
    return r["lon"] is not None and bbox[0] <= r["lon"] <= bbox[2] and bbox[1] <= r["lat"] <= bbox[3]


@pytest.fixture(scope="module")
def county(client, auth, demo_db):
    c = client.get(f"/api/v1/regions/{demo_db.top_code}", headers=auth("leader")).json()
    b = c["bbox"]
    return {"code": c["code"], "bbox": [b[0] - 0.01, b[1] - 0.01, b[2] + 0.01, b[3] + 0.01]}


def _bbox_param(bbox) -> str:
    return ",".join(f"{v:.6f}" for v in bbox)


def _week_start() -> datetime:
    local = datetime.now(CST)
    monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return monday.astimezone(UTC)


# --- heat ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("period,zoom", [("365d", 12), ("30d", 14), ("open", 16), ("90d", 9)])
def test_heat_counts_equal_brute_force(client, auth, demo_db, county, period, zoom):
    geo_service.clear_heat_cache()  # long windows are read once per user and kept two minutes
    now = datetime.now(UTC)  # the server's clock reads a moment later: its window starts no earlier
    r = client.get("/api/v1/map/heat", headers=auth("leader"),
                   params={"bbox": _bbox_param(county["bbox"]), "zoom": zoom, "period": period})
    assert r.status_code == 200, r.text
    body = r.json()
    res = body["resolution"]
    assert res == geo_service.heat_resolution(zoom)
    expected: Counter = Counter()
    for row in _rows(demo_db.url):
        if row["h3"] is None or not _in(row, county["bbox"]) or not row["region_code"].startswith(county["code"]):
            continue
        if period == "open":
            if row["state"] in FINAL:
                continue
        elif _aware(row["created_at"]) < now - timedelta(days=int(period[:-1])):
            continue
        expected[h3.cell_to_parent(format(row["h3"], "x"), res)] += 1
    got = {c["h3"]: c["count"] for c in body["cells"]}
    assert got == dict(expected)
    assert body["total"] == sum(expected.values()) and body["max"] == max(expected.values(), default=0)
    if expected:
        assert body["breaks"][-1] == body["max"]
        cell = body["cells"][0]
        ring = [(lat, lon) for lat, lon in h3.cell_to_boundary(cell["h3"])]
        assert np.allclose(cell["boundary"], ring, atol=1e-5)


def test_heat_for_a_grid_worker_counts_only_their_grid(client, auth, demo_db, county):
    grid = demo_db.first_grid
    worker_id = _user_id(demo_db.url, demo_db.users["grid_worker"][0])
    geo_service.clear_heat_cache()
    now = datetime.now(UTC)
    body = client.get("/api/v1/map/heat", headers=auth("grid_worker"),
                      params={"bbox": _bbox_param(county["bbox"]), "zoom": 15, "period": "365d"}).json()
    expected: Counter = Counter()
    for row in _rows(demo_db.url):
        mine = row["region_code"].startswith(grid) or row["reporter_user_id"] == worker_id
        if mine and row["h3"] is not None and _in(row, county["bbox"]) and \
                _aware(row["created_at"]) >= now - timedelta(days=365):
            expected[h3.cell_to_parent(format(row["h3"], "x"), body["resolution"])] += 1
    assert expected, "the tiny demo has events in the grid worker's grid"
    assert {c["h3"]: c["count"] for c in body["cells"]} == dict(expected)
    leader = client.get("/api/v1/map/heat", headers=auth("leader"),
                        params={"bbox": _bbox_param(county["bbox"]), "zoom": 15, "period": "365d"}).json()
    assert leader["total"] > body["total"]


# --- events in view -----------------------------------------------------------------------------

def test_open_events_in_view_points_and_clusters(client, auth, demo_db, county):
    h = auth("leader")
    bbox = _bbox_param(county["bbox"])
    body = client.get("/api/v1/map/events", headers=h, params={"bbox": bbox, "zoom": 15}).json()
    open_rows = [r for r in _rows(demo_db.url) if r["state"] not in FINAL and _in(r, county["bbox"])
                 and r["region_code"].startswith(county["code"])]
    assert body["mode"] == "points"
    assert sorted(e["code"] for e in body["events"]) == sorted(r["code"] for r in open_rows)
    assert all(e["state"] not in FINAL and e["state_label"] and e["severity_label"] for e in body["events"])
    # Fewer allowed points than events: the same events, counted per H3 cell.
    with session_scope(get_engine(demo_db.url)) as db:
        leader = db.scalar(select(User).where(User.username == demo_db.users["leader"][0]))
        clustered = geo_service.events_in_bbox(db, leader, tuple(county["bbox"]), 12, limit=2)
    assert clustered["mode"] == "clusters" and clustered["total"] == len(open_rows)
    expected = Counter(h3.cell_to_parent(format(r["h3"], "x"), clustered["resolution"]) for r in open_rows)
    assert {c["h3"]: c["count"] for c in clustered["clusters"]} == dict(expected)
    assert sum(c["overdue"] for c in clustered["clusters"]) == sum(bool(r["overdue"]) for r in open_rows)


def test_grid_worker_sees_only_their_grids_events(client, auth, demo_db, county):
    grid = demo_db.first_grid
    worker_id = _user_id(demo_db.url, demo_db.users["grid_worker"][0])
    body = client.get("/api/v1/map/events", headers=auth("grid_worker"),
                      params={"bbox": _bbox_param(county["bbox"]), "zoom": 15}).json()
    expected = sorted(r["code"] for r in _rows(demo_db.url) if r["state"] not in FINAL and _in(r, county["bbox"])
                      and (r["region_code"].startswith(grid) or r["reporter_user_id"] == worker_id))
    assert sorted(e["code"] for e in body["events"]) == expected
    assert all(e["region_code"].startswith(grid) for e in body["events"] if e["code"] in expected)
    # A resident sees none of the map.
    assert client.get("/api/v1/map/events", headers=auth("resident"),
                      params={"bbox": _bbox_param(county["bbox"])}).status_code == 403


# --- metrics per region -------------------------------------------------------------------------

@pytest.mark.parametrize("level,metric", [("grid", "open"), ("micro_grid", "events_week"), ("street", "overdue"),
                                          ("community", "population"), ("grid", "population")])
def test_metric_values_equal_brute_force(client, auth, demo_db, county, level, metric):
    r = client.get("/api/v1/map/metrics", headers=auth("leader"),
                   params={"bbox": _bbox_param(county["bbox"]), "level": level, "metric": metric})
    assert r.status_code == 200, r.text
    body = r.json()
    length = geo_service.CODE_LENGTH[level]
    with session_scope(get_engine(demo_db.url)) as db:
        from gridgov.regions.models import Region
        codes = sorted(db.scalars(select(Region.code).where(Region.valid_to.is_(None), Region.level == level)))
        person_grids = list(db.scalars(select(Person.grid_code)))
    assert sorted(body["values"]) == codes
    if metric == "population":
        geo_service.clear_population_cache()
        counted = Counter(g[:length] for g in person_grids if g)
    else:
        since = _week_start()
        counted = Counter(
            row["region_code"][:length] for row in _rows(demo_db.url)
            if (metric == "events_week" and _aware(row["created_at"]) >= since)
            or (metric == "open" and row["state"] not in FINAL)
            or (metric == "overdue" and row["state"] not in FINAL and row["overdue"]))
    assert body["values"] == {c: counted.get(c, 0) for c in codes}
    if metric in ("open", "population"):
        assert body["total"] > 0 and body["breaks"] and body["breaks"][-1] == body["max"]


def test_metric_for_a_grid_worker_is_their_grid_only(client, auth, demo_db, county):
    grid = demo_db.first_grid
    body = client.get("/api/v1/map/metrics", headers=auth("grid_worker"),
                      params={"bbox": _bbox_param(county["bbox"]), "level": "micro_grid", "metric": "population"}).json()
    assert body["values"] and all(code.startswith(grid) for code in body["values"])
    with session_scope(get_engine(demo_db.url)) as db:
        grids = Counter(db.scalars(select(Person.grid_code).where(Person.grid_code.startswith(grid))))
    assert body["values"] == {c: grids.get(c, 0) for c in body["values"]}


def test_population_needs_the_register(client, auth, county):
    r = client.get("/api/v1/map/metrics", headers=auth("handler"),
                   params={"bbox": _bbox_param(county["bbox"]), "level": "grid", "metric": "population"})
    assert r.status_code == 403 and "人口" in r.json()["error"]["message"]
    ok = client.get("/api/v1/map/metrics", headers=auth("handler"),
                    params={"bbox": _bbox_param(county["bbox"]), "level": "grid", "metric": "open"})
    assert ok.status_code == 200


# --- facts --------------------------------------------------------------------------------------

def test_region_facts_equal_brute_force(client, auth, demo_db):
    code = demo_db.first_grid[:12]  # a community
    r = client.get(f"/api/v1/map/regions/{code}/facts", headers=auth("leader"))
    assert r.status_code == 200, r.text
    f = r.json()
    rows = [row for row in _rows(demo_db.url) if row["region_code"].startswith(code)]
    since = _week_start()
    assert f["events_week"] == sum(_aware(row["created_at"]) >= since for row in rows)
    assert f["open"] == sum(row["state"] not in FINAL for row in rows)
    assert f["overdue"] == sum(row["state"] not in FINAL and bool(row["overdue"]) for row in rows)
    with session_scope(get_engine(demo_db.url)) as db:
        persons = sum(1 for g in db.scalars(select(Person.grid_code)) if g and g.startswith(code))
        houses = sum(1 for g in db.scalars(select(House.grid_code)) if g and g.startswith(code))
        groups = sum(1 for g, end in db.execute(select(SpecialGroupMember.grid_code, SpecialGroupMember.valid_to))
                     if g and g.startswith(code) and end is None)
    assert (f["population"], f["houses"], f["special_groups"]) == (persons, houses, groups)
    assert persons > 0 and houses > 0
    # A handler reads no register: the register figures are withheld, the events ones stay.
    h = client.get(f"/api/v1/map/regions/{code}/facts", headers=auth("handler")).json()
    assert h["population"] is None and h["houses"] is None and isinstance(h["open"], int)


def test_facts_outside_scope_are_refused(client, auth, demo_db):
    grid = demo_db.first_grid
    others = [c["code"] for c in client.get("/api/v1/regions", params={"parent": grid[:9]},
                                            headers=auth("leader")).json() if c["code"] != grid[:12]]
    r = client.get(f"/api/v1/map/regions/{others[0]}/facts", headers=auth("grid_worker"))
    assert r.status_code == 403 and "权限" in r.json()["error"]["message"]
    own = client.get(f"/api/v1/map/regions/{grid}/facts", headers=auth("grid_worker"))
    assert own.status_code == 200
    rows = [row for row in _rows(demo_db.url) if row["region_code"].startswith(grid)]
    since = _week_start()
    assert own.json()["events_week"] == sum(_aware(row["created_at"]) >= since for row in rows)
    assert own.json()["open"] == sum(row["state"] not in FINAL for row in rows)
    # the same figure through the metric of the worker's micro-grids (a narrow scope: by region)
    grid_row = client.get(f"/api/v1/regions/{grid}", headers=auth("grid_worker")).json()
    body = client.get("/api/v1/map/metrics", headers=auth("grid_worker"), params={
        "bbox": _bbox_param(grid_row["bbox"]), "level": "micro_grid", "metric": "events_week"}).json()
    assert sum(body["values"].values()) == own.json()["events_week"]


# --- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path,params", [
    ("/api/v1/map/events", {"bbox": "a,b,c,d"}),
    ("/api/v1/map/events", {"bbox": "1,2,3"}),
    ("/api/v1/map/events", {"bbox": "124,41,123,42"}),
    ("/api/v1/map/events", {"bbox": "123,41,124,42", "zoom": 40}),
    ("/api/v1/map/heat", {"bbox": "123,41,124,42", "period": "2d"}),
    ("/api/v1/map/heat", {"bbox": "123,41,124,42", "resolution": 12}),
    ("/api/v1/map/heat", {"bbox": "123,41,124,nan"}),
    ("/api/v1/map/heat", {"bbox": "123,-95,124,42"}),
    ("/api/v1/map/metrics", {"bbox": "123,41,124,42", "level": "county"}),
    ("/api/v1/map/metrics", {"bbox": "123,41,124,42", "metric": "crime"}),
    ("/api/v1/map/metrics", {"bbox": "123,41,124,42", "level": "exclusive_grid"}),
    ("/api/v1/map/metrics", {}),
    ("/api/v1/map/regions/abc/facts", {}),
    ("/api/v1/map/regions/2110219999/facts", {}),
    ("/api/v1/grids", {"bbox": "x", "level": "grid"}),
    ("/api/v1/grids", {"bbox": "123,41,124,42", "level": "planet"}),
])
def test_bad_input_is_a_clear_422(client, auth, path, params):
    r = client.get(path, headers=auth("leader"), params=params)
    assert r.status_code == 422, (path, params, r.status_code, r.text)
    assert r.json()["error"]["message"]


def test_unknown_region_facts_is_404(client, auth):
    r = client.get("/api/v1/map/regions/211021099/facts", headers=auth("admin"))
    assert r.status_code == 404 and r.json()["error"]["message"]


# --- the faster map features --------------------------------------------------------------------

@pytest.mark.parametrize("level,zoom", [("street", 11), ("grid", 14), ("micro_grid", 17)])
def test_grids_json_matches_the_original_features(client, auth, demo_db, county, level, zoom):
    """Same regions and properties as the original (uncached, unquantised) function, and shapes
    within the simplification tolerance of it; a view cutting through the county clips them."""
    b = county["bbox"]
    half = (b[0], b[1], (b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
    for bbox in (tuple(b), half):
        r = client.get("/api/v1/grids", headers=auth("leader"),
                       params={"bbox": _bbox_param(bbox), "level": level, "zoom": zoom})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        fast = r.json()
        with session_scope(get_engine(demo_db.url)) as db:
            leader = db.scalar(select(User).where(User.username == demo_db.users["leader"][0]))
            slow = regions_service.features_in_bbox(db, leader, tuple(float(f"{v:.6f}") for v in bbox), zoom, level)
        assert [f["properties"] for f in fast["features"]] == [f["properties"] for f in slow["features"]]
        tol = 360.0 / (256 * 2**zoom) * 2
        view = shapely.box(*bbox)  # the two cut to slightly different margins around the view
        for f, s in zip(fast["features"], slow["features"]):
            a, c = (shapely.geometry.shape(x["geometry"]).intersection(view) for x in (f, s))
            assert shapely.hausdorff_distance(a, c) <= tol, f["properties"]["code"]
        assert len(json.dumps(fast)) <= len(json.dumps(slow))
        again = client.get("/api/v1/grids", headers=auth("leader"),
                           params={"bbox": _bbox_param(bbox), "level": level, "zoom": zoom})
        assert again.content == r.content  # from the cache of simplified features: the same answer


def test_grids_limit_truncates_and_is_validated(client, auth, county):
    h = auth("leader")
    params = {"bbox": _bbox_param(county["bbox"]), "level": "micro_grid", "zoom": 16}
    whole = client.get("/api/v1/grids", headers=h, params=params).json()
    n = len(whole["features"])
    assert n > 2 and not whole.get("truncated")
    assert client.get("/api/v1/grids", headers=h, params={**params, "limit": n}).json()["features"] == whole["features"]
    cut = client.get("/api/v1/grids", headers=h, params={**params, "limit": n - 1}).json()
    assert cut == {"type": "FeatureCollection", "features": [], "truncated": True}
    for bad in (0, 5001, "x"):
        r = client.get("/api/v1/grids", headers=h, params={**params, "limit": bad})
        assert r.status_code == 422 and r.json()["error"]["message"]


# --- generated input ----------------------------------------------------------------------------

map_schema = schemathesis.pytest.from_fixture("api_schema").include(path_regex="^/api/v1/(map/|grids)")


@map_schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_map_endpoints_never_fail_with_a_server_error(case, auth):
    for role in ("leader", "grid_worker"):
        response = case.call(headers=auth(role))
        assert response.status_code < 500, (case.path, case.query, response.text[:300])
        if response.status_code >= 400:
            assert response.json()["error"]["message"]
