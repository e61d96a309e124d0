"""initial schema

Revision ID: 0001
Revises: (none)
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

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
        sa.Column("legal_name", sa.Text(), nullable=False),
        sa.Column("short_name", sa.Text(), nullable=True),
        sa.Column("unified_social_credit_code", sa.String(length=18), nullable=True),
        sa.Column("external_reference", sa.Text(), nullable=True),
        sa.Column("time_zone", sa.Text(), server_default="Asia/Shanghai", nullable=False),
        sa.Column("preferred_language", sa.String(length=8), server_default="zh-CN", nullable=False),
        sa.Column("tags", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("contacts", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("payment_terms_code", sa.Text(), nullable=True),
        sa.Column("dunning_excluded", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("dunning_exclusion_reason", sa.Text(), nullable=True),
        sa.Column("credit_hold", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("external_reference", name=op.f("uq_customer_external_reference")),
    )
    op.create_table(
        "invoice_number_series",
        sa.Column("series", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("next_value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("series", "year", name=op.f("pk_invoice_number_series")),
    )
    op.create_table(
        "invoice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("net_days", sa.Integer(), nullable=False),
        sa.Column("grace_days", sa.Integer(), server_default="0", nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("tax_total", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("total", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("amount_paid", sa.Numeric(precision=19, scale=4), server_default="0", nullable=False),
        sa.Column("amount_credited", sa.Numeric(precision=19, scale=4), server_default="0", nullable=False),
        sa.Column("payment_reference", sa.Text(), nullable=True),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('draft','open','paid','void','uncollectible')", name=op.f("ck_invoice_status")),
        sa.CheckConstraint(
            "amount_paid >= 0 AND amount_credited >= 0", name=op.f("ck_invoice_non_negative_settlements")
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_invoice_customer_id_customer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice")),
        sa.UniqueConstraint("number", name=op.f("uq_invoice_number")),
        sa.UniqueConstraint("payment_reference", name=op.f("uq_invoice_payment_reference")),
    )
    op.create_index(op.f("ix_invoice_customer_id"), "invoice", ["customer_id"], unique=False)
    op.create_index(op.f("ix_invoice_due_date"), "invoice", ["due_date"], unique=False)
    op.create_table(
        "unapplied_credit",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_unapplied_credit_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unapplied_credit")),
    )
    op.create_index(op.f("ix_unapplied_credit_customer_id"), "unapplied_credit", ["customer_id"], unique=False)
    op.create_index(op.f("ix_unapplied_credit_payment_id"), "unapplied_credit", ["payment_id"], unique=False)
    op.create_table(
        "invoice_line",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=19, scale=6), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=19, scale=6), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=7, scale=6), nullable=False),
        sa.Column("net_amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("tax_amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("gross_amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_invoice_line_invoice_id_invoice"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_line")),
    )
    op.create_index(op.f("ix_invoice_line_invoice_id"), "invoice_line", ["invoice_id"], unique=False)
    op.create_table(
        "overdue_notice",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("threshold", sa.String(length=16), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name=op.f("fk_overdue_notice_invoice_id_invoice")),
        sa.PrimaryKeyConstraint("invoice_id", "threshold", name=op.f("pk_overdue_notice")),
    )
    op.create_table(
        "payment_application",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_payment_application_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name=op.f("fk_payment_application_invoice_id_invoice")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_application")),
        sa.UniqueConstraint("payment_id", "invoice_id", name=op.f("uq_payment_application_payment_id_invoice_id")),
    )
    op.create_index(op.f("ix_payment_application_customer_id"), "payment_application", ["customer_id"], unique=False)
    op.create_index(op.f("ix_payment_application_invoice_id"), "payment_application", ["invoice_id"], unique=False)
    op.create_index(op.f("ix_payment_application_payment_id"), "payment_application", ["payment_id"], unique=False)


def downgrade() -> None:
    drop_platform_tables_v1(op)
    op.drop_index(op.f("ix_payment_application_payment_id"), table_name="payment_application")
    op.drop_index(op.f("ix_payment_application_invoice_id"), table_name="payment_application")
    op.drop_index(op.f("ix_payment_application_customer_id"), table_name="payment_application")
    op.drop_table("payment_application")
    op.drop_table("overdue_notice")
    op.drop_index(op.f("ix_invoice_line_invoice_id"), table_name="invoice_line")
    op.drop_table("invoice_line")
    op.drop_index(op.f("ix_unapplied_credit_payment_id"), table_name="unapplied_credit")
    op.drop_index(op.f("ix_unapplied_credit_customer_id"), table_name="unapplied_credit")
    op.drop_table("unapplied_credit")
    op.drop_index(op.f("ix_invoice_due_date"), table_name="invoice")
    op.drop_index(op.f("ix_invoice_customer_id"), table_name="invoice")
    op.drop_table("invoice")
    op.drop_table("invoice_number_series")
    op.drop_table("customer")
