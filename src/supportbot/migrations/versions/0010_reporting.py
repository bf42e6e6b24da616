"""issue 10: maintenance windows, credit waivers, CSAT, report approvals, dashboard sessions

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 22:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import supportbot.db.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_UTC = supportbot.db.types.UTCDateTime


# long: a migration lists its DDL in one place, in the order it runs
def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("outage", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer", sa.String(length=100), nullable=False),
        sa.Column("starts_at", _UTC(timezone=True), nullable=False),
        sa.Column("ends_at", _UTC(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=50), nullable=False),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.Column("cancelled_at", _UTC(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(length=50), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_maintenance_customer", "maintenance_windows", ["customer", "starts_at"])
    op.create_table(
        "credit_waivers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer", sa.String(length=100), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("line", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("waived_by", sa.String(length=50), nullable=False),
        sa.Column("waived_at", _UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer", "month", "line", name="uq_credit_waiver"),
    )
    op.create_table(
        "csat_surveys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("customer", sa.String(length=100), nullable=False),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.Column("asked_at", _UTC(timezone=True), nullable=True),
        sa.Column("channel", sa.String(length=50), nullable=True),
        sa.Column("message_ts", sa.String(length=40), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("rated_by", sa.String(length=50), nullable=True),
        sa.Column("rated_at", _UTC(timezone=True), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("commented_at", _UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id"),
    )
    op.create_index("ix_csat_unasked", "csat_surveys", ["asked_at"])
    op.create_table(
        "report_posts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("customer", sa.String(length=100), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("review_text", sa.Text(), nullable=False),
        sa.Column("customer_text", sa.Text(), nullable=False),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.Column("review_channel", sa.String(length=50), nullable=False),
        sa.Column("review_ts", sa.String(length=40), nullable=True),
        sa.Column("approved_by", sa.String(length=50), nullable=True),
        sa.Column("approved_at", _UTC(timezone=True), nullable=True),
        sa.Column("customer_channel", sa.String(length=50), nullable=False),
        sa.Column("customer_ts", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("report_posts")
    op.drop_index("ix_csat_unasked", table_name="csat_surveys")
    op.drop_table("csat_surveys")
    op.drop_table("credit_waivers")
    op.drop_index("ix_maintenance_customer", table_name="maintenance_windows")
    op.drop_table("maintenance_windows")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("outage")
