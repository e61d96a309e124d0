"""statements, matching and review, learned payer mappings, disputes, gateway notifications

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gateway_notification",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_id", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=True),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_notification")),
        sa.UniqueConstraint("provider", "provider_id", name=op.f("uq_gateway_notification_provider_provider_id")),
    )
    op.create_table(
        "statement_import",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.Text(), nullable=True),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("profile", sa.Text(), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lines_total", sa.Integer(), nullable=False),
        sa.Column("lines_read", sa.Integer(), server_default="0", nullable=False),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("warnings", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued','processing','succeeded','failed')", name=op.f("ck_statement_import_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_import")),
        sa.UniqueConstraint("file_sha256", name=op.f("uq_statement_import_file_sha256")),
    )
    op.create_index(op.f("ix_statement_import_status"), "statement_import", ["status"], unique=False)
    op.create_table(
        "dispute",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_number", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("opened_by", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open','resolved')", name=op.f("ck_dispute_status")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_dispute_amount_positive")),
        sa.ForeignKeyConstraint(["invoice_id"], ["open_item.invoice_id"], name=op.f("fk_dispute_invoice_id_open_item")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute")),
    )
    op.create_index(op.f("ix_dispute_customer_id"), "dispute", ["customer_id"], unique=False)
    op.create_index(op.f("ix_dispute_invoice_id"), "dispute", ["invoice_id"], unique=False)
    op.create_table(
        "payer_mapping",
        sa.Column("account_key", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("payer_name", sa.Text(), nullable=True),
        sa.Column("confirmations", sa.Integer(), server_default="1", nullable=False),
        sa.Column("learned_from_payment_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_payer_mapping_customer_id_customer")),
        sa.PrimaryKeyConstraint("account_key", name=op.f("pk_payer_mapping")),
    )
    op.create_index(op.f("ix_payer_mapping_customer_id"), "payer_mapping", ["customer_id"], unique=False)
    op.create_table(
        "statement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("statement_key", sa.Text(), nullable=False),
        sa.Column("account", sa.Text(), nullable=True),
        sa.Column("statement_ref", sa.Text(), nullable=True),
        sa.Column("sequence", sa.Text(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("opening_balance", sa.Numeric(precision=19, scale=4), nullable=True),
        sa.Column("closing_balance", sa.Numeric(precision=19, scale=4), nullable=True),
        sa.Column("opening_date", sa.Date(), nullable=True),
        sa.Column("closing_date", sa.Date(), nullable=True),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"], ["statement_import.id"], name=op.f("fk_statement_import_id_statement_import")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement")),
        sa.UniqueConstraint("statement_key", name=op.f("uq_statement_statement_key")),
    )
    op.create_index(op.f("ix_statement_account"), "statement", ["account"], unique=False)
    op.create_index(op.f("ix_statement_import_id"), "statement", ["import_id"], unique=False)
    op.create_table(
        "statement_file",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"], ["statement_import.id"], name=op.f("fk_statement_file_import_id_statement_import")
        ),
        sa.PrimaryKeyConstraint("import_id", name=op.f("pk_statement_file")),
    )
    op.create_table(
        "statement_line",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("statement_id", sa.Uuid(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("direction", sa.String(length=6), nullable=False),
        sa.Column("booking_date", sa.Date(), nullable=True),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.Column("entry_status", sa.String(length=16), nullable=False),
        sa.Column("reversal", sa.Boolean(), nullable=False),
        sa.Column("bank_reference", sa.Text(), nullable=True),
        sa.Column("end_to_end_id", sa.Text(), nullable=True),
        sa.Column("remittance", sa.Text(), nullable=True),
        sa.Column("counterparty_name", sa.Text(), nullable=True),
        sa.Column("counterparty_account", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint("direction IN ('credit','debit')", name=op.f("ck_statement_line_direction")),
        sa.ForeignKeyConstraint(
            ["import_id"], ["statement_import.id"], name=op.f("fk_statement_line_import_id_statement_import")
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["statement.id"], name=op.f("fk_statement_line_statement_id_statement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_line")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_statement_line_dedup_key")),
    )
    op.create_index(op.f("ix_statement_line_bank_reference"), "statement_line", ["bank_reference"], unique=False)
    op.create_index(op.f("ix_statement_line_import_id"), "statement_line", ["import_id"], unique=False)
    op.create_index(op.f("ix_statement_line_statement_id"), "statement_line", ["statement_id"], unique=False)
    op.add_column("allocation", sa.Column("released_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("payment", sa.Column("status", sa.String(length=16), server_default="matched", nullable=False))
    op.add_column("payment", sa.Column("external_id", sa.Text(), nullable=True))
    op.add_column("payment", sa.Column("match_shape", sa.String(length=16), nullable=True))
    op.add_column(
        "payment",
        sa.Column("match_reasons", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
    )
    op.add_column(
        "payment",
        sa.Column("suggestions", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
    )
    op.add_column("payment", sa.Column("statement_line_id", sa.Uuid(), nullable=True))
    op.add_column("payment", sa.Column("supersedes_payment_id", sa.Uuid(), nullable=True))
    op.add_column("payment", sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("payment", sa.Column("reversal_reason", sa.String(length=20), nullable=True))
    op.add_column("payment", sa.Column("decided_by", sa.Text(), nullable=True))
    op.alter_column("payment", "customer_id", existing_type=sa.UUID(), nullable=True)
    op.create_index(op.f("ix_payment_status"), "payment", ["status"], unique=False)
    op.create_unique_constraint(op.f("uq_payment_source_external_id"), "payment", ["source", "external_id"])
    op.create_foreign_key(
        op.f("fk_payment_supersedes_payment_id_payment"), "payment", "payment", ["supersedes_payment_id"], ["id"]
    )
    op.create_foreign_key(
        op.f("fk_payment_statement_line_id_statement_line"), "payment", "statement_line", ["statement_line_id"], ["id"]
    )
    # Check constraints are not autogenerated: the payment's status, and the allocation's new bases.
    op.create_check_constraint(op.f("ck_payment_status"), "payment", "status IN ('matched','unmatched','reversed')")
    op.drop_constraint(op.f("ck_allocation_basis"), "allocation", type_="check")
    op.create_check_constraint(
        op.f("ck_allocation_basis"), "allocation", "basis IN ('given','reference','oldest_due','matched','confirmed')"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_allocation_basis"), "allocation", type_="check")
    op.create_check_constraint(op.f("ck_allocation_basis"), "allocation", "basis IN ('given','reference','oldest_due')")
    op.drop_constraint(op.f("ck_payment_status"), "payment", type_="check")
    op.drop_constraint(op.f("fk_payment_statement_line_id_statement_line"), "payment", type_="foreignkey")
    op.drop_constraint(op.f("fk_payment_supersedes_payment_id_payment"), "payment", type_="foreignkey")
    op.drop_constraint(op.f("uq_payment_source_external_id"), "payment", type_="unique")
    op.drop_index(op.f("ix_payment_status"), table_name="payment")
    op.alter_column("payment", "customer_id", existing_type=sa.UUID(), nullable=False)
    op.drop_column("payment", "decided_by")
    op.drop_column("payment", "reversal_reason")
    op.drop_column("payment", "reversed_at")
    op.drop_column("payment", "supersedes_payment_id")
    op.drop_column("payment", "statement_line_id")
    op.drop_column("payment", "suggestions")
    op.drop_column("payment", "match_reasons")
    op.drop_column("payment", "match_shape")
    op.drop_column("payment", "external_id")
    op.drop_column("payment", "status")
    op.drop_column("allocation", "released_at")
    op.drop_index(op.f("ix_statement_line_statement_id"), table_name="statement_line")
    op.drop_index(op.f("ix_statement_line_import_id"), table_name="statement_line")
    op.drop_index(op.f("ix_statement_line_bank_reference"), table_name="statement_line")
    op.drop_table("statement_line")
    op.drop_table("statement_file")
    op.drop_index(op.f("ix_statement_import_id"), table_name="statement")
    op.drop_index(op.f("ix_statement_account"), table_name="statement")
    op.drop_table("statement")
    op.drop_index(op.f("ix_payer_mapping_customer_id"), table_name="payer_mapping")
    op.drop_table("payer_mapping")
    op.drop_index(op.f("ix_dispute_invoice_id"), table_name="dispute")
    op.drop_index(op.f("ix_dispute_customer_id"), table_name="dispute")
    op.drop_table("dispute")
    op.drop_index(op.f("ix_statement_import_status"), table_name="statement_import")
    op.drop_table("statement_import")
    op.drop_table("gateway_notification")
