"""The grid worker's phone pages in a real browser (390×844): report with a photo and GPS, the offline
outbox and its retries (one event however often it is sent), re-checking a handled event, visits.

Runs against ``live_server`` in headless Chromium with the geolocation permission granted at a point
inside the grid worker's grid (the grid's label point, taken from the API). Events are driven to the
state a test needs through the JSON API as the operator and the handler, the way their desks would.
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from browser_kit import api_call as api
from browser_kit import login_page as login
from browser_kit import no_overflow
from browser_kit import png_bytes as png

PHONE = {"width": 390, "height": 844}
OUTBOX = "() => JSON.parse(localStorage.getItem('gridgov.mobile.outbox') || '[]')"


# --- helpers ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def grid(live_server):
    """The grid worker's grid as the API gives it: code, name and a point inside it."""
    code = live_server.grid_worker_grid
    detail = api(live_server, "grid_worker", "GET", f"/api/v1/regions/{code}")
    lon, lat = detail["center"]
    located = api(live_server, "grid_worker", "POST", "/api/v1/locate", json={"points": [[lon, lat]]})["results"][0]
    assert located["grid"] == code
    return {"code": code, "name": detail["name"], "lon": lon, "lat": lat, "micro_grid": located["micro_grid"]}


def phone(new_page, grid):
    return new_page(viewport=PHONE, geolocation={"longitude": grid["lon"], "latitude": grid["lat"]},
                    permissions=["geolocation"])


def fill_report(page, *, search: str, item: str, description: str, photo: bytes | None = None) -> None:
    page.fill("#item-search", search)
    page.check(f"input[name=item_code][value={item}]")
    page.fill("#description", description)
    if photo is not None:
        page.set_input_files("#photo-input", files=[{"name": "现场.png", "mimeType": "image/png", "buffer": photo}])
        page.wait_for_selector("#photo-list img")
    page.click("#locate-gps")
    page.wait_for_selector("#location-status.is-set")


def mine_with(server, description: str) -> list[dict]:
    items = api(server, "grid_worker", "GET", "/api/v1/events", params={"queue": "mine", "limit": 200})["items"]
    return [e for e in items if e["description"] == description]


def handled_event(server, grid, description: str) -> dict:
    """An event in the grid, reported by the grid worker and handled by the city-management department."""
    e = api(server, "grid_worker", "POST", "/api/v1/events", expect=201, json={
        "item_code": "CG005", "description": description, "lon": grid["lon"], "lat": grid["lat"],
        "client_id": str(uuid.uuid4())})
    return handle(server, e["code"])


def handle(server, code: str) -> dict:
    e = api(server, "operator", "GET", f"/api/v1/events/{code}")
    if e["state"] == "reported":
        e = api(server, "operator", "POST", f"/api/v1/events/{code}/actions/accept", json={"version": e["version"]})
    if e["state"] in ("accepted", "returned"):
        handler_dept = api(server, "handler", "GET", "/api/v1/auth/me")["department"]["id"]
        e = api(server, "operator", "POST", f"/api/v1/events/{code}/actions/dispatch",
                json={"version": e["version"], "department_id": handler_dept, "note": "请城管执法处置"})
    e = api(server, "handler", "GET", f"/api/v1/events/{code}")
    if e["state"] == "dispatched":
        e = api(server, "handler", "POST", f"/api/v1/events/{code}/actions/sign", json={"version": e["version"]})
    e = api(server, "handler", "POST", f"/api/v1/events/{code}/actions/handle",
            json={"version": e["version"], "note": "已劝离摊贩，恢复通行"})
    assert e["state"] == "handled"
    return e


# --- the tests --------------------------------------------------------------------------------

def test_pages_need_a_grid_worker(new_page, live_server):
    with httpx.Client(base_url=live_server.url, timeout=10, follow_redirects=False) as client:
        for path in ("/m", "/m/report", "/m/tasks", "/m/visits"):
            r = client.get(path)
            assert r.status_code == 303 and r.headers["location"] == f"/login?next={path}"
    page = new_page(viewport=PHONE)
    login(page, live_server, "operator", "/map")
    response = page.goto(live_server.url + "/m")
    assert response.status == 403
    assert "仅供网格员" in page.locator("main").inner_text()


def test_my_grid_shows_the_grid_and_the_counts(new_page, live_server, grid, screenshots):
    page = phone(new_page, grid)
    login(page, live_server, "grid_worker", "/m")
    hero = page.locator("#my-grid h1")
    assert hero.inner_text() == grid["name"]
    assert hero.get_attribute("data-grid-code") == grid["code"]
    counts = api(live_server, "grid_worker", "GET", "/api/v1/events/queues")["counts"]
    assert page.locator("#kpi-verify .m-kpi-value").inner_text() == str(counts["to_verify"])
    overdue = api(live_server, "grid_worker", "GET", "/api/v1/special-groups", params={"overdue": "true"})
    assert page.locator("#kpi-visits .m-kpi-value").inner_text().startswith(str(len(overdue)))
    for link in ("#quick-report", "#quick-tasks", "#quick-visits", "#quick-verify"):
        assert page.locator(link).is_visible()
    assert page.locator("#nav-mobile").get_attribute("aria-current") == "page"
    assert page.locator("#tab-home").get_attribute("aria-current") == "page"
    assert no_overflow(page)
    page.screenshot(path=str(screenshots / "mobile-home.png"), full_page=True)


def test_report_with_photo_and_gps(new_page, live_server, grid, screenshots, report):
    page = phone(new_page, grid)
    login(page, live_server, "grid_worker", "/m/report")
    page.wait_for_function("() => document.body.dataset.mapReady === '1'")
    # the picker: search narrows the catalog; self-resolvable items are marked
    page.fill("#item-search", "占道")
    visible = page.locator(".m-item:visible")
    assert 1 <= visible.count() < page.locator(".m-item").count()
    assert all("占道" in visible.nth(i).get_attribute("data-search") for i in range(visible.count()))
    assert page.locator(".m-item:visible", has_text="占道经营和流动摊贩").locator(".m-self-badge").count() == 1
    photo = png()
    description = f"人民路菜场门前占道经营，影响通行 {uuid.uuid4().hex[:6]}"
    fill_report(page, search="占道", item="CG005", description=description, photo=photo)
    status = page.locator("#location-status")
    assert grid["name"] in status.inner_text()
    assert status.get_attribute("data-grid") == grid["micro_grid"]
    assert page.locator("#self-section").is_visible()  # CG005 may be solved on the spot
    assert no_overflow(page)
    page.screenshot(path=str(screenshots / "mobile-report.png"), full_page=True)
    started = time.perf_counter()
    page.click("#report-submit")
    page.wait_for_selector("#report-done:not([hidden])")
    report(f"mobile report (photo upload + POST /api/v1/events): {1000 * (time.perf_counter() - started):.0f} ms")
    code = page.locator("#report-done").get_attribute("data-event-code")
    assert page.locator("#done-code").inner_text() == code
    assert page.evaluate(OUTBOX) == []  # nothing left to send

    event = api(live_server, "operator", "GET", f"/api/v1/events/{code}")
    assert event["description"] == description and event["channel"] == "grid" and event["item_code"] == "CG005"
    assert event["grid_code"] == grid["micro_grid"] and event["grid_code"].startswith(grid["code"])
    assert abs(event["lon"] - grid["lon"]) < 1e-6 and abs(event["lat"] - grid["lat"]) < 1e-6
    ids = event["timeline"][0]["data"]["attachments"]
    assert len(ids) == 1
    r = api(live_server, "operator", "GET", f"/api/v1/events/{code}/attachments/{ids[0]}", raw=True)
    assert r.status_code == 200 and r.content == photo

    page.click("#done-link")
    page.wait_for_url(f"**/m/events/{code}")
    assert page.locator("#event-state").inner_text() == "已上报"
    assert page.locator("#event-photos img").count() == 1
    page.wait_for_function("() => document.querySelector('#event-photos img').naturalWidth === 6")
    page.screenshot(path=str(screenshots / "mobile-event.png"), full_page=True)


def test_self_resolve_closes_on_the_spot(new_page, live_server, grid):
    page = phone(new_page, grid)
    login(page, live_server, "grid_worker", "/m/report")
    description = f"共享单车倒伏堵住盲道 {uuid.uuid4().hex[:6]}"
    fill_report(page, search="共享单车", item="CG020", description=description)
    page.check("#self-resolve")
    page.click("#report-submit")
    assert page.locator("#report-error").inner_text() == "自处置须填写处置结果"
    page.fill("#self-result", "已将单车扶正摆放整齐")
    page.click("#report-submit")
    page.wait_for_selector("#report-done:not([hidden])")
    assert "已结案" in page.locator("#done-state").inner_text()
    (event,) = mine_with(live_server, description)
    assert event["state"] == "closed"


def test_report_refuses_bad_input_in_place(new_page, live_server, grid):
    page = phone(new_page, grid)
    login(page, live_server, "grid_worker", "/m/report")
    page.click("#report-submit")
    assert page.locator("#item-error").inner_text() == "请选择事项"
    assert "问题描述" in page.locator("#description-error").inner_text()
    assert "位置" in page.locator("#location-error").inner_text()
    # not a picture; too big a picture
    page.set_input_files("#photo-input", files=[{"name": "说明.txt", "mimeType": "text/plain", "buffer": b"hello"}])
    assert "不是图片" in page.locator("#photo-error").inner_text()
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 1024 * 1024 + 1)
    page.set_input_files("#photo-input", files=[{"name": "大图.png", "mimeType": "image/png", "buffer": big}])
    assert "超过 10 MB" in page.locator("#photo-error").inner_text()
    assert page.locator("#photo-list li").count() == 0
    # a file that claims to be a picture but is not: the server refuses it (415) and says why
    fill_report(page, search="乱堆", item="CG003", description="楼道口乱堆杂物")
    page.set_input_files("#photo-input", files=[{"name": "假.png", "mimeType": "image/png", "buffer": b"GIF89a..."}])
    page.wait_for_selector("#photo-list img")
    page.click("#report-submit")
    page.wait_for_selector("#report-error:not([hidden])")
    assert "附件类型不支持" in page.locator("#report-error").inner_text()
    assert page.evaluate(OUTBOX) == []  # a refused report is not retried forever
    assert mine_with(live_server, "楼道口乱堆杂物") == []
    # a tap outside the grid is refused before sending
    # the map is fitted to the grid with a margin: its corner lies outside the grid
    page.locator("#pick-map").scroll_into_view_if_needed()
    box = page.locator("#pick-map").bounding_box()
    page.mouse.click(box["x"] + 4, box["y"] + box["height"] - 4)
    assert "不在您负责的网格内" in page.locator("#location-status").inner_text()


def test_offline_reports_are_kept_and_sent_once(new_page, live_server, grid, screenshots):
    page = phone(new_page, grid)
    login(page, live_server, "grid_worker", "/m/report")
    posts: list[dict] = []
    statuses: list[int] = []
    page.on("request", lambda r: posts.append(r.post_data_json)
            if r.method == "POST" and r.url.endswith("/api/v1/events") else None)
    page.on("response", lambda r: statuses.append(r.status)
            if r.request.method == "POST" and r.url.endswith("/api/v1/events") else None)

    # 1. no network at all: the report waits in the outbox and goes when the phone is back online
    description = f"路灯不亮，夜间行人摔倒隐患 {uuid.uuid4().hex[:6]}"
    fill_report(page, search="路灯", item="CG014", description=description)
    page.context.set_offline(True)
    page.click("#report-submit")
    page.wait_for_selector("#report-done.is-queued:not([hidden])")
    outbox = page.evaluate(OUTBOX)
    assert len(outbox) == 1 and outbox[0]["body"]["description"] == description
    assert page.locator("#outbox-list li").count() == 1
    page.screenshot(path=str(screenshots / "mobile-outbox.png"), full_page=True)
    page.context.set_offline(False)  # the page retries by itself on the 'online' event
    page.wait_for_function(f"() => ({OUTBOX})().length === 0")
    assert len(mine_with(live_server, description)) == 1

    # 2. the server files the report but the answer is lost: the retry with the same client_id
    #    gets the same event back (200 replay), never a second one
    lost = {"done": False}

    def lose_first_answer(route):
        if not lost["done"]:
            lost["done"] = True
            route.fetch()   # reaches the server ...
            route.abort()   # ... but the phone never hears back
        else:
            route.continue_()

    page.route("**/api/v1/events", lose_first_answer)
    page.click("#report-again")
    description = f"井盖破损，车辆经过有响声 {uuid.uuid4().hex[:6]}"
    fill_report(page, search="井盖", item="CG012", description=description)
    posts.clear()
    statuses.clear()
    page.click("#report-submit")
    page.wait_for_selector("#report-done.is-queued:not([hidden])")
    assert len(mine_with(live_server, description)) == 1  # the server has it already
    page.click("#outbox-retry")
    page.wait_for_function(f"() => ({OUTBOX})().length === 0")
    assert len(posts) == 2 and posts[0]["client_id"] == posts[1]["client_id"]
    assert statuses[-1] == 200  # the replay answer (a new event would be 201)
    (event,) = mine_with(live_server, description)
    # and posting the same report once more (another retry) still makes no second event
    r = api(live_server, "grid_worker", "POST", "/api/v1/events", json=posts[0])
    assert r["code"] == event["code"]
    assert len(mine_with(live_server, description)) == 1


def test_recheck_a_handled_event(new_page, live_server, grid, screenshots):
    e = handled_event(live_server, grid, f"菜场门口占道经营 {uuid.uuid4().hex[:6]}")
    page = phone(new_page, grid)
    login(page, live_server, "grid_worker", "/m/tasks")
    row = page.locator(f"#task-list li[data-code='{e['code']}']")
    assert row.count() == 1 and "已处置" in row.inner_text()
    page.screenshot(path=str(screenshots / "mobile-tasks.png"), full_page=True)
    row.locator("a").click()
    page.wait_for_url(f"**/m/events/{e['code']}")
    # fail without a note: refused in place
    page.click("#pick-verify_fail")
    page.click("#submit-verify_fail")
    error = page.locator("#act-msg-verify_fail .alert-error")
    error.wait_for()
    assert "须填写说明" in error.inner_text()
    # fail with a note and a photo: back to the department
    page.fill("#act-verify_fail textarea[name=note]", "摊位仍在，未清理到位")
    page.set_input_files("#act-verify_fail input[name=photo]",
                         files=[{"name": "核查.png", "mimeType": "image/png", "buffer": png(rgb=(20, 90, 200))}])
    page.click("#submit-verify_fail")
    page.wait_for_selector("#act-done")
    assert page.locator("#event-state").inner_text() == "处置中"
    detail = api(live_server, "operator", "GET", f"/api/v1/events/{e['code']}")
    assert detail["state"] == "in_progress"
    assert "返工次数\n1" in page.locator("#event-panel dl").inner_text()
    last = detail["timeline"][-1]
    assert last["action"] == "verify_fail" and last["note"] == "摊位仍在，未清理到位"
    assert len(last["data"]["attachments"]) == 1
    # handled again, then the re-check passes and the event is closed
    handle(live_server, e["code"])
    page.reload()
    page.click("#pick-verify_pass")
    page.fill("#act-verify_pass textarea[name=note]", "现场已恢复通行")
    page.click("#submit-verify_pass")
    page.wait_for_selector("#act-done")
    assert page.locator("#event-state").inner_text() == "已结案"
    assert page.locator("#event-actions [data-action-pick=verify_pass]").count() == 0
    assert api(live_server, "operator", "GET", f"/api/v1/events/{e['code']}")["state"] == "closed"
    assert no_overflow(page)
    page.screenshot(path=str(screenshots / "mobile-recheck.png"), full_page=True)


def test_a_stale_page_cannot_act_twice(new_page, live_server, grid):
    e = handled_event(live_server, grid, f"店外经营占用人行道 {uuid.uuid4().hex[:6]}")
    page = phone(new_page, grid)
    login(page, live_server, "grid_worker", f"/m/events/{e['code']}")
    api(live_server, "operator", "POST", f"/api/v1/events/{e['code']}/actions/verify_pass",
        json={"version": e["version"]})
    page.click("#pick-verify_pass")
    page.click("#submit-verify_pass")
    error = page.locator("#act-msg-verify_pass .alert-error")
    error.wait_for()
    assert "已被他人处理" in error.inner_text()


def test_visits_due_and_record_one(new_page, live_server, grid, screenshots):
    members = api(live_server, "grid_worker", "GET", "/api/v1/special-groups", params={"limit": 200})
    from datetime import date, timedelta

    soon = (date.today() + timedelta(days=7)).isoformat()
    due = [m for m in members if m["next_visit_due"] <= soon]
    page = phone(new_page, grid)
    login(page, live_server, "grid_worker", "/m/visits")
    cards = page.locator("#visit-list li.m-visit")
    assert cards.count() == len(due)
    if not due:
        assert page.locator("#visits-empty").is_visible()
        return
    first = due[0]
    card = page.locator(f"#member-{first['id']}")
    assert "*" in card.locator(".m-visit-name").inner_text()  # masked
    card.locator("summary").click()
    card.locator("button[type=submit]").click()
    card.locator(".alert-error").wait_for()
    assert "走访情况" in card.locator(".alert-error").inner_text()
    card.locator("select[name=method]").select_option("phone")
    card.locator("textarea[name=content]").fill("电话联系本人，近况平稳，按时服药")
    page.screenshot(path=str(screenshots / "mobile-visits.png"), full_page=True)
    card.locator("button[type=submit]").click()
    page.locator(f"#member-{first['id']}.m-visit-ok").wait_for()
    after = {m["id"]: m for m in api(live_server, "grid_worker", "GET", "/api/v1/special-groups",
                                     params={"limit": 200})}[first["id"]]
    assert after["last_visit_at"] is not None
    assert after["next_visit_due"] == (date.today() + timedelta(days=after["visit_interval_days"])).isoformat()
    assert after["next_visit_due"] in page.locator(f"#member-{first['id']}").inner_text()
