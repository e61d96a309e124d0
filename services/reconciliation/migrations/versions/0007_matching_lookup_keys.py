"""customers and open items are looked up by their matching keys

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from reconciliation.keys import normalise_name, reference_key

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customer", sa.Column("name_key", sa.Text(), nullable=True))
    op.add_column("customer", sa.Column("short_name_key", sa.Text(), nullable=True))
    op.create_index(op.f("ix_customer_name_key"), "customer", ["name_key"], unique=False)
    op.create_index(op.f("ix_customer_short_name_key"), "customer", ["short_name_key"], unique=False)
    op.add_column("open_item", sa.Column("number_key", sa.Text(), nullable=True))
    op.add_column("open_item", sa.Column("reference_key", sa.Text(), nullable=True))
    op.create_index("ix_open_item_currency_balance", "open_item", ["currency", "balance"], unique=False)
    op.create_index(op.f("ix_open_item_number_key"), "open_item", ["number_key"], unique=False)
    op.create_index(op.f("ix_open_item_reference_key"), "open_item", ["reference_key"], unique=False)
    # The keys are computed by the engine's own normalisation (NFKC, region prefixes, company forms).
    bind = op.get_bind()
    customers = bind.execute(sa.text("SELECT id, legal_name, short_name FROM customer")).all()
    if customers:
        bind.execute(
            sa.text("UPDATE customer SET name_key = :name_key, short_name_key = :short_name_key WHERE id = :id"),
            [
                {
                    "id": c.id,
                    "name_key": normalise_name(c.legal_name) or None,
                    "short_name_key": normalise_name(c.short_name) or None,
                }
                for c in customers
            ],
        )
    items = bind.execute(sa.text("SELECT invoice_id, invoice_number, payment_reference FROM open_item")).all()
    if items:
        bind.execute(
            sa.text(
                "UPDATE open_item SET number_key = :number_key, reference_key = :reference_key WHERE invoice_id = :id"
            ),
            [
                {
                    "id": i.invoice_id,
                    "number_key": reference_key(i.invoice_number) or None,
                    "reference_key": reference_key(i.payment_reference) or None,
                }
                for i in items
            ],
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_open_item_reference_key"), table_name="open_item")
    op.drop_index(op.f("ix_open_item_number_key"), table_name="open_item")
    op.drop_index("ix_open_item_currency_balance", table_name="open_item")
    op.drop_column("open_item", "reference_key")
    op.drop_column("open_item", "number_key")
    op.drop_index(op.f("ix_customer_short_name_key"), table_name="customer")
    op.drop_index(op.f("ix_customer_name_key"), table_name="customer")
    op.drop_column("customer", "short_name_key")
    op.drop_column("customer", "name_key")
