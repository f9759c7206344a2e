"""events at millions: a state's events newest first (the centre's 待受理 and 待派遣 walked back from
the newest event instead of sorting every open one), one's own reports newest first (replaces the
plain reporter index), and on PostgreSQL a trigram index on the description, which the event search
matches with the title and the address (without it a text found nowhere read the whole table)

Revision ID: 0012_event_queue_indexes
Revises: 0011_catalog_public
Create Date: 2026-12-07 22:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_event_queue_indexes"
down_revision = "0011_catalog_public"
branch_labels = None
depends_on = None

#: like 0010's trigram indexes: PostgreSQL only, where pg_trgm is installed; not in the models
TRGM_INDEXES = {"ix_events_description_trgm": "description"}


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_state_id", ["state", "id"], unique=False)
        batch_op.create_index("ix_events_reporter_id", ["reporter_user_id", "id"], unique=False)
        batch_op.drop_index("ix_events_reporter_user_id")
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and bind.execute(
            sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar():
        for name, column in TRGM_INDEXES.items():
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON events USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in TRGM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_reporter_user_id", ["reporter_user_id"], unique=False)
        batch_op.drop_index("ix_events_reporter_id")
        batch_op.drop_index("ix_events_state_id")
