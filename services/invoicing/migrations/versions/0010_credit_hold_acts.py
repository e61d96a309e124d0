"""credit hold acts: why a customer is held, and who issued or started anyway

The hold's reason as credit-scoring gave it; on an invoice, whether it was issued
while the customer was held and, when a credit manager overrode the hold, who and
why; on a contract, the same for starting it.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customer", sa.Column("credit_hold_reason", sa.Text(), nullable=True))
    op.add_column("invoice", sa.Column("credit_hold_at_issue", sa.Boolean(), server_default="false", nullable=False))
    for table in ("invoice", "service_contract"):
        op.add_column(table, sa.Column("credit_hold_override_by", sa.Text(), nullable=True))
        op.add_column(table, sa.Column("credit_hold_override_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in ("invoice", "service_contract"):
        op.drop_column(table, "credit_hold_override_reason")
        op.drop_column(table, "credit_hold_override_by")
    op.drop_column("invoice", "credit_hold_at_issue")
    op.drop_column("customer", "credit_hold_reason")
