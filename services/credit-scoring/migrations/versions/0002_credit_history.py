"""credit notes, dunning escalations, disputes, promise outcomes

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
        "credit_note",
        sa.Column("credit_note_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_credit_note_customer_id_customer")),
        sa.PrimaryKeyConstraint("credit_note_id", name=op.f("pk_credit_note")),
    )
    op.create_index(op.f("ix_credit_note_customer_id"), "credit_note", ["customer_id"], unique=False)
    op.create_index(op.f("ix_credit_note_invoice_id"), "credit_note", ["invoice_id"], unique=False)
    op.create_table(
        "dispute",
        sa.Column("dispute_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_dispute_customer_id_customer")),
        sa.PrimaryKeyConstraint("dispute_id", name=op.f("pk_dispute")),
    )
    op.create_index(op.f("ix_dispute_customer_id"), "dispute", ["customer_id"], unique=False)
    op.create_table(
        "dunning_escalation",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("legal_handover", sa.Boolean(), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_dunning_escalation_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("case_id", "level", "legal_handover", name=op.f("pk_dunning_escalation")),
    )
    op.create_index(op.f("ix_dunning_escalation_customer_id"), "dunning_escalation", ["customer_id"], unique=False)
    op.create_table(
        "promise_outcome",
        sa.Column("promise_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.Column("outcome_on", sa.Date(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_promise_outcome_customer_id_customer")),
        sa.PrimaryKeyConstraint("promise_id", name=op.f("pk_promise_outcome")),
    )
    op.create_index(op.f("ix_promise_outcome_customer_id"), "promise_outcome", ["customer_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_promise_outcome_customer_id"), table_name="promise_outcome")
    op.drop_table("promise_outcome")
    op.drop_index(op.f("ix_dunning_escalation_customer_id"), table_name="dunning_escalation")
    op.drop_table("dunning_escalation")
    op.drop_index(op.f("ix_dispute_customer_id"), table_name="dispute")
    op.drop_table("dispute")
    op.drop_index(op.f("ix_credit_note_invoice_id"), table_name="credit_note")
    op.drop_index(op.f("ix_credit_note_customer_id"), table_name="credit_note")
    op.drop_table("credit_note")
