"""onboarding and contracts: stored onboarding assessments (every revision) and the contracts invoicing publishes

A new client's initial credit limit comes from its onboarding assessment and the monthly billing of
its contracts (ContractStarted / ContractChanged) until its own payment history takes over.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

AMOUNT = sa.Numeric(19, 4)


def upgrade() -> None:
    op.create_table(
        "onboarding_assessment",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("inputs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("tier", sa.String(length=1), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("limit_amount", AMOUNT, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("monthly_billing", AMOUNT, nullable=False),
        sa.Column("recommended_net_days", sa.Integer(), nullable=False),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("assessed_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "revision", name=op.f("pk_onboarding_assessment")),
    )
    op.create_table(
        "customer_contract",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("cycle", sa.String(length=16), nullable=False),
        sa.Column("monthly_amount", AMOUNT, nullable=False),
        sa.Column("net_days", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_customer_contract_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("contract_id", name=op.f("pk_customer_contract")),
    )
    op.create_index(op.f("ix_customer_contract_customer_id"), "customer_contract", ["customer_id"])
    op.add_column("credit_limit", sa.Column("basis", postgresql.JSONB(astext_type=sa.Text()), nullable=True))


def downgrade() -> None:
    op.drop_column("credit_limit", "basis")
    op.drop_index(op.f("ix_customer_contract_customer_id"), table_name="customer_contract")
    op.drop_table("customer_contract")
    op.drop_table("onboarding_assessment")
