"""The intake route's short way (gridgov.events.intake_http): every answer it gives is the one the
FastAPI route gives, and everything out of the ordinary goes on to the route untouched."""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi.testclient import TestClient

from gridgov.events.intake_http import MAX_BODY, IntakeFastPath

DESCRIPTION = "楼道堆放杂物堵塞消防通道"


@pytest.fixture(scope="module")
def plain(demo_db):
    """The same application without the short way: what FastAPI alone answers."""
    from gridgov.app import create_app

    app = create_app(demo_db.url)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not IntakeFastPath]
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def item(client, auth):
    cat = client.get("/api/v1/catalog", headers=auth("operator")).json()
    return next(i["code"] for c in cat["categories"] for i in c["items"] if not i["self_resolvable"])


@pytest.fixture
def headers(plain, auth, where, item):
    h = auth("grid_worker")
    # a report through the route puts the token in this process's cache
    warm = plain.post("/api/v1/events", headers=h, json={"item_code": item, "description": DESCRIPTION, **where})
    assert warm.status_code == 201, warm.text
    return h


def _served() -> int:
    return IntakeFastPath.served


def _same(a, b) -> None:
    assert (a.status_code, a.json()) == (b.status_code, b.json())
    for name in ("content-type", "idempotent-replay"):
        assert a.headers.get(name) == b.headers.get(name), name


def test_a_report_is_served_short_and_answers_as_the_route(client, plain, headers, where, item):
    body = {"item_code": item, "description": DESCRIPTION, "client_id": f"fast-{uuid.uuid4()}", **where}
    before = _served()
    first = client.post("/api/v1/events", headers=headers, json=body)
    assert first.status_code == 201, first.text
    assert _served() == before + 1
    assert "idempotent-replay" not in first.headers
    # the replay, once each way: the same event, the same answer
    short, routed = client.post("/api/v1/events", headers=headers, json=body), plain.post(
        "/api/v1/events", headers=headers, json=body)
    _same(short, routed)
    assert short.status_code == 200 and short.headers["idempotent-replay"] == "true"
    assert short.json()["id"] == first.json()["id"]
    detail = client.get(f"/api/v1/events/{first.json()['id']}", headers=headers).json()
    assert {k: detail[k] for k in first.json() if k != "actions"} == {
        k: v for k, v in first.json().items() if k != "actions"}  # the answer to a report lists no actions


def test_the_idempotency_key_header_is_honoured(client, plain, headers, where, item):
    body = {"item_code": item, "description": DESCRIPTION, **where}
    key = {"Idempotency-Key": f"hdr-{uuid.uuid4()}"}
    first = client.post("/api/v1/events", headers=headers | key, json=body)
    assert first.status_code == 201
    _same(client.post("/api/v1/events", headers=headers | key, json=body),
          plain.post("/api/v1/events", headers=headers | key, json=body))


@pytest.mark.parametrize("case", ["unknown_item", "outside_scope", "key_reused"])
def test_errors_of_the_service_are_the_route_s(client, plain, headers, where, item, case):
    body = {"item_code": item, "description": DESCRIPTION, **where}
    if case == "unknown_item":
        body["item_code"] = "ZZ999"
    elif case == "outside_scope":
        body |= {"lon": where["lon"] + 0.5, "lat": where["lat"] + 0.5}
    else:
        body["client_id"] = f"reused-{uuid.uuid4()}"
        assert client.post("/api/v1/events", headers=headers, json=body).status_code == 201
        body["description"] = "另一件事：路灯不亮已经一周"
    before = _served()
    short, routed = (client.post("/api/v1/events", headers=headers, json=body),
                     plain.post("/api/v1/events", headers=headers, json=body))
    assert _served() == before + 1
    assert 400 <= short.status_code < 500 and "error" in short.json()
    _same(short, routed)


@pytest.mark.parametrize("case", ["invalid_field", "not_json", "too_large", "text_plain", "long_key", "no_token",
                                  "unknown_token"])
def test_anything_out_of_the_ordinary_goes_to_the_route(client, plain, headers, where, item, case):
    body = {"item_code": item, "description": DESCRIPTION, **where}
    h = dict(headers)
    content = None
    if case == "invalid_field":
        body["description"] = "x"  # min_length 2
    elif case == "not_json":
        content = b'{"item_code": '
    elif case == "too_large":
        body["title"] = "长" * MAX_BODY
    elif case == "text_plain":
        content, h["Content-Type"] = json.dumps(body).encode(), "text/plain"
    elif case == "long_key":
        h["Idempotency-Key"] = "k" * 65
    elif case == "no_token":
        del h["Authorization"]
    else:
        h["Authorization"] = "Bearer not-a-token"

    def send(c):
        if content is not None:
            return c.post("/api/v1/events", headers=h | {"Content-Type": h.get("Content-Type", "application/json")},
                          content=content)
        return c.post("/api/v1/events", headers=h, json=body)

    before = _served()
    short, routed = send(client), send(plain)
    assert _served() == before
    assert short.status_code in (401, 422), short.text
    _same(short, routed)


def test_a_stale_token_is_served_while_renewed_and_a_revocation_elsewhere_is_seen(client, demo_db, where, item):
    """Past TOKEN_CACHE_SECONDS a token in use is still served, and one background look-up renews
    it; a token revoked by another process (a Core UPDATE: no session hook here) is refused once
    the renewal has seen it."""
    import time

    from sqlalchemy import update

    from gridgov.access import deps
    from gridgov.access.models import AuthSession
    from gridgov.access.service import _token_hash
    from gridgov.db import get_engine

    username, password = demo_db.users["grid_worker"]
    token = client.post("/api/v1/auth/token", data={"username": username, "password": password}).json()["access_token"]
    h = {"Authorization": f"Bearer {token}"}
    body = {"item_code": item, "description": DESCRIPTION, **where}
    assert client.post("/api/v1/events", headers=h, json=body).status_code == 201  # now cached
    key = deps._token_key(get_engine(demo_db.url), token)

    def age(seconds: float) -> None:  # as if the entry had been looked up `seconds` ago
        fresh_until, actor = deps._TOKENS[key]
        deps._TOKENS[key] = (time.monotonic() + deps.TOKEN_CACHE_SECONDS - seconds, actor)

    def settle() -> None:
        for _ in range(200):
            if key not in deps._RENEWING:
                return
            time.sleep(0.01)
        raise AssertionError("the renewal did not finish")

    age(deps.TOKEN_CACHE_SECONDS + 1)  # stale, within the grace
    before = IntakeFastPath.served
    assert client.post("/api/v1/events", headers=h, json=body).status_code == 201
    assert IntakeFastPath.served == before + 1  # served from the cache, not the route
    settle()
    assert deps._TOKENS[key][0] > time.monotonic()  # renewed

    with get_engine(demo_db.url).begin() as conn:  # another process revokes it
        conn.execute(update(AuthSession).where(AuthSession.token_hash == _token_hash(token)).values(revoked=True))
    assert client.post("/api/v1/events", headers=h, json=body).status_code == 201  # still fresh here
    age(deps.TOKEN_CACHE_SECONDS + 1)
    assert client.post("/api/v1/events", headers=h, json=body).status_code == 201  # served while renewing
    settle()
    assert key not in deps._TOKENS
    r = client.post("/api/v1/events", headers=h, json=body)
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"

    token2 = client.post("/api/v1/auth/token", data={"username": username, "password": password}).json()["access_token"]
    h2 = {"Authorization": f"Bearer {token2}"}
    assert client.post("/api/v1/events", headers=h2, json=body).status_code == 201
    key = deps._token_key(get_engine(demo_db.url), token2)
    age(deps.TOKEN_CACHE_SECONDS + deps.TOKEN_RENEW_GRACE + 1)  # unused past the grace: asked again
    before = IntakeFastPath.served
    assert client.post("/api/v1/events", headers=h2, json=body).status_code == 201
    assert IntakeFastPath.served == before  # the route looked it up
