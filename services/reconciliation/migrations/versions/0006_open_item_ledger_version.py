"""open items keep invoicing's ledger version of their balance

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("open_item", sa.Column("ledger_version", sa.Integer(), nullable=True))
    op.add_column("open_item", sa.Column("written_off", sa.Boolean(), server_default="false", nullable=False))
    op.execute("UPDATE open_item SET written_off = true WHERE status = 'written_off'")


def downgrade() -> None:
    op.drop_column("open_item", "written_off")
    op.drop_column("open_item", "ledger_version")
