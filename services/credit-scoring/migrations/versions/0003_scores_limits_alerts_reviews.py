"""scores, limits, alerts, model versions, reviews

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_version",
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("parameters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("metrics", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_model_version")),
    )
    op.create_index(op.f("ix_model_version_kind"), "model_version", ["kind"], unique=False)
    op.create_table(
        "credit_alert",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("message_zh", sa.Text(), nullable=False),
        sa.Column("message_en", sa.Text(), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("dedupe_key", sa.Text(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.Text(), nullable=True),
        sa.Column("acknowledgement_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_credit_alert_customer_id_customer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_alert")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_credit_alert_dedupe_key")),
    )
    op.create_index(op.f("ix_credit_alert_customer_id"), "credit_alert", ["customer_id"], unique=False)
    op.create_table(
        "credit_limit",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("recommended", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("effective", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("override_amount", sa.Numeric(precision=19, scale=4), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("override_expires_on", sa.Date(), nullable=True),
        sa.Column("override_by", sa.Text(), nullable=True),
        sa.Column("exposure", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("utilisation", sa.Numeric(precision=9, scale=4), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_credit_limit_customer_id_customer")),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_credit_limit")),
    )
    op.create_table(
        "credit_review",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("tier", sa.String(length=1), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("previous_tier", sa.String(length=1), nullable=True),
        sa.Column("limit_amount", sa.Numeric(precision=19, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("next_review_on", sa.Date(), nullable=False),
        sa.Column("findings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_credit_review_customer_id_customer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_review")),
    )
    op.create_index(op.f("ix_credit_review_customer_id"), "credit_review", ["customer_id"], unique=False)
    op.create_index(op.f("ix_credit_review_next_review_on"), "credit_review", ["next_review_on"], unique=False)
    op.create_table(
        "credit_score",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=1), nullable=False),
        sa.Column("payment_index", sa.Integer(), nullable=True),
        sa.Column("probability_bad", sa.Float(), nullable=False),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("points", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("credit_hold", sa.Boolean(), nullable=False),
        sa.Column("model_version", sa.Text(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("trigger", sa.Text(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_credit_score_customer_id_customer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_score")),
    )
    op.create_index(op.f("ix_credit_score_customer_id"), "credit_score", ["customer_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_credit_score_customer_id"), table_name="credit_score")
    op.drop_table("credit_score")
    op.drop_index(op.f("ix_credit_review_next_review_on"), table_name="credit_review")
    op.drop_index(op.f("ix_credit_review_customer_id"), table_name="credit_review")
    op.drop_table("credit_review")
    op.drop_table("credit_limit")
    op.drop_index(op.f("ix_credit_alert_customer_id"), table_name="credit_alert")
    op.drop_table("credit_alert")
    op.drop_index(op.f("ix_model_version_kind"), table_name="model_version")
    op.drop_table("model_version")
