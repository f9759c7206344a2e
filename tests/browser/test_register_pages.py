"""The register pages (人口房屋) in real Chromium: search with masked results, reveal with a purpose
(audited, refused without one, absent for a leader and 403 when forged), lists, record pages, and
an import with a quarantined row and its error report. Also measures the pages' server time."""

from __future__ import annotations

import io
import re
import statistics
import time

import httpx
import pytest
from browser_kit import login_page as login
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

PURPOSE = "核实矛盾纠纷当事人身份"


@pytest.fixture(scope="module")
def sample(live_server):
    """A person (with an ID, phone and house), a building with houses, an organization, from the demo."""
    engine = create_engine(live_server.database_url)
    with engine.connect() as c:
        person = c.execute(text(
            "SELECT id, name, citizen_id, phone, house_id FROM persons WHERE phone IS NOT NULL "
            "AND house_id IS NOT NULL AND length(name) = 3 ORDER BY id LIMIT 1")).one()
        building = c.execute(text(
            "SELECT b.id, b.lon, b.lat, count(h.id) AS houses FROM buildings b JOIN houses h ON h.building_id = b.id "
            "GROUP BY b.id, b.lon, b.lat ORDER BY b.id LIMIT 1")).one()
        org = c.execute(text("SELECT id, name FROM organizations ORDER BY id LIMIT 1")).one()
    engine.dispose()
    return {"person": person, "building": building, "org": org}


def test_operator_searches_reveals_and_the_audit_lists_it(new_page, live_server, sample, screenshots):
    person = sample["person"]
    page = new_page()
    login(page, live_server, "operator", "/register/persons")
    page.fill("#person-q", person.name)
    page.click("#person-search-submit")
    page.wait_for_selector("#person-table")
    assert "按姓名搜索" in page.inner_text("#person-results")
    row = page.locator(f'#person-table tr[data-href="/register/persons/{person.id}"]')
    assert row.count() == 1
    cells = row.locator("td").all_inner_texts()
    assert person.citizen_id not in page.content() and person.phone not in page.content()
    assert cells[1] == person.citizen_id[:4] + "*" * 10 + person.citizen_id[-4:]
    assert cells[3] == person.phone[:3] + "****" + person.phone[-4:]
    assert "q=" in page.url  # the search is in the address bar (back button, bookmarks)
    page.screenshot(path=str(screenshots / "register-search.png"), full_page=True)

    row.locator("a.person-link").click()
    page.wait_for_url(f"**/register/persons/{person.id}")
    assert page.inner_text("#fact-citizen-id") != person.citizen_id
    assert "*" in page.inner_text("#fact-name")
    page.click("#reveal-button")
    page.fill("#reveal-purpose", PURPOSE)
    page.click("#reveal-submit")
    page.wait_for_selector("#revealed-badge")
    assert page.inner_text("#fact-citizen-id") == person.citizen_id
    assert page.inner_text("#fact-phone") == person.phone
    assert page.inner_text("#fact-name") == person.name
    assert not page.locator("#reveal-dialog").evaluate("d => d.open")
    assert PURPOSE in page.inner_text("#record-facts")
    page.screenshot(path=str(screenshots / "register-person-revealed.png"), full_page=True)

    admin = new_page()
    login(admin, live_server, "admin", "/admin/audit?action=personal.reveal")
    entry = admin.locator('#audit-table tr[data-action="personal.reveal"]').first
    cells = entry.locator("td").all_inner_texts()
    assert cells[2] == live_server.users["operator"][0]
    assert cells[4] == f"person #{person.id}"
    assert PURPOSE in cells[5]
    admin.click("#verify-chain")
    admin.wait_for_selector("#verify-ok")
    assert "未发现篡改" in admin.inner_text("#verify-ok")
    admin.screenshot(path=str(screenshots / "admin-audit.png"), full_page=True)


def test_reveal_without_a_purpose_is_refused_in_place(new_page, live_server, sample):
    person = sample["person"]
    page = new_page()
    login(page, live_server, "operator", f"/register/persons/{person.id}")
    page.click("#reveal-button")
    page.click("#reveal-submit")
    error = page.wait_for_selector("#reveal-error .alert-error")
    assert "说明用途" in error.inner_text()
    page.fill("#reveal-purpose", "看看")  # shorter than the service's minimum
    page.click("#reveal-submit")
    expect(page.locator("#reveal-error")).to_contain_text("至少 4 个字")
    assert page.locator("#reveal-dialog").evaluate("d => d.open")
    assert page.get_attribute("#record-facts", "data-masked") == "true"
    assert person.citizen_id not in page.content()


def test_leader_gets_no_reveal_button_and_a_forged_reveal_is_403(new_page, live_server, sample):
    person = sample["person"]
    page = new_page()
    login(page, live_server, "leader", f"/register/persons/{person.id}")
    assert page.locator("#record-facts").count() == 1
    assert page.locator("#reveal-button").count() == 0
    assert page.locator("#reveal-dialog").count() == 0
    forged = page.evaluate("""async (url) => {
        const token = document.querySelector('meta[name=csrf-token]').content;
        const r = await fetch(url, {method: 'POST', headers: {'X-CSRF-Token': token, 'HX-Request': 'true',
            'Content-Type': 'application/x-www-form-urlencoded'}, body: 'purpose=' + encodeURIComponent('核实身份信息')});
        return {status: r.status, body: await r.text()};
    }""", f"/register/persons/{person.id}/reveal")
    assert forged["status"] == 403
    assert "无权" in forged["body"] and person.citizen_id not in forged["body"]
    # the same for a house owner and an organization's representative
    for url in (f"/register/houses/{person.house_id}/reveal", f"/register/organizations/{sample['org'].id}/reveal"):
        status = page.evaluate("""async (url) => (await fetch(url, {method: 'POST', headers: {
            'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content,
            'Content-Type': 'application/x-www-form-urlencoded'}, body: 'purpose=abcdefg'})).status""", url)
        assert status == 403, url


def test_lists_and_record_pages(new_page, live_server, sample, screenshots):
    page = new_page()
    login(page, live_server, "operator", "/register/buildings")
    rows = page.locator("#building-table tbody tr")
    assert rows.count() == 20  # a full first page
    page.click("#pager-next")
    page.wait_for_url("**page=2**")
    b = sample["building"]
    page.goto(f"{live_server.url}/register/buildings/{b.id}")
    assert page.inner_text("#kpi-houses") == str(b.houses)
    assert page.get_attribute("#qr-link", "href") == f"/buildings/{b.id}/qr"
    page.screenshot(path=str(screenshots / "register-building.png"), full_page=True)
    page.locator("#house-table tbody tr a").first.click()
    page.wait_for_url("**/register/houses/*")
    assert page.locator("#record-facts").count() == 1

    page.goto(f"{live_server.url}/register/special-groups")
    assert page.locator("#member-table tbody tr").count() > 0
    page.check("#overdue-only")
    page.wait_for_url("**overdue=1**")
    overdue = page.locator("#member-table tbody tr")
    if overdue.count():
        assert overdue.count() == page.locator("#member-table tbody tr.row-overdue").count()
        assert "逾期" in overdue.first.inner_text()
    page.screenshot(path=str(screenshots / "register-special-groups.png"), full_page=True)

    page.goto(f"{live_server.url}/register/organizations?q={sample['org'].name}")
    assert page.locator("#org-table tbody tr").count() >= 1
    page.locator("#org-table tbody tr a").first.click()
    page.wait_for_url("**/register/organizations/*")
    page.goto(f"{live_server.url}/register/houses?rental=yes")
    assert page.locator("#house-table tbody tr").count() > 0
    assert page.locator("#house-table tbody tr .badge-info").count() == page.locator("#house-table tbody tr").count()

    phone = new_page(viewport={"width": 390, "height": 844})
    login(phone, live_server, "operator", f"/register/persons/{sample['person'].id}")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the person page scrolls sideways on a phone ({width}px)"
    phone.screenshot(path=str(screenshots / "register-person-phone.png"), full_page=True)


def test_import_quarantines_a_bad_row_with_its_reason_and_the_report_downloads(new_page, live_server, sample,
                                                                               screenshots):
    b = sample["building"]
    stamp = int(time.time() * 1000) % 100000
    csv = ("楼栋名称,地址,经度,纬度,层数\n"
           f"导入测试楼{stamp},测试路{stamp}号,{b.lon},{b.lat},6\n"
           f"导入测试楼{stamp}B,测试路{stamp}号B,{b.lon},北纬四十一度,6\n").encode()
    page = new_page()
    login(page, live_server, "operator", "/register/imports")
    assert page.locator("#export-persons").count() == 1  # operator may export
    page.set_input_files("#file-buildings", files=[{"name": "buildings.csv", "mimeType": "text/csv", "buffer": csv}])
    page.click("#upload-buildings")
    result = page.wait_for_selector("#import-result-buildings .run-result")
    assert page.inner_text("#import-result-buildings .count-created") == "1"
    assert page.inner_text("#import-result-buildings .count-quarantined") == "1"
    bad = page.locator("#import-result-buildings .quarantine-row")
    assert bad.count() == 1
    number, reason = bad.locator("td").all_inner_texts()
    assert number == "3" and "纬度" in reason
    page.screenshot(path=str(screenshots / "register-import.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#import-result-buildings .error-report-link")
    path = download.value.path()
    with open(path, "rb") as fh:
        data = fh.read()
    assert data[:2] == b"PK"  # an .xlsx
    from openpyxl import load_workbook

    cells = [str(c) for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True) for c in row if c]
    assert any("北纬四十一度" in c for c in cells)
    assert result is not None
    page.reload()
    assert page.locator("#run-table tbody tr").first.inner_text().count("buildings.csv") == 1

    # the watermarked, masked export of the operator's scope
    with page.expect_download() as download:
        page.click("#export-persons")
    with open(download.value.path(), "rb") as fh:
        sheet = load_workbook(io.BytesIO(fh.read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert str(rows[0][0]).startswith(f"导出人：{live_server.users['operator'][0]}")  # the watermark
    header = next(i for i, r in enumerate(rows) if r[:2] == ("姓名", "身份证号"))
    assert len(rows) - header > 100
    assert all("*" in str(r[1]) for r in rows[header + 1:] if r[1])  # IDs masked

    # a file that is not a table at all: a clear message in place, nothing imported
    page.set_input_files("#file-persons", files=[{"name": "x.txt", "mimeType": "text/plain", "buffer": b"hello"}])
    page.click("#upload-persons")
    page.wait_for_selector("#import-result-persons .alert-error")


def test_register_pages_server_time(live_server, sample, report):
    """p95 of the server's answer for the register list and record pages (tiny demo, loopback)."""
    username, password = live_server.users["operator"]
    with httpx.Client(base_url=live_server.url, timeout=30) as c:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        c.post("/login", data={"username": username, "password": password, "csrf_token": token})
        pages = {"persons search": f"/register/persons?q={sample['person'].name[0]}",
                 "person": f"/register/persons/{sample['person'].id}", "houses": "/register/houses",
                 "buildings": "/register/buildings", "building": f"/register/buildings/{sample['building'].id}",
                 "organizations": "/register/organizations", "special groups": "/register/special-groups",
                 "imports": "/register/imports"}
        for name, url in pages.items():
            times = []
            for _ in range(12):
                start = time.perf_counter()
                r = c.get(url, headers={"Accept": "text/html"})
                times.append((time.perf_counter() - start) * 1000)
                assert r.status_code == 200, (url, r.status_code)
            p95 = statistics.quantiles(times, n=20)[-1]
            report(f"register page {name}: p95 {p95:.0f} ms, median {statistics.median(times):.0f} ms (tiny demo)")
