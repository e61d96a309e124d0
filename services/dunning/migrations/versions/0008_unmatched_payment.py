"""unmatched payments that pause chasing their probable customer

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unmatched_payment",
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("amount", sa.Numeric(19, 4), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hold_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_payment_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("payment_id", name=op.f("pk_unmatched_payment")),
    )
    op.create_index(op.f("ix_unmatched_payment_customer_id"), "unmatched_payment", ["customer_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_unmatched_payment_customer_id"), table_name="unmatched_payment")
    op.drop_table("unmatched_payment")
