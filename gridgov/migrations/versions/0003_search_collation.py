"""search: grid codes in byte order, search indexes ordered by (key, id)

Scope filters are prefix ranges on ``grid_code`` (``gridgov.access.scope.subtree_clause``); a range
means "starts with" only in byte order, which SQLite's default BINARY collation already is and
PostgreSQL's "C" collation is. So on PostgreSQL every scoped ``grid_code`` column gets
``COLLATE "C"`` (its index is rebuilt by the ALTER; the table is not rewritten) and the column's
statistics, which ALTER drops, are gathered again. On SQLite the column types do not change.

The person search indexes get ``id`` as their last column on both backends, so
``ORDER BY key, id LIMIT n`` reads the first n entries of the index.

Revision ID: 0003_search
Revises: 0002
Create Date: 2026-11-26 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_search"
down_revision = "0002"
branch_labels = None
depends_on = None

# every table whose grid_code scope_clause filters (addresses follows in 0004_addresses)
SCOPED_TABLES = (
    "persons",
    "organizations",
    "buildings",
    "houses",
    "households",
    "special_group_members",
    "visits",
    "declarations",
)
SEARCH_INDEXES = (
    ("ix_persons_name", "name"),
    ("ix_persons_pinyin", "name_pinyin"),
    ("ix_persons_initials", "name_initials"),
)


def _grid_code_collation(collation: str | None) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in SCOPED_TABLES:
        op.alter_column(
            table,
            "grid_code",
            existing_type=sa.String(length=17),
            type_=sa.String(length=17, collation=collation),
            existing_nullable=True,
        )
    # ALTER COLUMN TYPE drops the column's statistics (they depend on the collation)
    op.execute("ANALYZE " + ", ".join(f'"{t}" ("grid_code")' for t in SCOPED_TABLES))


def _search_indexes(with_id: bool) -> None:
    for name, column in SEARCH_INDEXES:  # plain DDL on both backends (no batch table copy on SQLite)
        op.drop_index(name, table_name="persons")
        op.create_index(name, "persons", [column, "id"] if with_id else [column], unique=False)


def upgrade() -> None:
    _grid_code_collation("C")
    _search_indexes(with_id=True)


def downgrade() -> None:
    _search_indexes(with_id=False)
    _grid_code_collation(None)
