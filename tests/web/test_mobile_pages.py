"""The grid worker's phone pages and the resident's public pages over HTTP, in process, on SQLite and
PostgreSQL: who may open them, what they count, refusals as 4xx pages or fragments (never a 500),
the public outlines route, tracking, rating and the public look-up rate limit.
"""

from __future__ import annotations

import re
import statistics
import time
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

HTML = {"Accept": "text/html"}
HTMX = {"Accept": "text/html", "HX-Request": "true"}




@pytest.fixture(scope="module")
def gw(auth):
    return {**HTML, **auth("grid_worker")}


@pytest.fixture(scope="module")
def grid_point(client, auth, demo_db):
    detail = client.get(f"/api/v1/regions/{demo_db.first_grid}", headers=auth("grid_worker")).json()
    return detail["center"]


def new_event(client, auth, point, *, item: str = "CG005", state: str = "reported") -> dict:
    """An event in the grid worker's grid, reported by them, driven to ``state`` by the centre/department."""
    r = client.post("/api/v1/events", headers=auth("grid_worker"), json={
        "item_code": item, "description": f"页面测试 {uuid.uuid4().hex[:8]}", "lon": point[0], "lat": point[1],
        "client_id": str(uuid.uuid4())})
    assert r.status_code == 201, r.text
    e = r.json()
    if state == "reported":
        return e

    def act(role: str, action: str, **body) -> dict:
        current = client.get(f"/api/v1/events/{e['code']}", headers=auth(role)).json()
        r = client.post(f"/api/v1/events/{e['code']}/actions/{action}", headers=auth(role),
                        json={"version": current["version"], **body})
        assert r.status_code == 200, r.text
        return r.json()

    e = act("operator", "accept")
    if state == "closed":
        return act("operator", "close", note="已办结")
    dept = client.get("/api/v1/auth/me", headers=auth("handler")).json()["department"]["id"]
    act("operator", "dispatch", department_id=dept)
    act("handler", "sign")
    return act("handler", "handle", note="已处置")


# --- who may open the pages -----------------------------------------------------------------

@pytest.mark.parametrize("path", ["/m", "/m/report", "/m/tasks", "/m/visits", "/m/events/SJ202601010000001"])
def test_grid_worker_pages_send_anonymous_browsers_to_login(web, path):
    web.cookies.clear()
    r = web.get(path, headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/login?next={path}"


@pytest.mark.parametrize("role", ["operator", "handler", "leader", "resident"])
def test_other_roles_get_a_403_page(web, auth, role):
    r = web.get("/m", headers={**HTML, **auth(role)})
    assert r.status_code == 403
    assert "此页面仅供网格员使用" in r.text and "<html" in r.text
    r = web.post("/m/events/1/act", headers={**HTMX, **auth(role)}, data={"action": "comment", "note": "x"})
    assert r.status_code == 403 and r.text.lstrip().startswith('<div class="alert alert-error"')


def test_public_pages_need_no_login_and_keep_the_csp(web):
    web.cookies.clear()
    for path in ("/report", "/track"):
        r = web.get(path, headers=HTML)
        assert r.status_code == 200, path
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert "<script>" not in r.text and 'style="' not in r.text
        assert "app-header" not in r.text  # no staff header on the public pages


# --- my grid, tasks, one event ----------------------------------------------------------------

def test_my_grid_counts_what_the_services_count(web, client, auth, gw, demo_db, grid_point):
    handled = new_event(client, auth, grid_point, state="handled")
    r = web.get("/m", headers=gw)
    assert r.status_code == 200
    assert f'data-grid-code="{demo_db.first_grid}"' in r.text
    counts = client.get("/api/v1/events/queues", headers=auth("grid_worker")).json()["counts"]
    assert counts["to_verify"] >= 1
    shown = re.search(r'id="kpi-verify"[^>]*>\s*<span class="m-kpi-value num">(\d+)<', r.text)
    assert shown and int(shown.group(1)) == counts["to_verify"]
    def kpi(name: str) -> int:
        found = re.search(rf'id="kpi-{name}"[^>]*>\s*<span class="m-kpi-value num">(\d+)<', r.text)
        return int(found.group(1))

    zone = timezone(timedelta(hours=8))
    now = datetime.now(zone)
    monday = datetime.combine(now.date() - timedelta(days=now.weekday()), datetime.min.time(), zone)
    week = client.get("/api/v1/events", headers=auth("grid_worker"),
                      params={"since": monday.isoformat(), "limit": 200}).json()["items"]
    assert kpi("week") == len(week) >= 1
    open_states = "reported,accepted,dispatched,in_progress,handled,returned"
    mine = client.get("/api/v1/events", headers=auth("grid_worker"),
                      params={"queue": "mine", "state": open_states, "limit": 200}).json()["items"]
    assert kpi("mine") == len(mine) >= 1
    tasks = web.get("/m/tasks?tab=verify", headers=gw)
    assert f'data-code="{handled["code"]}"' in tasks.text
    mine = web.get("/m/tasks?tab=mine", headers=gw)
    assert f'data-code="{handled["code"]}"' in mine.text
    fallback = web.get("/m/tasks?tab=nonsense", headers=gw)
    assert fallback.status_code == 200 and 'id="tasks-tab-verify" href="/m/tasks?tab=verify" aria-current="page"' in fallback.text


def test_event_page_offers_only_the_allowed_phone_actions(web, client, auth, gw, grid_point):
    reported = new_event(client, auth, grid_point)
    page = web.get(f"/m/events/{reported['code']}", headers=gw).text
    assert 'data-action-pick="verify_pass"' not in page  # not handled yet
    assert 'data-action-pick="comment"' in page and 'data-action-pick="escalate"' in page
    handled = new_event(client, auth, grid_point, state="handled")
    page = web.get(f"/m/events/{handled['code']}", headers=gw).text
    assert 'data-action-pick="verify_pass"' in page and 'data-action-pick="verify_fail"' in page


def test_event_actions_refuse_bad_input_in_place(web, client, auth, gw, grid_point):
    handled = new_event(client, auth, grid_point, state="handled")
    url = f"/m/events/{handled['code']}/act"
    hx = {**HTMX, **auth("grid_worker")}
    cases = [
        ({"action": "verify_fail", "version": str(handled["version"])}, 422, "须填写说明"),
        ({"action": "dispatch", "version": str(handled["version"])}, 422, "手机端不支持"),
        ({"action": "verify_pass", "version": str(handled["version"] - 1)}, 409, "已被他人处理"),
        ({"action": "verify_pass", "version": "abc"}, 422, "请求参数有误"),
    ]
    for data, status, words in cases:
        r = web.post(url, headers=hx, data=data)
        assert r.status_code == status, (data, r.text)
        assert words in r.text and r.text.lstrip().startswith('<div class="alert alert-error"')
    r = web.post(url, headers=hx, data={"action": "verify_pass", "version": str(handled["version"])},
                 files={"photo": ("x.txt", b"plain text", "text/plain")})
    assert r.status_code == 415 and "附件类型不支持" in r.text
    assert client.get(f"/api/v1/events/{handled['code']}", headers=auth("operator")).json()["state"] == "handled"
    # the real thing, with a photo: the panel comes back (retargeted) and the event is closed
    r = web.post(url, headers=hx, data={"action": "verify_pass", "version": str(handled["version"]), "note": "已核实"},
                 files={"photo": ("ok.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32, "image/png")})
    assert r.status_code == 200 and r.headers["hx-retarget"] == "#event-panel"
    assert 'id="act-done"' in r.text and 'data-state="closed"' in r.text
    detail = client.get(f"/api/v1/events/{handled['code']}", headers=auth("operator")).json()
    assert detail["state"] == "closed" and len(detail["timeline"][-1]["data"]["attachments"]) == 1


def test_events_outside_the_grid_are_not_found(web, client, auth, gw, demo_db):
    other = client.get("/api/v1/events", headers=auth("operator"),
                       params={"limit": 200}).json()["items"]
    outside = next(e for e in other if not e["region_code"].startswith(demo_db.first_grid))
    assert web.get(f"/m/events/{outside['code']}", headers=gw).status_code == 404
    r = web.post(f"/m/events/{outside['code']}/act", headers={**HTMX, **auth("grid_worker")},
                 data={"action": "comment", "note": "看看"})
    assert r.status_code == 404
    assert web.get("/m/events/not-a-code", headers=gw).status_code == 422


def test_notices_show_on_my_grid_and_take_a_reply(web, client, auth, gw, demo_db):
    title = f"寒潮预警 {uuid.uuid4().hex[:6]}"
    r = client.post("/api/v1/notices", headers=auth("operator"), json={
        "title": title, "body": "今夜寒潮，请走访独居老人。", "region_code": demo_db.first_grid, "requires_reply": True})
    assert r.status_code == 201, r.text
    notice = r.json()
    page = web.get("/m", headers=gw).text
    assert title in page and f'hx-post="/m/notices/{notice["id"]}/reply"' in page
    hx = {**HTMX, **auth("grid_worker")}
    r = web.post(f"/m/notices/{notice['id']}/reply", headers=hx, data={"reply": "   "})
    assert r.status_code == 422 and "请填写回复内容" in r.text
    r = web.post(f"/m/notices/{notice['id'] + 100000}/reply", headers=hx, data={"reply": "收到"})
    assert r.status_code == 404
    r = web.post(f"/m/notices/{notice['id']}/reply", headers=hx, data={"reply": "已走访 3 户，取暖正常"})
    assert r.status_code == 200 and r.headers["hx-retarget"] == f"#notice-{notice['id']}"
    assert "已走访 3 户，取暖正常" in r.text and "<form" not in r.text
    receipts = client.get(f"/api/v1/notices/{notice['id']}/receipts", headers=auth("operator")).json()
    assert [x["reply"] for x in receipts if x["reply"]] == ["已走访 3 户，取暖正常"]


# --- visits -----------------------------------------------------------------------------------

def test_visits_list_the_due_members_and_record_one(web, client, auth, gw):
    members = client.get("/api/v1/special-groups", headers=auth("grid_worker"), params={"limit": 500}).json()
    horizon = (date.today() + timedelta(days=7)).isoformat()
    due = [m for m in members if m["next_visit_due"] <= horizon]
    page = web.get("/m/visits", headers=gw).text
    assert page.count('class="card m-card m-visit"') == len(due)
    for m in members:
        assert (f'id="member-{m["id"]}"' in page) == (m in due)
    hx = {**HTMX, **auth("grid_worker")}
    r = web.post("/m/visits", headers=hx, data={"member_id": "2147483647", "content": "x"})
    assert r.status_code == 404
    if not due:
        return
    target = due[0]
    r = web.post("/m/visits", headers=hx, data={"member_id": str(target["id"]), "content": "  "})
    assert r.status_code == 422 and "请填写走访情况" in r.text
    r = web.post("/m/visits", headers=hx, data={"member_id": str(target["id"]), "method": "fax", "content": "见面"})
    assert r.status_code == 422 and "走访方式" in r.text
    r = web.post("/m/visits", headers=hx, data={"member_id": str(target["id"]), "method": "home",
                                                "content": "入户见到本人，情况稳定", "findings": "门锁损坏"})
    assert r.status_code == 200 and r.headers["hx-retarget"] == f"#member-{target['id']}"
    after = {m["id"]: m for m in client.get("/api/v1/special-groups", headers=auth("grid_worker"),
                                            params={"limit": 500}).json()}[target["id"]]
    assert after["next_visit_due"] == (date.today() + timedelta(days=after["visit_interval_days"])).isoformat()
    assert after["next_visit_due"] in r.text


# --- the resident -----------------------------------------------------------------------------

def test_public_outlines_hold_only_names_and_shapes(web, demo_db):
    web.cookies.clear()
    r = web.get("/report/areas.json")
    assert r.status_code == 200 and "public" in r.headers["cache-control"]
    features = r.json()["features"]
    levels = {f["properties"]["level"] for f in features}
    assert levels == {"county", "street", "community"}
    assert all(set(f["properties"]) == {"code", "name", "level"} for f in features)
    assert any(demo_db.first_grid.startswith(f["properties"]["code"]) for f in features
               if f["properties"]["level"] == "community")


def test_tracking_and_rating_by_code(web, client, auth, grid_point):
    r = client.post("/api/v1/public/reports", json={"item_code": "CG001", "description": "垃圾没人清理",
                                                    "lon": grid_point[0], "lat": grid_point[1]})
    assert r.status_code == 201
    code, event_code = r.json()["tracking_code"], r.json()["code"]
    page = web.get(f"/track/{code.lower()}", headers=HTML)
    assert page.status_code == 200 and 'data-state="reported"' in page.text and 'id="rating-form"' not in page.text
    r = web.post(f"/track/{code}/rating", data={"rating": "satisfied"}, follow_redirects=False)
    assert r.status_code == 409 and "不能执行" in r.text  # not closed yet
    current = client.get(f"/api/v1/events/{event_code}", headers=auth("operator")).json()
    e = client.post(f"/api/v1/events/{event_code}/actions/accept", headers=auth("operator"),
                    json={"version": current["version"]}).json()
    client.post(f"/api/v1/events/{event_code}/actions/close", headers=auth("operator"),
                json={"version": e["version"], "note": "已清运"})
    page = web.get(f"/track/{code}", headers=HTML)
    assert 'id="rating-form"' in page.text and "已清运" in page.text
    assert web.post(f"/track/{code}/rating", data={"rating": "great"}).status_code == 422
    r = web.post(f"/track/{code}/rating", data={"rating": "unsatisfied", "comment": "还有残留"},
                 follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/track/{code}?rated=1"
    detail = client.get(f"/api/v1/events/{event_code}", headers=auth("operator")).json()
    assert detail["state"] == "evaluated" and detail["rating"] == "unsatisfied"
    assert web.get(f"/track/{code}?rated=1").text.count('id="rated-ok"') == 1


@pytest.mark.parametrize(("path", "status", "words"), [
    ("/track/NOSUCHCODE1", 404, "没有找到"),
    ("/track/ab", 422, "6 至 16 位"),
    ("/track?code=a%21b", 422, "6 至 16 位"),
    ("/track/" + "A" * 40, 422, "6 至 16 位"),
])
def test_wrong_codes_are_friendly_pages(web, path, status, words):
    r = web.get(path, headers=HTML)
    assert r.status_code == status and words in r.text and "text/html" in r.headers["content-type"]


def test_lookups_respect_the_public_rate_limit(demo_db):
    from gridgov import ratelimit
    from gridgov.app import create_app

    app = create_app(demo_db.url)  # its own buckets: the shared app's limits stay untouched
    ratelimit.configure(app, "lookup", per_minute=1, burst=2)
    with TestClient(app) as c:
        assert c.get("/track/NOSUCHCODE1").status_code == 404
        assert c.get("/track/NOSUCHCODE1").status_code == 404
        r = c.get("/track/NOSUCHCODE1")
        assert r.status_code == 429 and "查询过于频繁" in r.text and int(r.headers["retry-after"]) > 0
        assert c.post("/track/NOSUCHCODE1/rating", data={"rating": "basic"}).status_code == 429


def test_page_server_times(web, gw, report, demo_db):
    """Server time of the phone pages on the tiny demo (reported, not asserted)."""
    for path in ("/m", "/m/report", "/m/tasks", "/m/visits", "/report"):
        times = []
        for _ in range(5):
            started = time.perf_counter()
            assert web.get(path, headers=gw).status_code == 200
            times.append(1000 * (time.perf_counter() - started))
        report(f"{demo_db.backend} {path}: median {statistics.median(times):.0f} ms")
