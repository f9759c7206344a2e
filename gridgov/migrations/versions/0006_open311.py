"""open311: client API keys (hash only) and what Open311 requests bring beyond the event

Revision ID: 0006_open311
Revises: 0005_events
Create Date: 2026-11-25 23:58:32.162086
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_open311"
down_revision = "0005_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "open311_api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_open311_api_keys_key_hash")),
    )
    op.create_table(
        "open311_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("media_url", sa.String(length=500), nullable=True),
        sa.Column("address_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["open311_api_keys.id"],
            name=op.f("fk_open311_requests_api_key_id_open311_api_keys"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_open311_requests_event_id_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_requests")),
        sa.UniqueConstraint("event_id", name=op.f("uq_open311_requests_event_id")),
    )
    with op.batch_alter_table("open311_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_open311_requests_api_key_id"), ["api_key_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("open311_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open311_requests_api_key_id"))

    op.drop_table("open311_requests")
    op.drop_table("open311_api_keys")
