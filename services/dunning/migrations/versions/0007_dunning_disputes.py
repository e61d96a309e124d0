"""disputes a collector records, beside reconciliation's

A dispute a collector hears on the phone (task outcome `dispute`) is dunning's
own: it names the invoices the customer disputes, with the reason, the case and
the business date, and is resolved in dunning. Reconciliation's disputes keep
arriving as DisputeOpened/DisputeResolved and are resolved there (`source`).

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
        "invoice_dispute", sa.Column("source", sa.String(16), nullable=False, server_default="reconciliation")
    )
    op.add_column("invoice_dispute", sa.Column("reason", sa.Text(), nullable=True))
    op.add_column("invoice_dispute", sa.Column("case_id", sa.Uuid(), nullable=True))
    op.add_column("invoice_dispute", sa.Column("opened_on", sa.Date(), nullable=True))
    op.add_column("invoice_dispute", sa.Column("resolved_on", sa.Date(), nullable=True))
    op.add_column("invoice_dispute", sa.Column("resolved_by", sa.Text(), nullable=True))
    op.create_check_constraint(
        op.f("ck_invoice_dispute_source"), "invoice_dispute", "source IN ('reconciliation','dunning')"
    )
    op.create_index(op.f("ix_invoice_dispute_case_id"), "invoice_dispute", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_invoice_dispute_case_id"), table_name="invoice_dispute")
    op.drop_constraint(op.f("ck_invoice_dispute_source"), "invoice_dispute", type_="check")
    for column in ("resolved_by", "resolved_on", "opened_on", "case_id", "reason", "source"):
        op.drop_column("invoice_dispute", column)
