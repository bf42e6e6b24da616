"""issue 13: customer update cadence, root cause analyses, forecasts

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 22:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import supportbot.db.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_UTC = supportbot.db.types.UTCDateTime


def upgrade() -> None:
    # A reminder's direct message may carry one button (the action id; the incident is its
    # value): "Post customer update", "Approve RCA".
    op.add_column("notifications", sa.Column("button", sa.String(length=40), nullable=True))
    op.create_table(
        "followup_timers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("due_at", _UTC(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("fired_at", _UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "kind", "seq", name="uq_followup_timer"),
    )
    op.create_index("ix_followup_timers_incident_id", "followup_timers", ["incident_id"])
    op.create_index("ix_followup_timers_due", "followup_timers", ["state", "due_at"])
    op.create_table(
        "root_causes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("resolved_at", _UTC(timezone=True), nullable=False),
        sa.Column("due_at", _UTC(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("customer_text", sa.Text(), nullable=True),
        sa.Column("approved_by", sa.String(length=50), nullable=True),
        sa.Column("approved_at", _UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id"),
    )


def downgrade() -> None:
    op.drop_table("root_causes")
    op.drop_index("ix_followup_timers_due", table_name="followup_timers")
    op.drop_index("ix_followup_timers_incident_id", table_name="followup_timers")
    op.drop_table("followup_timers")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("button")
