"""invoice ledger version

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("invoice", sa.Column("ledger_version", sa.Integer(), server_default="0", nullable=False))
    # Invoices already settled start from the number of ledger rows that touched their
    # balance (applications, reversals, credit notes; a partly reversed application's
    # remainder counts too, which only makes the start higher). No version was published
    # before, so any start works as long as every later change counts up from it.
    op.execute(
        """
        UPDATE invoice i SET ledger_version = s.n FROM (
            SELECT invoice_id, sum(n) AS n FROM (
                SELECT invoice_id, count(*) + count(reversed_on) AS n FROM payment_application GROUP BY invoice_id
                UNION ALL
                SELECT invoice_id, count(*) FROM credit_note GROUP BY invoice_id
            ) changes GROUP BY invoice_id
        ) s WHERE s.invoice_id = i.id
        """
    )


def downgrade() -> None:
    op.drop_column("invoice", "ledger_version")
