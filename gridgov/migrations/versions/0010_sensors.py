"""sensors: device and integration keys (hash only), registered devices, alarms received; event
indexes for millions of events: the overdue and due-soon few, an item's events newest first, and on
PostgreSQL trigram indexes for the search's text match (title, address)

Revision ID: 0010_sensors
Revises: 0008_reviews
Create Date: 2026-12-01 21:34:25.627668
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_sensors"
down_revision = "0008_reviews"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("sensor_keys",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("key_hash", sa.String(length=64), nullable=False),
    sa.Column("prefix", sa.String(length=8), nullable=False),
    sa.Column("name", sa.String(length=100), nullable=False),
    sa.Column("kind", sa.String(length=12), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_sensor_keys")),
    sa.UniqueConstraint("key_hash", name=op.f("uq_sensor_keys_key_hash"))
    )
    op.create_table("sensor_devices",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("code", sa.String(length=64), nullable=False),
    sa.Column("type", sa.String(length=24), nullable=False),
    sa.Column("name", sa.String(length=100), nullable=False),
    sa.Column("address", sa.String(length=200), nullable=True),
    sa.Column("region_code", sa.String(length=17), nullable=False),
    sa.Column("item_code", sa.String(length=16), nullable=False),
    sa.Column("department_id", sa.Integer(), nullable=True),
    sa.Column("key_id", sa.Integer(), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("lon", sa.Float(), nullable=True),
    sa.Column("lat", sa.Float(), nullable=True),
    sa.Column("h3", sa.BigInteger(), nullable=True),
    sa.Column("grid_code", sa.String(length=17), nullable=True),
    sa.Column("grid_region_id", sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(["department_id"], ["departments.id"], name=op.f("fk_sensor_devices_department_id_departments")),
    sa.ForeignKeyConstraint(["grid_region_id"], ["regions.id"], name=op.f("fk_sensor_devices_grid_region_id_regions")),
    sa.ForeignKeyConstraint(["key_id"], ["sensor_keys.id"], name=op.f("fk_sensor_devices_key_id_sensor_keys")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_sensor_devices")),
    sa.UniqueConstraint("code", name=op.f("uq_sensor_devices_code"))
    )
    with op.batch_alter_table("sensor_devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sensor_devices_grid_code"), ["grid_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_sensor_devices_key_id"), ["key_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sensor_devices_region_code"), ["region_code"], unique=False)

    op.create_table("sensor_alarms",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("device_id", sa.Integer(), nullable=False),
    sa.Column("alarm_id", sa.String(length=48), nullable=False),
    sa.Column("kind", sa.String(length=8), nullable=False),
    sa.Column("alarm_type", sa.String(length=32), nullable=False),
    sa.Column("value", sa.Float(), nullable=True),
    sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("digest", sa.String(length=64), nullable=False),
    sa.Column("event_id", sa.Integer(), nullable=True),
    sa.Column("noted", sa.Boolean(), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["device_id"], ["sensor_devices.id"], name=op.f("fk_sensor_alarms_device_id_sensor_devices")),
    sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_sensor_alarms_event_id_events")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_sensor_alarms")),
    sa.UniqueConstraint("device_id", "alarm_id", "kind", name="uq_sensor_alarms_device_alarm_kind")
    )
    with op.batch_alter_table("sensor_alarms", schema=None) as batch_op:
        batch_op.create_index("ix_sensor_alarms_event", ["event_id"], unique=False)

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_overdue_id", ["id"], unique=False,
                              postgresql_where=sa.text("overdue IS TRUE"), sqlite_where=sa.text("overdue IS TRUE"))
        batch_op.create_index("ix_events_due_soon_id", ["id"], unique=False,
                              postgresql_where=sa.text("warned IS TRUE AND overdue IS FALSE"),
                              sqlite_where=sa.text("warned IS TRUE AND overdue IS FALSE"))
        batch_op.create_index("ix_events_item_id", ["item_code", "id"], unique=False)
    _trigram_indexes()



#: event search matches ``title``/``address`` with LIKE '%…%': at millions of events only a trigram
#: index answers a rare or absent text without reading the whole table (benchmarks/bench_events_scale.py).
#: PostgreSQL only, and only where pg_trgm can be installed (a trusted extension since PostgreSQL 13);
#: not in the models (SQLite has no such index), like the search collations of 0003.
TRGM_INDEXES = {"ix_events_title_trgm": "title", "ix_events_address_trgm": "address"}


def _trigram_indexes() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if not bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).scalar():
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:  # not allowed for this database user: the search still works, unindexed
        return
    for name, column in TRGM_INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON events USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in TRGM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_item_id")
        batch_op.drop_index("ix_events_due_soon_id")
        batch_op.drop_index("ix_events_overdue_id")
    with op.batch_alter_table("sensor_alarms", schema=None) as batch_op:
        batch_op.drop_index("ix_sensor_alarms_event")

    op.drop_table("sensor_alarms")
    with op.batch_alter_table("sensor_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sensor_devices_region_code"))
        batch_op.drop_index(batch_op.f("ix_sensor_devices_key_id"))
        batch_op.drop_index(batch_op.f("ix_sensor_devices_grid_code"))

    op.drop_table("sensor_devices")
    op.drop_table("sensor_keys")
