"""customer account manager: the firm's own person for a client

CustomerUpserted always had `account_manager_email` for dunning's internal alerts,
but invoicing had no way to set it.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customer", sa.Column("account_manager_email", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("customer", "account_manager_email")
