"""issue 11: support plans and the usage ledger

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 22:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import supportbot.db.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_UTC = supportbot.db.types.UTCDateTime


# long: a migration lists its DDL in one place, in the order it runs
def upgrade() -> None:
    op.create_table(
        "task_estimates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("customer", sa.String(length=100), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("requested_by", sa.String(length=60), nullable=False),
        sa.Column("requested_at", _UTC(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=60), nullable=True),
        sa.Column("decided_at", _UTC(timezone=True), nullable=True),
        sa.Column("posted_at", _UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_task_estimates_incident_id", "task_estimates", ["incident_id"])
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer", sa.String(length=100), nullable=False),
        sa.Column("plan", sa.String(length=60), nullable=False),
        sa.Column("term", sa.String(length=10), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("person", sa.String(length=60), nullable=False),
        sa.Column("at", _UTC(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=12), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("corrects", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("dedupe", sa.String(length=160), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["task_estimates.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe"),
    )
    op.create_index(
        "ix_ledger_customer",
        "ledger_entries",
        ["customer", "plan", "term", "kind", "quantity", "amount"],
    )
    op.create_index("ix_ledger_incident", "ledger_entries", ["incident_id"])
    op.create_index("ix_ledger_at", "ledger_entries", ["customer", "at"])
    op.create_table(
        "work_timers",
        sa.Column("person", sa.String(length=60), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("started_at", _UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("person"),
    )


def downgrade() -> None:
    op.drop_table("work_timers")
    op.drop_index("ix_ledger_at", table_name="ledger_entries")
    op.drop_index("ix_ledger_incident", table_name="ledger_entries")
    op.drop_index("ix_ledger_customer", table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_index("ix_task_estimates_incident_id", table_name="task_estimates")
    op.drop_table("task_estimates")
