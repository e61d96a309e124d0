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
        "closed_invoice",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("closure", sa.String(length=16), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_closed_invoice")),
    )
    op.create_table(
        "customer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("legal_name", sa.Text(), nullable=False),
        sa.Column("preferred_language", sa.String(length=8), nullable=False),
        sa.Column("time_zone", sa.Text(), nullable=False),
        sa.Column("contacts", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("dunning_excluded", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
    )
    op.create_table(
        "dunning_case",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("level", sa.Integer(), server_default="0", nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "resolution IS NULL OR resolution IN ('paid','voided','written_off','credited','closed')",
            name=op.f("ck_dunning_case_resolution"),
        ),
        sa.CheckConstraint("status IN ('open','resolved')", name=op.f("ck_dunning_case_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dunning_case")),
    )
    op.create_index(op.f("ix_dunning_case_customer_id"), "dunning_case", ["customer_id"], unique=False)
    op.create_index(
        "uq_dunning_case_open_customer_currency",
        "dunning_case",
        ["customer_id", "currency"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "dunning_action",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("template", sa.Text(), nullable=True),
        sa.Column("invoice_ids", sa.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("amount_overdue", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("recipient", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending','sent','failed','skipped','cancelled')", name=op.f("ck_dunning_action_status")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_dunning_action_attempts_non_negative")),
        sa.ForeignKeyConstraint(["case_id"], ["dunning_case.id"], name=op.f("fk_dunning_action_case_id_dunning_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dunning_action")),
    )
    op.create_index(op.f("ix_dunning_action_case_id"), "dunning_action", ["case_id"], unique=False)
    op.create_index(op.f("ix_dunning_action_customer_id"), "dunning_action", ["customer_id"], unique=False)
    op.create_index(
        "ix_dunning_action_due",
        "dunning_action",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "dunning_case_item",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_number", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_due", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("days_overdue", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=8), nullable=False),
        sa.Column("payment_reference", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("closure", sa.String(length=16), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("balance_observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "closure IS NULL OR closure IN ('paid','voided','written_off')", name=op.f("ck_dunning_case_item_closure")
        ),
        sa.CheckConstraint("status IN ('open','closed')", name=op.f("ck_dunning_case_item_status")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["dunning_case.id"], name=op.f("fk_dunning_case_item_case_id_dunning_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dunning_case_item")),
        sa.UniqueConstraint("invoice_id", name=op.f("uq_dunning_case_item_invoice_id")),
    )
    op.create_index(op.f("ix_dunning_case_item_case_id"), "dunning_case_item", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_dunning_case_item_case_id"), table_name="dunning_case_item")
    op.drop_table("dunning_case_item")
    op.drop_index("ix_dunning_action_due", table_name="dunning_action", postgresql_where=sa.text("status = 'pending'"))
    op.drop_index(op.f("ix_dunning_action_customer_id"), table_name="dunning_action")
    op.drop_index(op.f("ix_dunning_action_case_id"), table_name="dunning_action")
    op.drop_table("dunning_action")
    op.drop_index(
        "uq_dunning_case_open_customer_currency", table_name="dunning_case", postgresql_where=sa.text("status = 'open'")
    )
    op.drop_index(op.f("ix_dunning_case_customer_id"), table_name="dunning_case")
    op.drop_table("dunning_case")
    op.drop_table("customer")
    op.drop_table("closed_invoice")
    drop_platform_tables_v1(op)
