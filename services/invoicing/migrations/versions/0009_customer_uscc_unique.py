"""customer uscc unique

One customer per 统一社会信用代码 for the creditor (one creditor per installation):
a partial unique index over the codes that are set, archived customers included
(an archived customer keeps its ledger and can be restored), so two concurrent
creates cannot both win.

A database may already hold customers that share a code (nothing refused them
before). They are not merged or changed here: which record is the customer is a
business decision, and each may have a ledger. The index then leaves those codes
out (the service still refuses a new customer with one of them), the migration
says which codes they are, and the operator resolves them and recreates the index
without the exclusion:

    DROP INDEX uq_customer_unified_social_credit_code;
    CREATE UNIQUE INDEX uq_customer_unified_social_credit_code ON customer (unified_social_credit_code)
        WHERE unified_social_credit_code IS NOT NULL;

Revision ID: 0009
Revises: 0008
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEX = "uq_customer_unified_social_credit_code"
log = logging.getLogger("alembic.runtime.migration")


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def upgrade() -> None:
    duplicated = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT unified_social_credit_code, count(*) FROM customer"
                " WHERE unified_social_credit_code IS NOT NULL"
                " GROUP BY unified_social_credit_code HAVING count(*) > 1 ORDER BY unified_social_credit_code"
            )
        )
        .all()
    )
    where = "unified_social_credit_code IS NOT NULL"
    if duplicated:
        codes = [code for code, _ in duplicated]
        where += f" AND unified_social_credit_code NOT IN ({', '.join(_literal(code) for code in codes)})"
        log.warning(
            "%d unified social credit code(s) are shared by more than one customer and are left out of %s "
            "until resolved: %s (see migration 0009 for the statement that then covers them too)",
            len(codes),
            INDEX,
            ", ".join(f"{code} ×{count}" for code, count in duplicated),
        )
    op.create_index(INDEX, "customer", ["unified_social_credit_code"], unique=True, postgresql_where=sa.text(where))


def downgrade() -> None:
    op.drop_index(INDEX, table_name="customer")
