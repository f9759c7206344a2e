"""The header's navigation on a phone (a 菜单 button, not hidden links) and the shared fetch helper
(static/js/api.js) as the pages use it — in headless Chromium against ``live_server``."""

from __future__ import annotations

import httpx
from browser_kit import login_page as login
from browser_kit import no_overflow

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def test_the_navigation_is_a_menu_on_a_phone(new_page, live_server, screenshots):
    page = new_page(PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    login(page, live_server, "grid_worker", "/declarations")
    toggle, nav = page.locator("#nav-toggle"), page.locator("#app-nav")
    assert toggle.is_visible() and nav.is_hidden()
    assert (
        toggle.get_attribute("aria-expanded") == "false"
        and toggle.get_attribute("aria-controls") == "app-nav"
    )
    assert (
        toggle.inner_text().strip() == "" or "菜单" in toggle.text_content()
    )  # icon; the label is for readers
    assert no_overflow(page), "the header pushes the page sideways"
    header = page.locator(".app-header").bounding_box()
    assert header["height"] <= 60

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    links = page.locator("#app-nav a")
    assert links.count() >= 2 and all(links.nth(i).is_visible() for i in range(links.count()))
    current = page.locator("#nav-declarations")
    assert current.get_attribute("aria-current") == "page"
    box = current.bounding_box()
    assert box["height"] >= 44 and box["width"] >= PHONE["width"] * 0.9  # a full-width touch target
    page.screenshot(path=screenshots / "20-phone-menu-open.png")

    page.keyboard.press("Escape")  # closes, focus back on the button
    assert nav.is_hidden() and toggle.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.id") == "nav-toggle"
    toggle.click()
    page.mouse.click(PHONE["width"] / 2, PHONE["height"] - 40)  # a tap elsewhere on the page
    assert nav.is_hidden()

    toggle.click()
    page.locator("#app-nav a[href='/map']").click()  # following a link works
    page.wait_for_url("**/map")
    page.wait_for_function("() => document.body.dataset.mapReady === '1'")
    assert page.locator("#app-nav").is_hidden() and page.locator("#nav-toggle").is_visible()


def test_the_navigation_stays_in_the_header_on_a_desktop(new_page, live_server):
    page = new_page(DESKTOP)
    login(page, live_server, "grid_worker", "/declarations")
    assert page.locator("#nav-toggle").is_hidden()
    assert (
        page.locator("#nav-declarations").is_visible()
        and page.locator("#app-nav a[href='/map']").is_visible()
    )


def test_pages_share_one_fetch_helper(new_page, live_server):
    page = new_page(DESKTOP)
    login(page, live_server, "grid_worker", "/declarations")
    page.wait_for_selector("#queue-list[data-loaded]", state="attached")
    sources = page.eval_on_selector_all("script[src]", "nodes => nodes.map(n => n.getAttribute('src'))")
    assert sum("/js/api.js" in src for src in sources) == 1
    assert page.evaluate(
        "typeof GridgovApi.request === 'function' && typeof GridgovApi.client === 'function'"
    )
    # a refusal comes back as an ApiError with the server's code and message
    err = page.evaluate("""() => GridgovApi.request('/api/v1/declarations/99999999/approve', {method: 'POST'})
                             .then(() => null, e => ({status: e.status, code: e.code, message: e.message,
                                                      isApiError: e instanceof GridgovApi.ApiError}))""")
    assert err["status"] == 404 and err["code"] == "declaration_not_found" and err["isApiError"]
    # writes carry the session's CSRF token (without it the server would refuse with 403)
    assert err["code"] != "csrf_failed"


def test_a_rate_limited_declaration_shows_the_servers_message(new_page, live_server):
    lon, lat = 0, 0
    with httpx.Client(base_url=live_server.url, timeout=15) as client:
        username, password = live_server.users["operator"]
        token = client.post("/api/v1/auth/token", data={"username": username, "password": password}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        lon, lat = client.get(f"/api/v1/regions/{live_server.grid_worker_grid}", headers=headers).json()[
            "center"
        ]
        building = client.post(
            "/api/v1/buildings", headers=headers, json={"name": "限流测试楼", "lon": lon, "lat": lat}
        ).json()
    page = new_page(PHONE, is_mobile=True, has_touch=True)
    page.route(
        "**/api/v1/public/declare/**",
        lambda route: route.fulfill(
            status=429,
            content_type="application/json",
            headers={"Retry-After": "42"},
            body='{"error": {"code": "rate_limited", "message": "请求过于频繁，请 42 秒后再试", '
            '"details": {"retry_after": 42, "limit": "declare"}}}',
        ),
    )
    page.goto(f"{live_server.url}{building['declare_url']}")
    page.fill("#declarer-name", "张建国")
    page.fill("#declarer-phone", "13912345678")
    page.fill("#room-no", "101")
    page.locator("#people-list .person-card [data-field=name]").first.fill("张建国")
    page.locator("#people-list .person-card [data-field=citizen_id]").first.fill("11010519491231002X")
    page.click("#declare-submit")
    page.wait_for_selector("#declare-error:has-text('请求过于频繁')", timeout=10_000)
    assert page.locator("#declare-error").inner_text() == "请求过于频繁，请 42 秒后再试"
    assert page.locator("#declare-form").is_visible() and page.input_value("#room-no") == "101"
    assert page.locator("#declare-submit").is_enabled()
