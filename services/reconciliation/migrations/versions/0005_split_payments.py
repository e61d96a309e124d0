"""a payment can be split into payments that supersede it

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint(op.f("ck_payment_status"), "payment", type_="check")
    op.create_check_constraint(
        op.f("ck_payment_status"), "payment", "status IN ('matched','unmatched','reversed','split')"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_payment_status"), "payment", type_="check")
    op.create_check_constraint(op.f("ck_payment_status"), "payment", "status IN ('matched','unmatched','reversed')")
