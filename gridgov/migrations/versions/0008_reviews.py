"""department reviews: the reverse evaluation (反向评价) of departments by grid workers and the centre

Revision ID: 0008_reviews
Revises: 0007_disputes
Create Date: 2026-11-25 23:59:01.552684
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_reviews"
down_revision = "0007_disputes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "department_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_user_id", sa.Integer(), nullable=False),
        sa.Column("routing_score", sa.Integer(), nullable=False),
        sa.Column("handling_score", sa.Integer(), nullable=False),
        sa.Column("effect_score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("effect_score BETWEEN 1 AND 5", name=op.f("ck_department_reviews_effect")),
        sa.CheckConstraint("handling_score BETWEEN 1 AND 5", name=op.f("ck_department_reviews_handling")),
        sa.CheckConstraint("routing_score BETWEEN 1 AND 5", name=op.f("ck_department_reviews_routing")),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_department_reviews_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_department_reviews_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_user_id"], ["users.id"], name=op.f("fk_department_reviews_reviewer_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department_reviews")),
        sa.UniqueConstraint("event_id", "reviewer_user_id", name="uq_department_reviews_event_reviewer"),
    )
    with op.batch_alter_table("department_reviews", schema=None) as batch_op:
        batch_op.create_index(
            "ix_department_reviews_department", ["department_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("department_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_department_reviews_department")

    op.drop_table("department_reviews")
