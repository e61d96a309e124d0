"""hosted_invoice_link: the unguessable link to each issued invoice's public page

One row per invoice: the SHA-256 of its current token (never the token), when the link
expires (30 days after the due date, Stripe's rule), whether it was revoked, and how often
it was viewed. hosted_link_renewal keeps every renewal asked for on an expired page.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hosted_invoice_link",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("token_sha256", sa.LargeBinary(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("view_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_viewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("octet_length(token_sha256) = 32", name=op.f("ck_hosted_invoice_link_sha256")),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name=op.f("fk_hosted_invoice_link_invoice_id_invoice")),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_hosted_invoice_link")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_hosted_invoice_link_token_sha256")),
    )
    op.create_table(
        "hosted_link_renewal",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_sha256", sa.LargeBinary(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("email_matched", sa.Boolean(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('pending_delivery','refused')", name=op.f("ck_hosted_link_renewal_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hosted_link_renewal")),
    )
    op.create_index(op.f("ix_hosted_link_renewal_invoice_id"), "hosted_link_renewal", ["invoice_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_hosted_link_renewal_invoice_id"), table_name="hosted_link_renewal")
    op.drop_table("hosted_link_renewal")
    op.drop_table("hosted_invoice_link")
