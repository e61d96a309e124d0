"""Settlement offers (和解折让) on a case: the customer pays an amount by a date for the whole balance, the rest
to be written off. The payment is a promise to pay (it pauses the case until the date); once it is kept,
SettlementPaid tells invoicing what to write off, invoice by invoice; unpaid by the date, the offer lapses and
the chasing resumes. Never commits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock
from arflow.events.catalog import PromiseToPayMade, SettlementInvoice, SettlementPaid
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.money import Money
from dunning.arrangements.errors import InvalidSettlement, SettlementOfferExists
from dunning.arrangements.service import case_today
from dunning.case_events import publish_pause
from dunning.lookups import CaseNotOpen, amount_owed, case_items
from dunning.models import DunningCase, PromiseToPay, SettlementOffer

log = structlog.get_logger("dunning")

# A discount waits for a second person above this (CNY; the policy case.settlement_discount's threshold) ...
DEFAULT_DISCOUNT_THRESHOLD = Decimal("10000")
# ... or above this share of the balance, whatever its amount.
GUARDED_DISCOUNT_SHARE = Decimal("0.10")


def discount_always_guarded(*, amount: Decimal, owed: Decimal) -> bool:
    return owed - amount > owed * GUARDED_DISCOUNT_SHARE


async def check_offer(
    session: AsyncSession, *, clock: Clock, case: DunningCase, amount: Decimal, pay_by: date
) -> tuple[date, Decimal]:
    """Today on the customer's calendar and what the case owes, once the offer is shown valid against it."""
    if case.status != "open":
        raise CaseNotOpen("The case is resolved: there is nothing to settle.", detail_zh="该催收案件已结案，无需和解。")
    today = await case_today(session, clock, case)
    owed = await amount_owed(session, case.id)
    if amount >= owed:
        raise InvalidSettlement(
            f"A settlement pays less than the {owed:,.2f} owed ({amount:,.2f} asked): record a promise instead.",
            detail_zh=f"和解金额 {amount:,.2f} 不低于未收金额 {owed:,.2f}，请改为记录付款承诺。",
        )
    if pay_by < today:
        raise InvalidSettlement(
            f"pay_by {pay_by.isoformat()} is before today ({today.isoformat()}).",
            detail_zh=f"付款截止日 {pay_by.isoformat()} 早于今日。",
        )
    return today, owed


async def open_offer(session: AsyncSession, case_id: UUID) -> SettlementOffer | None:
    query = select(SettlementOffer).where(SettlementOffer.case_id == case_id, SettlementOffer.status == "open")
    return (await session.execute(query)).scalars().first()


async def make_offer(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    case: DunningCase,
    amount: Decimal,
    pay_by: date,
    note: str | None,
    approved: bool,
) -> SettlementOffer:
    today, owed = await check_offer(session, clock=clock, case=case, amount=amount, pay_by=pay_by)
    if await open_offer(session, case.id) is not None:
        raise SettlementOfferExists(
            "The case has an open settlement offer: it is paid or lapses before another is made.",
            detail_zh="该案件已有未结的和解方案，须待其付清或失效后方可另订。",
        )
    now = clock.now()
    promise = PromiseToPay(
        id=uuid7(),
        case_id=case.id,
        customer_id=case.customer_id,
        amount=amount,
        currency=case.currency,
        promised_date=pay_by,
        owed_at_promise=owed,
        status="open",
        made_by=actor.name,
        created_at=now,
    )
    session.add(promise)
    await session.flush()
    offer = SettlementOffer(
        id=uuid7(),
        case_id=case.id,
        customer_id=case.customer_id,
        currency=case.currency,
        amount=amount,
        owed_at_offer=owed,
        pay_by=pay_by,
        promise_id=promise.id,
        status="open",
        approved=approved,
        note=note,
        agreed_on=today,
        made_by=actor.name,
        created_at=now,
    )
    session.add(offer)
    await session.flush()
    await outbox.add(
        session,
        PromiseToPayMade(
            customer_id=case.customer_id,
            promise_id=promise.id,
            case_id=case.id,
            amount=Money.of(amount, case.currency).quantize(),
            promised_date=pay_by,
            made_at=now,
        ),
        clock=clock,
    )
    await publish_pause(
        session,
        clock=clock,
        case=case,
        reason="promise_to_pay",
        until=pay_by,
        note=f"settlement {offer.id}: {amount:,.2f} {case.currency} for {owed:,.2f} / 和解折让",
    )
    log.info("settlement.offered", case_id=str(case.id), settlement_id=str(offer.id))
    return offer


async def settle_offers(session: AsyncSession, *, clock: Clock, case: DunningCase, today: date) -> None:
    """After the case's promises were settled: an offer whose payment was kept is paid (SettlementPaid, the
    open balances left to write off); one whose payment was broken lapses."""
    query = select(SettlementOffer).where(SettlementOffer.case_id == case.id, SettlementOffer.status == "open")
    for offer in (await session.execute(query.with_for_update())).scalars():
        promise = await session.get(PromiseToPay, offer.promise_id)
        if promise is None or promise.status == "open":
            continue
        if promise.status != "kept":
            offer.status, offer.settled_on = "lapsed", today
            log.info("settlement.lapsed", case_id=str(case.id), settlement_id=str(offer.id))
            continue
        cur = offer.currency
        left = [i for i in await case_items(session, case.id) if i.status == "open" and i.amount_due > 0]
        invoices = [
            SettlementInvoice(
                invoice_id=i.invoice_id,
                invoice_number=i.invoice_number,
                write_off=Money.of(i.amount_due, cur).quantize(),
            )
            for i in left
        ]
        written_off = sum((i.amount_due for i in left), Decimal(0))
        offer.status, offer.settled_on, offer.written_off = "paid", today, written_off
        await outbox.add(
            session,
            SettlementPaid(
                customer_id=case.customer_id,
                settlement_id=offer.id,
                case_id=case.id,
                amount_paid=Money.of(offer.amount, cur).quantize(),
                write_off=Money.of(written_off, cur).quantize(),
                invoices=invoices,
                agreed_on=offer.agreed_on,
                paid_on=today,
                approved=offer.approved,
            ),
            clock=clock,
        )
        log.info("settlement.paid", case_id=str(case.id), settlement_id=str(offer.id))
