"""The resident's public pages in a real browser (390×844, no login): 随手拍 with a photo and GPS,
anonymous; following the report by its tracking code; rating it once it is closed; friendly errors
for a wrong code and for bad input.

Runs against ``live_server`` in headless Chromium with the geolocation permission granted at a point
inside the demo county (the grid worker's grid's label point, from the API). The centre's desk is
played through the JSON API as the operator.
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from browser_kit import api_call as api
from browser_kit import no_overflow
from browser_kit import png_bytes as png

PHONE = {"width": 390, "height": 844}
READY = "() => document.body.dataset.mapReady === '1'"

@pytest.fixture(scope="module")
def spot(live_server):
    """A point inside the county, with the community and street it lies in (names from the API)."""
    detail = api(live_server, "operator", "GET", f"/api/v1/regions/{live_server.grid_worker_grid}")
    lon, lat = detail["center"]
    names = {a["level"]: a["name"] for a in detail["ancestors"]}
    return {"lon": lon, "lat": lat, "community": names["community"], "street": names["street"]}


def phone(new_page, spot):
    return new_page(viewport=PHONE, geolocation={"longitude": spot["lon"], "latitude": spot["lat"]},
                    permissions=["geolocation"])


def test_resident_reports_follows_and_rates(new_page, live_server, spot, screenshots, report):
    page = phone(new_page, spot)
    started = time.perf_counter()
    page.goto(live_server.url + "/report")
    page.wait_for_function(READY)
    report(f"resident /report ready with the county map: {1000 * (time.perf_counter() - started):.0f} ms")
    assert page.locator("header.app-header").count() == 0  # a public page: no staff header
    tiles = page.locator(".r-cat")
    assert 8 <= tiles.count() <= 20
    assert tiles.last.inner_text() == "其他问题"
    description = f"小区门口垃圾堆放三天无人清理 {uuid.uuid4().hex[:6]}"
    page.locator(".r-cat", has_text="暴露垃圾").click()
    page.fill("#r-description", description)
    photo = png()
    page.set_input_files("#r-photo", files=[{"name": "垃圾.png", "mimeType": "image/png", "buffer": photo}])
    page.wait_for_selector("#r-photo-list img")
    page.click("#r-locate")
    page.wait_for_selector("#r-location.is-set")
    where = page.locator("#r-location").inner_text()
    assert spot["community"] in where and spot["street"] in where
    page.check("#r-anonymous")
    assert page.locator("#r-contact").is_hidden()
    assert no_overflow(page)
    page.screenshot(path=str(screenshots / "resident-report.png"), full_page=True)
    page.click("#r-submit")
    page.wait_for_selector("#r-done:not([hidden])")
    code = page.locator("#r-tracking-code").inner_text()
    assert code and code.isalnum()
    page.screenshot(path=str(screenshots / "resident-done.png"))

    # what the centre sees: an anonymous resident report at that point, with the photo
    found = api(live_server, "operator", "GET", "/api/v1/events", params={"channel": "resident", "limit": 20})["items"]
    (event,) = [e for e in found if e["description"] == description]
    assert event["reporter_name"] is None and event["reporter_phone"] is None
    assert event["item_code"] == "CG001" and event["region_code"].startswith(live_server.grid_worker_grid)
    detail = api(live_server, "operator", "GET", f"/api/v1/events/{event['code']}")
    (attachment,) = detail["timeline"][0]["data"]["attachments"]
    r = api(live_server, "operator", "GET", f"/api/v1/events/{event['code']}/attachments/{attachment}", raw=True)
    assert r.content == photo

    # follow it
    page.click("#r-track-link")
    page.wait_for_url(f"**/track/{code}")
    assert page.locator("#track-state").inner_text() == "已上报"
    assert page.locator("#track-steps li").count() == 1
    assert page.locator("#rating-form").count() == 0  # nothing to rate yet

    # the centre accepts and closes it; the staff's names never reach the public page
    e = api(live_server, "operator", "POST", f"/api/v1/events/{event['code']}/actions/accept",
            json={"version": detail["version"]})
    api(live_server, "operator", "POST", f"/api/v1/events/{event['code']}/actions/close",
        json={"version": e["version"], "note": "已通知物业清运，现场已清理"})
    page.reload()
    assert page.locator("#track-state").inner_text() == "已结案"
    text = page.locator("#track-result").inner_text()
    assert "已通知物业清运，现场已清理" in text
    operator_name = api(live_server, "operator", "GET", "/api/v1/auth/me")["display_name"]
    assert operator_name not in page.content()
    assert no_overflow(page)

    # rate it: a missing choice is refused in place, then 满意 with a comment
    page.click("#rating-submit")
    assert "请选择" in page.locator("#rating-error").inner_text()
    page.locator(".r-cat", has_text="基本满意").click()
    page.fill("#rating-comment", "清理及时，希望加强日常保洁")
    page.screenshot(path=str(screenshots / "resident-track.png"), full_page=True)
    page.click("#rating-submit")
    page.wait_for_selector("#rated-ok")
    assert page.locator("#track-state").inner_text() == "已评价"
    assert page.locator("#track-rating").inner_text() == "基本满意"
    assert page.locator("#rating-form").count() == 0
    after = api(live_server, "operator", "GET", f"/api/v1/events/{event['code']}")
    assert after["state"] == "evaluated" and after["rating"] == "basic"

    # a second rating (a replayed form) is refused, politely
    r = httpx.post(f"{live_server.url}/track/{code}/rating", data={"rating": "unsatisfied"}, timeout=10)
    assert r.status_code == 409 and "已评价" in r.text
    assert api(live_server, "operator", "GET", f"/api/v1/events/{event['code']}")["rating"] == "basic"


def test_wrong_tracking_code_is_a_friendly_page(new_page, live_server, spot, screenshots):
    page = phone(new_page, spot)
    response = page.goto(live_server.url + "/track/ZZZZ9999ZZ")
    assert response.status == 404
    assert "没有找到" in page.locator("#track-error").inner_text()
    assert page.locator("#track-error a[href='/report']").count() == 1
    page.screenshot(path=str(screenshots / "resident-not-found.png"))
    # the form: a malformed code is explained, a well-formed one leads to its page
    page.goto(live_server.url + "/track")
    page.fill("#track-code", "ab!")
    page.click("#track-submit")
    assert "6 至 16 位" in page.locator("#track-error").inner_text()
    page.fill("#track-code", "abcd2345")
    page.click("#track-submit")
    page.wait_for_url("**/track/ABCD2345")
    assert "没有找到" in page.locator("#track-error").inner_text()
    assert page.locator("#footer-declare").get_attribute("href") == "/declare/status"


def test_bad_input_is_explained(new_page, live_server, spot):
    page = phone(new_page, spot)
    page.goto(live_server.url + "/report")
    page.wait_for_function(READY)
    page.click("#r-submit")
    assert page.locator("#category-error").inner_text() == "请选择问题类型"
    assert "问题描述" in page.locator("#description-error").inner_text()
    assert "位置" in page.locator("#location-error").inner_text()
    assert page.locator("#r-error").inner_text() == "请按提示补全后再提交"
    # a tap outside the county (the map is fitted to it with a margin: its corner) is refused
    page.locator("#r-map").scroll_into_view_if_needed()
    box = page.locator("#r-map").bounding_box()
    page.mouse.click(box["x"] + 3, box["y"] + box["height"] - 3)
    assert "不在本县范围内" in page.locator("#r-location").inner_text()
    page.click("#r-submit")
    assert page.locator("#location-error").inner_text() == "问题位置须在本县范围内"
    # photos: not a picture, too big, and a fake picture the server refuses (415)
    page.set_input_files("#r-photo", files=[{"name": "a.txt", "mimeType": "text/plain", "buffer": b"hi"}])
    assert "不是图片" in page.locator("#photo-error").inner_text()
    big = b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024)
    page.set_input_files("#r-photo", files=[{"name": "big.jpg", "mimeType": "image/jpeg", "buffer": big}])
    assert "超过 10 MB" in page.locator("#photo-error").inner_text()
    page.locator(".r-cat", has_text="路灯故障").click()
    page.fill("#r-description", "路灯坏了")
    page.fill("#r-phone", "12345")
    page.click("#r-locate")
    page.wait_for_selector("#r-location.is-set")
    page.click("#r-submit")
    assert "11 位" in page.locator("#phone-error").inner_text()
    page.fill("#r-phone", "13812345678")
    page.set_input_files("#r-photo", files=[{"name": "fake.png", "mimeType": "image/png", "buffer": b"not a png"}])
    page.wait_for_selector("#r-photo-list img")
    page.click("#r-submit")
    page.wait_for_selector("#r-error:not([hidden])")
    assert "附件类型不支持" in page.locator("#r-error").inner_text()
    assert page.locator("#r-done").is_hidden()
