"""The page endpoints over plain HTTP: redirects, the login CSRF check, headers, static assets."""

from __future__ import annotations

import re
import secrets
import time

import httpx
import pytest


@pytest.fixture
def client(live_server):
    with httpx.Client(base_url=live_server.url, timeout=10, follow_redirects=False) as c:
        yield c


def login_form(client: httpx.Client, path: str = "/login") -> str:
    r = client.get(path)
    assert r.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert match, "the login form carries a CSRF token"
    assert client.cookies.get("gridgov_login_csrf") == match.group(1)
    return match.group(1)


def test_home_and_map_redirect_to_login(client):
    r = client.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    r = client.get("/map")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/map"


def test_pages_send_security_headers_and_load_nothing_from_elsewhere(client):
    r = client.get("/login")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-frame-options"] == "DENY"
    assert not re.search(r'(?:src|href)="(?:https?:)?//', r.text), "pages must not load anything from elsewhere"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_next_is_never_an_open_redirect(client, live_server, target):
    token = login_form(client)
    username, password = live_server.users["operator"]
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                    "next": target})
    assert r.status_code == 303
    assert r.headers["location"] == "/map"


def test_login_keeps_a_local_next_and_sets_the_session_cookie(client, live_server):
    token = login_form(client, "/login?next=/map%23r%3D" + live_server.top_code)
    username, password = live_server.users["leader"]
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                    "next": f"/map#r={live_server.top_code}"})
    assert r.status_code == 303 and r.headers["location"] == f"/map#r={live_server.top_code}"
    cookie = r.headers["set-cookie"].lower()
    assert "gridgov_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    r = client.get("/map")
    assert r.status_code == 200
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', r.text)
    # Logging out needs the session's CSRF token.
    r = client.post("/logout", data={"csrf_token": "wrong"})
    assert r.status_code == 403
    assert client.get("/map").status_code == 200


def test_login_without_the_csrf_cookie_is_refused(live_server):
    username, password = live_server.users["leader"]
    with httpx.Client(base_url=live_server.url, timeout=10) as c:
        r = c.post("/login", data={"username": username, "password": password, "csrf_token": "x"})
    assert r.status_code == 403
    assert "请重新提交" in r.text
    assert "gridgov_session" not in r.headers.get("set-cookie", "")


def test_empty_fields_are_reported_in_chinese(client):
    token = login_form(client)
    r = client.post("/login", data={"username": "", "password": "", "csrf_token": token})
    assert r.status_code == 422
    assert "请输入用户名和密码" in r.text


def test_static_assets_are_served(client):
    page = client.get("/login").text
    for path in re.findall(r'(?:href|src)="(/static/[^"]+)"', page):
        assert client.get(path).status_code == 200, path
    for path in ("/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css",
                 "/static/js/map.js", "/static/css/app.css", "/static/vendor/leaflet/LICENSE"):
        assert client.get(path).status_code == 200, path


def test_failed_logins_count_across_requests_and_lock_the_account(live_server):
    """Each failure is committed even though the page is re-rendered: the fifth locks the account."""
    username, password = f"probe_{secrets.token_hex(3)}", "Probe-2026-pw"
    admin, admin_password = live_server.users["admin"]
    with httpx.Client(base_url=live_server.url, timeout=10) as api:
        token = api.post("/api/v1/auth/token", data={"username": admin, "password": admin_password}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        for _ in range(20):  # the token's row may be committed just after its response
            r = api.post("/api/v1/users", headers=headers, json={
                "username": username, "password": password, "role": "operator", "scopes": [live_server.top_code]})
            if r.status_code != 401:
                break
            time.sleep(0.1)
        assert r.status_code == 201, r.text
    with httpx.Client(base_url=live_server.url, timeout=10, follow_redirects=False) as client:
        for _ in range(5):
            csrf = login_form(client)
            r = client.post("/login", data={"username": username, "password": "wrong-pw-1", "csrf_token": csrf})
            assert r.status_code == 401 and "用户名或密码错误" in r.text
        csrf = login_form(client)
        r = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf})
        assert r.status_code == 423
        assert "锁定" in r.text
        assert "gridgov_session" not in r.headers.get("set-cookie", "")
