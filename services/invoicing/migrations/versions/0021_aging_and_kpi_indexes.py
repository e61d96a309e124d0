"""aging and KPI indexes: the receivables in one covering partial index; voids and write-offs by their dates

The aging as of a day (reports/repository.py _OUTSTANDING) reads the open and uncollectible
invoices only, and every column it uses of them is in ix_invoice_receivable: an index-only scan
of those invoices instead of a scan of every invoice, most of which are paid (at 100,000 invoices
the aging's totals took 106 ms of the server's CPU, 43 ms with it). The monthly KPIs and the aging
read the voided and the written-off invoices by those dates: without an index each was a scan of
the whole table for a handful of rows.

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

RECEIVABLE_INCLUDE = [
    "id",
    "customer_id",
    "invoice_date",
    "total",
    "amount_paid",
    "amount_credited",
    "amount_written_off",
    "written_off_on",
]


def upgrade() -> None:
    op.create_index(
        "ix_invoice_receivable",
        "invoice",
        ["currency", "due_date"],
        postgresql_include=RECEIVABLE_INCLUDE,
        postgresql_where=sa.text("status IN ('open', 'uncollectible')"),
    )
    op.create_index("ix_invoice_voided_at", "invoice", ["voided_at"], postgresql_where=sa.text("voided_at IS NOT NULL"))
    op.create_index(
        "ix_invoice_written_off_on",
        "invoice",
        ["written_off_on"],
        postgresql_where=sa.text("written_off_on IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_invoice_written_off_on", table_name="invoice")
    op.drop_index("ix_invoice_voided_at", table_name="invoice")
    op.drop_index("ix_invoice_receivable", table_name="invoice")
