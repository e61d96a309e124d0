"""broker watermark

The platform's table of the end offsets the broker acknowledged to the outbox
relay (arflow.migrations.platform_tables_v2): a broker that holds less has lost
events, and the relay publishes the retained outbox again.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

from arflow.migrations import drop_platform_tables_v2, platform_tables_v2

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    platform_tables_v2(op)


def downgrade() -> None:
    drop_platform_tables_v2(op)
