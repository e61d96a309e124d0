"""refunded amount of a payment

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "payment", sa.Column("refunded_amount", sa.Numeric(precision=19, scale=4), server_default="0", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("payment", "refunded_amount")
