"""Rate limits of the public self-declaration endpoints: the token buckets on their own, then through
the app — 429 with the standard error body and Retry-After, per client IP and per building link."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gridgov import ratelimit
from gridgov.ratelimit import TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_spends_the_burst_then_refills_at_the_rate():
    clock = Clock()
    b = TokenBuckets(per_minute=6, burst=3, clock=clock)  # one token every 10 s
    assert [b.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert b.take("a") == pytest.approx(10.0)
    assert b.take("b") == 0.0  # keys are counted apart
    clock.now += 4
    assert b.take("a") == pytest.approx(6.0)  # 0.4 of a token back: 6 s to go
    clock.now += 6
    assert b.take("a") == 0.0
    clock.now += 3600  # a long pause refills to the burst only
    assert [b.take("a") for _ in range(4)][-1] > 0


def test_bucket_forgets_the_least_recently_used_keys():
    clock = Clock()
    b = TokenBuckets(per_minute=1, burst=1, max_keys=2, clock=clock)
    assert b.take("a") == 0.0 and b.take("b") == 0.0 and b.take("c") == 0.0
    assert b.take("c") > 0 and b.take("a") == 0.0  # "a" was dropped: it comes back full


def test_bucket_arguments_are_checked():
    with pytest.raises(ValueError):
        TokenBuckets(per_minute=-1, burst=1)
    with pytest.raises(ValueError):
        TokenBuckets(per_minute=1, burst=0)


@pytest.fixture()
def limited(demo_db):
    """A fresh app over the demo (its own buckets), a fake clock, and a building's declaration link."""
    from gridgov.app import create_app
    from gridgov.db import get_engine, session_factory
    from gridgov.places.models import Building

    app = create_app(demo_db.url)
    clock = Clock()
    with session_factory(get_engine(demo_db.url))() as db:
        token = db.scalar(select(Building.declare_token).order_by(Building.id).limit(1))
    with TestClient(app) as client:
        yield app, client, clock, token


def declaration(n: int = 1) -> dict:
    from datetime import date

    from gridgov.codes import build_citizen_id

    return {
        "kind": "residence",
        "declarer_name": "限流测试",
        "declarer_phone": "13912345678",
        "room_no": f"9{n:02d}",
        "people": [{"name": "限流", "citizen_id": build_citizen_id("211021", date(1990, 1, 1), 700 + n)}],
    }


def assert_429(r, limit: str, wait: int) -> None:
    assert r.status_code == 429, r.text
    assert r.headers["Retry-After"] == str(wait)
    err = r.json()["error"]
    assert err["code"] == "rate_limited" and f"{wait} 秒" in err["message"]
    assert err["details"] == {"retry_after": wait, "limit": limit}


def test_status_lookups_are_limited_per_client_ip(limited):
    app, client, clock, _ = limited
    ratelimit.configure(app, "lookup", per_minute=2, burst=2, clock=clock)
    assert [client.get("/api/v1/public/declarations/ABCD1234").status_code for _ in range(2)] == [404, 404]
    assert_429(client.get("/api/v1/public/declarations/ABCD1234"), "lookup", 30)
    # the HTML status page counts against the same per-IP limit, and says so in the page
    page = client.get("/declare/status", params={"code": "ABCD1234"})
    assert page.status_code == 429 and page.headers["Retry-After"] == "30" and "请求过于频繁" in page.text
    assert client.get("/declare/status").status_code == 200  # the empty form costs nothing
    clock.now += 30
    assert client.get("/api/v1/public/declarations/ABCD1234").status_code == 404


def test_declarations_are_limited_per_ip_and_per_building_link(limited):
    app, client, clock, token = limited
    ratelimit.configure(app, "declare", per_minute=60, burst=3, clock=clock)
    ratelimit.configure(app, "declare_token", per_minute=1, burst=2, clock=clock)
    url = f"/api/v1/public/declare/{token}"
    assert client.post(url, json=declaration(1)).status_code == 201
    assert client.post(url, json=declaration(2)).status_code == 201
    assert_429(client.post(url, json=declaration(3)), "declare_token", 60)  # this building's link
    # the per-IP bucket counts every request, invalid ones included (checked before the body is)
    assert_429(client.post("/api/v1/public/declare/nope", json={"room_no": ""}), "declare", 1)
    clock.now += 60
    assert client.post(url, json=declaration(4)).status_code == 201


def test_limits_can_be_switched_off(limited, monkeypatch):
    app, client, _, _ = limited
    from gridgov.settings import Settings

    monkeypatch.setattr(
        ratelimit,
        "rates_from_settings",
        lambda: {
            "declare": ratelimit.Rate(0, 1),
            "lookup": ratelimit.Rate(0, 1),
            "report": ratelimit.Rate(0, 1),
            "declare_token": ratelimit.Rate(0, 1),
        },
    )
    assert all(client.get("/api/v1/public/declarations/ABCD1234").status_code == 404 for _ in range(40))
    assert Settings().public_rate_per_minute > 0  # on by default


def test_the_openapi_documents_the_429(client):
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/api/v1/public/declare/{token}"]["post"]
    assert "429" in op["responses"] and "Retry-After" in op["responses"]["429"]["headers"]


def test_resident_reports_photos_and_ratings_share_a_per_ip_limit(limited):
    """随手拍 needs no login, so a client IP may file only so many reports (and photos, ratings)
    before a 429; a look-up by tracking code counts against the look-up limit, not this one."""
    app, client, clock, _ = limited
    ratelimit.configure(app, "report", per_minute=6, burst=2, clock=clock)
    ratelimit.configure(app, "lookup", per_minute=60, burst=60, clock=clock)
    assert client.post("/api/v1/public/reports", json={}).status_code == 422  # counted, even when invalid
    assert client.post("/api/v1/public/reports/ABCD1234/rating", json={"rating": "satisfied"}).status_code == 404
    assert_429(client.post("/api/v1/public/reports", json={}), "report", 10)
    assert_429(client.post("/api/v1/public/attachments", files={"file": ("a.png", b"x", "image/png")}),
               "report", 10)
    assert client.get("/api/v1/public/reports/ABCD1234").status_code == 404
    clock.now += 10
    assert client.post("/api/v1/public/reports", json={}).status_code == 422
    spec = client.get("/openapi.json").json()
    assert "429" in spec["paths"]["/api/v1/public/reports"]["post"]["responses"]
