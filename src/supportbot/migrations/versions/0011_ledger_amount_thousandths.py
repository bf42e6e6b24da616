"""Ledger amounts keep three decimals: the Kuwaiti dinar and a few others count thousandths

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 05:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.alter_column(
            "amount",
            existing_type=sa.Numeric(14, 2),
            type_=sa.Numeric(14, 3),
            existing_nullable=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.alter_column(
            "amount",
            existing_type=sa.Numeric(14, 3),
            type_=sa.Numeric(14, 2),
            existing_nullable=True,
        )
