"""Person search on both backends: whichever index leads (the key's in a wide scope, the scope's in
a small one), the answer is the same — the first matches in scope, ordered by the key that matched."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gridgov.access.models import User
from gridgov.access.scope import scope_of
from gridgov.people import service
from gridgov.people.models import Person

QUERIES = ["z", "zh", "w", "li", "x", "wang", "zs", "张", "王", "李", "刘"]


@pytest.fixture(scope="module")
def db(demo_db):
    from gridgov.db import get_engine, session_factory

    with session_factory(get_engine(demo_db.url))() as session:
        yield session


def expected(db, user, q: str, limit: int = 20) -> list[int]:
    """The answer computed the slow way: every person, filtered and sorted in Python."""
    scope = scope_of(user)
    rows = [p for p in db.scalars(select(Person)) if scope.covers_region(p.grid_code)]
    kind = service.classify_query(q)
    ranked = []
    for p in rows:
        if kind == "pinyin":
            keys = [k for k in (p.name_pinyin, p.name_initials) if k.startswith(q)]
        else:
            keys = [p.name] if p.name.startswith(q) else []
        if keys:
            ranked.append((min(keys), p.id))
    return [pid for _, pid in sorted(ranked)[:limit]]


@pytest.mark.parametrize("small_scope", [0, 10**9], ids=["key_first", "scope_first"])
@pytest.mark.parametrize("role", ["admin", "leader", "grid_worker"])
def test_results_are_the_first_matches_in_scope_by_matched_key(db, demo_db, monkeypatch, role, small_scope):
    monkeypatch.setattr(service, "SMALL_SCOPE", small_scope)
    user = db.scalar(select(User).where(User.username == demo_db.users[role][0]))
    for q in QUERIES:
        got = [r["id"] for r in service.search_persons(db, user, q, limit=20)["results"]]
        assert got == expected(db, user, q), (role, q)
        db.expunge_all()


def test_short_queries_find_something_in_the_demo(db, demo_db):
    leader = db.scalar(select(User).where(User.username == demo_db.users["leader"][0]))
    assert any(service.search_persons(db, leader, q)["results"] for q in ("z", "w", "l"))


def test_a_grid_worker_sees_only_their_grid(client, auth, demo_db):
    for q in ("z", "w", "l", "x"):
        r = client.get("/api/v1/persons/search", headers=auth("grid_worker"), params={"q": q})
        assert r.status_code == 200
        assert all(x["grid_code"].startswith(demo_db.first_grid) for x in r.json()["results"])
