"""The event centre's pages over plain HTTP (httpx against ``live_server``): the login redirect,
bad filters and bad forms answered with a 4xx page or fragment (never a 500), refusals of the
workflow in place, and the server time of the list and detail pages (reported, not asserted).
"""

from __future__ import annotations

import re
import secrets
import statistics
import time

import httpx
import pytest

HTML = {"Accept": "text/html"}
HTMX = {"Accept": "text/html", "HX-Request": "true"}


def session(server, role: str) -> httpx.Client:
    """A browser-like client logged in as ``role`` (cookie + the session's CSRF token)."""
    c = httpx.Client(base_url=server.url, timeout=20, follow_redirects=False, headers=HTML)
    r = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)
    username, password = server.users[role]
    r = c.post("/login", data={"username": username, "password": password, "csrf_token": token, "next": "/map"})
    assert r.status_code == 303, r.text
    for _ in range(20):  # the new session may be committed just after the redirect arrives
        r = c.get("/events")
        if r.status_code == 200:
            break
        time.sleep(0.1)
    c.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', r.text).group(1)
    return c


@pytest.fixture(scope="module")
def operator(live_server):
    c = session(live_server, "operator")
    yield c
    c.close()


def new_event(server, client: httpx.Client, word: str) -> tuple[str, int]:
    """File an event through the centre's entry form; returns its code and version."""
    r = client.post("/events/new", headers={**HTMX, "X-CSRF-Token": client.csrf},
                    data={"item_code": "CG001", "description": f"页面测试 {word}", "channel": "hotline",
                          "region_code": server.grid_worker_grid})
    assert r.status_code == 204, r.text
    code = r.headers["hx-redirect"].rsplit("/", 1)[1]
    page = client.get(f"/events/{code}")
    return code, int(re.search(r'name="version" value="(\d+)"', page.text).group(1))


@pytest.mark.parametrize("path", ["/events", "/events?queue=overdue", "/events/SJ202601010000001", "/events/new",
                                  "/inbox"])
def test_pages_send_anonymous_browsers_to_login(live_server, path):
    r = httpx.get(live_server.url + path, headers=HTML, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=/")
    assert path.split("?")[0] in r.headers["location"]


@pytest.mark.parametrize("query", [
    "queue=bogus", "severity=extreme", "channel=fax", "state=nope", "since=2026-13-01", "until=yesterday",
    "since=2026-11-02&until=2026-11-01", "region=abc", "category=cg;drop", "before=0", "before=99999999999",
    "q=" + "x" * 61,
])
def test_bad_filters_are_a_4xx_page_not_a_500(operator, query):
    r = operator.get("/events?" + query)
    assert 400 <= r.status_code < 500, (query, r.status_code)
    assert r.headers["content-type"].startswith("text/html")
    assert 'class="card error-card"' in r.text and f'data-status="{r.status_code}"' in r.text
    assert re.search(r'id="error-message">[^<]+<', r.text), "the page says what is wrong"


def test_filter_requests_from_htmx_get_only_the_results(operator, live_server):
    r = operator.get("/events?queue=all&severity=high", headers={**HTMX, "HX-Target": "event-results"})
    assert r.status_code == 200
    assert "<html" not in r.text and 'id="event-table"' in r.text
    rows = re.findall(r'<tr data-href="/events/(SJ\d+)"', r.text)
    severities = re.findall(r'<span class="badge sev-(\w+)"', r.text)
    assert rows and set(severities) == {"high"}
    full = operator.get("/events?queue=all&severity=high")
    assert "<html" in full.text and 'id="event-tabs"' in full.text
    counts_url = re.search(r'hx-get="(/events/counts\?[^"]+)"', full.text).group(1).replace("&amp;", "&")
    assert "severity=high" in counts_url
    tabs = operator.get(counts_url, headers=HTMX)
    expected = _api(live_server, "operator", "GET", "/api/v1/events/queues").json()["counts"]
    shown = dict(re.findall(r'id="tab-(\w+)"[^>]*>[^<]*<span class="tab-count[^"]*" data-count="(\d+)"', tabs.text))
    assert shown == {k: str(v) for k, v in expected.items()}
    assert 'href="/events?severity=high&amp;queue=overdue"' in tabs.text  # the tabs keep the filters


def test_unknown_events_and_roles_without_the_centre(live_server, operator):
    r = operator.get("/events/SJ209901010000001")
    assert r.status_code == 404 and 'data-status="404"' in r.text
    r = operator.get("/events/not-an-event")
    assert r.status_code in (404, 422) and "error-card" in r.text
    handler = session(live_server, "handler")
    r = handler.get("/events/new")
    assert r.status_code == 403 and 'data-status="403"' in r.text
    r = handler.post("/events/bulk", headers={**HTMX, "X-CSRF-Token": handler.csrf},
                     data={"bulk_action": "accept", "ids": "1:1"})
    assert r.status_code == 403
    handler.close()
    c = httpx.Client(base_url=live_server.url, timeout=20, follow_redirects=False, headers=HTML)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    username, password = live_server.users["resident"]
    c.post("/login", data={"username": username, "password": password, "csrf_token": token, "next": "/events"})
    r = c.get("/events")
    assert r.status_code in (403, 303)  # a resident has no staff page (403), or may not sign in here at all
    c.close()


def test_refused_actions_come_back_as_fragments(live_server, operator):
    code, version = new_event(live_server, operator, "refusals")
    post = lambda action, **data: operator.post(  # noqa: E731
        f"/events/{code}/actions/{action}", headers={**HTMX, "X-CSRF-Token": operator.csrf}, data=data)
    cases = [
        (post("sign", version=version), 409, "invalid_transition"),   # not in this state
        (post("accept"), 422, "version_required"),                      # no version: no blind writes
        (post("accept", version=version + 5), 409, "version_conflict"),  # stale
        (post("reject", version=version), 422, "note_required"),        # a reason is required
        (post("fly", version=version), 404, "unknown_action"),
        (post("dispatch", version=version, department_id="x"), 422, "invalid_number"),
    ]
    for r, status, code_ in cases:
        assert r.status_code == status, (code_, r.status_code, r.text[:200])
        assert "<html" not in r.text and f'data-error-code="{code_}"' in r.text
    r = operator.post(f"/events/{code}/actions/accept", headers=HTMX, data={"version": version})
    assert r.status_code == 403  # no CSRF token
    r = post("accept", version=version)
    assert r.status_code == 200 and r.headers["hx-reswap"] == "none"
    assert 'id="event-state">已受理<' in r.text and 'hx-swap-oob="true"' in r.text


def test_bad_entries_in_the_new_event_form_are_shown_in_place(operator):
    base = {"item_code": "CG001", "description": "描述足够长", "channel": "centre", "region_code": "211021"}
    cases = [({"item_code": ""}, "item_required"), ({"item_code": "ZZ999"}, "unknown_item"),
             ({"description": "x"}, "description_required"), ({"severity": "huge"}, "invalid_severity"),
             ({"channel": "open311"}, "unknown_channel"), ({"lon": "abc", "lat": "41"}, "invalid_number"),
             ({"reporter_phone": "12ab"}, "invalid_phone"), ({"region_code": "99"}, "invalid_region_code")]
    for change, code in cases:
        r = operator.post("/events/new", headers={**HTMX, "X-CSRF-Token": operator.csrf}, data={**base, **change})
        assert 400 <= r.status_code < 500 and f'data-error-code="{code}"' in r.text, (change, r.status_code)


def _timed(client: httpx.Client, path: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        r = client.get(path)
        out.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200
    return out


def test_page_server_time(live_server, operator, report):
    """Wall time of whole page requests on the tiny demo (the target, p95 < 300 ms, is measured on the
    county demo; this only reports)."""
    code = re.search(r'data-code="(SJ\d+)"', operator.get("/events?queue=all").text).group(1)
    for label, path in [("/events", "/events"), ("/events?queue=all&severity=normal", "/events?queue=all&severity=normal"),
                        ("/events/counts (the tabs)", "/events/counts"), ("/events/{ref}", f"/events/{code}"),
                        ("/inbox", "/inbox")]:
        _timed(operator, path, 2)  # warm up
        times = sorted(_timed(operator, path, 20))
        p95 = times[int(len(times) * 0.95) - 1]
        report(f"{label}: median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms (tiny demo, 20 requests)")


def _api(server, role: str, method: str, path: str, **kw) -> httpx.Response:
    with httpx.Client(base_url=server.url, timeout=20) as c:
        username, password = server.users[role]
        token = c.post("/api/v1/auth/token", data={"username": username, "password": password}).json()["access_token"]
        for _ in range(20):
            r = c.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kw)
            if r.status_code != 401:
                return r
            time.sleep(0.1)
        return r


def test_reverse_evaluation_of_the_department_on_a_closed_event(live_server, operator):
    server = live_server
    code, _ = new_event(server, operator, "review")
    depts = _api(server, "admin", "GET", "/api/v1/departments").json()
    cg = next(d for d in depts if "城市管理" in d["name"])
    for role, action, body in [("operator", "accept", {}), ("operator", "dispatch", {"department_id": cg["id"]}),
                               ("handler", "sign", {}), ("handler", "handle", {"note": "已处置"})]:
        r = _api(server, role, "POST", f"/api/v1/events/{code}/actions/{action}", json=body)
        assert r.status_code == 200, r.text
    headers = {**HTMX, "X-CSRF-Token": operator.csrf}
    scores = {"routing_score": "5", "handling_score": "4", "effect_score": "4", "comment": "处置及时"}
    r = operator.post(f"/events/{code}/review", headers=headers, data=scores)
    assert r.status_code == 409 and 'data-error-code="event_not_closed"' in r.text  # not closed yet
    page = operator.get(f"/events/{code}")
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    r = operator.post(f"/events/{code}/actions/verify_pass", headers=headers, data={"version": version})
    assert r.status_code == 200 and 'id="event-state">已结案<' in r.text
    assert 'id="review-form"' in operator.get(f"/events/{code}").text
    r = operator.post(f"/events/{code}/review", headers=headers, data={**scores, "effect_score": "9"})
    assert r.status_code == 422 and 'data-error-code="invalid_score"' in r.text
    r = operator.post(f"/events/{code}/review", headers=headers, data=scores)
    assert r.status_code == 200 and r.headers["hx-retarget"] == "#reviews-body"
    assert "分流 5 · 办理 4 · 效果 4" in r.text and 'id="review-form"' not in r.text
    r = operator.post(f"/events/{code}/review", headers=headers, data=scores)
    assert r.status_code == 409 and 'data-error-code="already_reviewed"' in r.text
    reviews = _api(server, "operator", "GET", f"/api/v1/events/{code}/department-reviews").json()
    assert [(x["department_id"], x["routing_score"], x["comment"]) for x in reviews] == [(cg["id"], 5, "处置及时")]
    handler = session(server, "handler")
    r = handler.post(f"/events/{code}/review", headers={**HTMX, "X-CSRF-Token": handler.csrf}, data=scores)
    assert r.status_code == 403 and 'data-error-code="not_your_step"' in r.text
    assert 'id="review-form"' not in handler.get(f"/events/{code}").text
    handler.close()


# --- in process, on both databases -----------------------------------------------------------------

def test_list_action_and_bulk_on_every_backend(demo_app, demo_db):
    """The same pages through the app in process, on SQLite and PostgreSQL: a filtered list, the
    detail, an action through the form route (savepoints, optimistic lock) and a bulk accept."""
    from fastapi.testclient import TestClient

    with TestClient(demo_app, follow_redirects=False) as c:
        c.headers.update(HTML)
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        username, password = demo_db.users["operator"]
        assert c.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                      "next": "/events"}).status_code == 303
        page = c.get("/events?queue=all&severity=normal&since=2020-01-01")
        assert page.status_code == 200
        assert set(re.findall(r'<span class="badge sev-(\w+)"', page.text)) == {"normal"}
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)
        htmx = {**HTMX, "X-CSRF-Token": csrf}
        codes, word = [], "两库" + secrets.token_hex(3)
        for n in range(3):
            r = c.post("/events/new", headers=htmx, data={"item_code": "CG001", "description": f"两库测试 {n}",
                                                           "title": word, "channel": "centre",
                                                           "region_code": demo_db.first_grid})
            assert r.status_code == 204, r.text
            codes.append(r.headers["hx-redirect"].rsplit("/", 1)[1])
        detail = c.get(f"/events/{codes[0]}")
        version = int(re.search(r'name="version" value="(\d+)"', detail.text).group(1))
        r = c.post(f"/events/{codes[0]}/actions/accept", headers=htmx, data={"version": version})
        assert r.status_code == 200 and 'id="event-state">已受理<' in r.text
        r = c.post(f"/events/{codes[0]}/actions/accept", headers=htmx, data={"version": version})
        assert r.status_code == 409
        listing = c.get("/events", params={"queue": "to_accept", "q": word},
                        headers={**HTMX, "HX-Target": "event-results"})
        ids = re.findall(r'name="ids" value="([\d:]+)"', listing.text)
        assert len(ids) == 2
        first_id = ids[0].split(":")[0]
        r = c.post("/events/bulk", headers=htmx, data={"bulk_action": "accept", "ids": ids + [f"{first_id}:1"]})
        assert r.status_code == 200
        assert 'data-done="2"' in r.text and 'data-failed="1"' in r.text and 'data-status="409"' in r.text
        for code in codes:
            assert 'id="event-state">已受理<' in c.get(f"/events/{code}").text


def test_a_badge_at_the_cap_reads_999_plus():
    from gridgov.events.queues import COUNT_CAP
    from gridgov.web.event_centre import _tabs

    tabs = {t["key"]: t for t in _tabs(("closed", "to_accept"), {"closed": COUNT_CAP, "to_accept": COUNT_CAP - 1},
                                       {"queue": "closed"})}
    assert tabs["closed"]["shown"] == "999+" and tabs["closed"]["count"] == COUNT_CAP
    assert tabs["to_accept"]["shown"] == COUNT_CAP - 1
