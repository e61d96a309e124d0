"""customer_delivery: each issued invoice sent to the customer (email with its PDF, or SMS with its link)

One row per document and channel (unique), so a replayed InvoiceIssued never queues a second
delivery; the sender takes queued rows by channel and next attempt (a partial index of the queued).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_delivery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("document_number", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("details", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("resends", sa.Integer(), server_default="0", nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('invoice','statement')", name=op.f("ck_customer_delivery_kind")),
        sa.CheckConstraint("channel IN ('email','sms')", name=op.f("ck_customer_delivery_channel")),
        sa.CheckConstraint(
            "status IN ('queued','sent','failed','cancelled','skipped')", name=op.f("ck_customer_delivery_status")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_customer_delivery_attempts_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_delivery")),
        sa.UniqueConstraint(
            "kind", "document_id", "channel", name=op.f("uq_customer_delivery_kind_document_id_channel")
        ),
    )
    op.create_index(op.f("ix_customer_delivery_customer_id"), "customer_delivery", ["customer_id"])
    op.create_index(
        "ix_customer_delivery_due",
        "customer_delivery",
        ["channel", "next_attempt_at"],
        postgresql_where=sa.text("status = 'queued'"),
    )


def downgrade() -> None:
    op.drop_index("ix_customer_delivery_due", table_name="customer_delivery")
    op.drop_index(op.f("ix_customer_delivery_customer_id"), table_name="customer_delivery")
    op.drop_table("customer_delivery")
