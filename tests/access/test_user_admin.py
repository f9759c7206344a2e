"""Admins change and deactivate users through the API, on SQLite and PostgreSQL: role and scope
changes, deactivation that locks the user out at once, reactivation, password reset, the refusals
(self-deactivation, unknown regions, non-admins) and the audit rows every change leaves."""

from __future__ import annotations

import json
import secrets

import pytest


def _token(client, username, password):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


@pytest.fixture
def worker(client, auth, demo_db):
    """A fresh grid worker (never a shared demo user) with a live bearer token."""
    name = "ua_" + secrets.token_hex(4)
    r = client.post("/api/v1/users", headers=auth("admin"), json={
        "username": name, "password": "Worker2026x", "role": "grid_worker", "scopes": [demo_db.first_grid]})
    assert r.status_code == 201, r.text
    t = _token(client, name, "Worker2026x")
    assert t.status_code == 200, t.text
    return {"id": r.json()["id"], "username": name, "password": "Worker2026x",
            "headers": {"Authorization": f"Bearer {t.json()['access_token']}"}}


def _audit(client, auth, user_id, action):
    rows = client.get("/api/v1/audit", headers=auth("admin"), params={"limit": 50}).json()
    return [e for e in rows if e["action"] == action and e["object_id"] == str(user_id)]


def test_change_role_and_scope(client, auth, demo_db, worker):
    r = client.patch(f"/api/v1/users/{worker['id']}", headers=auth("admin"),
                     json={"role": "leader", "scopes": [demo_db.top_code], "display_name": "新 领导"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["role"] == "leader" and body["scopes"] == [demo_db.top_code] and body["display_name"] == "新 领导"
    me = client.get("/api/v1/auth/me", headers=worker["headers"]).json()  # the token sees the new role at once
    assert me["role"] == "leader" and me["scopes"] == [demo_db.top_code]
    rows = _audit(client, auth, worker["id"], "user.update")
    assert rows and json.loads(rows[0]["detail"])["changed"] == ["display_name", "role", "scopes"]
    assert "password" not in rows[0]["detail"]


def test_deactivate_locks_out_at_once_and_reactivate(client, auth, worker):
    assert client.get("/api/v1/auth/me", headers=worker["headers"]).status_code == 200
    r = client.patch(f"/api/v1/users/{worker['id']}", headers=auth("admin"), json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get("/api/v1/auth/me", headers=worker["headers"]).status_code == 401
    assert _token(client, worker["username"], worker["password"]).status_code == 401
    rows = _audit(client, auth, worker["id"], "user.update")
    assert rows and json.loads(rows[0]["detail"]) == {"changed": ["active"], "sessions_ended": 1}

    r = client.patch(f"/api/v1/users/{worker['id']}", headers=auth("admin"), json={"active": True})
    assert r.status_code == 200 and r.json()["active"] is True
    # the old token stays revoked; a new login works
    assert client.get("/api/v1/auth/me", headers=worker["headers"]).status_code == 401
    assert _token(client, worker["username"], worker["password"]).status_code == 200


def test_reset_password_ends_sessions(client, auth, worker):
    r = client.post(f"/api/v1/users/{worker['id']}/password", headers=auth("admin"), json={"password": "short"})
    assert r.status_code == 422
    r = client.post(f"/api/v1/users/{worker['id']}/password", headers=auth("admin"),
                    json={"password": "NewPass2027y"})
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/auth/me", headers=worker["headers"]).status_code == 401
    assert _token(client, worker["username"], worker["password"]).status_code == 401
    assert _token(client, worker["username"], "NewPass2027y").status_code == 200
    rows = _audit(client, auth, worker["id"], "user.password_reset")
    assert rows and "hash" not in rows[0]["detail"]


def test_admin_cannot_deactivate_or_demote_self(client, auth):
    me = client.get("/api/v1/auth/me", headers=auth("admin")).json()
    for body, code in (({"active": False}, "cannot_deactivate_self"), ({"role": "leader"}, "cannot_demote_self")):
        r = client.patch(f"/api/v1/users/{me['id']}", headers=auth("admin"), json=body)
        assert r.status_code == 409 and r.json()["error"]["code"] == code
        assert "不能" in r.json()["error"]["message"]
    assert client.get("/api/v1/auth/me", headers=auth("admin")).json()["role"] == "admin"


@pytest.mark.parametrize("body,code", [
    ({"scopes": ["TOP+999"]}, "region_not_found"),             # well-formed, no such region
    ({"scopes": ["abc"]}, None),                               # malformed
    ({"department_code": "NOPE-XX"}, "department_not_found"),
    ({"role": "emperor"}, None),
    ({"active": "no"}, None),                                  # strict types
    ({"scopes": "211021"}, None),
    ({"role": "handler", "department_code": None}, "department_required"),
    ({"scopes": []}, "scope_required"),                        # a grid worker needs a grid
    ({"password_hash": "x"}, None),                            # unknown fields refused
])
def test_bad_values_are_422_and_change_nothing(client, auth, demo_db, worker, body, code):
    if body.get("scopes") == ["TOP+999"]:
        body = {"scopes": [demo_db.top_code + "599"]}
    before = client.get("/api/v1/users", headers=auth("admin")).json()
    r = client.patch(f"/api/v1/users/{worker['id']}", headers=auth("admin"), json=body)
    assert r.status_code == 422, r.text
    if code:
        assert r.json()["error"]["code"] == code
    after = client.get("/api/v1/users", headers=auth("admin")).json()
    assert [u for u in after if u["id"] == worker["id"]] == [u for u in before if u["id"] == worker["id"]]


def test_non_admin_403_and_unknown_user_404(client, auth, worker):
    for role in ("operator", "leader"):
        r = client.patch(f"/api/v1/users/{worker['id']}", headers=auth(role), json={"active": False})
        assert r.status_code == 403
        r = client.post(f"/api/v1/users/{worker['id']}/password", headers=auth(role), json={"password": "Abcdef123"})
        assert r.status_code == 403
    assert client.get("/api/v1/auth/me", headers=worker["headers"]).status_code == 200
    r = client.patch("/api/v1/users/999999", headers=auth("admin"), json={"active": False})
    assert r.status_code == 404 and r.json()["error"]["code"] == "user_not_found"
    r = client.post("/api/v1/users/999999/password", headers=auth("admin"), json={"password": "Abcdef123"})
    assert r.status_code == 404
