"""alert business date: each early warning carries the as-of date of the rescore that raised it

Alerts raised before this revision get the Asia/Shanghai day they were raised on (the best
that is known of them); from now on the rescore's business date is written.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("credit_alert", sa.Column("raised_on", sa.Date(), nullable=True))
    op.execute("UPDATE credit_alert SET raised_on = (raised_at AT TIME ZONE 'Asia/Shanghai')::date")
    op.alter_column("credit_alert", "raised_on", nullable=False)
    op.create_index("ix_credit_alert_customer_id_raised_on", "credit_alert", ["customer_id", "raised_on"])


def downgrade() -> None:
    op.drop_index("ix_credit_alert_customer_id_raised_on", table_name="credit_alert")
    op.drop_column("credit_alert", "raised_on")
