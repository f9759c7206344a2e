"""Helpers shared by the HTTP-level page tests (``from web_kit import HTML, web_login``).

Kept out of ``conftest.py`` because ``import conftest`` is ambiguous across test folders.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

HTML = {"accept": "text/html,application/xhtml+xml"}


def web_login(client: TestClient, username: str, password: str) -> str:
    """Log in through the form (cookie session); returns the session's CSRF token as pages carry it."""
    client.cookies.clear()
    client.get("/login")
    csrf = client.cookies.get("gridgov_login_csrf")
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/map", headers=HTML)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    return match.group(1) if match else ""
