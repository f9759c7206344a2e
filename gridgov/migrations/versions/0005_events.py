"""events: catalog, responsibility list, events, logs, assignments, attachments, inbox, notices, job leases

Revision ID: 0005_events
Revises: 0004_addresses
Create Date: 2026-11-25 23:56:00.442146
"""
import sqlalchemy as sa
from alembic import op

revision = '0005_events'
down_revision = '0004_addresses'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('catalog_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_versions')),
    sa.UniqueConstraint('number', name=op.f('uq_catalog_versions_number'))
    )
    op.create_table('job_leases',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=80), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_leases'))
    )
    op.create_table('catalog_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['catalog_versions.id'], name=op.f('fk_catalog_categories_version_id_catalog_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_categories')),
    sa.UniqueConstraint('version_id', 'code', name=op.f('uq_catalog_categories_version_id'))
    )
    with op.batch_alter_table('catalog_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_categories_version_id'), ['version_id'], unique=False)

    op.create_table('catalog_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('category_code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('severity', sa.String(length=12), nullable=False),
    sa.Column('department_code', sa.String(length=32), nullable=True),
    sa.Column('self_resolvable', sa.Boolean(), nullable=False),
    sa.Column('keywords', sa.String(length=300), nullable=True),
    sa.Column('limits', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['catalog_versions.id'], name=op.f('fk_catalog_items_version_id_catalog_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_items')),
    sa.UniqueConstraint('version_id', 'code', name=op.f('uq_catalog_items_version_id'))
    )
    with op.batch_alter_table('catalog_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_items_version_id'), ['version_id'], unique=False)

    op.create_table('responsibility_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=16), nullable=True),
    sa.Column('category_code', sa.String(length=16), nullable=True),
    sa.Column('region_code', sa.String(length=17), nullable=False),
    sa.Column('lead_department_id', sa.Integer(), nullable=False),
    sa.Column('assist_department_ids', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead_department_id'], ['departments.id'], name=op.f('fk_responsibility_rules_lead_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responsibility_rules'))
    )
    with op.batch_alter_table('responsibility_rules', schema=None) as batch_op:
        batch_op.create_index('ix_resp_item_region', ['item_code', 'region_code'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=True),
    sa.Column('external_id', sa.String(length=64), nullable=True),
    sa.Column('tracking_code', sa.String(length=16), nullable=False),
    sa.Column('catalog_version_id', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=16), nullable=False),
    sa.Column('category_code', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('region_code', sa.String(length=17).with_variant(sa.String(length=17, collation='C'), 'postgresql'), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('lead_department_id', sa.Integer(), nullable=True),
    sa.Column('reporter_user_id', sa.Integer(), nullable=True),
    sa.Column('reporter_name', sa.String(length=60), nullable=True),
    sa.Column('reporter_phone', sa.String(length=20), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('is_dispute', sa.Boolean(), nullable=False),
    sa.Column('step_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('warn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('warned', sa.Boolean(), nullable=False),
    sa.Column('overdue', sa.Boolean(), nullable=False),
    sa.Column('ever_overdue', sa.Boolean(), nullable=False),
    sa.Column('handle_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('extension_pending_hours', sa.Float(), nullable=True),
    sa.Column('extended', sa.Boolean(), nullable=False),
    sa.Column('rework_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_on_time', sa.Boolean(), nullable=True),
    sa.Column('self_resolved', sa.Boolean(), nullable=False),
    sa.Column('rating', sa.String(length=12), nullable=True),
    sa.Column('rating_comment', sa.String(length=500), nullable=True),
    sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('h3', sa.BigInteger(), nullable=True),
    sa.Column('grid_code', sa.String(length=17), nullable=True),
    sa.Column('grid_region_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['catalog_version_id'], ['catalog_versions.id'], name=op.f('fk_events_catalog_version_id_catalog_versions')),
    sa.ForeignKeyConstraint(['grid_region_id'], ['regions.id'], name=op.f('fk_events_grid_region_id_regions')),
    sa.ForeignKeyConstraint(['lead_department_id'], ['departments.id'], name=op.f('fk_events_lead_department_id_departments')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['events.id'], name=op.f('fk_events_merged_into_id_events')),
    sa.ForeignKeyConstraint(['reporter_user_id'], ['users.id'], name=op.f('fk_events_reporter_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('channel', 'client_id', name='uq_events_channel_client'),
    sa.UniqueConstraint('code', name=op.f('uq_events_code')),
    sa.UniqueConstraint('tracking_code', name=op.f('uq_events_tracking_code'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_due', ['due_at'], unique=False)
        batch_op.create_index('ix_events_created', ['created_at'], unique=False)
        batch_op.create_index('ix_events_merged_into', ['merged_into_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_external_id'), ['external_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_grid_code'), ['grid_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_item_code'), ['item_code'], unique=False)
        batch_op.create_index('ix_events_lead', ['lead_department_id', 'state'], unique=False)
        batch_op.create_index('ix_events_region_created', ['region_code', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_reporter_user_id'), ['reporter_user_id'], unique=False)
        batch_op.create_index('ix_events_state_region', ['state', 'region_code'], unique=False)

    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=True),
    sa.Column('region_code', sa.String(length=17).with_variant(sa.String(length=17, collation='C'), 'postgresql'), nullable=False),
    sa.Column('requires_reply', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['sender_id'], ['users.id'], name=op.f('fk_notices_sender_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    op.create_table('event_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_event_assignments_department_id_departments')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_assignments_event_id_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_assignments')),
    sa.UniqueConstraint('event_id', 'department_id', name=op.f('uq_event_assignments_event_id'))
    )
    with op.batch_alter_table('event_assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assign_dept_status', ['department_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_assignments_event_id'), ['event_id'], unique=False)

    op.create_table('event_logs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('party', sa.String(length=12), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('audit_seq', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_event_logs_actor_id_users')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_logs_event_id_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_logs'))
    )
    with op.batch_alter_table('event_logs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_logs_event_id'), ['event_id'], unique=False)

    op.create_table('notice_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_notice_receipts_notice_id_notices')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notice_receipts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_receipts')),
    sa.UniqueConstraint('notice_id', 'user_id', name=op.f('uq_notice_receipts_notice_id'))
    )
    with op.batch_alter_table('notice_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_receipts_notice_id'), ['notice_id'], unique=False)
        batch_op.create_index('ix_receipts_user', ['user_id', 'read_at'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_notifications_event_id_events')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_read', ['user_id', 'read_at'], unique=False)

    op.create_table('event_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('log_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=60), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_attachments_event_id_events')),
    sa.ForeignKeyConstraint(['log_id'], ['event_logs.id'], name=op.f('fk_event_attachments_log_id_event_logs')),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_event_attachments_uploaded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_attachments'))
    )
    with op.batch_alter_table('event_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_attachments_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_attachments_sha256'), ['sha256'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('event_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_attachments_sha256'))
        batch_op.drop_index(batch_op.f('ix_event_attachments_event_id'))

    op.drop_table('event_attachments')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_read')

    op.drop_table('notifications')
    with op.batch_alter_table('notice_receipts', schema=None) as batch_op:
        batch_op.drop_index('ix_receipts_user')
        batch_op.drop_index(batch_op.f('ix_notice_receipts_notice_id'))

    op.drop_table('notice_receipts')
    with op.batch_alter_table('event_logs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_logs_event_id'))

    op.drop_table('event_logs')
    with op.batch_alter_table('event_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_assignments_event_id'))
        batch_op.drop_index('ix_assign_dept_status')

    op.drop_table('event_assignments')
    op.drop_table('notices')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_state_region')
        batch_op.drop_index(batch_op.f('ix_events_reporter_user_id'))
        batch_op.drop_index('ix_events_region_created')
        batch_op.drop_index('ix_events_lead')
        batch_op.drop_index(batch_op.f('ix_events_item_code'))
        batch_op.drop_index(batch_op.f('ix_events_grid_code'))
        batch_op.drop_index(batch_op.f('ix_events_external_id'))
        batch_op.drop_index('ix_events_due')
        batch_op.drop_index('ix_events_created')
        batch_op.drop_index('ix_events_merged_into')

    op.drop_table('events')
    with op.batch_alter_table('responsibility_rules', schema=None) as batch_op:
        batch_op.drop_index('ix_resp_item_region')

    op.drop_table('responsibility_rules')
    with op.batch_alter_table('catalog_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_items_version_id'))

    op.drop_table('catalog_items')
    with op.batch_alter_table('catalog_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_categories_version_id'))

    op.drop_table('catalog_categories')
    op.drop_table('job_leases')
    op.drop_table('catalog_versions')

