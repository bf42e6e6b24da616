"""SLA clocks keep what a breach was judged against: its due instant and the severity then

A severity change recomputes a clock's due instant from the incident's start, and a recorded
breach stays; without these, a breach under a Sev1 target read against a later Sev3 due.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 18:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import supportbot.db.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_UTC = supportbot.db.types.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("breach_due_at", _UTC(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("breach_severity", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.drop_column("breach_severity")
        batch_op.drop_column("breach_due_at")
