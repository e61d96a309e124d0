"""SQL of the scores."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from credit_scoring.models import CreditScore


async def latest_score(session: AsyncSession, customer_id: UUID) -> CreditScore | None:
    query = (
        select(CreditScore)
        .where(CreditScore.customer_id == customer_id)
        .order_by(CreditScore.scored_at.desc(), CreditScore.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def list_scores(session: AsyncSession, customer_id: UUID, page: PageParams) -> list[CreditScore]:
    query = paginate(select(CreditScore), CreditScore.id, page, customer_id=customer_id)
    return list((await session.execute(query)).scalars())
