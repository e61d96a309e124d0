"""SQL of the portfolio: the latest score of every customer, counted and summed by tier, band and currency."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import Integer, case, func, select
from sqlalchemy.dialects.postgresql import array, distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.money import MINOR_UNITS
from credit_scoring.models import CreditLimit, CreditScore
from credit_scoring.scoring import SCORE_BANDS


class TierBandTotal(NamedTuple):
    """The scored clients of one tier, score band and limit currency (None: no limit), and their sums."""

    tier: str
    band: int  # scoring.band_of of the score
    currency: str | None
    clients: int
    on_hold: int
    exposure: Decimal | None  # Σ of each limit's exposure rounded half-up to the currency's minor unit
    limits: Decimal | None  # Σ of each effective limit, rounded the same way


async def tier_band_totals(session: AsyncSession) -> list[TierBandTotal]:
    """One statement: each customer's latest score (the newest scored_at, then the highest id), joined to its
    limit and grouped; a few dozen rows whatever the number of customers or of their scores."""
    latest = (
        select(
            CreditScore.customer_id,
            CreditScore.tier,
            CreditScore.credit_hold,
            # width_bucket over the lower edges counts the edges at or below the score: band_of's index.
            func.width_bucket(CreditScore.score, array(SCORE_BANDS), type_=Integer).label("band"),
        )
        .ext(distinct_on(CreditScore.customer_id))
        .order_by(CreditScore.customer_id, CreditScore.scored_at.desc(), CreditScore.id.desc())
        .cte("latest")
    )
    # PostgreSQL's round(numeric, n) rounds half away from zero, as to_minor_units' ROUND_HALF_UP does.
    digits = case(MINOR_UNITS, value=CreditLimit.currency, else_=2)
    query = (
        select(
            latest.c.tier,
            latest.c.band,
            CreditLimit.currency,
            func.count(),
            func.count().filter(latest.c.credit_hold),
            func.sum(func.round(CreditLimit.exposure, digits)),
            func.sum(func.round(CreditLimit.effective, digits)),
        )
        .select_from(latest)
        .outerjoin(CreditLimit, CreditLimit.customer_id == latest.c.customer_id)
        .group_by(latest.c.tier, latest.c.band, CreditLimit.currency)
    )
    return [TierBandTotal(*row) for row in (await session.execute(query)).all()]
