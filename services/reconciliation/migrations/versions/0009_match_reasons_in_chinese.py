"""a payment's match reasons in Chinese too

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Payments stored before keep [] here: their English sentences are not translated after the fact.
    op.add_column(
        "payment",
        sa.Column("match_reasons_zh", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("payment", "match_reasons_zh")
