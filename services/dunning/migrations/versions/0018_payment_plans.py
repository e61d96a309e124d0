"""payment plans (分期还款协议): the plan, its instalments kept as promises to pay

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_plan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_covered", sa.Numeric(19, 4), nullable=False),
        sa.Column("owed_at_agreement", sa.Numeric(19, 4), nullable=False),
        sa.Column("instalment_count", sa.Integer(), nullable=False),
        sa.Column("last_due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("made_by", sa.Text(), nullable=False),
        sa.Column("approval_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active','broken','completed')", name=op.f("ck_payment_plan_status")),
        sa.ForeignKeyConstraint(["case_id"], ["dunning_case.id"], name=op.f("fk_payment_plan_case_id_dunning_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_plan")),
    )
    op.create_index(op.f("ix_payment_plan_case_id"), "payment_plan", ["case_id"])
    op.create_index(op.f("ix_payment_plan_customer_id"), "payment_plan", ["customer_id"])
    op.add_column("promise_to_pay", sa.Column("payment_plan_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_promise_to_pay_payment_plan_id_payment_plan"),
        "promise_to_pay",
        "payment_plan",
        ["payment_plan_id"],
        ["id"],
    )
    op.create_index(op.f("ix_promise_to_pay_payment_plan_id"), "promise_to_pay", ["payment_plan_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_promise_to_pay_payment_plan_id"), "promise_to_pay")
    op.drop_constraint(op.f("fk_promise_to_pay_payment_plan_id_payment_plan"), "promise_to_pay", type_="foreignkey")
    op.drop_column("promise_to_pay", "payment_plan_id")
    op.drop_table("payment_plan")
