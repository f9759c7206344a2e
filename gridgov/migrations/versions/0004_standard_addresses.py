"""standard addresses: the local key, matching indexes, aliases

- ``addresses.addr_key`` (byte order on both backends): the canonical text from the road down, the
  same key buildings and houses carry; exact and prefix lookups are index ranges.
- indexes for the matcher's narrowing: ``(level, addr_key)``, ``(level, poi, building_no)``,
  ``parent_id``; the unused ``(community_code, road, road_no)`` and ``text`` go (nothing looks them
  up — exact lookups go through the key — and they cost the city demo's load seconds).
- ``addresses.grid_code`` in byte order on PostgreSQL, like the other scoped tables in 0003.
- ``address_aliases``: aliases and former names of roads, compounds and regions.

Revision ID: 0004_addresses
Revises: 0003_search
Create Date: 2026-11-26 01:00:00
"""

import sqlalchemy as sa
from alembic import op

from gridgov.db import SearchText

revision = "0004_addresses"
down_revision = "0003_search"
branch_labels = None
depends_on = None


def _grid_code_collation(collation: str | None) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.alter_column(
        "addresses",
        "grid_code",
        existing_type=sa.String(length=17),
        type_=sa.String(length=17, collation=collation),
        existing_nullable=True,
    )
    op.execute('ANALYZE "addresses" ("grid_code")')


def upgrade() -> None:
    _grid_code_collation("C")
    op.add_column("addresses", sa.Column("addr_key", SearchText(160), nullable=True))
    op.drop_index("ix_addresses_road", table_name="addresses")
    op.drop_index("ix_addresses_text", table_name="addresses")
    op.create_index("ix_addresses_level_key", "addresses", ["level", "addr_key"], unique=False)
    op.create_index("ix_addresses_level_poi", "addresses", ["level", "poi", "building_no"], unique=False)
    op.create_index("ix_addresses_parent_id", "addresses", ["parent_id"], unique=False)
    op.create_table(
        "address_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=12), nullable=False),
        sa.Column("alias", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("region_code", sa.String(length=17), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_aliases")),
        sa.UniqueConstraint("field", "alias", "name", name=op.f("uq_address_aliases_field")),
    )
    op.create_index("ix_address_aliases_alias", "address_aliases", ["alias"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_address_aliases_alias", table_name="address_aliases")
    op.drop_table("address_aliases")
    op.drop_index("ix_addresses_parent_id", table_name="addresses")
    op.drop_index("ix_addresses_level_poi", table_name="addresses")
    op.drop_index("ix_addresses_level_key", table_name="addresses")
    op.create_index("ix_addresses_text", "addresses", ["text"], unique=False)
    op.create_index("ix_addresses_road", "addresses", ["community_code", "road", "road_no"], unique=False)
    with op.batch_alter_table("addresses") as batch_op:  # SQLite drops a column by copying the table
        batch_op.drop_column("addr_key")
    _grid_code_collation(None)
