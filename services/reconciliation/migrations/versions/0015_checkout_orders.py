"""checkout orders: payment attempts arflow makes at the gateway itself

The customer's hosted page pays an invoice by Alipay (当面付 QR, 电脑网站支付), WeChat Pay Native or Stripe
Checkout: reconciliation makes the order at the gateway and keeps what the customer pays with, the gateway's id
of the order, and when it last asked the gateway about it (a late callback is recovered by asking) (issue 20).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payment_attempt", sa.Column("checkout", sa.String(24), nullable=True))
    op.add_column("payment_attempt", sa.Column("pay_url", sa.Text(), nullable=True))
    op.add_column("payment_attempt", sa.Column("gateway_ref", sa.Text(), nullable=True))
    op.add_column("payment_attempt", sa.Column("queried_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for column in ("queried_at", "gateway_ref", "pay_url", "checkout"):
        op.drop_column("payment_attempt", column)
