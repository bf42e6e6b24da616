"""issue 13: customer update cadence, root cause analyses, forecasts

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 22:30:00.000000
"""

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
