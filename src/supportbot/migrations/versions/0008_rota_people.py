"""issue 13: rota swaps, shift reminders, user groups, personal rules

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 22:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import supportbot.db.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_UTC = supportbot.db.types.UTCDateTime


# long: a migration lists its DDL in one place, in the order it runs
def upgrade() -> None:
    op.create_table(
        "rota_dms",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("person", sa.String(length=50), nullable=False),
        sa.Column("recipient", sa.String(length=50), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("due_at", _UTC(timezone=True), nullable=False),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.Column("sent_at", _UTC(timezone=True), nullable=True),
        sa.Column("ts", sa.String(length=40), nullable=True),
        sa.Column("dropped_at", _UTC(timezone=True), nullable=True),
        sa.Column("dropped_reason", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_rota_dm_key"),
    )
    op.create_index("ix_rota_dms_unsent", "rota_dms", ["sent_at", "dropped_at", "due_at"])
    op.create_table(
        "rota_swaps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("proposer", sa.String(length=50), nullable=False),
        sa.Column("invitee", sa.String(length=50), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("slot", sa.String(length=10), nullable=False),
        sa.Column("give_start", _UTC(timezone=True), nullable=False),
        sa.Column("give_end", _UTC(timezone=True), nullable=False),
        sa.Column("take_start", _UTC(timezone=True), nullable=False),
        sa.Column("take_end", _UTC(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.Column("expires_at", _UTC(timezone=True), nullable=False),
        sa.Column("decided_at", _UTC(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=50), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rota_swaps_state", "rota_swaps", ["state"])


def downgrade() -> None:
    op.drop_index("ix_rota_swaps_state", table_name="rota_swaps")
    op.drop_table("rota_swaps")
    op.drop_index("ix_rota_dms_unsent", table_name="rota_dms")
    op.drop_table("rota_dms")
