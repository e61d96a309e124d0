"""link renewals sent: a renewal row says what came of it (renewed, refused, throttled)

A matched request on a dead invoice or statement page now makes a new link at once, which dunning emails to
the address that matched (hosted/renewals.py): its row says `renewed`, or `throttled` when the document's link
was renewed less than an hour before. Rows from before keep `pending_delivery`.

Revision ID: 0020
Revises: 0019
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TABLES = ("hosted_link_renewal", "statement_link_renewal")
BEFORE = "status IN ('pending_delivery','refused')"
AFTER = "status IN ('pending_delivery','refused','renewed','throttled')"


def upgrade() -> None:
    for table in TABLES:
        op.drop_constraint(op.f(f"ck_{table}_status"), table, type_="check")
        op.create_check_constraint(op.f(f"ck_{table}_status"), table, AFTER)


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"UPDATE {table} SET status = 'pending_delivery' WHERE status IN ('renewed','throttled')")
        op.drop_constraint(op.f(f"ck_{table}_status"), table, type_="check")
        op.create_check_constraint(op.f(f"ck_{table}_status"), table, BEFORE)
