"""report and search indexes: an invoice by its total; the ledger entries dated after a day

GET /invoices?amount= (the console's search by amount) compares invoice.total; the aging as of a
day reads the payment applications and credit notes dated after it (reports/repository.py
_OUTSTANDING), which for a recent day are few: without these indexes both scan their tables.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_invoice_total", "invoice", ["total"])
    op.create_index("ix_payment_application_applied_on", "payment_application", ["applied_on"])
    op.create_index(
        "ix_payment_application_reversed_on",
        "payment_application",
        ["reversed_on"],
        postgresql_where=sa.text("reversed_on IS NOT NULL"),
    )
    op.create_index("ix_credit_note_issued_on", "credit_note", ["issued_on"])


def downgrade() -> None:
    op.drop_index("ix_credit_note_issued_on", table_name="credit_note")
    op.drop_index("ix_payment_application_reversed_on", table_name="payment_application")
    op.drop_index("ix_payment_application_applied_on", table_name="payment_application")
    op.drop_index("ix_invoice_total", table_name="invoice")
