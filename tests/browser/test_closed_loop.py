"""The whole closed loop in a real browser, every step by the person whose step it is:

a resident reports a problem on the phone (随手拍) → the centre's operator accepts and dispatches it in
the event centre → the department's handler signs and handles it → the grid worker re-checks it on
the phone (核查) and it is closed → the resident follows it by the tracking code and rates it.

Nothing is driven through the API; the API is only read afterwards to check what the pages did
(the timeline has one row per step, and the audit chain still verifies).
"""

from __future__ import annotations

import re
import time
import uuid

from browser_kit import DESKTOP, PHONE


def wait_state(page, label: str) -> None:
    page.wait_for_function("label => document.querySelector('#event-state')?.textContent.trim() === label",
                           arg=label)


def open_action(page, action: str) -> None:
    page.locator(f"#action-{action} > summary").click()
    page.wait_for_selector(f"#do-{action}", state="visible")


def test_resident_to_rating_through_every_desk(new_page, live_server, api, login, screenshots, report):
    server = live_server
    grid = api("grid_worker", "GET", f"/api/v1/regions/{server.grid_worker_grid}")
    lon, lat = grid["center"]
    marker = uuid.uuid4().hex[:8]
    description = f"楼下路灯不亮已经一周，晚上出行不安全 {marker}"
    steps: list[tuple[str, float]] = []
    started = time.perf_counter()

    def step(name: str) -> None:
        nonlocal started
        steps.append((name, time.perf_counter() - started))
        started = time.perf_counter()

    # 1. the resident, on a phone, reports with GPS (anonymous), and gets a tracking code
    resident = new_page(viewport=PHONE, geolocation={"longitude": lon, "latitude": lat}, permissions=["geolocation"])
    resident.goto(server.url + "/report")
    resident.wait_for_function("() => document.body.dataset.mapReady === '1'")
    resident.locator(".r-cat").first.click()
    resident.fill("#r-description", description)
    resident.click("#r-locate")
    resident.wait_for_selector("#r-location.is-set")
    resident.check("#r-anonymous")
    resident.click("#r-submit")
    resident.wait_for_selector("#r-done:not([hidden])")
    tracking = resident.locator("#r-tracking-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{6,16}", tracking)
    resident.screenshot(path=str(screenshots / "loop-1-resident-reported.png"), full_page=True)
    step("resident reports")

    # 2. the resident phones the centre with the tracking code: the operator finds the report in 待受理,
    #    accepts it and dispatches it to the department
    operator = new_page(DESKTOP)
    login(operator, "operator", "/events")
    operator.fill("#f-q", tracking)
    operator.wait_for_function("m => document.querySelectorAll('#event-table tbody tr[data-code]').length === 1"
                               " && location.search.includes(m)", arg=tracking)
    row = operator.locator("#event-table tbody tr[data-code]")
    code = row.get_attribute("data-code")
    row.locator("td.cell-title").click()
    operator.wait_for_url(f"**/events/{code}")
    wait_state(operator, "已上报")
    open_action(operator, "accept")
    operator.click("#do-accept")
    wait_state(operator, "已受理")
    handler_dept = api("handler", "GET", "/api/v1/auth/me")["department"]
    open_action(operator, "dispatch")
    operator.select_option("#dispatch-department", label=handler_dept["name"])
    operator.fill("#dispatch-note", "请尽快修复路灯")
    operator.click("#do-dispatch")
    wait_state(operator, "已派遣")
    operator.screenshot(path=str(screenshots / "loop-2-operator-dispatched.png"), full_page=True, caret="initial")
    step("operator accepts and dispatches")

    # 3. the department's handler finds it in 待签收, signs for it and reports it handled
    handler = new_page(DESKTOP)
    login(handler, "handler", "/events")
    handler.wait_for_selector(f"tr[data-code='{code}']")
    handler.locator(f"tr[data-code='{code}'] td.cell-title").click()
    handler.wait_for_url(f"**/events/{code}")
    open_action(handler, "sign")
    handler.click("#do-sign")
    wait_state(handler, "处置中")
    open_action(handler, "handle")
    handler.fill("#handle-note", "已更换灯泡，路灯恢复照明")
    handler.click("#do-handle")
    wait_state(handler, "已处置")
    handler.screenshot(path=str(screenshots / "loop-3-department-handled.png"), full_page=True, caret="initial")
    step("department signs and handles")

    # 4. the grid worker re-checks it on the phone: it passes, and the event is closed
    worker = new_page(viewport=PHONE, geolocation={"longitude": lon, "latitude": lat}, permissions=["geolocation"])
    login(worker, "grid_worker", "/m/tasks")
    task = worker.locator(f"#task-list li[data-code='{code}']")
    assert "已处置" in task.inner_text()
    task.locator("a").click()
    worker.wait_for_url(f"**/m/events/{code}")
    worker.click("#pick-verify_pass")
    worker.fill("#act-verify_pass textarea[name=note]", "夜间到现场查看，路灯正常")
    worker.click("#submit-verify_pass")
    worker.wait_for_selector("#act-done")
    assert worker.locator("#event-state").inner_text() == "已结案"
    worker.screenshot(path=str(screenshots / "loop-4-grid-worker-verified.png"), full_page=True)
    step("grid worker re-checks")

    # 5. the resident follows the code, sees the result (no staff names) and rates it 满意
    resident.goto(f"{server.url}/track/{tracking}")
    assert resident.locator("#track-state").inner_text() == "已结案"
    assert "已更换灯泡" in resident.locator("#track-result").inner_text()
    for role in ("operator", "handler", "grid_worker"):
        assert api(role, "GET", "/api/v1/auth/me")["display_name"] not in resident.content()
    resident.locator(".r-cat").filter(has_text=re.compile(r"^\s*满意\s*$")).click()
    resident.fill("#rating-comment", "修得很快，谢谢")
    resident.click("#rating-submit")
    resident.wait_for_selector("#rated-ok")
    assert resident.locator("#track-state").inner_text() == "已评价"
    resident.screenshot(path=str(screenshots / "loop-5-resident-rated.png"), full_page=True)
    step("resident rates")

    # what the pages did, read back: one timeline row per step, the rating, an intact audit chain
    event = api("operator", "GET", f"/api/v1/events/{code}")
    assert event["channel"] == "resident" and event["state"] == "evaluated" and event["rating"] == "satisfied"
    assert [row["action"] for row in event["timeline"]] == [
        "report", "accept", "dispatch", "sign", "handle", "verify_pass", "evaluate"]
    assert event["region_code"].startswith(server.grid_worker_grid)
    assert api("admin", "GET", "/api/v1/audit/verify")["ok"] is True
    report("closed loop in the browser: " + ", ".join(f"{name} {1000 * s:.0f} ms" for name, s in steps))
