"""invoice disputes kept apart from case items

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invoice_dispute",
        sa.Column("dispute_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("dispute_id", name=op.f("pk_invoice_dispute")),
    )
    op.create_index(op.f("ix_invoice_dispute_invoice_id"), "invoice_dispute", ["invoice_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_invoice_dispute_invoice_id"), table_name="invoice_dispute")
    op.drop_table("invoice_dispute")
