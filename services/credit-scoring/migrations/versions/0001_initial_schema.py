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
        sa.Column("legal_name", sa.Text(), nullable=True),
        sa.Column("time_zone", sa.Text(), server_default="Asia/Shanghai", nullable=False),
        sa.Column("revision", sa.Integer(), server_default="0", nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
    )
    op.create_table(
        "payment_experience",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_number", sa.Text(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("total", sa.Numeric(precision=19, scale=4), nullable=True),
        sa.Column("invoice_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("net_days", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("max_days_overdue", sa.Integer(), nullable=True),
        sa.Column("last_overdue_bucket", sa.String(length=8), nullable=True),
        sa.Column("overdue_noted_on", sa.Date(), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("written_off_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_payment_experience_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_payment_experience")),
    )
    op.create_index(op.f("ix_payment_experience_customer_id"), "payment_experience", ["customer_id"], unique=False)
    op.create_table(
        "payment_application",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_payment_application_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["payment_experience.invoice_id"],
            name=op.f("fk_payment_application_invoice_id_payment_experience"),
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_payment_application")),
    )
    op.create_index(op.f("ix_payment_application_customer_id"), "payment_application", ["customer_id"], unique=False)
    op.create_index(op.f("ix_payment_application_invoice_id"), "payment_application", ["invoice_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_payment_application_invoice_id"), table_name="payment_application")
    op.drop_index(op.f("ix_payment_application_customer_id"), table_name="payment_application")
    op.drop_table("payment_application")
    op.drop_index(op.f("ix_payment_experience_customer_id"), table_name="payment_experience")
    op.drop_table("payment_experience")
    op.drop_table("customer")
    drop_platform_tables_v1(op)
