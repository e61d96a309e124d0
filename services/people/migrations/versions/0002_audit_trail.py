"""the audit trail (arflow.audit): every change made through the API, append-only and hash-chained

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from arflow.migrations import drop_platform_tables_v3, platform_tables_v3

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    platform_tables_v3(op)


def downgrade() -> None:
    drop_platform_tables_v3(op)
