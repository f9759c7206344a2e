"""The event search's text match finds the same events whichever way it reads them (the newest-events
sample, the trigram-index probe, the plain walk back): only the speed may differ."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gridgov.access.models import User
from gridgov.db import get_engine, session_scope
from gridgov.events import queues, text_search
from gridgov.events.models import Event


@pytest.fixture()
def db(demo_db):
    with session_scope(get_engine(demo_db.url)) as session:
        yield session


def _plain(db, q: str, username: str = "operator") -> list[int]:
    user = db.scalar(select(User).where(User.username == username))
    return list(db.scalars(select(Event.id).where(text_search._match(Event.__table__.c, q), queues.visible_clause(user))
                           .order_by(Event.id.desc()).limit(50)))


def _found(db, q: str, username: str = "operator") -> list[int]:
    user = db.scalar(select(User).where(User.username == username))  # the operator sees the whole county
    return [e["id"] for e in queues.search(db, user, q=q, limit=50)["items"]]


@pytest.mark.parametrize("path", ["sample", "probe", "probe_overflow"])
def test_every_path_finds_the_same_events(db, monkeypatch, path):
    sample = db.execute(select(Event.title, Event.address, Event.tracking_code).order_by(Event.id).limit(1)).one()
    words = [sample.title[:3], (sample.address or "县")[-4:], sample.tracking_code, "不存在的词语xyz", "路"]
    if path == "probe":
        monkeypatch.setattr(text_search, "COMMON", 10**9)  # never "common" by the sample: ask the indexes
    if path == "probe_overflow":
        monkeypatch.setattr(text_search, "COMMON", 10**9)
        monkeypatch.setattr(text_search, "PROBE", 1)  # the probe overflows: the plain walk back
    for q in words:
        assert _found(db, q) == _plain(db, q), (path, q)
        assert _found(db, q, "gridworker") == _plain(db, q, "gridworker"), (path, q)  # one grid only
    assert _found(db, "不存在的词语xyz") == []
    assert _found(db, sample.tracking_code)  # a tracking code finds its event


def test_the_probe_leaves_the_session_as_it_was(db, demo_db):
    if demo_db.backend != "postgresql" or not text_search.indexed(db):
        pytest.skip("the probe runs on PostgreSQL with the trigram indexes")
    text_search._probe(db, text_search._match(Event.__table__.c, "不存在的词语xyz"))
    assert db.scalar(select(Event.id).limit(1)) is not None
    from sqlalchemy import text

    assert db.execute(text("SHOW enable_seqscan")).scalar() == "on"  # SET LOCAL undone with the savepoint
