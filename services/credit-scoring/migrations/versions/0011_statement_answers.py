"""statement answers (对账确认): the customers' confirmations and disputes of their statements, on arflow.statements

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statement_answer",
        sa.Column("statement_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("statement_number", sa.Text(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("answer", sa.String(length=9), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responder_name", sa.Text(), nullable=False),
        sa.Column("responder_title", sa.Text(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("closing_balance", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("balance_customer_sees", sa.Numeric(precision=19, scale=4), nullable=True),
        sa.Column("balance_disputed", sa.Boolean(), nullable=True),
        sa.Column("balances", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("disputed_invoices", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("disputed_lines", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("content_sha256", sa.Text(), nullable=False),
        sa.Column("reply_sha256", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("answer IN ('confirmed','disputed')", name=op.f("ck_statement_answer_answer")),
        sa.PrimaryKeyConstraint("statement_id", name=op.f("pk_statement_answer")),
    )
    op.create_index(op.f("ix_statement_answer_customer_id"), "statement_answer", ["customer_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_statement_answer_customer_id"), table_name="statement_answer")
    op.drop_table("statement_answer")
