"""disputes a customer raises on a statement (StatementDisputed), beside reconciliation's and dunning's own

One per statement and invoice the customer disputes (its id derived from both, so a repeated event opens
nothing new), with the customer and the statement's period end: a later statement the customer confirms
settles them.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint(op.f("ck_invoice_dispute_source"), "invoice_dispute", type_="check")
    op.create_check_constraint(
        op.f("ck_invoice_dispute_source"), "invoice_dispute", "source IN ('reconciliation','dunning','statement')"
    )
    op.add_column("invoice_dispute", sa.Column("customer_id", sa.Uuid(), nullable=True))
    op.add_column("invoice_dispute", sa.Column("statement_id", sa.Uuid(), nullable=True))
    op.add_column("invoice_dispute", sa.Column("statement_period_end", sa.Date(), nullable=True))
    op.create_index(
        "ix_invoice_dispute_open_statement",
        "invoice_dispute",
        ["customer_id", "statement_period_end"],
        postgresql_where=sa.text("source = 'statement' AND resolved_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_invoice_dispute_open_statement", table_name="invoice_dispute")
    for column in ("statement_period_end", "statement_id", "customer_id"):
        op.drop_column("invoice_dispute", column)
    op.execute("DELETE FROM invoice_dispute WHERE source = 'statement'")
    op.drop_constraint(op.f("ck_invoice_dispute_source"), "invoice_dispute", type_="check")
    op.create_check_constraint(
        op.f("ck_invoice_dispute_source"), "invoice_dispute", "source IN ('reconciliation','dunning')"
    )
