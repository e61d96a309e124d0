"""approval notices: the approvals heard on arflow.approvals, and the emails they make to approvers and requesters

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
    op.create_table(
        "approval_heard",
        sa.Column("approval_id", sa.Uuid(), nullable=False),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("title_zh", sa.Text(), nullable=True),
        sa.Column("title_en", sa.Text(), nullable=True),
        sa.Column("subject_type", sa.Text(), nullable=True),
        sa.Column("subject_id", sa.Text(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=19, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.Text(), nullable=True),
        sa.Column("approver_scope", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.Column("heard_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('pending','approved','rejected')", name=op.f("ck_approval_heard_status")),
        sa.PrimaryKeyConstraint("approval_id", name=op.f("pk_approval_heard")),
    )
    op.create_table(
        "approval_notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("approval_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=True),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=9), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('request','decision')", name=op.f("ck_approval_notice_kind")),
        sa.CheckConstraint(
            "status IN ('pending','sent','failed','skipped','cancelled')", name=op.f("ck_approval_notice_status")
        ),
        sa.ForeignKeyConstraint(
            ["approval_id"], ["approval_heard.approval_id"], name=op.f("fk_approval_notice_approval_id_approval_heard")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_approval_notice_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_notice")),
        sa.UniqueConstraint("approval_id", "kind", "user_id", name=op.f("uq_approval_notice_approval_id_kind_user_id")),
    )
    op.create_index(
        op.f("ix_approval_notice_next_attempt_at"),
        "approval_notice",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_approval_notice_next_attempt_at"),
        table_name="approval_notice",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("approval_notice")
    op.drop_table("approval_heard")
