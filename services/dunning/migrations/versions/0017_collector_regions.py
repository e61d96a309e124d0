"""collectors' rules by region: the customer's USCC kept, the region prefixes on the collector

The customer projection keeps the unified social credit code invoicing sends in CustomerUpserted; its
characters 3-8 are the administrative division the collectors' rules (collector.regions, division
prefixes) read. Existing customers have none until their next CustomerUpserted.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customer", sa.Column("unified_social_credit_code", sa.Text(), nullable=True))
    op.add_column(
        "collector",
        sa.Column("regions", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("collector", "regions")
    op.drop_column("customer", "unified_social_credit_code")
