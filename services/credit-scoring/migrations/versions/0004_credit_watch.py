"""credit watch: the state of the early warnings per customer (hysteresis, cooling-off, re-arming)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_watch",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("state", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_credit_watch_customer_id_customer")),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_credit_watch")),
    )


def downgrade() -> None:
    op.drop_table("credit_watch")
