"""payment attempts: the gateway orders made for an invoice

A gateway's callback names the merchant's order (`out_trade_no`, a
PaymentIntent id, the order id of the standard webhook), which need not spell
the invoice number. A payment attempt records which invoice an order was made
for, so its callback is matched to that invoice as an exact reference (issue 21).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_attempt",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("order_id", sa.Text(), nullable=False),
        sa.Column("order_key", sa.Text(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_number", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(19, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open','paid','closed')", name=op.f("ck_payment_attempt_status")),
        sa.UniqueConstraint("provider", "order_key", name=op.f("uq_payment_attempt_provider_order_key")),
    )
    op.create_index(op.f("ix_payment_attempt_invoice_id"), "payment_attempt", ["invoice_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_payment_attempt_invoice_id"), table_name="payment_attempt")
    op.drop_table("payment_attempt")
