"""The models and the migrations agree (tables, columns, types, indexes — and, which Alembic's
comparison does not see, PostgreSQL collations), and 0003 (search collation) goes down and up.

Checked for the register's tables (people and places); the same check over every table would
catch any domain's drift (widen ``REGISTER`` to ``None`` once all domains agree)."""

from __future__ import annotations

import os

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import String, inspect, text

from gridgov import models_registry  # noqa: F401  (every domain's tables)
from gridgov.db import Base, alembic_config, get_engine

BACKENDS = [b for b in os.environ.get("GRIDGOV_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
REGISTER: set[str] | None = {
    "persons",
    "households",
    "household_members",
    "residences",
    "organizations",
    "special_group_members",
    "visits",
    "declarations",
    "buildings",
    "houses",
    "record_changes",
    "import_runs",
    "quarantine_rows",
}
SCOPED = (
    "persons",
    "organizations",
    "buildings",
    "houses",
    "households",
    "special_group_members",
    "visits",
    "declarations",
)


def checked(table_name: str | None) -> bool:
    return REGISTER is None or table_name in REGISTER


def include(obj, name, type_, reflected, compare_to) -> bool:
    """For Alembic's comparison: only the register's tables (and their columns and indexes)."""
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return checked(table)


def model_collations() -> dict[tuple[str, str], str | None]:
    """(table, column) → the collation the models ask PostgreSQL for, for every string column."""
    out = {}
    for table in Base.metadata.tables.values():
        if not checked(table.name):
            continue
        for column in table.columns:
            typ = column.type
            pg = getattr(typ, "_variant_mapping", {}).get("postgresql", typ)
            if isinstance(pg, String):
                out[(table.name, column.name)] = pg.collation
    return out


def db_collations(conn) -> dict[tuple[str, str], str | None]:
    rows = conn.execute(
        text(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns "
            "WHERE table_schema = current_schema()"
        )
    ).all()
    return {(t, c): coll for t, c, coll in rows}


def test_models_match_the_migrations(empty_db):
    engine = get_engine(empty_db)
    with engine.connect() as conn:
        opts = {"compare_type": True, "include_object": include}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
        assert diff == [], diff
        if engine.dialect.name == "postgresql":
            in_db = db_collations(conn)
            wrong = {
                k: (want, in_db.get(k)) for k, want in model_collations().items() if in_db.get(k) != want
            }
            assert wrong == {}, wrong


@pytest.mark.parametrize("backend", BACKENDS)
def test_search_collation_goes_down_and_up(fresh_database, backend):
    url = fresh_database(backend)
    cfg = alembic_config(url)
    engine = get_engine(url)
    pg = engine.dialect.name == "postgresql"

    def state():
        with engine.connect() as conn:
            index = {i["name"]: i["column_names"] for i in inspect(conn).get_indexes("persons")}[
                "ix_persons_name"
            ]
            grid_codes = {db_collations(conn)[(t, "grid_code")] for t in SCOPED} if pg else None
        return index, grid_codes

    command.upgrade(cfg, "0003_search")
    assert state() == (["name", "id"], {"C"} if pg else None)
    command.downgrade(cfg, "0002")
    assert state() == (["name"], {None} if pg else None)
    command.upgrade(cfg, "0003_search")
    assert state() == (["name", "id"], {"C"} if pg else None)
