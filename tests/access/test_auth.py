"""Login, tokens, lockout and CSRF through the real app, on SQLite and PostgreSQL."""

import pytest
from fastapi.testclient import TestClient

from gridgov.app import create_app


def token(client, username, password):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_token_and_me(client, demo_db):
    username, password = demo_db.users["leader"]
    r = token(client, username, password)
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert me.status_code == 200
    body = me.json()
    assert body["role"] == "leader" and body["role_label"] == "领导" and body["scopes"] == [demo_db.top_code]


@pytest.mark.parametrize("username,password", [("leader", "wrong-password"), ("nobody", "whatever1"), ("", "x")])
def test_wrong_credentials_are_401_with_a_code(client, username, password):
    r = token(client, username, password)
    assert r.status_code in (401, 422)
    assert r.json()["error"]["code"] in ("bad_credentials", "invalid_request")


def test_missing_or_bad_tokens(client):
    assert client.get("/api/v1/auth/me").json()["error"]["code"] == "not_authenticated"
    r = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"
    r = client.get("/api/v1/auth/me", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_authorization_header"


def test_lockout_after_repeated_failures(client, auth):
    from gridgov.settings import get_settings

    r = client.post("/api/v1/users", headers=auth("admin"), json={
        "username": "lockme", "password": "Secret123", "role": "leader", "scopes": []})
    assert r.status_code == 201, r.text
    for _ in range(get_settings().lockout_failures):
        assert token(client, "lockme", "bad-password").status_code == 401
    r = token(client, "lockme", "Secret123")  # right password, but locked now
    assert r.status_code == 423 and r.json()["error"]["code"] == "account_locked"
    audit = client.get("/api/v1/audit", headers=auth("admin"), params={"limit": 20}).json()
    assert any(e["action"] == "auth.login_failed" and "locked_until" in e["detail"] for e in audit)


def test_logout_revokes_the_token(client, demo_db):
    username, password = demo_db.users["operator"]
    t = token(client, username, password).json()["access_token"]
    h = {"Authorization": f"Bearer {t}"}
    assert client.post("/api/v1/auth/logout", headers=h).status_code == 204
    assert client.get("/api/v1/auth/me", headers=h).status_code == 401


def test_cookie_session_needs_csrf_for_unsafe_methods(demo_db):
    """A browser session may read with its cookie, but must echo the CSRF token to change state."""
    app = create_app(demo_db.url)
    with TestClient(app) as c:
        page = c.get("/login")
        assert page.status_code == 200
        csrf = c.cookies.get("gridgov_login_csrf")
        username, password = demo_db.users["admin"]
        r = c.post("/login", data={"username": username, "password": password, "csrf_token": csrf},
                   follow_redirects=False)
        assert r.status_code == 303
        assert c.get("/api/v1/auth/me").status_code == 200
        body = {"code": "CSRF-TEST", "name": "测试部门", "region_code": demo_db.top_code}
        r = c.post("/api/v1/departments", json=body)
        assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
        html = c.get("/map").text
        token_value = html.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        r = c.post("/api/v1/departments", json=body, headers={"X-CSRF-Token": token_value})
        assert r.status_code == 201, r.text


def test_login_form_rejects_a_forged_csrf(demo_db):
    with TestClient(create_app(demo_db.url)) as c:
        c.get("/login")
        username, password = demo_db.users["admin"]
        r = c.post("/login", data={"username": username, "password": password, "csrf_token": "forged"},
                   follow_redirects=False)
        assert r.status_code == 403


def test_user_creation_validates(client, auth):
    bad = [
        ({"username": "x1", "password": "short", "role": "leader"}, 422),
        ({"username": "x2", "password": "Secret123", "role": "king"}, 422),
        ({"username": "x3", "password": "Secret123", "role": "grid_worker"}, 422),  # needs a grid
        ({"username": "x4", "password": "Secret123", "role": "leader", "scopes": ["12345"]}, 422),
        ({"username": "x5", "password": "Secret123", "role": "handler"}, 422),  # needs a department
        ({"username": "admin", "password": "Secret123", "role": "leader"}, 409),
    ]
    for body, status in bad:
        r = client.post("/api/v1/users", headers=auth("admin"), json=body)
        assert r.status_code == status, (body, r.text)
        assert r.json()["error"]["message"]
    r = client.post("/api/v1/users", headers=auth("leader"),
                    json={"username": "x6", "password": "Secret123", "role": "leader"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "permission_denied"
