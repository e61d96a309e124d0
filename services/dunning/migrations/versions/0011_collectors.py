"""collectors and their assignment rules; who holds each case, since when and why; payments per case

Cases opened before this migration keep collector NULL (or the name given them by hand) and
no assignment history: the next dunning tick assigns every open case that has no collector by
the rules, once collectors exist. A one-off here could assign nobody, as no collector exists yet.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("dunning_case", sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("dunning_case", sa.Column("assigned_by", sa.Text(), nullable=True))
    op.add_column("dunning_case", sa.Column("assignment_reason", sa.Text(), nullable=True))
    op.create_index(
        "ix_dunning_case_open_collector",
        "dunning_case",
        ["collector"],
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "collector",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("tiers", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("min_amount", sa.Numeric(19, 4), nullable=True),
        sa.Column("max_amount", sa.Numeric(19, 4), nullable=True),
        sa.Column("max_open_cases", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "max_open_cases IS NULL OR max_open_cases >= 0", name=op.f("ck_collector_max_open_cases_non_negative")
        ),
        sa.CheckConstraint(
            "min_amount IS NULL OR max_amount IS NULL OR min_amount <= max_amount",
            name=op.f("ck_collector_amount_band"),
        ),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_collector")),
        sa.UniqueConstraint("id", name=op.f("uq_collector_id")),
    )
    op.create_table(
        "dunning_case_assignment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("collector", sa.Text(), nullable=True),
        sa.Column("previous_collector", sa.Text(), nullable=True),
        sa.Column("basis", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("assigned_by", sa.Text(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_on", sa.Date(), nullable=False),
        sa.CheckConstraint("basis IN ('rules','manual','reassigned')", name=op.f("ck_dunning_case_assignment_basis")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["dunning_case.id"], name=op.f("fk_dunning_case_assignment_case_id_dunning_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dunning_case_assignment")),
    )
    op.create_index(
        "ix_dunning_case_assignment_case_at", "dunning_case_assignment", ["case_id", "assigned_at"], unique=False
    )
    op.create_table(
        "case_payment",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("collector", sa.Text(), nullable=True),
        sa.Column("amount", sa.Numeric(19, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("reversed_on", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["dunning_case.id"], name=op.f("fk_case_payment_case_id_dunning_case")),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_case_payment")),
    )
    op.create_index(op.f("ix_case_payment_case_id"), "case_payment", ["case_id"], unique=False)
    op.create_index(op.f("ix_case_payment_invoice_id"), "case_payment", ["invoice_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_case_payment_invoice_id"), table_name="case_payment")
    op.drop_index(op.f("ix_case_payment_case_id"), table_name="case_payment")
    op.drop_table("case_payment")
    op.drop_index("ix_dunning_case_assignment_case_at", table_name="dunning_case_assignment")
    op.drop_table("dunning_case_assignment")
    op.drop_table("collector")
    op.drop_index("ix_dunning_case_open_collector", table_name="dunning_case")
    op.drop_column("dunning_case", "assignment_reason")
    op.drop_column("dunning_case", "assigned_by")
    op.drop_column("dunning_case", "assigned_at")
