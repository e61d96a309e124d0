"""creditor: invoicing's creditor as CreditorUpdated brings it

One row (id 1), the latest revision; while it is absent the ARFLOW_CREDITOR_* settings
(or the marked demo creditor) stand in.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "creditor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("legal_name", sa.Text(), nullable=False),
        sa.Column("uscc", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=False),
        sa.Column("bank_name", sa.Text(), nullable=False),
        sa.Column("bank_account_name", sa.Text(), nullable=False),
        sa.Column("bank_account_number", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_creditor_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creditor")),
    )


def downgrade() -> None:
    op.drop_table("creditor")
