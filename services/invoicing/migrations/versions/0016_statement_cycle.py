"""statement cycle (对账确认): schedules, issued statements frozen with their hash, links, answers, stamped replies

statement_schedule says per customer how often a statement goes out (no row: monthly, on the 1st);
statement keeps each issued statement's content as the exact bytes shown (canonical JSON) with their
SHA-256, one per customer and period; statement_link is its public page's link (only the token's hash);
statement_response is the customer's one answer with its evidence; statement_reply the stamped reply
uploaded with it (bytes and SHA-256).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statement_schedule",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("cycle", sa.Text(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.CheckConstraint("cycle IN ('monthly','quarterly','none')", name=op.f("ck_statement_schedule_cycle")),
        sa.CheckConstraint("day BETWEEN 1 AND 28", name=op.f("ck_statement_schedule_day")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_statement_schedule_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_statement_schedule")),
    )
    op.create_table(
        "statement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("cycle", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="issued", nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_sha256", sa.LargeBinary(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('issued','confirmed','disputed')", name=op.f("ck_statement_status")),
        sa.CheckConstraint("cycle IN ('monthly','quarterly','on_demand')", name=op.f("ck_statement_cycle")),
        sa.CheckConstraint("octet_length(content_sha256) = 32", name=op.f("ck_statement_sha256")),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_statement_customer_id_customer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement")),
        sa.UniqueConstraint(
            "customer_id", "period_start", "period_end", name=op.f("uq_statement_customer_id_period_start_period_end")
        ),
    )
    op.create_index("ix_statement_customer_id_period_end", "statement", ["customer_id", "period_end"])
    op.create_table(
        "statement_link",
        sa.Column("statement_id", sa.Uuid(), nullable=False),
        sa.Column("token_sha256", sa.LargeBinary(), nullable=False),
        sa.Column("form_key", sa.LargeBinary(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("view_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_viewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("octet_length(token_sha256) = 32", name=op.f("ck_statement_link_sha256")),
        sa.CheckConstraint("octet_length(form_key) = 32", name=op.f("ck_statement_link_form_key")),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["statement.id"], name=op.f("fk_statement_link_statement_id_statement")
        ),
        sa.PrimaryKeyConstraint("statement_id", name=op.f("pk_statement_link")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_statement_link_token_sha256")),
    )
    op.create_table(
        "statement_reply",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("statement_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.LargeBinary(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "media_type IN ('application/pdf','image/jpeg','image/png')", name=op.f("ck_statement_reply_media_type")
        ),
        sa.CheckConstraint("octet_length(sha256) = 32", name=op.f("ck_statement_reply_sha256")),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["statement.id"], name=op.f("fk_statement_reply_statement_id_statement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_reply")),
    )
    op.create_index(op.f("ix_statement_reply_statement_id"), "statement_reply", ["statement_id"])
    op.create_table(
        "statement_response",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("statement_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("responder_name", sa.Text(), nullable=False),
        sa.Column("responder_title", sa.Text(), nullable=True),
        sa.Column("shown_sha256", sa.LargeBinary(), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("ip", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("balance_disputed", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("balance_currency", sa.String(length=3), nullable=True),
        sa.Column("balance_customer_sees", sa.Numeric(precision=19, scale=4), nullable=True),
        sa.Column("disputed_lines", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("reply_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint("kind IN ('confirmed','disputed')", name=op.f("ck_statement_response_kind")),
        sa.CheckConstraint("octet_length(shown_sha256) = 32", name=op.f("ck_statement_response_sha256")),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["statement.id"], name=op.f("fk_statement_response_statement_id_statement")
        ),
        sa.ForeignKeyConstraint(
            ["reply_id"], ["statement_reply.id"], name=op.f("fk_statement_response_reply_id_statement_reply")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_response")),
        sa.UniqueConstraint("statement_id", name=op.f("uq_statement_response_statement_id")),
    )


def downgrade() -> None:
    op.drop_table("statement_response")
    op.drop_index(op.f("ix_statement_reply_statement_id"), table_name="statement_reply")
    op.drop_table("statement_reply")
    op.drop_table("statement_link")
    op.drop_index("ix_statement_customer_id_period_end", table_name="statement")
    op.drop_table("statement")
    op.drop_table("statement_schedule")
