"""the approver scopes (arflow.approvals): the finance manager approves write-offs and the like, the credit
manager credit decisions

Added to the two roles as they stand (an admin may have changed their scopes since 0001): nothing else moves.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ADDED = {
    "finance_manager": ["invoicing:approve", "reconciliation:approve", "dunning:approve"],
    "credit_manager": ["credit-scoring:approve"],
}


def upgrade() -> None:
    for role, scopes in ADDED.items():
        op.execute(
            sa.text(
                "UPDATE role SET scopes = ARRAY(SELECT DISTINCT unnest(scopes || CAST(:added AS text[])) ORDER BY 1), "
                "updated_at = now(), updated_by = 'migration' WHERE name = :role"
            ).bindparams(added=scopes, role=role)
        )


def downgrade() -> None:
    for role, scopes in ADDED.items():
        op.execute(
            sa.text(
                "UPDATE role SET scopes = ARRAY(SELECT s FROM unnest(scopes) s WHERE s <> ALL(CAST(:added AS text[])) "
                "ORDER BY 1) WHERE name = :role"
            ).bindparams(added=scopes, role=role)
        )
