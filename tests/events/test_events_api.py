"""The closed loop through the API on SQLite and PostgreSQL: every channel in, every action, clocks,
idempotency, concurrency, bad input."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from gridgov.db import session_scope, utcnow
from gridgov.events import clock
from gridgov.events.models import Event, EventLog, Notification


@pytest.fixture(scope="module")
def items(client, auth):
    cat = client.get("/api/v1/catalog", headers=auth("operator")).json()
    flat = [i for c in cat["categories"] for i in c["items"]]
    assert len(cat["categories"]) >= 12 and len(flat) >= 150
    handler_dept = client.get("/api/v1/auth/me", headers=auth("handler")).json()["department"]["code"]
    suffix = handler_dept.rsplit("-", 1)[-1]
    return {
        "handler": next(i for i in flat if i["department_code"] == suffix),
        "self": next(i for i in flat if i["self_resolvable"]),
        "not_self": next(i for i in flat if not i["self_resolvable"]),
    }


def _report(client, auth, where, item, **extra):
    body = {"item_code": item["code"], "description": "人民路口井盖缺失，存在安全隐患", **where, **extra}
    r = client.post("/api/v1/events", headers=auth("grid_worker"), json=body)
    assert r.status_code in (200, 201), r.text
    return r.json()


def _act(client, auth, role, ev, action, expect=200, **body):
    r = client.post(f"/api/v1/events/{ev['code']}/actions/{action}", headers=auth(role),
                    json={"version": ev["version"], **body})
    assert r.status_code == expect, (action, r.text)
    return r.json()


def test_whole_loop_grid_worker_to_rating(client, auth, where, items):
    ev = _report(client, auth, where, items["handler"], client_id=str(uuid.uuid4()))
    assert ev["state"] == "reported" and ev["grid_code"] and ev["due_at"]
    ev = _act(client, auth, "operator", ev, "accept")
    ev = _act(client, auth, "operator", ev, "dispatch")  # the responsibility list picks the department
    assert ev["state"] == "dispatched" and ev["lead_department_id"]
    inbox = client.get("/api/v1/inbox", headers=auth("handler")).json()
    assert any(n["event_id"] == ev["id"] and n["kind"] == "dispatched" for n in inbox["items"])
    ev = _act(client, auth, "handler", ev, "sign")
    ev = _act(client, auth, "handler", ev, "handle", note="已补装井盖", )
    ev = _act(client, auth, "grid_worker", ev, "verify_fail", note="井盖松动")
    assert ev["state"] == "in_progress"
    ev = _act(client, auth, "handler", ev, "handle", note="已加固")
    ev = _act(client, auth, "grid_worker", ev, "verify_pass")
    assert ev["state"] == "closed"
    ev = _act(client, auth, "operator", ev, "evaluate", rating="satisfied", comment="回访满意")
    detail = client.get(f"/api/v1/events/{ev['id']}", headers=auth("operator")).json()
    actions = [t["action"] for t in detail["timeline"]]
    assert actions == ["report", "accept", "dispatch", "sign", "handle", "verify_fail", "handle", "verify_pass",
                       "evaluate"]
    assert all(t["audit_seq"] for t in detail["timeline"])
    assert detail["rework_count"] if "rework_count" in detail else True


def test_idempotent_report_and_reused_key(client, auth, where, items):
    key = str(uuid.uuid4())
    a = _report(client, auth, where, items["handler"], client_id=key)
    b = client.post("/api/v1/events", headers=auth("grid_worker"),
                    json={"item_code": items["handler"]["code"], "description": "人民路口井盖缺失，存在安全隐患",
                          **where, "client_id": key})
    assert b.status_code == 200 and b.json()["code"] == a["code"] and b.headers["idempotent-replay"] == "true"
    c = client.post("/api/v1/events", headers=auth("grid_worker"),
                    json={"item_code": items["handler"]["code"], "description": "另一件事", **where, "client_id": key})
    assert c.status_code == 409 and c.json()["error"]["code"] == "idempotency_key_reused"


def test_self_resolve(client, auth, where, items):
    ev = _report(client, auth, where, items["self"], self_resolve=True, result="已当场劝离")
    assert ev["state"] == "closed"
    r = client.post("/api/v1/events", headers=auth("grid_worker"), json={
        "item_code": items["not_self"]["code"], "description": "不能自处置的事项", **where,
        "self_resolve": True, "result": "x"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "self_resolve_not_allowed"


@pytest.mark.parametrize("body,code", [
    ({"item_code": "NOPE999", "description": "未知事项"}, "unknown_item"),
    ({"item_code": "@", "description": "缺位置"}, "location_required"),
])
def test_bad_reports(client, auth, items, body, code):
    if body["item_code"] == "@":
        body["item_code"] = items["self"]["code"]
    r = client.post("/api/v1/events", headers=auth("grid_worker"), json=body)
    assert r.status_code == 422 and r.json()["error"]["code"] == code


def test_point_outside_territory(client, auth, items):
    r = client.post("/api/v1/events", headers=auth("operator"), json={
        "channel": "centre", "item_code": items["self"]["code"], "description": "境外坐标", "lon": 10.0, "lat": 10.0})
    assert r.status_code == 422 and r.json()["error"]["code"] == "outside_grids"


def test_invalid_transitions_and_roles(client, auth, where, items):
    ev = _report(client, auth, where, items["handler"])
    r = _act(client, auth, "operator", ev, "close", expect=409, note="直接结案")
    assert r["error"]["code"] == "invalid_transition"
    r = _act(client, auth, "grid_worker", ev, "accept", expect=403)
    assert r["error"]["code"] == "not_your_step"
    r = _act(client, auth, "operator", ev, "reject", expect=422)
    assert r["error"]["code"] == "note_required"
    r = client.post(f"/api/v1/events/{ev['code']}/actions/fly", headers=auth("operator"), json={})
    assert r.status_code == 404
    stale = {**ev, "version": ev["version"] + 5}
    r = _act(client, auth, "operator", stale, "accept", expect=409)
    assert r["error"]["code"] == "version_conflict"
    # a resident cannot see staff events
    assert client.get(f"/api/v1/events/{ev['id']}", headers=auth("resident")).status_code == 404


def test_concurrent_actions_exactly_one_wins(client, auth, where, items):
    ev = _report(client, auth, where, items["handler"])
    h = auth("operator")
    barrier = threading.Barrier(4)
    results: list[int] = []

    def accept():
        barrier.wait()
        r = client.post(f"/api/v1/events/{ev['id']}/actions/accept", headers=h, json={"version": ev["version"]})
        results.append(r.status_code)

    threads = [threading.Thread(target=accept) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results).count(200) == 1 and all(s == 409 for s in results if s != 200), results


def test_extension_whistle_urge_escalate(client, auth, where, items, demo_db):
    ev = _report(client, auth, where, items["handler"])
    ev = _act(client, auth, "operator", ev, "accept")
    ev = _act(client, auth, "operator", ev, "dispatch")
    ev = _act(client, auth, "handler", ev, "sign")
    before = ev["due_at"]
    ev = _act(client, auth, "handler", ev, "request_extension", hours=8, note="需协调产权单位")
    ev = _act(client, auth, "operator", ev, "approve_extension")
    assert ev["due_at"] > before
    ev = _act(client, auth, "operator", ev, "urge", note="请加快办理")
    depts = client.get("/api/v1/departments", headers=auth("admin")).json()
    others = [d["id"] for d in depts if not d["is_centre"] and d["id"] != ev["lead_department_id"]][:2]
    ev = _act(client, auth, "operator", ev, "whistle", department_ids=others, note="联合处置")
    detail = client.get(f"/api/v1/events/{ev['id']}", headers=auth("operator")).json()
    assert {a["department_id"] for a in detail["assignments"] if a["kind"] == "whistle"} == set(others)
    ev = _act(client, auth, "operator", detail, "escalate", note="情况复杂")
    assert ev["level"] == 1


def test_resident_report_track_merge_and_rate(client, auth, where, items):
    body = {"item_code": items["handler"]["code"], "description": "路灯不亮已经一周", **where}
    r = client.post("/api/v1/public/reports", json=body)
    assert r.status_code == 201, r.text
    first = r.json()
    assert len(first["tracking_code"]) == 10
    second = client.post("/api/v1/public/reports", json={**body, "phone": "13812345678"}).json()
    ev1 = client.get(f"/api/v1/events/{first['code']}", headers=auth("operator")).json()
    ev2 = client.get(f"/api/v1/events/{second['code']}", headers=auth("operator")).json()
    assert ev2["reporter_phone"] == "138****5678"
    _act(client, auth, "operator", ev2, "merge", into=ev1["code"])
    ev1 = _act(client, auth, "operator", ev1, "accept")
    ev1 = _act(client, auth, "operator", ev1, "close", note="已电话答复并处理")
    tracked = client.get(f"/api/v1/public/reports/{second['tracking_code']}").json()
    assert tracked["state"] == "merged" and tracked["merged_into"]["state"] == "closed"
    r = client.post(f"/api/v1/public/reports/{first['tracking_code']}/rating", json={"rating": "basic"})
    assert r.status_code == 200 and r.json()["state"] == "evaluated"
    r = client.post(f"/api/v1/public/reports/{first['tracking_code']}/rating", json={"rating": "basic"})
    assert r.status_code == 409
    assert client.get("/api/v1/public/reports/ZZZZZZZZZZ").status_code == 404
    assert client.post("/api/v1/public/reports", json={**body, "phone": "12"}).status_code == 422


def test_attachments_checked_by_size_and_bytes(client, auth):
    h = auth("grid_worker")
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    r = client.post("/api/v1/events/attachments", headers=h, files={"file": ("a.png", png, "image/png")})
    assert r.status_code == 201 and r.json()["content_type"] == "image/png"
    r = client.post("/api/v1/events/attachments", headers=h, files={"file": ("a.jpg", b"MZ\x90\0 not an image", "image/jpeg")})
    assert r.status_code == 415
    big = b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024 + 1)
    r = client.post("/api/v1/events/attachments", headers=h, files={"file": ("big.jpg", big, "image/jpeg")})
    assert r.status_code == 413
    r = client.post("/api/v1/events", headers=h, json={"item_code": "x", "description": "附件", "attachment_ids": [999999]})
    assert r.status_code == 422


def test_clock_warns_marks_overdue_escalates_once(client, auth, where, items, demo_db):
    ev = _report(client, auth, where, items["handler"])
    later = utcnow() + timedelta(days=60)
    from gridgov.db import make_engine, session_factory

    engine = make_engine(demo_db.url)
    try:
        factory = session_factory(engine)
        first = clock.run_once(factory, later)
        second = clock.run_once(factory, later)
        with session_scope(engine) as db:
            e = db.scalar(select(Event).where(Event.code == ev["code"]))
            assert e.overdue and e.ever_overdue and e.level == 1
            escalations = db.scalars(select(EventLog).where(EventLog.event_id == e.id,
                                                            EventLog.action == "escalate")).all()
            assert len(escalations) == 1
            notes = db.scalars(select(Notification).where(Notification.event_id == e.id,
                                                          Notification.kind == "overdue")).all()
            assert notes
    finally:
        engine.dispose()
    assert first is not None and first["overdue"] >= 1
    assert second is not None and second["overdue"] == 0


def test_queues_and_search(client, auth, where, items):
    ev = _report(client, auth, where, items["handler"])
    counts = client.get("/api/v1/events/queues", headers=auth("operator")).json()["counts"]
    assert counts["to_accept"] >= 1
    page = client.get("/api/v1/events", params={"queue": "to_accept", "limit": 5}, headers=auth("operator")).json()
    assert page["items"] and all(i["state"] == "reported" for i in page["items"])
    found = client.get("/api/v1/events", params={"q": ev["code"]}, headers=auth("operator")).json()["items"]
    assert [i["code"] for i in found] == [ev["code"]]
    assert client.get("/api/v1/events", params={"queue": "nope"}, headers=auth("operator")).status_code == 422
    mine = client.get("/api/v1/events", params={"queue": "mine"}, headers=auth("grid_worker")).json()["items"]
    assert any(i["code"] == ev["code"] for i in mine)


def test_notices_with_receipts_and_replies(client, auth, demo_db):
    r = client.post("/api/v1/notices", headers=auth("operator"), json={
        "title": "寒潮预警", "body": "请走访独居老人", "region_code": demo_db.first_grid, "requires_reply": True})
    assert r.status_code == 201, r.text
    nid = r.json()["id"]
    mine = client.get("/api/v1/notices", headers=auth("grid_worker")).json()
    assert any(n["id"] == nid and n["read_at"] is None for n in mine)
    assert client.post(f"/api/v1/notices/{nid}/read", headers=auth("grid_worker")).json()["read_at"]
    client.post(f"/api/v1/notices/{nid}/reply", headers=auth("grid_worker"), json={"reply": "已走访"})
    sent = {n["id"]: n for n in client.get("/api/v1/notices/sent", headers=auth("operator")).json()}
    assert sent[nid]["read"] >= 1 and sent[nid]["replied"] >= 1
    receipts = client.get(f"/api/v1/notices/{nid}/receipts", headers=auth("operator")).json()
    assert any(x["reply"] == "已走访" for x in receipts)
    assert client.post("/api/v1/notices", headers=auth("grid_worker"), json={
        "title": "x", "body": "y", "region_code": demo_db.first_grid}).status_code == 403
    assert client.post(f"/api/v1/notices/{nid}/read", headers=auth("resident")).status_code == 404


def test_a_department_sees_only_its_own_events_not_every_event_of_its_region(client, auth):
    """Handlers see the events their department leads or was summoned to; another department's
    event in the same county is 404 to them (not even confirmed to exist), and lists leave it out."""
    mine = client.get("/api/v1/auth/me", headers=auth("handler")).json()["department"]["id"]
    events = client.get("/api/v1/events", headers=auth("operator"), params={"limit": 200}).json()["items"]
    foreign = next(e for e in events if e.get("lead_department_id") not in (None, mine))
    assert client.get(f"/api/v1/events/{foreign['code']}", headers=auth("handler")).status_code == 404
    listed = client.get("/api/v1/events", headers=auth("handler"), params={"limit": 200}).json()["items"]
    assert listed and foreign["code"] not in {e["code"] for e in listed}
    for e in listed:  # each listed event is the department's own, or it was summoned to it
        if e["lead_department_id"] != mine:
            detail = client.get(f"/api/v1/events/{e['code']}", headers=auth("handler")).json()
            assert mine in {a["department_id"] for a in detail["assignments"]}


def test_the_centre_finds_a_resident_report_by_its_tracking_code_or_a_word_of_its_text(client, auth, demo_db):
    grid = client.get(f"/api/v1/regions/{demo_db.first_grid}", headers=auth("operator")).json()
    lon, lat = grid["center"]
    word = "井盖缺失" + uuid.uuid4().hex[:6]
    r = client.post("/api/v1/public/reports", json={"item_code": "CG001", "description": f"小区门口{word}，很危险",
                                                   "lon": lon, "lat": lat})
    assert r.status_code == 201, r.text
    tracking = r.json()["tracking_code"]
    for q in (tracking, tracking.lower(), word):
        found = client.get("/api/v1/events", headers=auth("operator"), params={"q": q}).json()["items"]
        assert [e["description"] for e in found] == [f"小区门口{word}，很危险"], q
    # the code is matched whole: a part of it finds nothing
    assert client.get("/api/v1/events", headers=auth("operator"), params={"q": tracking[:-1] + "#"}).json()["items"] == []


def test_a_tracking_code_that_begins_with_sj_is_not_taken_for_an_event_number(client, auth, demo_db):
    """Tracking codes draw from A–Z and 2–9, so about one in a thousand begins with SJ like an event number."""
    from gridgov.db import make_engine

    grid = client.get(f"/api/v1/regions/{demo_db.first_grid}", headers=auth("operator")).json()
    lon, lat = grid["center"]
    r = client.post("/api/v1/public/reports", json={"item_code": "CG001", "description": "路灯不亮",
                                                   "lon": lon, "lat": lat})
    assert r.status_code == 201, r.text
    code = "SJ" + uuid.uuid4().hex[:8].upper()
    engine = make_engine(demo_db.url)
    try:
        with session_scope(engine) as db:
            e = db.scalar(select(Event).where(Event.tracking_code == r.json()["tracking_code"]))
            e.tracking_code = code
    finally:
        engine.dispose()
    found = client.get("/api/v1/events", headers=auth("operator"), params={"q": code}).json()["items"]
    assert [e["description"] for e in found] == ["路灯不亮"]


def test_queue_badges_stop_at_the_cap_and_agree_with_full_counts_below_it(client, auth, demo_db):
    from sqlalchemy import func

    from gridgov.access.models import User
    from gridgov.db import make_engine
    from gridgov.events import queues

    body = client.get("/api/v1/events/queues", headers=auth("operator")).json()
    assert body["cap"] == queues.COUNT_CAP and all(0 <= n <= body["cap"] for n in body["counts"].values())
    engine = make_engine(demo_db.url)
    try:
        with session_scope(engine) as db:
            operator = db.scalar(select(User).where(User.username == "operator"))
            full = {name: db.scalar(select(func.count()).select_from(Event).where(
                queues.visible_clause(operator), queues.queue_clause(name, operator))) for name in queues.QUEUES}
            assert full["closed"] > 5  # the demo has a year of closed events
            assert queues.counts(db, operator, cap=5) == {name: min(n, 5) for name, n in full.items()}
            assert queues.counts(db, operator, cap=10**9) == full
    finally:
        engine.dispose()
