"""The admin pages (系统管理) in real Chromium: users with their errors in place, departments, a
catalog edit that writes a new version, the responsibility list (add a rule, import with a
quarantined row), and the 403 page for anyone but an admin."""

from __future__ import annotations

import secrets

from browser_kit import login_page as login
from playwright.sync_api import expect
from sqlalchemy import create_engine, text


def test_admin_creates_a_user_and_bad_ones_show_the_error_in_place(new_page, live_server, screenshots):
    name = "gw_" + secrets.token_hex(3)
    page = new_page()
    login(page, live_server, "admin", "/admin/users")
    page.fill("#nu-username", name)
    page.fill("#nu-display", "网格员 测试")
    page.fill("#nu-password", "Grid2026pass")
    page.select_option("#nu-role", "grid_worker")
    page.fill("#nu-scopes", live_server.grid_worker_grid)
    page.click("#user-submit")
    page.wait_for_selector("#user-created")
    assert name in page.inner_text("#user-created")
    row = page.locator(f'#user-table tr[data-username="{name}"]')
    assert row.count() == 1 and live_server.grid_worker_grid in row.inner_text()
    assert page.input_value("#nu-username") == ""  # the form is cleared for the next one

    # the same username again: refused, the form keeps what was typed
    page.fill("#nu-username", name)
    page.fill("#nu-password", "Grid2026pass")
    page.fill("#nu-scopes", live_server.grid_worker_grid)
    page.click("#user-submit")
    error = page.wait_for_selector("#user-form-result .alert-error")
    assert "已存在" in error.inner_text()
    assert page.input_value("#nu-username") == name

    # a well-formed region code that is no region
    page.fill("#nu-username", name + "b")
    page.fill("#nu-scopes", live_server.top_code + "599001001")  # street 599: well-formed, absent
    page.click("#user-submit")
    expect(page.locator("#user-form-result")).to_contain_text("不存在")
    page.screenshot(path=str(screenshots / "admin-users.png"), full_page=True)

    # a grid worker without a grid, a weak password: the service's own messages
    page.fill("#nu-scopes", "")
    page.click("#user-submit")
    expect(page.locator("#user-form-result")).to_contain_text("网格员必须指定")
    page.fill("#nu-scopes", live_server.grid_worker_grid)
    page.fill("#nu-password", "short")
    page.click("#user-submit")
    expect(page.locator("#user-form-result")).to_contain_text("密码")
    assert page.locator(f'#user-table tr[data-username="{name}b"]').count() == 0


def test_admin_creates_a_department(new_page, live_server):
    code = f"{live_server.top_code}-T{secrets.token_hex(2).upper()}"
    page = new_page()
    login(page, live_server, "admin", "/admin/departments")
    page.fill("#nd-code", code)
    page.fill("#nd-name", "测试局")
    page.fill("#nd-region", live_server.top_code)
    page.click("#department-submit")
    page.wait_for_selector("#department-created")
    assert code in page.inner_text("#department-table")
    page.fill("#nd-code", code)
    page.fill("#nd-name", "测试局")
    page.fill("#nd-region", live_server.top_code)
    page.click("#department-submit")
    error = page.wait_for_selector("#department-form-result .alert-error")
    assert "已存在" in error.inner_text()


def test_grid_worker_and_leader_get_the_403_page(new_page, live_server):
    for role in ("grid_worker", "leader"):
        page = new_page()
        login(page, live_server, role, "/register/persons" if role == "leader" else "/map")
        assert page.locator("#nav-admin").count() == 0
        response = page.goto(live_server.url + "/admin/users")
        assert response.status == 403
        assert page.locator(".error-card[data-status='403']").count() == 1
        assert "没有权限" in page.inner_text("main")
        assert page.goto(live_server.url + "/admin/catalog/items/CG001").status == 403


def test_catalog_edit_creates_a_new_version(new_page, live_server, screenshots):
    page = new_page()
    login(page, live_server, "admin", "/admin/catalog")
    before = int(page.get_attribute("#current-version", "data-version"))
    page.screenshot(path=str(screenshots / "admin-catalog.png"), full_page=True)
    page.goto(live_server.url + "/admin/catalog/items/CG001")
    page.fill("#limit-normal-handle", "20000")  # over the limit the server allows: refused in place
    page.click("#item-save")
    error = page.wait_for_selector("#item-form-result .alert-error")
    assert "时限" in error.inner_text()
    page.fill("#limit-normal-handle", "9.5")
    page.select_option("#it-severity", "normal")
    page.fill("#it-note", "浏览器测试：调整处置时限")
    page.screenshot(path=str(screenshots / "admin-catalog-item.png"), full_page=True)
    page.click("#item-save")
    page.wait_for_url("**/admin/catalog?saved=*")
    assert int(page.get_attribute("#current-version", "data-version")) == before + 1
    assert page.locator(f'#version-list [data-version="{before + 1}"]').inner_text().count("浏览器测试") == 1
    row = page.locator('#item-table tr[data-item="CG001"]')
    assert "9.5" in row.inner_text() and "一般" in row.inner_text()
    engine = create_engine(live_server.database_url)
    with engine.connect() as c:
        handle = c.execute(text(
            "SELECT i.limits FROM catalog_items i JOIN catalog_versions v ON v.id = i.version_id "
            "WHERE v.is_current AND i.code = 'CG001'")).scalar_one()
        old = c.execute(text(
            "SELECT i.limits FROM catalog_items i JOIN catalog_versions v ON v.id = i.version_id "
            "WHERE v.number = :n AND i.code = 'CG001'"), {"n": before}).scalar_one()
    engine.dispose()
    assert '"handle": 9.5' in str(handle).replace("'", '"')
    assert '"handle": 9.5' not in str(old).replace("'", '"')  # the old version is untouched


def test_responsibility_list_add_rule_and_import(new_page, live_server, screenshots):
    engine = create_engine(live_server.database_url)
    with engine.connect() as c:
        dept = c.execute(text("SELECT id, code FROM departments WHERE code LIKE '%-CG'")).one()
    engine.dispose()
    page = new_page()
    login(page, live_server, "admin", "/admin/rules")
    page.fill("#rf-target", "XX")  # no such item or category
    page.fill("#rf-region", live_server.top_code)
    page.select_option("#rf-lead", str(dept.id))
    page.click("#rule-submit")
    error = page.wait_for_selector("#rule-form-result .alert-error")
    assert "XX" in error.inner_text()
    page.fill("#rf-target", "CG002")
    page.click("#rule-submit")
    page.wait_for_selector("#rule-added")
    page.goto(f"{live_server.url}/admin/rules?region={live_server.top_code}")
    assert "CG002" in page.inner_text("#rule-table")

    csv = (f"事项编码,类别编码,区划代码,牵头部门编码\nCG003,,{live_server.top_code},{dept.code}\n"
           f"CG004,,{live_server.top_code},NO-SUCH-DEPT\n").encode()
    page.set_input_files("#rules-file", files=[{"name": "rules.csv", "mimeType": "text/csv", "buffer": csv}])
    page.click("#rules-upload")
    page.wait_for_selector("#rules-import-result .run-result")
    assert page.inner_text("#rules-import-result .count-created") == "1"
    assert page.inner_text("#rules-import-result .count-quarantined") == "1"
    assert "NO-SUCH-DEPT" in page.inner_text("#rules-import-result .quarantine-row")
    page.screenshot(path=str(screenshots / "admin-rules.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#rules-import-result .error-report-link")
    with open(download.value.path(), "rb") as fh:
        assert fh.read(2) == b"PK"


def test_admin_edits_a_users_scope_and_deactivates_them(new_page, live_server, screenshots):
    from browser_kit import api_call

    name = "gw_" + secrets.token_hex(3)
    created = api_call(live_server, "admin", "POST", "/api/v1/users", expect=201, json={
        "username": name, "password": "Grid2026pass", "role": "grid_worker", "scopes": [live_server.grid_worker_grid]})
    uid = created["id"]
    community = live_server.grid_worker_grid[:12]  # the grid's community (社区), one level up
    page = new_page()
    login(page, live_server, "admin", f"/admin/users?q={name}")
    row = f"#user-row-{uid}"

    # a region that does not exist: refused in place, the form stays open
    page.click(f"{row} .user-edit")
    page.fill(f"#ue-scopes-{uid}", live_server.top_code + "599")
    page.click(f"#ue-save-{uid}")
    error = page.wait_for_selector(f"#ue-result-{uid} .alert-error")
    assert "不存在" in error.inner_text()

    # widen the scope to the community and deactivate
    page.fill(f"#ue-scopes-{uid}", community)
    page.uncheck(f"#ue-active-{uid}")
    page.click(f"#ue-save-{uid}")
    page.wait_for_selector(f"{row}.user-inactive .user-saved")
    text = page.inner_text(row)
    assert community in text and "已停用" in text
    page.screenshot(path=str(screenshots / "admin_user_deactivated.png"))
    body = api_call(live_server, "admin", "GET", "/api/v1/users")
    assert [(u["scopes"], u["active"]) for u in body if u["id"] == uid] == [([community], False)]

    # the deactivated user cannot log in
    other = new_page()
    other.goto(live_server.url + "/login")
    other.fill("#username", name)
    other.fill("#password", "Grid2026pass")
    other.click("#login-submit")
    expect(other.locator("#login-error")).to_contain_text("用户名或密码错误")
    assert "/login" in other.url

    # the password reset form refuses a weak password in place
    page.click(f"{row} .user-reset")
    page.fill(f"#up-password-{uid}", "short")
    page.click(f"#up-save-{uid}")
    assert "8" in page.wait_for_selector(f"#up-result-{uid} .alert-error").inner_text()
