"""SQL of the portfolio: the latest score and the limit of every customer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from credit_scoring.models import CreditLimit, CreditScore


async def latest_scores(session: AsyncSession) -> list[CreditScore]:
    """The latest score of every scored customer."""
    query = (
        select(CreditScore)
        .ext(distinct_on(CreditScore.customer_id))
        .order_by(CreditScore.customer_id, CreditScore.scored_at.desc(), CreditScore.id.desc())
    )
    return list((await session.execute(query)).scalars())


async def list_limits(session: AsyncSession) -> list[CreditLimit]:
    return list((await session.execute(select(CreditLimit))).scalars())
