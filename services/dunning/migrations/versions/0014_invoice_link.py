"""invoice_link: each invoice's hosted page, from InvoiceIssued.hosted_invoice_url, linked in its emails

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invoice_link",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("hosted_invoice_url", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_invoice_link")),
    )
    op.create_index(op.f("ix_invoice_link_customer_id"), "invoice_link", ["customer_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_invoice_link_customer_id"), table_name="invoice_link")
    op.drop_table("invoice_link")
