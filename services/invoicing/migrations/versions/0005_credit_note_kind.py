"""credit note kind

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("credit_note", sa.Column("kind", sa.String(length=32), server_default="manual", nullable=False))
    op.create_check_constraint(
        op.f("ck_credit_note_kind"),
        "credit_note",
        "kind IN ('manual','early_payment_discount','contract_cancellation')",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_credit_note_kind"), "credit_note", type_="check")
    op.drop_column("credit_note", "kind")
