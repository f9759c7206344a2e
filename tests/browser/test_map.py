"""The first face in a real browser: login, the county map with drill-down, search, scope, logout.

Runs against ``live_server`` (``gridgov serve`` over a fresh tiny demo database) in headless
Chromium. Facts the page must show are taken from the API as the leader sees it, never hard-coded.
"""

from __future__ import annotations

import time

import pytest
from browser_kit import api_call, login_page, no_overflow

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
READY = "() => document.body.dataset.mapReady === '1'"


# --- helpers ----------------------------------------------------------------------------------

def api_get(server, role: str, path: str, **params):
    """GET an API path as a demo user (bearer token), outside the browser."""
    return api_call(server, role, "GET", path, params=params)


def login(page, server, role: str, *, start: str = "/map") -> None:
    """Open a page that needs a login, sign in as ``role`` and wait until the map has drawn."""
    login_page(page, server, role, start)
    page.wait_for_url("**/map**")
    page.wait_for_function(READY)


def tree_roots(page) -> list[str]:
    return page.eval_on_selector_all("#region-tree > .tree-node", "nodes => nodes.map(n => n.dataset.code)")


def loaded(page) -> list[dict]:
    return page.evaluate("gridgov.loadedFeatures()")


def wait_loaded(page, condition_js: str, arg=None) -> None:
    """Wait until ``condition_js`` (a function of the loaded feature properties) holds."""
    page.wait_for_function(f"arg => ({condition_js})(gridgov.loadedFeatures(), arg)", arg=arg)


def click_on_map(page, lon: float, lat: float) -> None:
    """Click the map at a coordinate, like a person would (the point must be in view)."""
    point = page.evaluate("([lat, lon]) => { const p = gridgov.map.latLngToContainerPoint([lat, lon]);"
                          " return [p.x, p.y]; }", [lat, lon])
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])


def visible_point(page, item) -> bool:
    """Is the item's inner point on the map and clear of the overlays (info panel, controls)?"""
    return page.evaluate(
        """([lat, lon]) => {
            const p = gridgov.map.latLngToContainerPoint([lat, lon]);
            const box = document.getElementById('map').getBoundingClientRect();
            const x = box.left + p.x, y = box.top + p.y;
            const hit = document.elementFromPoint(x, y);
            return !!hit && hit.tagName === 'path';
        }""",
        [item["center"][1], item["center"][0]],
    )


# --- tests ------------------------------------------------------------------------------------

def test_map_needs_login_and_login_page_is_chinese(new_page, live_server, screenshots):
    page = new_page()
    response = page.goto(live_server.url + "/map")
    assert page.url.endswith("/login?next=/map") or page.url.endswith("/login?next=%2Fmap")
    assert response.status == 200
    assert page.title().startswith("登录")
    assert page.locator(".login-app-name").inner_text() == "网格化社会治理平台"
    assert page.locator("#login-error").is_hidden()
    assert no_overflow(page)
    page.screenshot(path=screenshots / "01-login.png")


def test_wrong_password_is_shown_in_place(new_page, live_server):
    page = new_page()
    page.goto(live_server.url + "/login")
    username, _ = live_server.users["resident"]
    page.fill("#username", username)
    page.fill("#password", "not-the-password")
    with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as info:
        page.click("#login-submit")
    assert info.value.status == 401
    page.wait_for_selector("#login-error:not(.is-empty)")
    assert page.locator("#login-error").inner_text() == "用户名或密码错误"
    assert page.url.endswith("/login")
    assert page.input_value("#username") == username  # kept, the password is not
    assert page.input_value("#password") == ""
    # A forged form (token not matching the cookie) is refused with a Chinese message, not a crash.
    page.evaluate("document.querySelector('input[name=csrf_token]').value = 'forged'")
    page.fill("#password", "whatever")
    with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as info:
        page.click("#login-submit")
    assert info.value.status == 403
    assert "请重新提交" in page.locator("#login-error").inner_text()


def test_grid_worker_sees_only_their_grid(new_page, live_server, screenshots):
    grid = live_server.grid_worker_grid
    page = new_page()
    login(page, live_server, "grid_worker")

    assert tree_roots(page) == [grid]
    wait_loaded(page, "(fs, grid) => fs.some(f => f.code === grid) && fs.some(f => f.level === 'micro_grid')", grid)
    features = loaded(page)
    outside = [f["code"] for f in features if not f["code"].startswith(grid)]
    assert not outside, f"features outside the worker's grid were loaded: {outside}"
    assert {f["level"] for f in features} == {"grid", "micro_grid"}
    assert int(page.get_attribute("#map", "data-loaded-features")) == len(features)
    micro = api_get(live_server, "leader", "/api/v1/regions", parent=grid)
    assert {f["code"] for f in features if f["level"] == "micro_grid"} == {m["code"] for m in micro}
    # Street and community toggles are hidden: nothing above the worker's grid is theirs to see.
    assert page.locator(".layer-item[data-level=street]").is_hidden()
    assert page.locator("input[name=layer][value=micro_grid]").is_checked()
    assert page.locator("#user-name").inner_text() != ""
    assert page.locator("#user-role").inner_text() == "网格员"
    page.screenshot(path=screenshots / "04-grid-worker-map.png")

    # Another community of the county: the API refuses it, and the page says so in Chinese.
    own_community = grid[:12]
    street = grid[:9]
    others = [c for c in api_get(live_server, "leader", "/api/v1/regions", parent=street)
              if c["code"] != own_community]
    assert others, "the tiny demo should have two communities in a street"
    other = others[0]
    status, body = page.evaluate(
        "async code => { const r = await fetch('/api/v1/regions/' + code); return [r.status, await r.json()]; }",
        other["code"])
    assert status == 403
    message = body["error"]["message"]
    assert "权限" in message
    page.goto(f"{live_server.url}/map#r={other['code']}")
    page.wait_for_selector("#info-panel[data-state=error]")
    assert page.locator("#info-error").inner_text() == message
    # Nor does search reveal it.
    page.fill("#search-input", other["name"])
    page.wait_for_selector("#search-results .search-meta:not(:has-text('搜索中'))")
    assert page.locator(f"#search-results .search-result[data-code='{other['code']}']").count() == 0


def test_grid_worker_on_a_phone(new_page, live_server, screenshots):
    page = new_page(PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    login(page, live_server, "grid_worker")
    assert no_overflow(page), "the page scrolls sideways on a phone"
    panel = page.locator("#side-panel").bounding_box()
    map_box = page.locator("#map").bounding_box()
    assert panel["y"] + panel["height"] <= map_box["y"] + 1, "the panel should sit above the map"
    assert map_box["width"] == PHONE["width"] and map_box["height"] >= 320
    assert int(page.get_attribute("#map", "data-loaded-features")) >= 2
    # The tree folds away on a phone and opens on demand.
    assert page.locator("#region-tree").is_hidden()
    page.click("#tree-toggle")
    assert page.locator(f"#region-tree .tree-node[data-code='{live_server.grid_worker_grid}']").is_visible()
    page.click("#tree-toggle")
    page.screenshot(path=screenshots / "05-grid-worker-phone.png", full_page=True)


def test_leader_sees_the_county_and_drills_down(new_page, live_server, screenshots, report):
    county = live_server.top_code
    streets = api_get(live_server, "leader", "/api/v1/regions", parent=county)
    assert streets
    page = new_page()
    login(page, live_server, "leader")

    # Time a plain navigation to the map until its first layers are drawn.
    started = time.perf_counter()
    page.goto(live_server.url + "/map")
    page.wait_for_function(READY)
    elapsed = time.perf_counter() - started
    in_page = int(page.evaluate("document.body.dataset.mapReadyMs"))
    report(f"leader map ready: {elapsed * 1000:.0f} ms from navigation (page clock: {in_page} ms)")
    assert no_overflow(page)
    assert page.evaluate("document.documentElement.scrollHeight") <= DESKTOP["height"]

    assert tree_roots(page) == [county]
    assert page.locator("#user-role").inner_text() == "领导"
    street_codes = {s["code"] for s in streets}
    wait_loaded(page, "(fs, n) => fs.filter(f => f.level === 'street').length === n", len(streets))
    features = loaded(page)
    assert {f["code"] for f in features if f["level"] == "street"} == street_codes
    assert {f["level"] for f in features} == {"street"}, "the county view shows streets only"
    # The single root opens by itself and lists the streets.
    page.wait_for_selector(f"#region-tree .tree-node[data-code='{streets[0]['code']}']")
    page.screenshot(path=screenshots / "02-leader-map.png")

    # Hover shows name and code.
    target = next((s for s in streets if visible_point(page, s)), None)
    assert target is not None, "no street's inner point is clickable at the county view"
    point = page.evaluate("([lat, lon]) => { const p = gridgov.map.latLngToContainerPoint([lat, lon]);"
                          " return [p.x, p.y]; }", [target["center"][1], target["center"][0]])
    box = page.locator("#map").bounding_box()
    page.mouse.move(box["x"] + point[0], box["y"] + point[1])
    tip = page.locator(".leaflet-tooltip.hover-tip")
    tip.wait_for()
    assert target["name"] in tip.inner_text() and target["code"] in tip.inner_text()

    # Click the street: it is selected, the map zooms to it, the tree opens, its communities load.
    click_on_map(page, target["center"][0], target["center"][1])
    page.wait_for_selector(f"#info-panel[data-state=ready][data-code='{target['code']}']")
    assert page.locator("#info-name").inner_text() == target["name"]
    assert page.locator("#info-code").inner_text() == target["code"]
    assert "街道/乡镇" in page.locator("#info-panel").inner_text()
    assert page.locator("#info-path a").last.inner_text() == page.locator(
        f".tree-node[data-code='{county}'] > .tree-row .tree-name").inner_text()
    communities = api_get(live_server, "leader", "/api/v1/regions", parent=target["code"])
    node = page.locator(f".tree-node[data-code='{target['code']}']")
    page.wait_for_selector(f".tree-node[data-code='{target['code']}'][aria-expanded=true] .tree-node")
    assert node.evaluate("n => n.classList.contains('is-selected')")
    assert node.locator(".tree-node").evaluate_all("ns => ns.map(n => n.dataset.code)") == \
        [c["code"] for c in communities]
    wait_loaded(page, "(fs, codes) => codes.every(c => fs.some(f => f.code === c))",
                [c["code"] for c in communities])
    page.mouse.move(box["x"] + 5, box["y"] + box["height"] - 5)
    page.wait_for_timeout(400)  # let the fly-to animation settle for the picture
    page.screenshot(path=screenshots / "03-leader-drill-down.png")

    # Search by name, then by code, finds the community; choosing a result selects it.
    community = communities[0]
    page.fill("#search-input", community["name"])
    result = page.locator(f"#search-results .search-result[data-code='{community['code']}']")
    result.wait_for()
    assert community["name"] in result.inner_text()
    page.fill("#search-input", "")
    page.fill("#search-input", community["code"])
    result = page.locator("#search-results .search-result").first
    result.wait_for()
    assert result.get_attribute("data-code") == community["code"]
    result.click()
    page.wait_for_selector(f"#info-panel[data-state=ready][data-code='{community['code']}']")
    assert page.locator("#info-name").inner_text() == community["name"]
    assert page.locator("#search-results").is_hidden()
    page.wait_for_selector(f".tree-node[data-code='{community['code']}'].is-selected")


def test_layer_toggle_hides_a_level(new_page, live_server):
    page = new_page()
    login(page, live_server, "leader")
    wait_loaded(page, "fs => fs.some(f => f.level === 'street')")
    page.uncheck("input[name=layer][value=street]")
    page.wait_for_function("() => gridgov.loadedFeatures().every(f => f.level !== 'street')")
    page.check("input[name=layer][value=street]")
    wait_loaded(page, "fs => fs.some(f => f.level === 'street')")


@pytest.mark.parametrize("role", ["operator"])
def test_logout(new_page, live_server, role):
    page = new_page()
    login(page, live_server, role)
    page.click("#logout-button")
    page.wait_for_url("**/login")
    page.goto(live_server.url + "/map")
    assert "/login" in page.url, "after logout the map must ask for a login again"
    cookies = {c["name"] for c in page.context.cookies()}
    assert "gridgov_session" not in cookies


def test_too_many_features_ask_to_zoom_in(new_page, live_server):
    """When the server says a layer is truncated, the page draws none of it and says why."""
    page = new_page()
    page.route("**/api/v1/grids?*level=street*", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body='{"type": "FeatureCollection", "features": [], "truncated": true}'))
    login(page, live_server, "leader")
    # other layers may still be loading: the warning is what the status settles on
    page.wait_for_function("() => { const s = document.getElementById('map-status');"
                           " return s.dataset.state === 'warn' && s.textContent.includes('请放大地图查看'); }")
    assert page.locator("[data-note-for=street]").inner_text() == "请放大地图查看"
    assert [f for f in loaded(page) if f["level"] == "street"] == []


def test_a_failing_layer_request_is_reported_in_chinese(new_page, live_server):
    page = new_page()
    page.route("**/api/v1/grids?*", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body='{"error": {"code": "unavailable", "message": "服务维护中，请稍后再试"}}'))
    login(page, live_server, "leader")
    page.wait_for_selector('#map-status[data-state="error"]', timeout=10_000)
    assert page.locator("#map-status").inner_text() == "服务维护中，请稍后再试"


# --- event layers, heat, metric colours, region facts -------------------------------------------

OPEN_STATES = "reported,accepted,dispatched,in_progress,handled,returned"


def wait_render(page, before: int) -> int:
    """Wait for the region layers to be painted again after a pan/zoom; the time it took (ms, from
    the start of the move to the first frame painted with the new layers, by the page's clock)."""
    page.wait_for_function("n => Number(document.body.dataset.paintSeq || 0) > n", arg=before, polling=50)
    return int(page.evaluate("document.body.dataset.paintMs"))


def render_seq(page) -> int:
    return int(page.evaluate("Number(document.body.dataset.paintSeq || 0)"))


def test_event_and_heat_layers(new_page, live_server, screenshots, report):
    page = new_page()
    login(page, live_server, "leader")
    visible_open = [e for e in api_get(live_server, "leader", "/api/v1/events", state=OPEN_STATES, limit=200)["items"]
                    if e["lon"] is not None]  # other tests file events without a point: those have no marker
    assert visible_open, "the tiny demo has open events"

    # Events: one marker per open event in the view (the county view holds them all).
    page.check("#overlay-events")
    page.wait_for_function("() => Number(document.getElementById('map').dataset.eventMarkers || 0) > 0")
    assert page.get_attribute("#map", "data-event-mode") == "points"
    markers = page.locator("path.event-marker")
    assert markers.count() == len(visible_open)
    assert int(page.get_attribute("#map", "data-event-markers")) == len(visible_open)
    assert str(len(visible_open)) in page.locator("[data-note-for=events]").inner_text()
    report(f"events layer drawn in {page.evaluate('document.body.dataset.eventsMs')} ms after the toggle")

    # Click a marker: the popup names the event and links to its page in the event centre.
    codes = {e["code"]: e for e in visible_open}
    markers.first.dispatch_event("click")
    popup = page.locator(".leaflet-popup .event-popup")
    popup.wait_for()
    code = popup.get_attribute("data-code")
    assert code in codes
    assert code in popup.inner_text() and codes[code]["title"] in popup.inner_text()
    assert codes[code]["state_label"] in popup.inner_text()
    assert popup.locator("a.event-popup-link").get_attribute("href") == f"/events/{code}"
    page.keyboard.press("Escape")

    # Heat: hexagons with a legend whose classes cover the counts; a period change reloads it.
    page.check("#overlay-heat")
    page.wait_for_function("() => Number(document.getElementById('map').dataset.heatCells || 0) > 0")
    cells = int(page.get_attribute("#map", "data-heat-cells"))
    assert page.evaluate("gridgov.map.getPane('pane-heat').querySelectorAll('canvas').length") >= 1
    assert page.evaluate("gridgov.layers.layers.heat.group.getLayers().length") == cells
    legend = page.locator("#legend-heat")
    legend.wait_for()
    assert "事件热力" in legend.inner_text() and "近 30 天" in legend.inner_text()
    heat = page.evaluate("gridgov.layers.layers.heat.data")
    assert sum(c["count"] for c in heat["cells"]) == heat["total"] > 0
    report(f"heat layer: {cells} H3 cells (res {heat['resolution']}) drawn in "
           f"{page.evaluate('document.body.dataset.heatMs')} ms")
    page.wait_for_timeout(300)
    page.screenshot(path=screenshots / "06-map-events-heat.png")
    page.select_option("#heat-period", "365d")
    page.wait_for_function("() => gridgov.layers.layers.heat.data && gridgov.layers.layers.heat.data.period === '365d'")
    assert page.evaluate("gridgov.layers.layers.heat.data.total") > heat["total"]
    assert "近一年" in page.locator("#legend-heat").inner_text()

    # Switching both off removes them (and the heat legend).
    page.uncheck("#overlay-events")
    page.uncheck("#overlay-heat")
    assert page.locator("path.event-marker").count() == 0
    assert page.get_attribute("#map", "data-heat-cells") == "0"
    assert page.evaluate("gridgov.layers.layers.heat.group") is None
    assert page.locator("#map-legend").is_hidden()


def test_regions_coloured_by_a_metric_and_facts_in_the_panel(new_page, live_server, screenshots, report):
    county = live_server.top_code
    page = new_page()
    login(page, live_server, "leader")
    wait_loaded(page, "fs => fs.some(f => f.level === 'street')")
    assert page.locator("#metric-select option[value=population]").count() == 1  # a leader reads the register

    page.select_option("#metric-select", "open")
    page.wait_for_selector("#legend-metric")
    assert "街道/乡镇 · 未结案件" in page.locator("#legend-metric").inner_text()
    values = page.evaluate("gridgov.layers.metric.values")
    streets = api_get(live_server, "leader", "/api/v1/regions", parent=county)
    assert set(values) == {s["code"] for s in streets}
    for s in streets:  # the same figure the events list gives, street by street
        listed = api_get(live_server, "leader", "/api/v1/events", state=OPEN_STATES, region=s["code"], limit=200)
        assert values[s["code"]] == len(listed["items"]), s["code"]
    # The most loaded street is filled with the darkest class colour in use, the map legend explains it.
    top = max(values, key=values.get)
    fill = page.evaluate("""code => { let out = null; gridgov.state.layers.street.group.eachLayer(l => {
        if (l.feature.properties.code === code) out = l.options.fillColor; }); return out; }""", top)
    assert fill in ("#b30000", "#e34a33", "#fc8d59", "#fdcc8a", "#fef0d9") and values[top] > 0
    report(f"metric colours drawn in {page.evaluate('document.body.dataset.metricMs')} ms")

    # Click a street: the info panel shows its figures (equal to the facts API) and the links.
    target = next(s for s in streets if visible_point(page, s))
    click_on_map(page, target["center"][0], target["center"][1])
    page.wait_for_selector(f"#info-facts[data-state=ready][data-code='{target['code']}']")
    facts = api_get(live_server, "leader", f"/api/v1/map/regions/{target['code']}/facts")
    for key in ("events_week", "open", "overdue", "population", "houses", "special_groups"):
        shown = page.locator(f"#info-facts [data-fact={key}] .fact-value").inner_text()
        assert shown.replace(",", "") == str(facts[key]), key
    assert page.get_attribute("#facts-events-link", "href") == f"/events?region={target['code']}"
    assert page.get_attribute("#facts-people-link", "href") == "/register/persons"
    page.wait_for_timeout(500)
    page.screenshot(path=screenshots / "07-map-metric-facts.png")

    # Back to none: the colours go, the legend hides.
    page.select_option("#metric-select", "")
    page.wait_for_function("() => document.getElementById('map-legend').hidden")


def test_grid_worker_colours_micro_grids_and_sees_their_own_events(new_page, live_server, screenshots, report):
    grid = live_server.grid_worker_grid
    page = new_page()
    login(page, live_server, "grid_worker")
    wait_loaded(page, "fs => fs.some(f => f.level === 'micro_grid')")
    page.select_option("#metric-select", "population")
    page.wait_for_selector("#legend-metric")
    values = page.evaluate("gridgov.layers.metric.values")
    micro = api_get(live_server, "leader", "/api/v1/regions", parent=grid)
    assert set(values) == {m["code"] for m in micro} and sum(values.values()) > 0
    page.check("#overlay-events")
    page.wait_for_function("() => gridgov.layers.layers.events.data !== null")
    shown = page.evaluate("gridgov.layers.layers.events.data.events.map(e => e.region_code)")
    assert all(code.startswith(grid) for code in shown)

    # Time from a zoom to the micro-grid layer drawn (tiny demo; the city figure is in docs/map.md).
    target = micro[len(micro) // 2]
    timings = []
    for zoom in (17, 16, 17):
        before = render_seq(page)
        page.evaluate("([lat, lon, z]) => { gridgov.map.setView([lat, lon], z, {animate: false}); return 0; }",
                      [target["center"][1], target["center"][0], zoom])
        timings.append(wait_render(page, before))
    report(f"viewport render after zoom (grid worker, micro-grids, tiny demo): {timings} ms")
    page.screenshot(path=screenshots / "08-map-grid-worker-population.png")


def test_handler_has_no_population_colours(new_page, live_server):
    page = new_page()
    login(page, live_server, "handler")
    assert page.locator("#metric-select option[value=population]").count() == 0
    assert page.locator("#metric-select option[value=open]").count() == 1
