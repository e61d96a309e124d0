"""allocation.recovery: money put on a written-off invoice (坏账收回, a bad-debt recovery)

A written-off invoice still owes its balance and takes money (invoicing applies it); reconciliation now
allocates to one when the payment names it exactly or a person allocates it. Whether an allocation is a
recovery is a fact of the moment it is made (the invoice was written off then), so it is stored with the
allocation: one trigger sets it on every insert, whichever path writes the allocation (a payment entered by
hand, a person's decision in the review queue, a statement import's bulk insert, a gateway notification's
single statement), from the open item's status at that moment. Existing allocations are left false: none could
be made to a written-off item before this revision.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("allocation", sa.Column("recovery", sa.Boolean(), server_default="false", nullable=False))
    op.execute(
        """
        CREATE FUNCTION allocation_recovery() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.recovery := EXISTS (
                SELECT 1 FROM open_item o WHERE o.invoice_id = NEW.invoice_id AND o.status = 'written_off'
            );
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER allocation_recovery BEFORE INSERT ON allocation"
        " FOR EACH ROW EXECUTE FUNCTION allocation_recovery()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER allocation_recovery ON allocation")
    op.execute("DROP FUNCTION allocation_recovery()")
    op.drop_column("allocation", "recovery")
