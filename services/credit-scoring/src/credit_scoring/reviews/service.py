"""Periodic credit reviews (定期审查): the run that rescores whoever is due, lets expired overrides lapse,
and rechecks customers whose warnings wait on time. Never commits (the run's own transactions do, piece by piece).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import DEFAULT_TIME_ZONE, Clock, local_date
from arflow.ids import uuid7
from arflow.pagination import PageParams
from credit_scoring import policy
from credit_scoring.files import repository as files_repository
from credit_scoring.models import CreditReview, Customer
from credit_scoring.reviews import repository
from credit_scoring.scores.service import Rescored, rescore

log = structlog.get_logger("credit-scoring")


Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]


async def run_reviews(
    session: AsyncSession, *, clock: Clock, as_of: datetime, transaction: Transaction | None = None, actor: Principal
) -> dict[str, Any]:
    """Review every customer whose review is due (A yearly, B half-yearly, C quarterly, D monthly).

    A review is a rescore as of the run's date: CreditScoreChanged / CreditLimitChanged and warnings
    go out through the outbox when they change, and the log records the score, tier and limit found.
    Customers with an invoice past due or a warning pending are rescored too (not logged as reviews).
    First, manual limits whose expiry has passed lapse: the recommended limit takes over and
    CreditLimitChanged tells others, without waiting for the customer's next fact.

    With `transaction`, each customer is reviewed in a transaction of its own that commits at once, so
    a run over the whole portfolio never holds a customer's row lock (and that customer's facts) until
    the run ends; a run cut short keeps what it did, and the next run carries on with whoever is still due.
    """
    lapsed = await lapse_overrides(session, clock=clock, as_of=as_of, transaction=transaction, actor=actor)
    customers = await files_repository.all_customers(session)
    last = await repository.last_reviews(session)
    reviewed, published = 0, 0
    due = [c for c in customers if c.id not in last or last[c.id].next_review_on <= local_date(as_of, c.time_zone)]
    for customer in due:
        async with _piece(session, transaction) as piece:
            found = await _review(
                piece, clock=clock, customer=customer, previous=last.get(customer.id), as_of=as_of, actor=actor
            )
        reviewed += found is not None
        published += found is not None and found.changed
    # Between facts nothing rescores a customer, yet an open invoice ages and a pending warning waits on
    # time: rescore those too (no review logged), so a held drop is confirmed within hours, not at the
    # next fact.
    done = {c.id for c in due}
    zones = {c.id: c.time_zone for c in customers}
    rechecked = 0
    for customer_id in await repository.customers_to_watch(session, local_date(as_of, DEFAULT_TIME_ZONE)):
        if customer_id in done or customer_id not in zones:
            continue
        day = local_date(as_of, zones[customer_id])
        async with _piece(session, transaction) as piece:
            found = await rescore(
                piece, clock=clock, customer_id=customer_id, trigger="credit_watch", as_of=day, actor=actor
            )
        rechecked += found is not None
        published += found is not None and found.changed
    log.info(
        "credit_review.ran", as_of=as_of.isoformat(), reviewed=reviewed, rechecked=rechecked, scores_published=published
    )
    return {
        "reviewed": reviewed,
        "rechecked": rechecked,
        "customers": len(customers),
        "scores_published": published,
        "overrides_lapsed": lapsed,
    }


def _piece(session: AsyncSession, transaction: Transaction | None) -> AbstractAsyncContextManager[AsyncSession]:
    """The customer's own transaction when the caller gives one, else the caller's session."""
    return transaction() if transaction is not None else nullcontext(session)


async def _review(
    session: AsyncSession,
    *,
    clock: Clock,
    customer: Customer,
    previous: CreditReview | None,
    as_of: datetime,
    actor: Principal,
) -> Rescored | None:
    """Rescore one customer as of the run's date and log the review; None when it has no invoice yet."""
    day = local_date(as_of, customer.time_zone)
    found = await rescore(
        session, clock=clock, customer_id=customer.id, trigger="credit_review", as_of=day, actor=actor
    )
    if found is None:
        return None
    scored, recommendation = found.score, found.recommendation
    findings = policy.review_findings(
        tier=scored.tier,
        previous_tier=previous.tier if previous else None,
        score=scored.score,
        recommended_limit=recommendation.limit,
        exposure=recommendation.exposure,
        currency=recommendation.currency,
        reasons=[r.text_zh for r in scored.reasons],
    )
    await repository.add_review(
        session,
        {
            "id": uuid7(),
            "customer_id": customer.id,
            "reviewed_on": day,
            "tier": scored.tier,
            "score": scored.score,
            "previous_tier": previous.tier if previous else None,
            "limit_amount": recommendation.limit,
            "currency": recommendation.currency,
            "next_review_on": policy.next_review_on(scored.tier, day),
            "findings": findings,
            "reviewed_at": clock.now(),
        },
    )
    return found


async def lapse_overrides(
    session: AsyncSession, *, clock: Clock, as_of: datetime, transaction: Transaction | None = None, actor: Principal
) -> int:
    """Let manual limits whose expiry date has passed lapse (the recommended limit stands again)."""
    lapsed = 0
    for customer_id in await repository.expired_overrides(session, local_date(as_of, DEFAULT_TIME_ZONE)):
        async with _piece(session, transaction) as piece:
            customer = await files_repository.get_customer(piece, customer_id)
            if customer is None:
                continue
            day = local_date(as_of, customer.time_zone)
            await rescore(
                piece, clock=clock, customer_id=customer_id, trigger="override_expired", as_of=day, actor=actor
            )
        lapsed += 1
        log.info("credit_limit.override_lapsed", customer_id=str(customer_id))
    return lapsed


async def list_reviews(session: AsyncSession, *, page: PageParams, customer_id: UUID | None) -> list[CreditReview]:
    """A page (limit+1 rows) of the review log, newest first."""
    return await repository.list_reviews(session, page, customer_id=customer_id)
