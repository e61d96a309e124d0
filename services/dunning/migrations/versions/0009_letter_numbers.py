"""letter numbers (催字〔YYYY〕第NNNN号) per creditor and year; invoice dates on case items

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dunning_letter_number",
        sa.Column("creditor_uscc", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("creditor_uscc", "year", name=op.f("pk_dunning_letter_number")),
    )
    op.add_column("dunning_document", sa.Column("number", sa.Text(), nullable=True))
    op.add_column("dunning_document", sa.Column("creditor_uscc", sa.Text(), nullable=True))
    op.create_index(
        "uq_dunning_document_creditor_uscc_number", "dunning_document", ["creditor_uscc", "number"], unique=True
    )
    op.add_column("dunning_case_item", sa.Column("invoice_date", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("dunning_case_item", "invoice_date")
    op.drop_index("uq_dunning_document_creditor_uscc_number", table_name="dunning_document")
    op.drop_column("dunning_document", "creditor_uscc")
    op.drop_column("dunning_document", "number")
    op.drop_table("dunning_letter_number")
