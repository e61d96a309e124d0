"""Unmatched payments: a customer is not chased while a payment that is probably theirs awaits review.

Reconciliation publishes PaymentUnmatched with its best candidate customer; dunning holds that
customer's chase until a PaymentReceived of the payment (or one superseding it) says it was
resolved, and at most UNMATCHED_PAYMENT_HOLD, after which chasing resumes anyway. The hold is
read at plan time as of the tick's instant, so nothing has to wake up to lift it. Never commits.
"""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import DEFAULT_TIME_ZONE, Clock, local_date
from arflow.events.catalog import PaymentReceived, PaymentUnmatched
from dunning.case_events import publish_pause
from dunning.domain import UNMATCHED_PAYMENT_HOLD
from dunning.lookups import open_cases_of
from dunning.models import Customer
from dunning.payments import repository

log = structlog.get_logger("dunning")


async def record_unmatched_payment(
    session: AsyncSession, *, actor: Principal, clock: Clock, event: PaymentUnmatched
) -> None:
    """Hold the chase of the payment's probable customer (none named: nobody to hold)."""
    if event.customer_id is None:
        log.info("payment.unmatched_without_candidate", payment_id=str(event.payment_id))
        return
    reported_at = clock.now()
    hold_until = reported_at + UNMATCHED_PAYMENT_HOLD
    recorded = await repository.remember_unmatched(
        session,
        payment_id=event.payment_id,
        customer_id=event.customer_id,
        amount=event.amount.amount,
        currency=event.amount.currency,
        received_on=event.received_on,
        reported_at=reported_at,
        hold_until=hold_until,
    )
    if not recorded:
        return
    customer = await session.get(Customer, event.customer_id)
    until = local_date(hold_until, customer.time_zone if customer else DEFAULT_TIME_ZONE)
    note = f"unmatched payment {event.payment_id} ({event.amount.currency} {event.amount.amount}) awaits review"
    for case in await open_cases_of(session, event.customer_id):
        await publish_pause(session, clock=clock, case=case, reason="unmatched_payment", until=until, note=note)
    log.info("payment.unmatched_hold", payment_id=str(event.payment_id), customer_id=str(event.customer_id))


async def record_payment_received(
    session: AsyncSession, *, actor: Principal, clock: Clock, event: PaymentReceived
) -> None:
    """A received payment resolves the unmatched payment it is, or the one it supersedes."""
    payment_ids = {event.payment_id} | ({event.supersedes_payment_id} if event.supersedes_payment_id else set())
    await repository.resolve_unmatched(
        session, payment_ids=sorted(payment_ids), by_payment_id=event.payment_id, at=clock.now()
    )
