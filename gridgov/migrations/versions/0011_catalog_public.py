"""catalog items: the public flag (对公众开放) — residents (随手拍, Open311) see and file public items
only; the existing rows of every catalog version get it by the shipped rule
(gridgov/events/catalog_defaults.py: INTERNAL_CATEGORIES, INTERNAL_ITEMS; docs/catalog.md)

The rule is copied here as it stood when this migration was written, so that the migration does the
same thing whatever the code says later. Items an administrator added (codes outside the rule) stay
public; an administrator unticks them in the catalog page if they should not be.

Revision ID: 0011_catalog_public
Revises: 0010_sensors
Create Date: 2026-12-07 22:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_catalog_public"
down_revision = "0010_sensors"
branch_labels = None
depends_on = None

INTERNAL_CATEGORIES = ("DJ",)
INTERNAL_ITEMS = (
    "ZZ001", "ZZ002", "ZZ004", "ZZ005", "ZZ006", "ZZ008", "ZZ009", "ZZ010", "ZZ011", "ZZ012", "ZZ013", "ZZ014",
    "ZZ015", "ZZ016",
    "MD020",
    "ZA001", "ZA002", "ZA003", "ZA004", "ZA005", "ZA006", "ZA007", "ZA008", "ZA009", "ZA011",
    "TS001", "TS002", "TS003", "TS004", "TS005", "TS006", "TS007", "TS010", "TS011", "TS012", "TS014",
    "NY008",
    "QT004", "QT005",
)


def upgrade() -> None:
    with op.batch_alter_table("catalog_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public", sa.Boolean(), server_default=sa.text("true"), nullable=False))
    items = sa.table("catalog_items", sa.column("code", sa.String), sa.column("category_code", sa.String),
                     sa.column("public", sa.Boolean))
    op.execute(items.update().where(sa.or_(items.c.category_code.in_(INTERNAL_CATEGORIES),
                                           items.c.code.in_(INTERNAL_ITEMS))).values(public=False))


def downgrade() -> None:
    with op.batch_alter_table("catalog_items", schema=None) as batch_op:
        batch_op.drop_column("public")
