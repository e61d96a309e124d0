"""the ledger version of a case item's balance

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("dunning_case_item", sa.Column("balance_ledger_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("dunning_case_item", "balance_ledger_version")
