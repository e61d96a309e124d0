"""overdue notice without a foreign key to invoice

The overdue sweep writes one notice per invoice and threshold, set-based, from
invoice rows read in the same statement, and it is the only writer. The
foreign key made PostgreSQL check each notice with a SELECT … FOR KEY SHARE
of its invoice: a row lock written into every swept invoice's tuple, about a
third of the sweep's time at 1,000,000 invoices (bench/invoicing_sweep.py).
The notice cannot name a missing invoice by construction, and an invoice
with notices is never deleted (only drafts are, and a draft is never swept).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint(op.f("fk_overdue_notice_invoice_id_invoice"), "overdue_notice", type_="foreignkey")


def downgrade() -> None:
    op.create_foreign_key(
        op.f("fk_overdue_notice_invoice_id_invoice"), "overdue_notice", "invoice", ["invoice_id"], ["id"]
    )
