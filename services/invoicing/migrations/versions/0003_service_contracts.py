"""service contracts

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_contract",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("cycle", sa.String(length=16), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("bill_from", sa.Date(), nullable=False),
        sa.Column("auto_issue", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("payment_terms_code", sa.Text(), nullable=True),
        sa.Column("lines", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("paused_on", sa.Date(), nullable=True),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cycle IN ('monthly','quarterly','annual')", name=op.f("ck_service_contract_cycle")),
        sa.CheckConstraint("status IN ('active','paused','cancelled')", name=op.f("ck_service_contract_status")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_service_contract_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_contract")),
    )
    op.create_index(op.f("ix_service_contract_customer_id"), "service_contract", ["customer_id"], unique=False)
    op.create_table(
        "contract_period",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["service_contract.id"], name=op.f("fk_contract_period_contract_id_service_contract")
        ),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name=op.f("fk_contract_period_invoice_id_invoice")),
        sa.PrimaryKeyConstraint("contract_id", "period_start", name=op.f("pk_contract_period")),
    )
    op.add_column("invoice", sa.Column("contract_id", sa.Uuid(), nullable=True))
    op.create_index(op.f("ix_invoice_contract_id"), "invoice", ["contract_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_invoice_contract_id"), table_name="invoice")
    op.drop_column("invoice", "contract_id")
    op.drop_table("contract_period")
    op.drop_index(op.f("ix_service_contract_customer_id"), table_name="service_contract")
    op.drop_table("service_contract")
