"""Bulk writers refresh the planner's statistics (``gridgov.db.analyze``): on PostgreSQL when
autovacuum's own rule would (more than 50 + 10 % of a table changed), on SQLite only once the file
has statistics at all."""

from __future__ import annotations

from sqlalchemy import insert, text

from gridgov.db import analyze, get_engine, session_scope
from gridgov.people.models import Household


def add_households(db, n: int, start: int = 0) -> None:
    db.execute(
        insert(Household),
        [
            {"code": f"A{i}", "kind": "actual", "grid_code": "211021001001001"}
            for i in range(start, start + n)
        ],
    )


def stats_rows(db) -> float | None:
    if db.get_bind().dialect.name == "postgresql":
        return db.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'households'"))
    if db.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first() is None:
        return None
    stat = db.scalar(text("SELECT stat FROM sqlite_stat1 WHERE tbl = 'households' LIMIT 1"))
    return float(stat.split()[0]) if stat else None


def test_analyze_follows_autovacuums_rule(empty_db):
    engine = get_engine(empty_db)
    pg = engine.dialect.name == "postgresql"
    with session_scope(engine) as db:
        add_households(db, 300)
        analyze(db, "households", changed=300)  # a bulk write: statistics now
    with session_scope(engine) as db:
        assert stats_rows(db) == (300 if pg else None)  # SQLite: no statistics yet, none made
        if not pg:
            db.execute(text("ANALYZE"))  # someone analysed the file once …
            assert stats_rows(db) == 300
        add_households(db, 20, start=300)
        analyze(db, "households", changed=20)  # 20 < 50 + 10 %: not worth it on PostgreSQL
        assert stats_rows(db) == (300 if pg else 320)  # … so SQLite keeps them fresh from then on
        add_households(db, 100, start=320)
        analyze(db, "households", changed=100)
        assert stats_rows(db) == 420
        analyze(db, "households", changed=0)  # nothing written, nothing done
        analyze(db)
