"""payment_application.recovery: money applied to a written-off invoice is a bad-debt recovery (坏账收回)

The management figures (KPIs, the monthly series) count a write-off as leaving receivables; money later
applied to the written-off invoice left them a second time, so a full recovery of 500.00 read closing
receivables of -500.00 and a negative DSO. The ledger now marks such an application when it records it (the
invoice is uncollectible at that moment) and the figures count it back as a recovery, net of the write-off.
Applications made before this migration are marked when dated on or after their invoice's write-off.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "payment_application", sa.Column("recovery", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    op.execute(
        """
        UPDATE payment_application a SET recovery = true
        FROM invoice i
        WHERE i.id = a.invoice_id AND i.written_off_on IS NOT NULL AND a.applied_on >= i.written_off_on
        """
    )
    # The aging counts recoveries back per invoice as of its day: the few of them, found without a scan.
    op.create_index(
        "ix_payment_application_recovery",
        "payment_application",
        ["invoice_id"],
        postgresql_where=sa.text("recovery"),
    )


def downgrade() -> None:
    op.drop_index("ix_payment_application_recovery", table_name="payment_application")
    op.drop_column("payment_application", "recovery")
