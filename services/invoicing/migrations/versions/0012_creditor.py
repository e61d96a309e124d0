"""creditor: the firm every document is from, set through the API

One row (id 1): the installation's creditor, its legal identity and the account
customers pay into. Until it is set, the ARFLOW_CREDITOR_* settings (or the marked
demo creditor) stand in.

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
        "creditor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("legal_name", sa.Text(), nullable=False),
        sa.Column("uscc", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=False),
        sa.Column("bank_name", sa.Text(), nullable=False),
        sa.Column("bank_account_name", sa.Text(), nullable=False),
        sa.Column("bank_account_number", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_creditor_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creditor")),
    )


def downgrade() -> None:
    op.drop_table("creditor")
