"""The event search's text match finds the same events whichever way it reads them (a page within the
newest-events sample, windows of ids widened until a page is found, the trigram indexes or a plain
filter inside a window, one grid's events filtered): only the speed may differ."""

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


def _plain(db, q: str, username: str = "operator", limit: int = 50) -> list[int]:
    user = db.scalar(select(User).where(User.username == username))
    return list(db.scalars(select(Event.id).where(text_search._match(Event.__table__.c, q), queues.visible_clause(user))
                           .order_by(Event.id.desc()).limit(limit)))


def _found(db, q: str, username: str = "operator", limit: int = 50) -> list[int]:
    user = db.scalar(select(User).where(User.username == username))  # the operator sees the whole county
    return [e["id"] for e in queues.search(db, user, q=q, limit=limit)["items"]]


@pytest.mark.parametrize("path", ["sample", "windows", "windows_filtered", "tiny_pages"])
def test_every_path_finds_the_same_events(db, monkeypatch, path):
    sample = db.execute(select(Event.title, Event.address, Event.tracking_code).order_by(Event.id).limit(1)).one()
    words = [sample.title[:3], (sample.address or "县")[-4:], sample.tracking_code, "不存在的词语xyz", "路", "100%_"]
    limit = 50
    if path in ("windows", "windows_filtered"):
        monkeypatch.setattr(text_search, "SAMPLE", 7)  # a page is never in the sample: windows, widened
        monkeypatch.setattr(text_search, "WIDEN", 2)
    if path == "windows_filtered":  # the windows' rows filtered, never the trigram indexes
        monkeypatch.setattr(text_search, "SAMPLE", 1)
    if path == "tiny_pages":
        limit = 2
    for q in words:
        assert _found(db, q, limit=limit) == _plain(db, q, limit=limit), (path, q)
        assert _found(db, q, "gridworker", limit) == _plain(db, q, "gridworker", limit), (path, q)  # one grid only
    assert _found(db, "不存在的词语xyz") == []
    assert _found(db, sample.tracking_code)  # a tracking code finds its event


@pytest.mark.parametrize("scan", [2_000_000, 40])
def test_pages_follow_each_other_without_gaps(db, monkeypatch, scan):
    """Keyset pages (before_id) of a text search give the plain search's events, whatever the window —
    also when a short word's scan stops early and a page holds fewer than asked."""
    monkeypatch.setattr(text_search, "SAMPLE", 5)
    monkeypatch.setattr(text_search, "SHORT_WORD_SCAN", scan)
    user = db.scalar(select(User).where(User.username == "operator"))
    word = "路"
    expected = list(db.scalars(select(Event.id).where(text_search._match(Event.__table__.c, word),
                                                       queues.visible_clause(user)).order_by(Event.id.desc())))
    got, before = [], None
    while True:
        page = queues.search(db, user, q=word, limit=7, before_id=before)
        got += [e["id"] for e in page["items"]]
        before = page["next_before_id"]
        if before is None:
            break
    assert got == expected and len(got) > 7


def test_reading_leaves_the_session_as_it_was(db, demo_db):
    if demo_db.backend != "postgresql" or not text_search.indexed(db):
        pytest.skip("the plans are set on PostgreSQL with the trigram indexes")
    user = db.scalar(select(User).where(User.username == "operator"))
    queues.search(db, user, q="不存在的词语xyz")
    assert db.scalar(select(Event.id).limit(1)) is not None
    from sqlalchemy import text

    assert db.execute(text("SHOW enable_seqscan")).scalar() == "on"  # SET LOCAL undone with the savepoint


@pytest.mark.parametrize("sample_size", [5000, 3])
def test_a_search_by_region_finds_the_plain_answer(db, monkeypatch, sample_size):
    """A region filter is read in windows on PostgreSQL (text_search.WINDOWS): same events, same order."""
    from gridgov.access.scope import subtree_clause
    from gridgov.regions.models import Region

    monkeypatch.setattr(text_search, "SAMPLE", sample_size)
    user = db.scalar(select(User).where(User.username == "operator"))
    codes = [db.scalar(select(Region.code).where(Region.level == level).order_by(Region.code).limit(1))
             for level in ("street", "community", "grid")]
    for code in codes:
        for limit in (50, 3):
            plain = list(db.scalars(select(Event.id).where(subtree_clause(Event.region_code, code),
                                                           queues.visible_clause(user))
                                    .order_by(Event.id.desc()).limit(limit)))
            found = [e["id"] for e in queues.search(db, user, region=code, limit=limit)["items"]]
            assert found == plain, (code, limit)
        assert plain, code


@pytest.mark.parametrize("sample_size", [5000, 3])
def test_a_grid_worker_s_queues_find_the_plain_answer(db, monkeypatch, sample_size):
    """A grid worker's queues are read in windows on PostgreSQL (text_search.WINDOWS): same events."""
    monkeypatch.setattr(text_search, "SAMPLE", sample_size)
    user = db.scalar(select(User).where(User.username == "gridworker"))
    for name in queues.QUEUES:
        for limit in (50, 2):
            plain = list(db.scalars(select(Event.id).where(queues._visible(name, user), queues.queue_clause(name, user))
                                    .order_by(Event.id.desc()).limit(limit)))
            found = [e["id"] for e in queues.search(db, user, queue=name, limit=limit)["items"]]
            assert found == plain, (name, limit)
