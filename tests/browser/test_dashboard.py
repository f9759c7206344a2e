"""统计分析 and the big screen in a real browser (headless Chromium over the tiny demo).

The dashboard must draw every panel WITH data (read back from the ECharts instances), drill into a
region on a click and climb back with the breadcrumb and the back button, save a chart as PNG
and the whole dashboard as a watermarked Excel workbook; a handler sees only their department; the
big screen fills 1920×1080, still fits 1366×768, and updates itself without reloading.
Figures the page must show are taken from the API as the same user sees it, never hard-coded.
"""

from __future__ import annotations

import time

import pytest
from browser_kit import api_call
from browser_kit import login_page as login
from openpyxl import load_workbook

DESKTOP = {"width": 1366, "height": 768}
WALL = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}
READY = "() => document.body.dataset.dashReady === '1'"
CHARTS = ("daily", "categories", "channels", "funnel", "departments", "regions", "disputes", "visits")

def api_get(server, role: str, path: str, **params):
    """GET an API path as a demo user (bearer token), outside the browser."""
    return api_call(server, role, "GET", path, params=params)


def series_lengths(page) -> dict[str, list[int]]:
    """How many data points each series of each chart holds, read from the ECharts instances."""
    return page.evaluate(
        """keys => Object.fromEntries(keys.map(k => {
            const c = echarts.getInstanceByDom(document.getElementById('chart-' + k));
            const o = c ? c.getOption() : {series: []};
            return [k, (o.series || []).map(s => (s.data || []).length)];
        }))""",
        list(CHARTS),
    )


def kpi(page, key: str) -> str:
    return page.inner_text(f'.dash-kpi[data-kpi="{key}"] [data-value]')


def test_dashboard_draws_every_panel_with_data(new_page, live_server, screenshots, report):
    page = new_page(viewport=DESKTOP)
    started = time.perf_counter()
    login(page, live_server, "leader", "/dashboard?period=year")
    page.wait_for_function(READY)
    report(f"dashboard (year, leader) drawn in {time.perf_counter() - started:.2f} s after login")
    lengths = series_lengths(page)
    for key in ("daily", "categories", "channels", "funnel", "departments", "regions", "visits"):
        assert lengths[key] and lengths[key][0] > 0, (key, lengths)
    summary = api_get(live_server, "leader", "/api/v1/stats/summary", period="year")
    days = (summary["last_day"], summary["first_day"])
    assert lengths["daily"][0] > 300 and days[0] > days[1]
    assert kpi(page, "events") == f"{summary['kpis']['events']:,}"
    assert kpi(page, "open") == f"{summary['kpis']['open']:,}"
    rate = summary["kpis"]["on_time_closing_rate"]
    assert kpi(page, "on_time") == f"{rate * 100:.1f}%"
    daily_total = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('chart-daily')).getOption().series[0].data"
        ".reduce((a, b) => a + b, 0)")
    assert daily_total == summary["kpis"]["events"]
    assert page.inner_text("#dash-crumbs") == summary["region_name"]
    assert "更新于" in page.inner_text("#dash-status")
    page.screenshot(path=screenshots / "dashboard-leader.png", full_page=True)

    # another period: seven days, seven points
    page.select_option("#dash-period", "7d")
    page.wait_for_function("() => document.body.dataset.dashLoads === '2' && document.body.dataset.dashReady === '1'")
    assert series_lengths(page)["daily"][0] == 7 and "period=7d" in page.url


def test_custom_period(new_page, live_server):
    page = new_page(viewport=DESKTOP)
    login(page, live_server, "operator", "/dashboard")
    page.wait_for_function(READY)
    assert page.is_hidden("#dash-custom")
    page.select_option("#dash-period", "custom")
    assert page.is_visible("#dash-custom")
    last = page.input_value("#dash-until")
    first = api_get(live_server, "operator", "/api/v1/stats/summary", period="7d")["first_day"]
    page.fill("#dash-since", first)
    page.click("#dash-apply")
    page.wait_for_function("() => document.body.dataset.dashLoads === '2' && document.body.dataset.dashReady === '1'")
    assert "period=custom" in page.url and f"since={first}" in page.url
    assert series_lengths(page)["daily"][0] == 7
    s = api_get(live_server, "operator", "/api/v1/stats/summary", period="custom", since=first, until=last)
    assert kpi(page, "events") == f"{s['kpis']['events']:,}"


def test_drill_down_and_back(new_page, live_server, screenshots):
    page = new_page(viewport=DESKTOP)
    login(page, live_server, "leader", "/dashboard?period=year")
    page.wait_for_function(READY)
    top = live_server.top_code
    assert page.evaluate("document.body.dataset.dashRegion") == top
    regions = api_get(live_server, "leader", "/api/v1/stats/regions", period="year")["rows"]
    street = next(r for r in regions if r["drillable"])
    page.click(f'#dash-regions tbody tr[data-code="{street["code"]}"] td:nth-child(3)')
    page.wait_for_function("code => document.body.dataset.dashRegion === code && "
                           "document.body.dataset.dashReady === '1'", arg=street["code"])
    assert f"region={street['code']}" in page.url
    crumbs = page.eval_on_selector_all("#dash-crumbs [data-code]", "ns => ns.map(n => n.dataset.code)")
    assert crumbs == [top, street["code"]]
    assert kpi(page, "events") == f"{street['events']:,}"
    below = api_get(live_server, "leader", "/api/v1/stats/regions", period="year", region=street["code"])["rows"]
    shown = page.eval_on_selector_all("#dash-regions tbody tr[data-code]", "ns => ns.map(n => n.dataset.code)")
    assert shown == [r["code"] for r in below] and all(len(c) == 12 for c in shown)

    # a click on a bar of the regions chart drills one more level
    community = below[0]
    page.evaluate("""code => {
        const c = echarts.getInstanceByDom(document.getElementById('chart-regions'));
        const i = gridgovDashboard.data.regions.rows.findIndex(r => r.code === code);
        c.dispatchAction({type: 'highlight', seriesIndex: 0, dataIndex: i});
        c.trigger('click', {componentType: 'series', seriesIndex: 0, dataIndex: i});
    }""", community["code"])
    page.wait_for_function("code => document.body.dataset.dashRegion === code && "
                           "document.body.dataset.dashReady === '1'", arg=community["code"])
    page.screenshot(path=screenshots / "dashboard-drilled.png", full_page=True)

    page.go_back()
    page.wait_for_function("code => document.body.dataset.dashRegion === code && "
                           "document.body.dataset.dashReady === '1'", arg=street["code"])
    page.click(f'#dash-crumbs a[data-code="{top}"]')
    page.wait_for_function("code => document.body.dataset.dashRegion === code && "
                           "document.body.dataset.dashReady === '1'", arg=top)
    assert kpi(page, "events") == f"{api_get(live_server, 'leader', '/api/v1/stats/summary', period='year')['kpis']['events']:,}"


def test_png_and_excel_export(new_page, live_server, tmp_path):
    page = new_page(viewport=DESKTOP, accept_downloads=True)
    login(page, live_server, "leader", "/dashboard")
    page.wait_for_function(READY)
    with page.expect_download() as info:
        page.click('button[data-png="categories"]')
    png = info.value
    assert png.suggested_filename.endswith(".png") and "事件类别" in png.suggested_filename
    path = tmp_path / "chart.png"
    png.save_as(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000

    with page.expect_download() as info:
        page.click("#dash-xlsx")
    xlsx = info.value
    assert xlsx.suggested_filename.endswith(".xlsx")
    path = tmp_path / "dashboard.xlsx"
    xlsx.save_as(path)
    wb = load_workbook(path)
    username = live_server.users["leader"][0]
    assert "概览" in wb.sheetnames and "区域排名" in wb.sheetnames
    mark = wb["概览"]["A1"].value
    assert f"导出人：{username}" in mark and "导出时间：" in mark and "近30天" in mark
    summary = api_get(live_server, "leader", "/api/v1/stats/summary")
    overview = {r[0]: r[1] for r in wb["概览"].iter_rows(min_row=3, values_only=True)}
    assert overview["上报事件数"] == summary["kpis"]["events"]


def test_handler_sees_their_department_only(new_page, live_server, screenshots):
    page = new_page(viewport=DESKTOP)
    login(page, live_server, "handler", "/dashboard?period=year")
    page.wait_for_function(READY)
    deps = api_get(live_server, "handler", "/api/v1/stats/departments", period="year")["rows"]
    assert len(deps) == 1
    assert series_lengths(page)["departments"] == [1, 1]
    assert kpi(page, "coverage") == "—"
    summary = api_get(live_server, "handler", "/api/v1/stats/summary", period="year")
    assert kpi(page, "events") == f"{summary['kpis']['events']:,}" and summary["kpis"]["events"] == deps[0]["events"]
    page.screenshot(path=screenshots / "dashboard-handler.png")


@pytest.mark.parametrize(("role", "path"), [("grid_worker", "/dashboard"), ("resident", "/dashboard"),
                                            ("handler", "/screen"), ("grid_worker", "/screen")])
def test_pages_refused(new_page, live_server, role, path):
    page = new_page(viewport=DESKTOP)
    username, password = live_server.users[role]
    page.goto(live_server.url + "/login?next=" + path)
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_response(lambda r: r.url.endswith(path)) as info:
        page.click("#login-submit")
    assert info.value.status == 403
    assert "nav-dashboard" not in page.content() or role == "handler"


def test_bad_query_is_a_422_page(new_page, live_server):
    page = new_page(viewport=DESKTOP)
    login(page, live_server, "leader", "/dashboard")
    page.wait_for_function(READY)
    response = page.goto(live_server.url + "/dashboard?period=custom&since=2026-03-01&until=2026-01-01")
    assert response.status == 422 and "起始日期不能晚于结束日期" in page.content()


def test_dashboard_on_a_phone(new_page, live_server, screenshots):
    page = new_page(viewport=PHONE)
    login(page, live_server, "leader", "/dashboard")
    page.wait_for_function(READY)
    assert series_lengths(page)["daily"][0] == 30
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, width
    page.screenshot(path=screenshots / "dashboard-phone.png", full_page=True)


def test_big_screen_fills_the_wall_and_refreshes(new_page, live_server, screenshots, report):
    page = new_page(viewport=WALL)
    login(page, live_server, "leader", "/screen?refresh=5")
    page.wait_for_function("() => Number(document.body.dataset.screenUpdates || 0) >= 1")
    first = page.inner_text("#screen-updated")
    assert first.startswith("更新于 ")
    live = api_get(live_server, "leader", "/api/v1/stats/live")
    assert page.inner_text('.screen-kpi[data-kpi="open"] [data-value]') == f"{live['open']:,}"
    assert page.inner_text('.screen-kpi[data-kpi="today"] [data-value]') == f"{live['today']:,}"
    grids = int(page.get_attribute("#screen-map", "data-grids"))
    assert grids > 0
    hours = page.evaluate("() => echarts.getInstanceByDom(document.getElementById('screen-hours'))"
                          ".getOption().series[0].data.length")
    assert hours == 24
    cats = page.evaluate("() => echarts.getInstanceByDom(document.getElementById('screen-categories'))"
                         ".getOption().series[0].data.length")
    assert cats > 0
    assert page.locator("#screen-ticker .screen-tick").count() > 0
    # fills the screen exactly: no scrolling on a wall
    size = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert size == [WALL["width"], WALL["height"]], size
    page.screenshot(path=screenshots / "screen-1920.png")
    started = time.perf_counter()
    nav_before = page.evaluate("performance.getEntriesByType('navigation')[0].startTime")
    page.wait_for_function("() => Number(document.body.dataset.screenUpdates || 0) >= 2", timeout=20_000)
    report(f"big screen: second update {time.perf_counter() - started:.1f} s after the first check (refresh=5 s)")
    assert page.evaluate("performance.getEntriesByType('navigation')[0].startTime") == nav_before  # no reload
    assert page.inner_text("#screen-updated").startswith("更新于 ")

    page.set_viewport_size(DESKTOP)
    page.wait_for_timeout(400)
    size = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert size == [DESKTOP["width"], DESKTOP["height"]], size
    box = page.locator("#screen-map").bounding_box()
    assert box["width"] > 400 and box["height"] > 250
    page.screenshot(path=screenshots / "screen-1366.png")


def test_operator_opens_the_screen(new_page, live_server):
    page = new_page(viewport=WALL)
    login(page, live_server, "operator", "/screen")
    page.wait_for_function("() => Number(document.body.dataset.screenUpdates || 0) >= 1")
    assert int(page.get_attribute("#screen-map", "data-grids")) > 0
