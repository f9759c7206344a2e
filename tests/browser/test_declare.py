"""Self-declaration (自主申报) in a real browser: the building's QR poster, the public form on a
phone, the grid worker's review queue, and the declarer's status page.

Runs against ``live_server`` in headless Chromium. The operator registers a building in the grid
worker's grid through the API; everything after that happens the way people would do it.
"""

from __future__ import annotations

import re
from datetime import date

import httpx
import pytest
import segno
from browser_kit import api_call as api
from browser_kit import login_page as login
from browser_kit import no_overflow

from gridgov.codes import build_citizen_id

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
CODE = re.compile(r"^[0-9A-F]{8}$")


# --- helpers ----------------------------------------------------------------------------------

def public_declare(server, token: str, body: dict) -> str:
    r = httpx.post(f"{server.url}/api/v1/public/declare/{token}", json=body, timeout=15)
    assert r.status_code == 201, r.text
    return r.json()["tracking_code"]


def citizen_id(seq: int) -> str:
    return build_citizen_id("211021", date(1990, 1, 1), seq)


def create_building(server, grid: str, name: str, address: str | None) -> dict:
    """The operator registers a building at the centre of ``grid`` (located to the grid by the API)."""
    lon, lat = api(server, "operator", "GET", f"/api/v1/regions/{grid}")["center"]
    building = api(server, "operator", "POST", "/api/v1/buildings", expect=201,
                   json={"name": name, "address": address, "lon": lon, "lat": lat, "floors": 6, "units": 3})
    assert building["grid_code"].startswith(grid)  # the finest region there: a micro-grid of it
    building["token"] = building["declare_url"].rsplit("/", 1)[1]
    return building


def person(page, n: int):
    return page.locator("#people-list .person-card").nth(n - 1)


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


@pytest.fixture(scope="module")
def building(live_server):
    return create_building(live_server, live_server.grid_worker_grid, "幸福小区3号楼",
                           "首山镇幸福路12号幸福小区3号楼")


# --- the poster -------------------------------------------------------------------------------

def test_staff_pages_need_a_login_and_the_scope(live_server, building):
    with httpx.Client(base_url=live_server.url, timeout=10, follow_redirects=False) as client:
        r = client.get(f"/buildings/{building['id']}/qr")
        assert r.status_code == 303 and r.headers["location"] == f"/login?next=/buildings/{building['id']}/qr"
        r = client.get("/declarations")
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/declarations"
        # An unknown link is a friendly page, not JSON.
        r = client.get("/declare/not-a-real-token")
        assert r.status_code == 404
        assert "申报链接无效" in r.text and "text/html" in r.headers["content-type"]
        assert "default-src 'self'" in r.headers["content-security-policy"]


def test_qr_poster_encodes_the_public_url_and_prints_on_one_sheet(new_page, live_server, building, screenshots):
    page = new_page()
    login(page, live_server, "operator", f"/buildings/{building['id']}/qr")
    assert page.locator("#poster-building-name").inner_text() == "幸福小区3号楼"
    assert page.locator("#poster-building-address").inner_text() == "首山镇幸福路12号幸福小区3号楼"
    assert page.locator(".poster-title").inner_text() == "实有人口自主申报"
    url = f"{live_server.url}/declare/{building['token']}"
    assert page.locator("#poster-url").inner_text() == url
    # The QR code is exactly the code of that URL (same modules as segno draws for it).
    drawn = page.locator("#poster-qr svg path[stroke]").get_attribute("d")
    expected = re.search(r' d="([^"]+)"', segno.make(url, error="m", micro=False).svg_inline(scale=1, border=4))
    assert drawn == expected.group(1)
    box = page.locator("#poster-qr svg").bounding_box()
    assert box["width"] >= 250 and abs(box["width"] - box["height"]) < 1
    assert page.get_attribute("#open-declare", "href") == url
    svg = httpx.get(live_server.url + page.get_attribute("#download-qr", "href"),
                    cookies={c["name"]: c["value"] for c in page.context.cookies()}, timeout=10)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert no_overflow(page)
    page.screenshot(path=screenshots / "12-building-qr.png", full_page=True)

    # Printed: no header, no buttons; the poster fits one sheet of A4 and of A5.
    page.emulate_media(media="print")
    assert page.locator(".app-header").is_hidden() and page.locator(".qr-toolbar").is_hidden()
    assert page.locator("#poster-qr svg").is_visible()
    for paper in ("A4", "A5"):
        assert pdf_pages(page.pdf(format=paper, print_background=True)) == 1, paper


def test_qr_poster_of_another_grid_is_refused(new_page, live_server):
    grid = live_server.grid_worker_grid
    parent = api(live_server, "operator", "GET", f"/api/v1/regions/{grid}")["parent_code"]
    siblings = [r["code"] for r in api(live_server, "operator", "GET", "/api/v1/regions", params={"parent": parent})
                if r["level"] == "grid" and r["code"] != grid]
    assert siblings, "the demo community has more than one grid"
    other = create_building(live_server, siblings[0], "别的网格1号楼", None)
    page = new_page()
    login(page, live_server, "grid_worker", "/declarations")
    response = page.goto(f"{live_server.url}/buildings/{other['id']}/qr")
    assert response.status == 403
    assert page.locator("#notice-title").inner_text() == "无权访问"
    assert "不在您的权限范围内" in page.locator("#notice-message").inner_text()


# --- declare, review, follow up ---------------------------------------------------------------

def test_resident_declares_on_a_phone_and_the_grid_worker_approves(new_page, live_server, building, screenshots):
    page = new_page(PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{live_server.url}/declare/{building['token']}")
    assert page.title().startswith("实有人口自主申报")
    assert page.locator("#building-name").inner_text() == "幸福小区3号楼"
    assert page.locator("#building-address").inner_text() == "首山镇幸福路12号幸福小区3号楼"
    assert "个人信息仅用于实有人口登记，依法保护" in page.locator(".privacy-note").inner_text()
    assert page.locator(".app-header").count() == 0  # a public page: no staff header

    page.check("input[name=kind][value=residence]", force=True)
    page.fill("#declarer-name", "张建国")
    page.fill("#declarer-phone", "13912345678")
    page.fill("#unit-no", "2")
    page.fill("#room-no", "502")
    page.fill("#moved-in-on", "2026-03-01")
    assert person(page, 1).locator("[data-field=relation]").input_value() == "head"
    assert person(page, 1).locator(".person-remove").is_hidden()  # one person: nothing to remove
    person(page, 1).locator("[data-field=name]").fill("张建国")
    person(page, 1).locator("[data-field=citizen_id]").fill(citizen_id(101))
    page.click("#add-person")
    assert page.locator("#people-list .person-card").count() == 2
    assert person(page, 2).locator(".person-title").inner_text() == "第 2 人"
    person(page, 2).locator("[data-field=name]").fill("李秀兰")
    person(page, 2).locator("[data-field=relation]").select_option("spouse")
    person(page, 2).locator("[data-field=phone]").fill("13800001111")

    # A short ID is caught before anything is sent.
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/" in r.url else None)
    person(page, 2).locator("[data-field=citizen_id]").fill("2110211990")
    page.click("#declare-submit")
    assert page.locator("#declare-error").inner_text().startswith("第 2 人：身份证号应为 18 位")
    assert person(page, 2).locator("[data-field=citizen_id]").get_attribute("aria-invalid") == "true"
    assert not requests

    # A wrong check digit is the server's call: its Chinese message appears in place, nothing is lost.
    good = citizen_id(102)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    person(page, 2).locator("[data-field=citizen_id]").fill(bad.lower())
    assert person(page, 2).locator("[data-field=citizen_id]").input_value() == bad.upper()
    with page.expect_response(lambda r: "/api/v1/public/declare/" in r.url) as info:
        page.click("#declare-submit")
    assert info.value.status == 422
    page.wait_for_selector("#declare-error:has-text('身份证号无效')", timeout=10_000)  # rendered after the response
    message = page.locator("#declare-error").inner_text()
    assert message.startswith("第 2 人：身份证号无效") and "校验位" in message
    assert "has-error" in person(page, 2).get_attribute("class")
    assert page.input_value("#declarer-name") == "张建国" and page.input_value("#room-no") == "502"
    assert person(page, 1).locator("[data-field=citizen_id]").input_value() == citizen_id(101)
    assert person(page, 2).locator("[data-field=name]").input_value() == "李秀兰"
    assert person(page, 2).locator(".field-error").inner_text().startswith("身份证号无效")
    assert page.locator("#declare-form").is_visible()
    assert no_overflow(page)
    page.screenshot(path=screenshots / "10-declare-form.png", full_page=True)

    person(page, 2).locator("[data-field=citizen_id]").fill(good)
    assert person(page, 2).locator(".field-error").count() == 0
    assert page.locator("#declare-error").inner_text() == message  # still shown until the next submit
    with page.expect_response(lambda r: "/api/v1/public/declare/" in r.url) as info:
        page.click("#declare-submit")
    assert info.value.status == 201
    page.wait_for_selector("#declare-done:not([hidden])")
    code = page.locator("#tracking-code").inner_text()
    assert CODE.match(code), code
    assert page.locator("#declare-form").is_hidden()
    assert page.get_attribute("#status-link", "href") == f"/declare/status?code={code}"
    assert no_overflow(page)
    page.screenshot(path=screenshots / "11-declare-done.png", full_page=True)

    # The grid worker logs in, finds it in the queue (people masked) and approves it.
    staff = new_page()
    login(staff, live_server, "grid_worker", "/declarations")
    assert staff.locator("#nav-declarations").get_attribute("aria-current") == "page"
    staff.wait_for_selector(f'.decl-card[data-code="{code}"]')
    card = staff.locator(f'.decl-card[data-code="{code}"]')
    assert card.locator(".decl-status").inner_text() == "待审核"
    assert card.locator(".decl-kind").inner_text() == "本人居住申报"
    staff.wait_for_function("code => document.querySelector(`.decl-card[data-code='${code}'] .decl-building`)"
                            ".textContent === '幸福小区3号楼'", arg=code)
    assert "2 单元 502 室" in card.locator(".decl-house").inner_text()
    names = card.locator(".decl-person-name").all_inner_texts()
    assert names == ["张*国", "李*兰"]
    ids = card.locator(".decl-person-id").all_inner_texts()
    assert all("*" in i for i in ids) and citizen_id(101) not in card.inner_text()
    assert card.locator(".decl-person-relation").all_inner_texts() == ["户主（本人）", "配偶"]
    assert int(staff.locator('[data-count-for="pending"]').inner_text()) >= 1
    staff.screenshot(path=screenshots / "13-declarations-queue.png", full_page=True)

    card.locator(".decl-approve").click()
    staff.wait_for_selector(f'.decl-card[data-code="{code}"][data-status="approved"]')
    assert card.locator(".decl-status").inner_text() == "已通过"
    assert "新登记 2 人" in card.locator(".decl-result").inner_text()
    assert card.locator(".decl-approve").count() == 0

    # Approval wrote the house and the residence links.
    houses = api(live_server, "grid_worker", "GET", f"/api/v1/buildings/{building['id']}/houses")
    house = next(h for h in houses if h["unit_no"] == "2" and h["room_no"] == "502")
    residents = api(live_server, "grid_worker", "GET", f"/api/v1/houses/{house['id']}/residents")
    assert len(residents) == 2

    # The declarer looks the code up on the status page.
    page.click("#status-link")
    page.wait_for_url("**/declare/status?code=*")
    assert page.locator("#status-label").inner_text() == "已通过"
    assert page.locator("#status-building").inner_text() == "幸福小区3号楼"
    assert page.locator("#status-reason").count() == 0
    assert no_overflow(page)


def test_rejection_tells_the_declarer_why(new_page, live_server, building):
    base = {"kind": "tenants", "declarer_name": "王房东", "declarer_phone": "13700002222", "room_no": "301",
            "unit_no": "1", "people": [{"name": "赵租客", "citizen_id": citizen_id(201), "relation": "tenant"}]}
    rejected = public_declare(live_server, building["token"], base)
    raced = public_declare(live_server, building["token"], {**base, "room_no": "302", "people": [
        {"name": "钱租客", "citizen_id": citizen_id(202), "relation": "tenant"}]})

    page = new_page()
    login(page, live_server, "grid_worker", "/declarations?status=pending")
    page.wait_for_selector(f'.decl-card[data-code="{rejected}"]')
    card = page.locator(f'.decl-card[data-code="{rejected}"]')
    assert card.locator(".decl-kind").inner_text() == "房东申报租户"
    card.locator(".decl-reject").click()
    assert card.locator(".decl-reason").is_visible()
    card.locator(".decl-reject-confirm").click()  # no reason yet
    assert card.locator(".decl-error").inner_text() == "请填写不通过的原因（至少 2 个字）"
    card.locator(".decl-reason").fill("房号与楼栋不符，请核实后重新申报")
    card.locator(".decl-reject-confirm").click()
    page.wait_for_selector(f'.decl-card[data-code="{rejected}"][data-status="rejected"]')
    assert card.locator(".decl-status").inner_text() == "未通过"
    assert card.locator(".decl-error").is_hidden()
    assert "房号与楼栋不符" in card.locator(".decl-reason-text").inner_text()

    # Someone else reviews the other one first: the refusal is shown on the card.
    other = next(d for d in api(live_server, "grid_worker", "GET", "/api/v1/declarations")
                 if d["tracking_code"] == raced)
    api(live_server, "grid_worker", "POST", f"/api/v1/declarations/{other['id']}/reject",
        json={"reason": "重复申报"})
    raced_card = page.locator(f'.decl-card[data-code="{raced}"]')
    raced_card.locator(".decl-approve").click()
    page.wait_for_selector(f'.decl-card[data-code="{raced}"] .decl-error:not(.is-empty)')
    assert "不能重复审核" in raced_card.locator(".decl-error").inner_text()
    assert raced_card.locator(".decl-approve").is_enabled()

    # The 未通过 tab lists it with its reason.
    page.click("#tab-rejected")
    page.wait_for_selector(f'#queue-list[data-status="rejected"][data-loaded="1"] .decl-card[data-code="{rejected}"]')
    assert page.url.endswith("/declarations?status=rejected")
    assert "房号与楼栋不符" in page.locator(f'.decl-card[data-code="{rejected}"] .decl-reason-text').inner_text()
    assert page.locator(f'.decl-card[data-code="{rejected}"] .decl-approve').count() == 0

    # The declarer types the code into the status page and reads the reason.
    phone = new_page(PHONE, is_mobile=True, has_touch=True)
    phone.goto(f"{live_server.url}/declare/status")
    phone.fill("#status-code", rejected.lower())
    phone.click("#status-submit")
    phone.wait_for_selector("#status-result")
    assert phone.locator("#status-label").inner_text() == "未通过"
    assert phone.locator("#status-reason").inner_text().endswith("房号与楼栋不符，请核实后重新申报")
    assert no_overflow(phone)
    phone.goto(f"{live_server.url}/declare/status?code=NOPE1234")
    assert phone.locator("#status-error").inner_text() == "未找到该申报编号"


def test_roles_without_review_see_no_queue(new_page, live_server):
    page = new_page()
    username, password = live_server.users["leader"]
    page.goto(live_server.url + "/login?next=/map")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_url("**/map")
    assert page.locator("#nav-declarations").count() == 0
    response = page.goto(live_server.url + "/declarations")
    assert response.status == 403
    assert page.locator("#notice-message").inner_text() == "您的角色无权审核自主申报"
