"""settlement offers (和解折让): an amount paid by a date for the whole balance, the rest written off

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settlement_offer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(19, 4), nullable=False),
        sa.Column("owed_at_offer", sa.Numeric(19, 4), nullable=False),
        sa.Column("pay_by", sa.Date(), nullable=False),
        sa.Column("promise_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("approved", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.Column("written_off", sa.Numeric(19, 4), nullable=True),
        sa.Column("made_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open','paid','lapsed')", name=op.f("ck_settlement_offer_status")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["dunning_case.id"], name=op.f("fk_settlement_offer_case_id_dunning_case")
        ),
        sa.ForeignKeyConstraint(
            ["promise_id"], ["promise_to_pay.id"], name=op.f("fk_settlement_offer_promise_id_promise_to_pay")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_offer")),
    )
    op.create_index(op.f("ix_settlement_offer_case_id"), "settlement_offer", ["case_id"])
    op.create_index(op.f("ix_settlement_offer_customer_id"), "settlement_offer", ["customer_id"])


def downgrade() -> None:
    op.drop_table("settlement_offer")
