"""gridgov.cache.ProcessCache: kept for its ttl, served stale once while one thread reloads,
dropped at once by a write to a watched model."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from gridgov.access.models import Department
from gridgov.cache import ProcessCache


def test_kept_then_refreshed_in_the_background_then_dropped_by_a_write(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'c.db'}")
    Department.__table__.create(engine)
    calls: list[int] = []

    def load(s: Session) -> int:
        calls.append(1)
        return s.execute(text("SELECT 41 + :n"), {"n": len(calls)}).scalar()

    cache = ProcessCache("test", ttl=1.0, watched=(Department,))
    with Session(engine) as db:
        assert cache.get(db, "x", load) == 42 and cache.get(db, "x", load) == 42 and len(calls) == 1
        time.sleep(1.1)  # expired, within the grace period: the old value now, a reload behind it
        assert cache.get(db, "x", load) == 42
        for _ in range(40):
            if cache.get(db, "x", load) == 43:  # the background reload landed
                break
            time.sleep(0.05)
        assert cache.get(db, "x", load) == 43 and len(calls) == 2  # one reload, however many asked
        time.sleep(2.6)  # past the grace period: loaded in the request itself
        assert cache.get(db, "x", load) == 44 and len(calls) == 3
        db.add(Department(code="T-CACHE", name="缓存测试", region_code="211021"))
        db.flush()  # a write to a watched model drops the cache at once
        assert cache.get(db, "x", load) == 45
        db.rollback()
    engine.dispose()
