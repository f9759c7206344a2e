"""The in-place user edit and password reset of /admin/users over HTTP, on both backends: a saved
edit swaps the whole row back, refusals (self-deactivation, unknown region, weak password) come back
as the error fragment, and anyone but an admin gets 403."""

from __future__ import annotations

import secrets

from web_kit import HTML, web_login


def _hx(web, demo_db, role):
    csrf = web_login(web, *demo_db.users[role])
    return {**HTML, "X-CSRF-Token": csrf, "HX-Request": "true"}


def _new_worker(web, demo_db, hx) -> int:
    name = "uw_" + secrets.token_hex(4)
    r = web.post("/admin/users", headers=hx, data={"username": name, "password": "Worker2026x",
                                                   "role": "grid_worker", "scopes": demo_db.first_grid})
    assert r.status_code == 200, r.text[:300]
    me = web.get("/api/v1/users", headers={"X-CSRF-Token": hx["X-CSRF-Token"]}).json()
    return next(u["id"] for u in me if u["username"] == name)


def test_edit_form_saves_and_refuses_in_place(web, demo_db):
    hx = _hx(web, demo_db, "admin")
    uid = _new_worker(web, demo_db, hx)
    r = web.get(f"/admin/users/{uid}/edit", headers=hx)
    assert r.status_code == 200 and f'id="ue-scopes-{uid}"' in r.text
    form = {"display_name": "改名 网格员", "role": "grid_worker", "scopes": demo_db.first_grid, "department_code": ""}
    r = web.post(f"/admin/users/{uid}", headers=hx, data=form)  # no "active": deactivates
    assert r.status_code == 200 and r.headers["hx-retarget"] == f"#user-row-{uid}"
    assert "user-inactive" in r.text and "已停用" in r.text and "改名 网格员" in r.text
    r = web.post(f"/admin/users/{uid}", headers=hx, data={**form, "scopes": demo_db.top_code + "599", "active": "1"})
    assert r.status_code == 422 and "alert-error" in r.text and "不存在" in r.text
    r = web.post(f"/admin/users/{uid}/password", headers=hx, data={"password": "abc"})
    assert r.status_code == 422 and "alert-error" in r.text
    r = web.post(f"/admin/users/{uid}/password", headers=hx, data={"password": "Reset2026pass"})
    assert r.status_code == 200 and "已重置" in r.text
    r = web.post("/admin/users/999999", headers=hx, data=form)
    assert r.status_code == 404


def test_admin_cannot_deactivate_self_and_others_get_403(web, demo_db):
    hx = _hx(web, demo_db, "admin")
    me = web.get("/api/v1/auth/me").json()
    r = web.post(f"/admin/users/{me['id']}", headers=hx,
                 data={"display_name": me["display_name"], "role": "admin", "scopes": ""})
    assert r.status_code == 409 and "不能停用自己的账号" in r.text
    assert web.get("/api/v1/auth/me").json()["active"] is True
    hx = _hx(web, demo_db, "operator")
    for method, url in (("GET", f"/admin/users/{me['id']}/edit"), ("POST", f"/admin/users/{me['id']}"),
                        ("POST", f"/admin/users/{me['id']}/password")):
        r = web.request(method, url, headers=hx, data={"password": "Abcdef1234", "active": "1"})
        assert r.status_code == 403, (method, url, r.status_code)
