"""initial schema

Revision ID: 0001
Revises: (none)
"""

import sqlalchemy as sa
from alembic import op

from arflow.migrations import drop_platform_tables_v1, platform_tables_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    platform_tables_v1(op)
    op.create_table(
        "customer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("legal_name", sa.Text(), nullable=False),
        sa.Column("short_name", sa.Text(), nullable=True),
        sa.Column("external_reference", sa.Text(), nullable=True),
        sa.Column("time_zone", sa.Text(), server_default="Asia/Shanghai", nullable=False),
        sa.Column("archived", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
    )
    op.create_table(
        "open_item",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_number", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Numeric(precision=19, scale=4), nullable=True),
        sa.Column("balance", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("payment_reference", sa.Text(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open','written_off','paid','void')", name=op.f("ck_open_item_status")),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_open_item")),
    )
    op.create_index(op.f("ix_open_item_customer_id"), "open_item", ["customer_id"], unique=False)
    op.create_table(
        "payment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("payer_name", sa.Text(), nullable=True),
        sa.Column("payer_account", sa.Text(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("match_confidence", sa.Numeric(precision=4, scale=3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source IN ('manual','bank_statement','alipay','wechat_pay','stripe','webhook')",
            name=op.f("ck_payment_source"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_amount_positive")),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_payment_customer_id_customer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
    )
    op.create_index(op.f("ix_payment_customer_id"), "payment", ["customer_id"], unique=False)
    op.create_index(op.f("ix_payment_received_on"), "payment", ["received_on"], unique=False)
    op.create_table(
        "allocation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("invoice_number", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("basis IN ('given','reference','oldest_due')", name=op.f("ck_allocation_basis")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_allocation_amount_positive")),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["open_item.invoice_id"], name=op.f("fk_allocation_invoice_id_open_item")
        ),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"], name=op.f("fk_allocation_payment_id_payment")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation")),
        sa.UniqueConstraint("payment_id", "invoice_id", name=op.f("uq_allocation_payment_id_invoice_id")),
    )
    op.create_index(op.f("ix_allocation_invoice_id"), "allocation", ["invoice_id"], unique=False)
    op.create_index(op.f("ix_allocation_payment_id"), "allocation", ["payment_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_allocation_payment_id"), table_name="allocation")
    op.drop_index(op.f("ix_allocation_invoice_id"), table_name="allocation")
    op.drop_table("allocation")
    op.drop_index(op.f("ix_payment_received_on"), table_name="payment")
    op.drop_index(op.f("ix_payment_customer_id"), table_name="payment")
    op.drop_table("payment")
    op.drop_index(op.f("ix_open_item_customer_id"), table_name="open_item")
    op.drop_table("open_item")
    op.drop_table("customer")
    drop_platform_tables_v1(op)
