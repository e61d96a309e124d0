"""approvals (arflow.approvals): the policies of guarded actions and the requests waiting for a second person

Revision ID: 0010
Revises: 0009
"""

from alembic import op

from arflow.migrations import drop_platform_tables_v4, platform_tables_v4

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    platform_tables_v4(op)


def downgrade() -> None:
    drop_platform_tables_v4(op)
