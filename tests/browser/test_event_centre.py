"""The event centre in a real browser: queues and counts, filters, the detail's action panel, the
closed loop from the centre to the department, bulk actions, refusals shown in place, the inbox.

Runs against ``live_server`` (a tiny demo on SQLite). Events the tests act on are filed through the
JSON API first, each with a unique word in its title, so the tests never depend on the demo's
history or on each other; counts are compared with what the API says, never hard-coded.
"""

from __future__ import annotations

import re
import secrets

import pytest
from browser_kit import api_call, login_page, png_bytes

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
CG = "城市管理综合行政执法局"  # the demo county's 城管 department (its name contains this)

# --- helpers ----------------------------------------------------------------------------------

def api(server, role: str, method: str, path: str, **kwargs):
    """The API's response (any status) to a demo user's call."""
    return api_call(server, role, method, path, expect=None, raw=True, **kwargs)


def file_event(server, word: str, *, point: bool = True, item: str = "CG001") -> dict:
    """A new event entered by the centre (channel centre), in the grid worker's grid."""
    body = {"channel": "centre", "item_code": item, "title": f"测试{word}", "description": f"浏览器测试事件 {word}",
            "reporter_name": "王小明", "reporter_phone": "13912345678"}
    if point:
        grid = api(server, "operator", "GET", f"/api/v1/regions/{server.grid_worker_grid}").json()
        body.update(lon=grid["center"][0], lat=grid["center"][1])
    else:
        body["region_code"] = server.grid_worker_grid
    r = api(server, "operator", "POST", "/api/v1/events", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def act(server, role: str, code: str, action: str, **body) -> dict:
    r = api(server, role, "POST", f"/api/v1/events/{code}/actions/{action}", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def cg_department(server) -> dict:
    depts = api(server, "admin", "GET", "/api/v1/departments").json()
    return next(d for d in depts if CG in d["name"])


def login(page, server, role: str, start: str = "/events") -> None:
    login_page(page, server, role, start)


# (Screenshots keep the caret: hiding it injects a stylesheet, which the page's CSP reports once htmx
# swaps content afterwards — a test artefact, not the page's.)


def open_action(page, action: str) -> None:
    """Unfold one action's form in the panel."""
    page.locator(f"#action-{action} > summary").click()
    page.wait_for_selector(f"#do-{action}", state="visible")


def wait_state(page, label: str) -> None:
    page.wait_for_function("label => document.querySelector('#event-state')?.textContent.trim() === label",
                           arg=label)


# --- the closed loop ----------------------------------------------------------------------------

def test_operator_to_department_closed_loop(new_page, live_server, screenshots, tmp_path):
    server = live_server
    word = "w" + secrets.token_hex(3)
    page = new_page(DESKTOP)
    login(page, server, "operator", "/events/new")

    # 1. the centre enters a new event through the form, its place picked on the map
    page.select_option("#new-category", label="城市管理")
    first_item = page.locator("#new-item optgroup:not([hidden]) option").first
    page.select_option("#new-item", value=first_item.get_attribute("value"))
    page.fill("#new-title", f"测试{word}")
    page.fill("#new-description", f"人民路占道经营，浏览器测试 {word}")
    page.wait_for_selector("#pick-map[data-ready='1']")
    box = page.locator("#pick-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.locator("#new-lon").input_value() and page.locator("#new-lat").input_value()
    assert "," in page.locator("#pick-text").inner_text()
    page.fill("#new-reporter", "张三")
    page.fill("#new-phone", "13812345678")
    page.click("#new-submit")
    page.wait_for_url("**/events/SJ*")
    code = page.url.rsplit("/", 1)[1]
    wait_state(page, "已上报")
    page.wait_for_selector("#event-map[data-grid='1']")  # located to a grid, drawn with its boundary
    assert page.locator("#event-reporter").inner_text() != "张三", "the reporter's name is masked"
    assert "1381234" not in page.locator("#event-reporter-phone").inner_text()

    # 2. the list: tabs carry the API's counts; the search narrows the table through htmx
    page.goto(server.url + "/events")
    page.wait_for_selector("#event-tabs[data-counted='1']")  # the counts come after the table
    body = api(server, "operator", "GET", "/api/v1/events/queues").json()
    for queue in ("to_accept", "to_dispatch", "overdue", "closed"):
        n = body["counts"][queue]  # a count at the cap reads "999+"
        assert page.locator(f"#tab-{queue} .tab-count").inner_text() == (str(n) if n < body["cap"] else "999+")
    assert page.locator("#tab-to_accept").get_attribute("aria-current") == "page"
    page.screenshot(path=screenshots / "events-list.png", caret="initial")
    page.fill("#f-q", word)
    page.wait_for_function("word => document.querySelectorAll('#event-table tbody tr[data-code]').length === 1"
                           " && location.search.includes(word)", arg=word)
    assert page.locator("#event-table tbody tr[data-code]").get_attribute("data-code") == code
    page.select_option("#f-state", "closed")
    page.wait_for_selector("#events-empty")
    assert "state=closed" in page.url
    page.select_option("#f-state", "")
    page.wait_for_selector(f"tr[data-code='{code}']")

    # 3. a row opens the detail; accept, then dispatch to 城管
    page.locator(f"tr[data-code='{code}'] td.cell-title").click()
    page.wait_for_url(f"**/events/{code}")
    offered = page.eval_on_selector_all("#event-actions details.action", "els => els.map(e => e.dataset.action)")
    assert offered[:2] == ["accept", "reject"] and "sign" not in offered
    open_action(page, "accept")
    page.click("#do-accept")
    wait_state(page, "已受理")
    open_action(page, "dispatch")
    page.select_option("#dispatch-department", label=cg_department(server)["name"])
    page.fill("#dispatch-note", "请城管局处置")
    page.click("#do-dispatch")
    wait_state(page, "已派遣")
    page.wait_for_selector(".toast:has-text('已派遣')")  # said once, for this action
    assert page.locator(".toast:has-text('已派遣')").count() == 1
    timeline = page.locator("#event-timeline")
    assert timeline.locator(".timeline-item").first.get_attribute("data-action") == "dispatch"
    assert CG in timeline.locator(".timeline-item").first.inner_text()
    assert page.locator("#event-assignments").inner_text().count(CG) == 1
    page.screenshot(path=screenshots / "events-detail-dispatched.png", full_page=True, caret="initial")

    # 4. the handler finds it in 待签收, signs and handles it with a note and a photo
    hpage = new_page(DESKTOP)
    login(hpage, server, "handler", "/events")
    assert hpage.locator("#tab-to_sign").get_attribute("aria-current") == "page"
    hpage.wait_for_selector(f"tr[data-code='{code}']")
    hpage.goto(f"{server.url}/events/{code}")
    offered = hpage.eval_on_selector_all("#event-actions details.action", "els => els.map(e => e.dataset.action)")
    assert "sign" in offered and "dispatch" not in offered and "accept" not in offered
    open_action(hpage, "sign")
    hpage.click("#do-sign")
    wait_state(hpage, "处置中")
    open_action(hpage, "handle")
    photo = tmp_path / "scene.png"
    photo.write_bytes(png_bytes(24, 16))
    hpage.fill("#handle-note", "已清理占道摊点，恢复通行")
    hpage.set_input_files("#handle-photo", str(photo))
    hpage.screenshot(path=screenshots / "events-actions-handle.png", full_page=True, caret="initial")
    hpage.click("#do-handle")
    wait_state(hpage, "已处置")
    assert "已清理占道摊点" in hpage.locator("#event-timeline").inner_text()
    thumb = hpage.locator("#event-photos img").first
    thumb.wait_for()
    hpage.wait_for_function("() => { const i = document.querySelector('#event-photos img');"
                            " return i && i.complete && i.naturalWidth === 24; }")

    # 5. the handler's inbox has the dispatch notification, linking to the event
    hpage.goto(server.url + "/inbox")
    note = hpage.locator("#notifications .note[data-kind='dispatched']", has_text=code)
    assert note.count() == 1
    unread_before = int(hpage.locator("#unread-count").inner_text())
    hpage.screenshot(path=screenshots / "events-inbox.png", full_page=True, caret="initial")
    note.locator(".mark-read").click()
    hpage.wait_for_function("n => { const c = document.querySelector('#unread-count');"
                            " return (c ? +c.textContent : 0) === n - 1; }", arg=unread_before)
    assert act(server, "operator", code, "verify_pass")["state"] == "closed"


def test_detail_map_and_duplicates(new_page, live_server, screenshots):
    word = "w" + secrets.token_hex(3)
    e = file_event(live_server, word)
    twin = file_event(live_server, word)  # same item, same place, same text: a likely duplicate
    page = new_page(DESKTOP)
    login(page, live_server, "operator", f"/events/{twin['code']}")
    page.wait_for_selector("#event-map[data-grid='1']")
    assert page.locator("#event-map path.leaflet-interactive, #event-map path").count() >= 2  # grid + point
    dup = page.locator(f"#event-duplicates .dup[data-code='{e['code']}']")
    dup.wait_for()
    dup.locator("button").click()
    wait_state(page, "已合并")
    assert page.locator("#event-timeline .timeline-item").first.get_attribute("data-action") == "merge"
    assert e["code"] in page.locator("#event-timeline .timeline-item").first.inner_text()
    merged = api(live_server, "operator", "GET", f"/api/v1/events/{twin['code']}").json()
    assert merged["state"] == "merged" and merged["merged_into_id"] == e["id"]
    assert page.locator("#merged-into").get_attribute("href") == f"/events/{e['id']}"
    page.screenshot(path=screenshots / "events-detail-merged.png", full_page=True, caret="initial")


# --- refusals in place ----------------------------------------------------------------------------

def test_stale_version_is_a_409_in_place_with_a_refresh(new_page, live_server, screenshots):
    e = file_event(live_server, "w" + secrets.token_hex(3))
    page = new_page(DESKTOP)
    login(page, live_server, "operator", f"/events/{e['code']}")
    open_action(page, "reject")
    page.fill("#reject-note", "不属于受理范围")
    act(live_server, "operator", e["code"], "accept", version=e["version"])  # someone else was quicker
    page.click("#do-reject")
    alert = page.locator("#action-reject .action-error .alert-error")
    alert.wait_for()
    assert alert.get_attribute("data-status") == "409"
    assert alert.get_attribute("data-error-code") == "version_conflict"
    assert "刷新" in alert.inner_text()
    assert page.locator("#event-state").inner_text() == "已上报"  # nothing changed on the page
    page.screenshot(path=screenshots / "events-stale-409.png", full_page=True, caret="initial")
    page.locator("#action-reject [data-reload]").click()
    wait_state(page, "已受理")
    actions = page.eval_on_selector_all("#event-actions details.action", "els => els.map(e => e.dataset.action)")
    assert "reject" not in actions and "dispatch" in actions


def test_a_required_reason_and_a_foreign_department_are_refused(new_page, live_server):
    server = live_server
    e = file_event(server, "w" + secrets.token_hex(3))
    act(server, "operator", e["code"], "accept")
    other = next(d for d in api(server, "admin", "GET", "/api/v1/departments").json()
                 if not d.get("is_centre") and CG not in d["name"])
    act(server, "operator", e["code"], "dispatch", department_id=other["id"])
    page = new_page(DESKTOP)
    login(page, server, "handler", f"/events/{e['code']}")
    # another department's event is not this department's business: a 404 page (we do not confirm it exists)
    assert page.locator(".error-card").get_attribute("data-status") == "404"
    assert "权限范围" in page.locator("#error-message").inner_text()
    # a step sent anyway is refused in place, never a 500
    page.goto(server.url + "/events")
    status = page.evaluate("""code => new Promise(resolve => {
        const box = document.createElement('div'); box.id = 'probe'; document.body.appendChild(box);
        document.body.addEventListener('htmx:afterRequest', function done(ev) {
            if (!ev.detail.xhr.responseURL.includes('/actions/')) return;
            document.body.removeEventListener('htmx:afterRequest', done);
            resolve(ev.detail.xhr.status);
        });
        htmx.ajax('POST', '/events/' + code + '/actions/sign', {target: '#probe', values: {version: '1'}});
    })""", e["code"])
    assert status == 404
    page.wait_for_selector("#probe .alert-error[data-error-code='event_not_found']")
    assert api(server, "handler", "GET", f"/api/v1/events/{e['code']}").status_code == 404
    # the centre's entry form is not a handler's page: a 403 page
    page.goto(server.url + "/events/new")
    assert page.locator(".error-card").get_attribute("data-status") == "403"
    assert page.locator("#error-message").inner_text()


# --- bulk -----------------------------------------------------------------------------------------

def test_bulk_accept_lists_each_outcome(new_page, live_server, screenshots):
    server = live_server
    word = "w" + secrets.token_hex(3)
    events = [file_event(server, word, point=False) for _ in range(3)]
    page = new_page(DESKTOP)
    login(page, server, "operator", f"/events?queue=to_accept&q=测试{word}")
    page.wait_for_function("() => document.querySelectorAll('#event-table tbody tr[data-code]').length === 3")
    page.wait_for_selector("#event-tabs[data-counted='1']")
    before = int(page.locator("#tab-to_accept .tab-count").inner_text())
    page.check("#select-all")
    assert page.locator("#bulk-count").inner_text() == "已选 3 条"
    act(server, "operator", events[0]["code"], "accept", version=events[0]["version"])  # one goes stale
    page.select_option("#bulk-action", "accept")
    page.click("#bulk-submit")
    summary = page.locator("#bulk-summary")
    summary.wait_for()
    page.screenshot(path=screenshots / "events-bulk.png", caret="initial")
    assert summary.get_attribute("data-done") == "2" and summary.get_attribute("data-failed") == "1"
    failed = summary.locator(".bulk-fail")
    assert failed.get_attribute("data-event") == str(events[0]["id"]) and failed.get_attribute("data-status") == "409"
    # the table follows (none of them waits for acceptance any more) and so does the tab's count
    page.wait_for_selector("#events-empty")
    assert int(page.locator("#tab-to_accept .tab-count").inner_text()) == before - 3
    for e in events:
        assert api(server, "operator", "GET", f"/api/v1/events/{e['code']}").json()["state"] == "accepted"

    # dispatch needs a department: refused in place, nothing changes
    page.goto(f"{server.url}/events?queue=to_dispatch&q=测试{word}")
    page.wait_for_function("() => document.querySelectorAll('#event-table tbody tr[data-code]').length === 3")
    page.check("#select-all")
    page.select_option("#bulk-action", "dispatch")
    assert page.locator("#bulk-department").is_visible()
    page.click("#bulk-submit")
    page.wait_for_selector("#bulk-result .alert-error")
    assert "部门" in page.locator("#bulk-result").inner_text()
    page.select_option("#bulk-department", label=cg_department(server)["name"])
    page.click("#bulk-submit")
    page.wait_for_function("() => document.querySelector('#bulk-summary')?.dataset.done === '3'")


# --- notices (一键通) ---------------------------------------------------------------------------

def test_notice_reaches_the_grid_worker_who_replies(new_page, live_server):
    server = live_server
    title = f"寒潮预警{secrets.token_hex(2)}"
    op = new_page(DESKTOP)
    login(op, server, "operator", "/inbox")
    op.fill("#notice-title", title)
    op.fill("#notice-body", "今夜有寒潮，请走访独居老人，完成后回复。")
    op.fill("#notice-region", server.grid_worker_grid)
    op.check("#notice-requires-reply")
    op.click("#notice-submit")
    op.wait_for_selector("#notice-done")
    sent = op.locator("details.sent", has_text=title)
    total = int(re.search(r"0/(\d+) 已读", sent.inner_text()).group(1))
    assert total >= 1

    gw = new_page(PHONE, is_mobile=True, has_touch=True)
    login(gw, server, "grid_worker", "/inbox")
    notice = gw.locator("#notices-received .notice", has_text=title)
    notice.locator("input[name='reply']").fill("已走访 3 户，取暖正常")
    notice.locator("button[type='submit']").click()
    gw.wait_for_selector("#notices-received .notice-reply:has-text('已走访 3 户')")
    assert gw.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    op.reload()
    sent = op.locator("details.sent", has_text=title)
    assert f"1/{total} 已读 · 1 已回复" in sent.inner_text()
    sent.locator("summary").click()
    op.wait_for_selector("details.sent[open] .receipts-table:has-text('已走访 3 户')")


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1920, "height": 1080}], ids=["phone", "wall"])
def test_list_and_detail_fit_the_screen(new_page, live_server, viewport):
    page = new_page(viewport)
    login(page, live_server, "leader", "/events")
    assert page.locator("#event-table").is_visible()
    assert page.locator("#bulk-form").count() == 0  # no bulk actions for a leader
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.goto(live_server.url + "/events?queue=all")
    code = page.locator("#event-table tbody tr[data-code]").first.get_attribute("data-code")
    page.goto(f"{live_server.url}/events/{code}")
    page.wait_for_selector("#event-head")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
