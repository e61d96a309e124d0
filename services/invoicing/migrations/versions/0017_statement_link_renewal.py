"""statement link renewals: a new link asked for on a dead statement page with the email on file

statement_link_renewal keeps each request made on the page of a statement link that no longer works,
as hosted_link_renewal does for invoices: the token's hash, whether the address matched one on file
(never the address), and the statement only when it did.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statement_link_renewal",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_sha256", sa.LargeBinary(), nullable=False),
        sa.Column("statement_id", sa.Uuid(), nullable=True),
        sa.Column("email_matched", sa.Boolean(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('pending_delivery','refused')", name=op.f("ck_statement_link_renewal_status")),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["statement.id"], name=op.f("fk_statement_link_renewal_statement_id_statement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_link_renewal")),
    )
    op.create_index(op.f("ix_statement_link_renewal_statement_id"), "statement_link_renewal", ["statement_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_statement_link_renewal_statement_id"), table_name="statement_link_renewal")
    op.drop_table("statement_link_renewal")
