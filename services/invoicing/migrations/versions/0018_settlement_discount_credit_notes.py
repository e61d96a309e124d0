"""settlement discount credit notes: a settlement (和解折让) agreed at dunning is credited as its own kind

Revision ID: 0018
Revises: 0017
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

KINDS = "'manual','early_payment_discount','contract_cancellation'"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_credit_note_kind"), "credit_note", type_="check")
    op.create_check_constraint(op.f("ck_credit_note_kind"), "credit_note", f"kind IN ({KINDS},'settlement_discount')")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_credit_note_kind"), "credit_note", type_="check")
    op.create_check_constraint(op.f("ck_credit_note_kind"), "credit_note", f"kind IN ({KINDS})")
