"""invoice interest charged

The interest cap holds for all the late interest ever charged on an invoice,
not for each charge: the invoice keeps the running total of the interest its
late-fee invoices charged. Invoices charged before start from the interest
lines of their late-fee invoices (the fixed fee is a line of its own).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "invoice",
        sa.Column("interest_charged", sa.Numeric(precision=19, scale=4), server_default="0", nullable=False),
    )
    op.execute(
        """
        UPDATE invoice i SET interest_charged = s.interest FROM (
            SELECT f.related_invoice_id, sum(l.net_amount) AS interest
            FROM invoice f JOIN invoice_line l ON l.invoice_id = f.id
            WHERE f.kind = 'late_fee' AND f.related_invoice_id IS NOT NULL AND l.description LIKE '逾期利息 %'
            GROUP BY f.related_invoice_id
        ) s WHERE s.related_invoice_id = i.id
        """
    )


def downgrade() -> None:
    op.drop_column("invoice", "interest_charged")
