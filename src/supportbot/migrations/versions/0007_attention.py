"""issue 13: acknowledgement expiry, chosen escalation targets, handovers

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 22:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import supportbot.db.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_UTC = supportbot.db.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "ack_watches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=50), nullable=False),
        sa.Column("acked_at", _UTC(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reminded_at", _UTC(timezone=True), nullable=True),
        sa.Column("released_at", _UTC(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("updated_at", _UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id"),
    )
    op.create_index("ix_ack_watches_state", "ack_watches", ["state"])
    op.create_table(
        "deferred_pages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=80), nullable=False),
        sa.Column("due_at", _UTC(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_deferred_pages_incident_id", "deferred_pages", ["incident_id"])
    op.create_index("ix_deferred_pages_due", "deferred_pages", ["state", "due_at"])


def downgrade() -> None:
    op.drop_table("deferred_pages")
    op.drop_table("ack_watches")
