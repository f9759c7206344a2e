"""events at 10M, a grid worker's queues and the search by region (benchmarks/bench_events_scale.py):

* (state, region, id) replaces (state, region): a grid worker's queue, read in a window of the newest
  ids, checks the id inside the index instead of reading every event of that state in the grid
  (已结案: 150-640 ms -> ~10 ms);
* (state, reporter): a grid worker's queue is (state in the grid) OR (state AND reported by them);
  with only the reporter's own index the second half read every report of theirs to check its state
  (待受理 p95 524 ms -> ~12 ms, 处置中 1.3 s -> ~15 ms);
* PostgreSQL: a 2,000-bucket histogram of events.region_code: with the default 100 a community's
  range (0.1 % of the events) was estimated at 97 rows for 12,400, and the planner sorted them all.

Revision ID: 0013_grid_queue_indexes
Revises: 0012_event_queue_indexes
Create Date: 2026-12-08 01:20:00
"""
from alembic import op

revision = "0013_grid_queue_indexes"
down_revision = "0012_event_queue_indexes"
branch_labels = None
depends_on = None


#: the region_code histogram's buckets (PostgreSQL's default is 100)
REGION_STATISTICS = 2000


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_state_reporter", ["state", "reporter_user_id"], unique=False)
        batch_op.create_index("ix_events_state_region_id", ["state", "region_code", "id"], unique=False)
        batch_op.drop_index("ix_events_state_region")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE events ALTER COLUMN region_code SET STATISTICS {REGION_STATISTICS}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE events ALTER COLUMN region_code SET STATISTICS -1")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_state_region", ["state", "region_code"], unique=False)
        batch_op.drop_index("ix_events_state_region_id")
        batch_op.drop_index("ix_events_state_reporter")
