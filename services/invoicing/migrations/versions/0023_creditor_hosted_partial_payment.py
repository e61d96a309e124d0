"""creditor.hosted_partial_payment_minimum: the creditor allows part payments on the hosted page (issue 20)

Null (every creditor so far): the page asks for the whole open balance, as before. Otherwise the least a
part payment may be, to the cent, in the invoice's currency; the page lets the customer enter an amount
between it and the open balance.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("creditor", sa.Column("hosted_partial_payment_minimum", sa.Numeric(19, 4), nullable=True))
    op.create_check_constraint(
        op.f("ck_creditor_partial_payment_minimum"),
        "creditor",
        "hosted_partial_payment_minimum IS NULL OR (hosted_partial_payment_minimum > 0 "
        "AND hosted_partial_payment_minimum = round(hosted_partial_payment_minimum, 2))",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_creditor_partial_payment_minimum"), "creditor", type_="check")
    op.drop_column("creditor", "hosted_partial_payment_minimum")
