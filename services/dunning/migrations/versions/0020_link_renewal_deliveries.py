"""link renewal deliveries: customer_delivery also sends a renewed hosted link to the address that asked

A customer who asks for a new link on a dead invoice or statement page gets it by email (InvoiceHostedLinkChanged
or StatementHostedLinkChanged, reason renewed): a customer_delivery of purpose `link_renewal`, one per request.
A document is still sent once on issue: the unique key of (kind, document_id, channel) now holds for purpose
`issue` only.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

UNIQUE = "uq_customer_delivery_kind_document_id_channel"


def upgrade() -> None:
    op.add_column("customer_delivery", sa.Column("purpose", sa.String(16), server_default="issue", nullable=False))
    op.create_check_constraint(
        op.f("ck_customer_delivery_purpose"), "customer_delivery", "purpose IN ('issue','link_renewal')"
    )
    op.drop_constraint(UNIQUE, "customer_delivery", type_="unique")
    op.create_index(
        UNIQUE,
        "customer_delivery",
        ["kind", "document_id", "channel"],
        unique=True,
        postgresql_where=sa.text("purpose = 'issue'"),
    )


def downgrade() -> None:
    op.execute("DELETE FROM customer_delivery WHERE purpose = 'link_renewal'")
    op.drop_index(UNIQUE, table_name="customer_delivery")
    op.create_unique_constraint(UNIQUE, "customer_delivery", ["kind", "document_id", "channel"])
    op.drop_constraint(op.f("ck_customer_delivery_purpose"), "customer_delivery", type_="check")
    op.drop_column("customer_delivery", "purpose")
