"""payer mappings have an id, the cursor of their list

GET /payer-mappings answers the list envelope (issue 15), paged by
`starting_after` = an id like every other list. A mapping is keyed by its
account; the id is a UUIDv7, so newest first is id order. Mappings learned
before get one made from their created_at (time-ordered like a UUIDv7, the rest
of it from the account key), so the list keeps its order across the upgrade.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payer_mapping", sa.Column("id", sa.Uuid(), nullable=True))
    # 48 bits of Unix milliseconds, version 7, then bits of md5(account_key) with the RFC 9562 variant.
    op.execute(
        """
        UPDATE payer_mapping SET id = (
            lpad(to_hex((extract(epoch FROM created_at) * 1000)::bigint), 12, '0')
            || '7' || substr(md5(account_key), 1, 3)
            || '8' || substr(md5(account_key), 4, 15)
        )::uuid
        """
    )
    op.alter_column("payer_mapping", "id", nullable=False)
    op.create_index(op.f("ix_payer_mapping_id"), "payer_mapping", ["id"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_payer_mapping_id"), table_name="payer_mapping")
    op.drop_column("payer_mapping", "id")
