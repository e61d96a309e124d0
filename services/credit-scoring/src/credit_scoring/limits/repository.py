"""SQL of the credit limits."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from credit_scoring.models import CreditLimit, Customer


async def get_limit(session: AsyncSession, customer_id: UUID, *, lock: bool = False) -> CreditLimit | None:
    # populate_existing: the row is also written with core upserts, never trust a stale identity map.
    query = select(CreditLimit).where(CreditLimit.customer_id == customer_id).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


_limit_insert = pg_insert(CreditLimit)


_SAVE_LIMIT = _limit_insert.on_conflict_do_update(
    index_elements=[CreditLimit.customer_id],
    set_={c.name: _limit_insert.excluded[c.name] for c in CreditLimit.__table__.c if c.name != "customer_id"},
)


async def save_limit(session: AsyncSession, values: dict[str, Any]) -> None:
    """Write the customer's limit row (every column)."""
    await session.execute(_SAVE_LIMIT, values)


async def lock_customer(session: AsyncSession, customer_id: UUID) -> Customer | None:
    """The customer row, locked for the transaction (rescores of one customer take this lock first)."""
    query = select(Customer).where(Customer.id == customer_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()
