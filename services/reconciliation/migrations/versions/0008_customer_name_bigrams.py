"""names similar to a payer's are looked up by their bigrams

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_name_bigram",
        sa.Column("gram", sa.Text(), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("gram", "name_key", "customer_id", name=op.f("pk_customer_name_bigram")),
    )
    op.create_index(op.f("ix_customer_name_bigram_customer_id"), "customer_name_bigram", ["customer_id"], unique=False)
    # matching.name_bigrams in SQL (substr and length count characters, as Python does; a one-character
    # key is its own bigram), so the backfill is one statement however many customers there are.
    op.execute(
        """
        INSERT INTO customer_name_bigram (gram, name_key, customer_id)
        SELECT DISTINCT substr(k.name_key, n, 2), k.name_key, k.id
        FROM (
            SELECT id, name_key FROM customer WHERE NOT archived AND name_key IS NOT NULL
            UNION
            SELECT id, short_name_key FROM customer WHERE NOT archived AND short_name_key IS NOT NULL
        ) AS k
        CROSS JOIN LATERAL generate_series(1, greatest(length(k.name_key) - 1, 1)) AS n
        """
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_customer_name_bigram_customer_id"), table_name="customer_name_bigram")
    op.drop_table("customer_name_bigram")
