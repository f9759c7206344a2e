"""The page shell every staff page shares (gridgov/web/pages.py): navigation by role, page-shaped
errors for browsers and JSON errors for the API, the htmx error fragment."""

from __future__ import annotations

import re

import pytest
from web_kit import HTML, web_login

from gridgov.access.models import User
from gridgov.web.pages import NAV, nav_items

EXPECTED = {
    "admin": {"map", "events", "register", "declarations", "dashboard", "screen", "inbox", "admin"},
    "operator": {"map", "events", "register", "declarations", "dashboard", "screen", "inbox"},
    "handler": {"map", "events", "dashboard", "inbox"},
    "grid_worker": {"map", "events", "mobile", "register", "declarations", "inbox"},
    "leader": {"map", "events", "register", "dashboard", "screen", "inbox"},
    "resident": set(),
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_navigation_follows_the_role(role):
    user = User(username="x", display_name="x", role=role, password_hash="-")
    assert {item.key for item in nav_items(user)} == EXPECTED[role]
    assert nav_items(None) == []


def _paths(routes) -> set[str]:
    out = set()
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI wraps included routers
            out |= _paths(route.original_router.routes)
        elif hasattr(route, "path"):
            out.add(route.path)
    return out


def test_every_nav_entry_is_a_page_of_the_app(demo_app):
    paths = _paths(demo_app.routes)
    for item in NAV:
        assert item.url in paths, f"{item.url} is in the navigation but no page serves it"


@pytest.mark.parametrize("role", ["operator", "handler", "leader"])
def test_the_header_shows_exactly_the_entries_of_the_role(web, demo_db, role):
    web_login(web, *demo_db.users[role])
    html = web.get("/map").text
    shown = set(re.findall(r'id="nav-(\w+)"', html)) - {"toggle"}
    assert shown == EXPECTED[role]


def test_unknown_page_is_a_page_and_unknown_api_path_is_json(web, demo_db):
    web_login(web, *demo_db.users["leader"])
    r = web.get("/no-such-page", headers=HTML)
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"]
    assert 'id="error-message"' in r.text and "default-src 'self'" in r.headers["content-security-policy"]
    r = web.get("/api/v1/no-such-thing", headers=HTML)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_htmx_requests_get_an_error_fragment_not_a_page(web, demo_db):
    web_login(web, *demo_db.users["leader"])
    r = web.get("/no-such-page", headers={**HTML, "HX-Request": "true"})
    assert r.status_code == 404
    assert r.text.lstrip().startswith('<div class="alert alert-error"')
    assert "<html" not in r.text
