"""issue 10: maintenance windows, credit waivers, CSAT, report approvals, dashboard sessions

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 22:30:00.000000
"""

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
