"""payment reversal: payment applications undone by invoicing (refund, chargeback, bounce)

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_reversal",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reversed_on", sa.Date(), nullable=False),
        sa.Column("invoice_reopened", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_payment_reversal_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["payment_experience.invoice_id"],
            name=op.f("fk_payment_reversal_invoice_id_payment_experience"),
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_payment_reversal")),
    )
    op.create_index(op.f("ix_payment_reversal_customer_id"), "payment_reversal", ["customer_id"], unique=False)
    op.create_index(op.f("ix_payment_reversal_invoice_id"), "payment_reversal", ["invoice_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_payment_reversal_invoice_id"), table_name="payment_reversal")
    op.drop_index(op.f("ix_payment_reversal_customer_id"), table_name="payment_reversal")
    op.drop_table("payment_reversal")
