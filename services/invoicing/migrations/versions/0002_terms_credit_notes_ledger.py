"""terms, credit notes, void and write-off, reversible ledger

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_terms",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("net_days", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(length=16), server_default="invoice_date", nullable=False),
        sa.Column("grace_days", sa.Integer(), server_default="0", nullable=False),
        sa.Column("interest_kind", sa.String(length=8), server_default="none", nullable=False),
        sa.Column("interest_rate", sa.Numeric(precision=9, scale=6), server_default="0", nullable=False),
        sa.Column("interest_cap_ratio", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("late_fee", sa.Numeric(precision=19, scale=4), nullable=True),
        sa.Column("discount_rate", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("discount_days", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("basis IN ('invoice_date','end_of_month')", name=op.f("ck_payment_terms_basis")),
        sa.CheckConstraint("interest_kind IN ('none','daily','annual')", name=op.f("ck_payment_terms_interest_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_terms")),
        sa.UniqueConstraint("code", name=op.f("uq_payment_terms_code")),
    )
    op.create_table(
        "credit_note",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_credit_note_positive")),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_credit_note_customer_id_customer")),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name=op.f("fk_credit_note_invoice_id_invoice")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_note")),
        sa.UniqueConstraint("number", name=op.f("uq_credit_note_number")),
    )
    op.create_index(op.f("ix_credit_note_customer_id"), "credit_note", ["customer_id"], unique=False)
    op.create_index(op.f("ix_credit_note_invoice_id"), "credit_note", ["invoice_id"], unique=False)
    op.add_column("customer", sa.Column("credit_hold_scored_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("invoice", sa.Column("terms_code", sa.Text(), nullable=True))
    op.add_column(
        "invoice", sa.Column("due_date_basis", sa.String(length=16), server_default="invoice_date", nullable=False)
    )
    op.add_column("invoice", sa.Column("interest_kind", sa.String(length=8), server_default="none", nullable=False))
    op.add_column(
        "invoice", sa.Column("interest_rate", sa.Numeric(precision=9, scale=6), server_default="0", nullable=False)
    )
    op.add_column("invoice", sa.Column("interest_cap_ratio", sa.Numeric(precision=9, scale=6), nullable=True))
    op.add_column("invoice", sa.Column("late_fee", sa.Numeric(precision=19, scale=4), nullable=True))
    op.add_column("invoice", sa.Column("discount_rate", sa.Numeric(precision=9, scale=6), nullable=True))
    op.add_column("invoice", sa.Column("discount_days", sa.Integer(), nullable=True))
    op.add_column("invoice", sa.Column("kind", sa.String(length=16), server_default="standard", nullable=False))
    op.add_column("invoice", sa.Column("related_invoice_id", sa.Uuid(), nullable=True))
    op.add_column("invoice", sa.Column("interest_charged_to", sa.Date(), nullable=True))
    op.add_column("invoice", sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("invoice", sa.Column("void_reason", sa.Text(), nullable=True))
    op.add_column("invoice", sa.Column("written_off_on", sa.Date(), nullable=True))
    op.add_column(
        "invoice",
        sa.Column("amount_written_off", sa.Numeric(precision=19, scale=4), server_default="0", nullable=False),
    )
    op.add_column("invoice", sa.Column("write_off_reason", sa.Text(), nullable=True))
    op.create_foreign_key(
        op.f("fk_invoice_related_invoice_id_invoice"), "invoice", "invoice", ["related_invoice_id"], ["id"]
    )
    op.add_column(
        "payment_application", sa.Column("source", sa.String(length=16), server_default="payment", nullable=False)
    )
    op.add_column("payment_application", sa.Column("reversed_on", sa.Date(), nullable=True))
    op.drop_constraint(op.f("uq_payment_application_payment_id_invoice_id"), "payment_application", type_="unique")
    op.add_column(
        "unapplied_credit",
        sa.Column("remaining", sa.Numeric(precision=19, scale=4), server_default="0", nullable=False),
    )
    op.add_column("unapplied_credit", sa.Column("reversed_on", sa.Date(), nullable=True))
    # Credit recorded before this revision was never applied: all of it is still free.
    op.execute("UPDATE unapplied_credit SET remaining = amount")


def downgrade() -> None:
    op.drop_column("unapplied_credit", "reversed_on")
    op.drop_column("unapplied_credit", "remaining")
    op.create_unique_constraint(
        op.f("uq_payment_application_payment_id_invoice_id"),
        "payment_application",
        ["payment_id", "invoice_id"],
        postgresql_nulls_not_distinct=False,
    )
    op.drop_column("payment_application", "reversed_on")
    op.drop_column("payment_application", "source")
    op.drop_constraint(op.f("fk_invoice_related_invoice_id_invoice"), "invoice", type_="foreignkey")
    op.drop_column("invoice", "write_off_reason")
    op.drop_column("invoice", "amount_written_off")
    op.drop_column("invoice", "written_off_on")
    op.drop_column("invoice", "void_reason")
    op.drop_column("invoice", "voided_at")
    op.drop_column("invoice", "interest_charged_to")
    op.drop_column("invoice", "related_invoice_id")
    op.drop_column("invoice", "kind")
    op.drop_column("invoice", "discount_days")
    op.drop_column("invoice", "discount_rate")
    op.drop_column("invoice", "late_fee")
    op.drop_column("invoice", "interest_cap_ratio")
    op.drop_column("invoice", "interest_rate")
    op.drop_column("invoice", "interest_kind")
    op.drop_column("invoice", "due_date_basis")
    op.drop_column("invoice", "terms_code")
    op.drop_column("customer", "credit_hold_scored_at")
    op.drop_index(op.f("ix_credit_note_invoice_id"), table_name="credit_note")
    op.drop_index(op.f("ix_credit_note_customer_id"), table_name="credit_note")
    op.drop_table("credit_note")
    op.drop_table("payment_terms")
