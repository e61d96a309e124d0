"""Promises to pay: made, kept or broken. Never commits."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import DEFAULT_TIME_ZONE, Clock, local_date
from arflow.events.catalog import Event, PromiseToPayBroken, PromiseToPayKept, PromiseToPayMade
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.money import Money
from dunning import domain
from dunning.arrangements.service import settle_plans
from dunning.arrangements.settlements import settle_offers
from dunning.case_events import publish_pause
from dunning.customers.repository import get_customer
from dunning.lookups import CaseNotOpen, amount_owed
from dunning.models import DunningCase, PromiseToPay
from dunning.promises import repository

log = structlog.get_logger("dunning")


async def make_promise(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    case: DunningCase,
    amount: Decimal,
    promised_date: date,
    made_by: str | None,
) -> PromiseToPay:
    """Record a promise to pay: the case pauses until the promised date (DunningPaused, PromiseToPayMade)."""
    if case.status != "open":
        raise CaseNotOpen(
            "The case is resolved; there is nothing to promise.", detail_zh="该催收案件已结案，无需再承诺付款。"
        )
    now = clock.now()
    promise = PromiseToPay(
        id=uuid7(),
        case_id=case.id,
        customer_id=case.customer_id,
        amount=amount,
        currency=case.currency,
        promised_date=promised_date,
        owed_at_promise=await amount_owed(session, case.id),
        status="open",
        made_by=made_by,
        created_at=now,
    )
    session.add(promise)
    await session.flush()
    money = Money.of(amount, case.currency).quantize()
    await outbox.add(
        session,
        PromiseToPayMade(
            customer_id=case.customer_id,
            promise_id=promise.id,
            case_id=case.id,
            amount=money,
            promised_date=promised_date,
            made_at=now,
        ),
        clock=clock,
    )
    await publish_pause(session, clock=clock, case=case, reason="promise_to_pay", until=promised_date, note=None)
    log.info("promise.made", case_id=str(case.id), promise_id=str(promise.id), promised_date=str(promised_date))
    return promise


async def settle_due_promises(
    session: AsyncSession, *, clock: Clock, case: DunningCase, as_of: datetime | None = None
) -> None:
    """Mark open promises kept (the debt fell by their amount) or broken (their date passed without it)."""
    promises = await repository.open_promises(session, case.id, for_update=True)
    if not promises:
        return
    customer = await get_customer(session, case.customer_id)
    today = local_date(as_of or clock.now(), customer.time_zone if customer else DEFAULT_TIME_ZONE)
    owed = await amount_owed(session, case.id)
    for promise in promises:
        outcome, received = domain.promise_outcome(
            amount=promise.amount,
            owed_at_promise=promise.owed_at_promise,
            owed_now=owed if case.status == "open" else Decimal(0),
            promised_date=promise.promised_date,
            today=today,
        )
        if outcome == "open":
            continue
        promise.status, promise.amount_received, promise.settled_on = outcome, received, today
        money = Money.of(promise.amount, promise.currency).quantize()
        if outcome == "kept":
            event: Event = PromiseToPayKept(
                customer_id=case.customer_id,
                promise_id=promise.id,
                case_id=case.id,
                amount=money,
                promised_date=promise.promised_date,
                kept_on=today,
            )
        else:
            event = PromiseToPayBroken(
                customer_id=case.customer_id,
                promise_id=promise.id,
                case_id=case.id,
                amount=money,
                promised_date=promise.promised_date,
                amount_received=Money.of(received, promise.currency).quantize(),
                broken_on=today,
            )
        await outbox.add(session, event, clock=clock)
        log.info(f"promise.{outcome}", case_id=str(case.id), promise_id=str(promise.id))
    await settle_plans(session, case=case, today=today)
    await settle_offers(session, clock=clock, case=case, today=today)
