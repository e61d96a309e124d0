"""SQL of the customer projection and the customers' credit tiers."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from dunning.lookups import among
from dunning.models import Customer, CustomerTier


async def upsert_customer(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert or update a customer, keeping the highest revision; True when `values` were applied."""
    insert = pg_insert(Customer).values(**values)
    upsert = insert.on_conflict_do_update(
        index_elements=[Customer.id],
        set_={k: insert.excluded[k] for k in values if k != "id"},
        where=Customer.revision < insert.excluded.revision,
    )
    return await session.scalar(upsert.returning(Customer.id)) is not None


async def get_customer(session: AsyncSession, customer_id: UUID) -> Customer | None:
    return await session.get(Customer, customer_id)


async def upsert_tier(session: AsyncSession, *, customer_id: UUID, tier: str, score: int, scored_at: datetime) -> bool:
    """Keep the latest score's tier; True when this one was applied."""
    insert = pg_insert(CustomerTier).values(customer_id=customer_id, tier=tier, score=score, scored_at=scored_at)
    upsert = insert.on_conflict_do_update(
        index_elements=[CustomerTier.customer_id],
        set_={"tier": insert.excluded.tier, "score": insert.excluded.score, "scored_at": insert.excluded.scored_at},
        where=CustomerTier.scored_at <= insert.excluded.scored_at,
    )
    return await session.scalar(upsert.returning(CustomerTier.customer_id)) is not None


async def get_tier(session: AsyncSession, customer_id: UUID) -> str | None:
    found = await session.get(CustomerTier, customer_id)
    return found.tier if found else None


async def tiers_of(session: AsyncSession, customer_ids: list[UUID]) -> dict[UUID, str]:
    if not customer_ids:
        return {}
    query = select(CustomerTier.customer_id, CustomerTier.tier).where(among(CustomerTier.customer_id, customer_ids))
    return {key: value for key, value in (await session.execute(query)).all()}
