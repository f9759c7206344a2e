"""Database plumbing: the declarative Base, engines, sessions and the migration guard.

One schema and one code path for SQLite (embedded default) and PostgreSQL (psycopg 3).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import DateTime, MetaData, create_engine, event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both backends (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every sqlite test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    if "poolclass" not in kwargs:
        kwargs.update(pool_size=10, max_overflow=20)
    engine = create_engine(url, pool_pre_ping=True, **kwargs)

    @event.listens_for(engine, "connect")
    def _pg_session(dbapi_conn, _record):  # pragma: no cover - exercised by every postgresql test
        # psycopg prepares a statement run 5 times on a connection, and PostgreSQL may then switch to
        # a generic plan that ignores the parameters' values: a scope range then looks like 0.5 % of
        # the table even when it is a whole city, and one person search went from 7 ms to 140 ms.
        # Plans are cheap next to that: always plan for the values at hand.
        autocommit = dbapi_conn.autocommit
        dbapi_conn.autocommit = True
        with dbapi_conn.cursor() as cur:
            cur.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_conn.autocommit = autocommit

    return engine


@lru_cache
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine(url: str | None = None) -> Engine:
    if url is None:
        from gridgov.settings import get_settings

        url = get_settings().database_url
    return _engine_for(url)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --- migrations -----------------------------------------------------------------------------

def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def head_revision(url: str) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return MigrationContext.configure(conn).get_current_revision()


class NotMigrated(RuntimeError):
    pass


def ensure_migrated(engine: Engine) -> None:
    """Refuse to run on a database that is not at the newest migration."""
    url = engine.url.render_as_string(hide_password=False)
    current, head = current_revision(engine), head_revision(url)
    if current != head:
        raise NotMigrated(
            f"The database {engine.url.render_as_string(hide_password=True)} is at migration "
            f"{current or '(none: empty database)'}, the code needs {head}. "
            "Run `gridgov db upgrade` first (or `gridgov demo` to create a demo database)."
        )


def SearchText(length: int):
    """A string column searched by prefix ranges: byte order on both backends (SQLite's BINARY,
    PostgreSQL's "C" collation), so ``col >= p AND col < p || U+10FFFF`` is exactly "starts with p"
    and is answered from a plain B-tree index."""
    from sqlalchemy import String

    return String(length).with_variant(String(length, collation="C"), "postgresql")


def is_byte_ordered(column) -> bool:
    """True if ``column`` compares in byte order on every backend (a :func:`SearchText` column), so
    a prefix is a plain range: SQLite's default BINARY collation, PostgreSQL's "C"."""
    typ = getattr(column, "type", None)
    pg = getattr(typ, "_variant_mapping", {}).get("postgresql")
    return getattr(pg, "collation", None) == "C" or getattr(typ, "collation", None) == "C"


def analyze(db: Session, *tables: str, changed: int | None = None) -> None:
    """Refresh the planner's statistics of ``tables`` after a bulk write, in the same transaction.

    PostgreSQL needs this whenever autovacuum is off (or slower than the writer): without fresh
    statistics the planner guesses row counts and picks scans over indexes. With ``changed`` (rows
    the writer wrote) a table is analysed only when autovacuum's own rule would (more than 50 + 10 %
    of its rows changed), so a ten-row import into a big table costs nothing. On SQLite tables are
    analysed only once the database has statistics at all (``sqlite_stat1``): stale statistics
    mislead its planner, absent ones don't, and a first ANALYZE of a big file is not a writer's job.
    """
    if not tables or changed == 0:
        return
    if db.get_bind().dialect.name == "postgresql":
        if changed is not None:
            rows = dict(db.execute(text("SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' "
                                        "AND relname = ANY(:names) AND pg_table_is_visible(oid)"),
                                   {"names": list(tables)}).all())
            tables = tuple(t for t in tables if changed > 50 + 0.1 * max(rows.get(t, -1), 0))
        if tables:
            db.execute(text("ANALYZE " + ", ".join(f'"{t}"' for t in tables)))
        return
    if db.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first() is None:
        return
    db.execute(text("PRAGMA analysis_limit = 1000"))   # bounded: samples each index, never a full scan
    for t in tables:
        db.execute(text(f'ANALYZE "{t}"'))
    db.execute(text("PRAGMA analysis_limit = 0"))
