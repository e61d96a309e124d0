"""Gateways' use case: a verified notification stored once and acted on (a payment, a refund, or nothing)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import DEFAULT_TIME_ZONE, Clock, local_date
from arflow.ids import uuid7
from reconciliation.attempts.service import attempt_for, mark_paid
from reconciliation.config import ReconciliationSettings
from reconciliation.domain import latest_business_date
from reconciliation.gateways import repository
from reconciliation.gateways.providers import GatewayNotice
from reconciliation.matching.engine import match
from reconciliation.matching.service import match_index_for, match_settings
from reconciliation.payments import repository as payments_repository
from reconciliation.payments.service import IncomingPayment, record_incoming, reverse_payment

log = structlog.get_logger("reconciliation")


def paid_on(notice: GatewayNotice, now: datetime) -> date:
    """The business date of a gateway's payment (or refund): the gateway's time of it as a date in Asia/Shanghai.

    The day it arrives when the gateway gives no time we read, or a time after the latest business
    date (domain.latest_business_date), which no payment can carry.
    """
    today = local_date(now, DEFAULT_TIME_ZONE)
    if notice.paid_at is None:
        return today
    on = local_date(notice.paid_at, DEFAULT_TIME_ZONE)
    if on > latest_business_date(today):
        log.warning("gateway.paid_in_the_future", provider=notice.provider, paid_at=notice.paid_at.isoformat())
        return today
    return on


async def record_notification(
    session: AsyncSession,
    *,
    clock: Clock,
    settings: ReconciliationSettings,
    notice: GatewayNotice,
    headers: dict[str, str],
    body: str,
    actor: Principal,
) -> tuple[str, UUID | None]:
    """Store a verified notification once and act on it: a payment, a refund, or nothing; (outcome, payment)."""
    notification_id = uuid7()
    fresh = await repository.insert_notification(
        session,
        {
            "id": notification_id,
            "provider": notice.provider,
            "provider_id": notice.provider_id,
            "event_type": notice.event_type,
            "headers": headers,
            "body": body,
            "outcome": "received",
            "payment_id": None,
            "received_at": clock.now(),
        },
    )
    if not fresh:  # the gateway retried: answer as the first time, do nothing again
        stored = await repository.notification(session, notice.provider, notice.provider_id)
        assert stored is not None
        return stored.outcome, stored.payment_id
    outcome: str = "ignored"
    payment_id: UUID | None = None
    if notice.kind == "payment" and notice.amount and notice.currency and notice.payment_id:
        outcome, payment_id = await _record_payment(
            session,
            clock=clock,
            settings=settings,
            notice=notice,
            amount=notice.amount,
            currency=notice.currency,
            trade=notice.payment_id,
            actor=actor,
        )
    elif notice.kind == "refund" and notice.payment_id and notice.refunded is not None:
        outcome, payment_id = await _record_refund(
            session, clock=clock, notice=notice, trade=notice.payment_id, refunded=notice.refunded, actor=actor
        )
    await repository.set_outcome(session, notification_id, outcome, payment_id)
    log.info("gateway.notification", provider=notice.provider, provider_id=notice.provider_id, outcome=outcome)
    return outcome, payment_id


async def _record_payment(
    session: AsyncSession,
    *,
    clock: Clock,
    settings: ReconciliationSettings,
    notice: GatewayNotice,
    amount: Decimal,
    currency: str,
    trade: str,
    actor: Principal,
) -> tuple[str, UUID]:
    """A gateway's payment booked once (matched, or queued for review); (outcome, payment)."""
    # Its attempt locked first: a late callback and the query answer that recovered it are booked one after the
    # other, so the second finds the first's payment below.
    attempt = (
        await attempt_for(session, notice.provider, notice.order_ids, for_update=True) if notice.order_ids else None
    )
    # The same trade may have been booked already from the gateway's bill (its line's bank_reference), or from
    # its other notice (the callback, or the answer to a query when the callback was late).
    existing = await repository.payment_of_trade(session, notice.provider, trade)
    if existing is not None:
        return "duplicate_payment", existing
    incoming = IncomingPayment(
        amount=amount,
        currency=currency,
        received_on=paid_on(notice, clock.now()),
        source=notice.provider,
        payer_name=notice.payer_name,
        payer_account=notice.payer_account,
        reference=notice.reference,
        external_id=trade,
        ordered=attempt.invoice_number if attempt else None,
        order_id=attempt.order_id if attempt else None,
    )
    match_input = incoming.as_match_input()
    index = await match_index_for(session, match_input)
    decision = match(match_input, index, match_settings(settings))
    recorded = await record_incoming(session, clock=clock, incoming=incoming, decision=decision, actor=actor)
    if attempt is not None:
        mark_paid(attempt, recorded.id, clock.now())
    return ("payment" if decision.automatic else "payment_unmatched"), recorded.id


async def _record_refund(
    session: AsyncSession, *, clock: Clock, notice: GatewayNotice, trade: str, refunded: Decimal, actor: Principal
) -> tuple[str, UUID | None]:
    """What a gateway refunded of a payment it told of, reversed (a cumulative total counted once)."""
    payment = await payments_repository.payment_by_external_id(session, notice.provider, trade)
    if payment is None:
        return "refund_unlinked", None
    if notice.currency is not None and notice.currency != payment.currency:
        # A refund in another currency says nothing we can take off this payment: reverse nothing.
        log.warning(
            "gateway.refund_currency_mismatch",
            payment_id=str(payment.id),
            payment_currency=payment.currency,
            refund_currency=notice.currency,
        )
        return "refund_currency_mismatch", payment.id
    payment = await payments_repository.get_payment(session, payment.id, for_update=True)
    assert payment is not None
    delta = refunded - payment.refunded_amount if notice.refund_cumulative else refunded
    delta = min(delta, payment.amount - payment.refunded_amount)
    if delta <= 0 or payment.status == "reversed":
        return "refund_nothing_new", payment.id
    payment.refunded_amount += delta
    await reverse_payment(
        session,
        clock=clock,
        payment=payment,
        amount=delta,
        reason="refund",
        on=paid_on(notice, clock.now()),
        whole=payment.refunded_amount >= payment.amount,
        actor=actor,
    )
    return "refund", payment.id
