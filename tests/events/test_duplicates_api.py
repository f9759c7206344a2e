"""Possible duplicates through the API (SQLite and PostgreSQL), the candidate query's plan, and the
news a merged event's reporter gets when the event it was merged into is closed."""

from __future__ import annotations

import math
import uuid

import pytest
from sqlalchemy import select, text

from gridgov.db import make_engine, session_scope
from gridgov.events.duplicates import DEFAULT_RULES, haversine_m
from gridgov.events.duplicates_service import candidate_query, notify_merged_reporters
from gridgov.events.models import Event, Notification
from gridgov.regions.models import Region

M_PER_DEG = math.pi * 6_371_008.8 / 180


@pytest.fixture(scope="module")
def engine(demo_db):
    e = make_engine(demo_db.url)
    yield e
    e.dispose()


@pytest.fixture(scope="module")
def places(client, auth, demo_db, engine):
    """The first grid's centre, a point 40 m north of it, and the centre of a grid far away."""
    grid = client.get(f"/api/v1/regions/{demo_db.first_grid}", headers=auth("operator")).json()
    lon, lat = grid["center"]
    with session_scope(engine) as db:
        centres = db.execute(
            select(Region.lon, Region.lat).where(
                Region.level == "grid", Region.valid_to.is_(None), Region.lon.isnot(None)
            )
        ).all()
    far = max(centres, key=lambda c: haversine_m(lon, lat, c[0], c[1]))
    assert haversine_m(lon, lat, far[0], far[1]) > 2000
    return {
        "here": {"lon": lon, "lat": lat},
        "near": {"lon": lon, "lat": lat + 40 / M_PER_DEG},
        "far": {"lon": far[0], "lat": far[1]},
    }


@pytest.fixture(scope="module")
def items(client, auth):
    cat = client.get("/api/v1/catalog", headers=auth("operator")).json()
    cg = next(c for c in cat["categories"] if c["code"] == "CG")["items"]
    hj = next(c for c in cat["categories"] if c["code"] != "CG")["items"]
    return {"a": cg[0]["code"], "b": cg[1]["code"], "other": hj[0]["code"]}


def tag() -> str:
    return uuid.uuid4().hex[:6]


def report(client, auth, item, description, where, role="operator"):
    body = {"item_code": item, "description": description, **where}
    if role == "operator":
        body["channel"] = "centre"
    r = client.post("/api/v1/events", headers=auth(role), json=body)
    assert r.status_code == 201, r.text
    return r.json()


def duplicates(client, auth, ev, role="operator", **params):
    r = client.get(f"/api/v1/events/{ev['code']}/duplicates", headers=auth(role), params=params)
    assert r.status_code == 200, r.text
    return {c["event"]["code"]: c for c in r.json()["candidates"]}, r.json()


def act(client, auth, role, ev, action, **body):
    r = client.post(
        f"/api/v1/events/{ev['code']}/actions/{action}",
        headers=auth(role),
        json={"version": ev["version"], **body},
    )
    assert r.status_code == 200, (action, r.text)
    return r.json()


def test_same_kind_nearby_is_suggested_far_away_is_not(client, auth, places, items):
    t = tag()
    first = report(client, auth, items["a"], f"{t} 人民路口井盖缺失，存在安全隐患", places["here"])
    sibling = report(client, auth, items["b"], f"{t} 路面下水道盖板破损", places["near"])
    far = report(client, auth, items["a"], f"{t} 人民路口井盖缺失，存在安全隐患", places["far"])
    other = report(client, auth, items["other"], f"{t} 某单位疑似存在问题", places["near"])
    second = report(client, auth, items["a"], f"{t} 路口的井盖不见了", places["near"])

    found, out = duplicates(client, auth, second)
    assert out["mergeable"] and out["rules"]["radius_m"] == 200 and out["rules"]["hours"] == 72
    assert first["code"] in found and sibling["code"] in found
    assert far["code"] not in found and other["code"] not in found and second["code"] not in found
    best = found[first["code"]]
    assert best["same_item"] and "place" in best["signals"] and 35 <= best["distance_m"] <= 45
    assert best["reasons"][0].startswith("同一事项") and any("相距" in r for r in best["reasons"])
    assert best["score"] > found[sibling["code"]]["score"]  # same item beats same category
    assert best["event"]["reporter_phone"] is None or "*" in best["event"]["reporter_phone"]

    # a narrower radius drops the neighbours; a radius or window out of range is refused
    narrow, _ = duplicates(client, auth, second, radius_m=20)
    assert first["code"] not in narrow
    for params in ({"radius_m": 5000}, {"radius_m": 0}, {"hours": 0}, {"hours": 10000}, {"limit": 0}):
        r = client.get(f"/api/v1/events/{second['code']}/duplicates", headers=auth("operator"), params=params)
        assert r.status_code == 422, params


def test_near_identical_text_without_a_point(client, auth, places, items):
    t = tag()
    located = report(client, auth, items["a"], f"{t} 幸福家园小区北门井盖缺失三天无人处理", places["here"])
    r = client.post(
        "/api/v1/hotline/orders",
        headers=auth("operator"),
        json={
            "number": f"LY{t}{uuid.uuid4().hex[:8]}",
            "item_code": items["other"],
            "description": f"{t} 幸福家园小区北门的井盖缺失三天无人处理",
        },
    )
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["lon"] is None if "lon" in order else True

    found, _ = duplicates(client, auth, order)
    assert located["code"] in found
    match = found[located["code"]]
    assert "text" in match["signals"] and match["distance_m"] is None and not match["same_category"]
    assert any("描述几乎相同" in r for r in match["reasons"])
    back, _ = duplicates(client, auth, located)  # and the other way round
    assert order["code"] in back


def test_only_events_you_may_see(client, auth, places, items):
    ev = report(client, auth, items["a"], f"{tag()} 只有中心能看到", places["here"])
    r = client.get(f"/api/v1/events/{ev['code']}/duplicates", headers=auth("resident"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "event_not_found"
    assert client.get(f"/api/v1/events/{ev['code']}/duplicates").status_code == 401
    assert (
        client.get("/api/v1/events/SJ2026010199999999/duplicates", headers=auth("operator")).status_code
        == 404
    )


def test_candidate_query_uses_the_index(demo_db, engine, client, auth, places, items):
    if demo_db.backend != "sqlite":
        pytest.skip("the plan is checked on SQLite")
    ev = report(client, auth, items["a"], f"{tag()} 查询计划", places["here"])
    from gridgov.access.models import User

    with session_scope(engine) as db:
        e = db.scalar(select(Event).where(Event.code == ev["code"]))
        operator = db.scalar(select(User).where(User.username == demo_db.users["operator"][0]))
        for event in (e, db.scalar(select(Event).where(Event.lon.is_(None)).limit(1)) or e):
            stmt = candidate_query(db, operator, event, DEFAULT_RULES)
            compiled = stmt.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
            plan = " ".join(str(row[-1]) for row in db.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
            # an index search (region+time, or the time window alone — the planner picks), never a table scan
            assert "SCAN events" not in plan and "SEARCH events USING INDEX" in plan, plan


def test_merged_reporters_hear_the_outcome(client, auth, places, items, demo_db, engine):
    t = tag()
    mine = report(client, auth, items["a"], f"{t} 网格员：井盖缺失", places["here"], role="grid_worker")
    chained = report(client, auth, items["a"], f"{t} 网格员：同一处井盖", places["here"], role="grid_worker")
    middle = report(client, auth, items["a"], f"{t} 中心：同一处井盖", places["near"])
    target = report(client, auth, items["a"], f"{t} 中心：井盖缺失", places["near"])
    assert mine["code"] in duplicates(client, auth, target)[0]
    act(client, auth, "operator", mine, "merge", into=target["code"])
    act(client, auth, "operator", chained, "merge", into=middle["code"])
    act(client, auth, "operator", middle, "merge", into=target["code"])
    target = act(client, auth, "operator", target, "accept")

    with session_scope(engine) as db:  # not closed yet: nobody is told
        assert notify_merged_reporters(db, db.scalar(select(Event).where(Event.code == target["code"]))) == 0
    act(client, auth, "operator", target, "close", note="已补装井盖并加固")

    with session_scope(engine) as db:
        e = db.scalar(select(Event).where(Event.code == target["code"]))
        notify_merged_reporters(db, e)  # 2 if the workflow did not already call it, else 0
        assert notify_merged_reporters(db, e) == 0  # idempotent
        ids = {m: db.scalar(select(Event.id).where(Event.code == m)) for m in (mine["code"], chained["code"])}
        tracking = db.scalar(select(Event.tracking_code).where(Event.code == mine["code"]))
        notes = db.scalars(
            select(Notification).where(Notification.kind == "merged", Notification.event_id.in_(ids.values()))
        ).all()
        assert sorted(n.event_id for n in notes) == sorted(ids.values())

    inbox = client.get("/api/v1/inbox", headers=auth("grid_worker")).json()["items"]
    told = [n for n in inbox if n["kind"] == "merged" and n["event_id"] in ids.values()]
    assert len(told) == 2 and all(
        "已补装井盖并加固" in n["body"] and target["code"] in n["body"] for n in told
    )
    public = client.get(f"/api/v1/public/reports/{tracking}").json()
    assert public["state"] == "merged" and public["merged_into"]["state"] == "closed"
