"""Gateways' use case: a verified notification stored once and acted on (a payment, a refund, or nothing)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow import audit
from arflow.audit import jsonable
from arflow.audit.context import entry_values
from arflow.auth import Principal
from arflow.clock import DEFAULT_TIME_ZONE, Clock, local_date
from arflow.ids import uuid7
from arflow.messaging import outbox
from reconciliation.attempts.service import order_keys
from reconciliation.config import ReconciliationSettings
from reconciliation.domain import latest_business_date
from reconciliation.gateways import repository
from reconciliation.gateways.providers import GatewayNotice
from reconciliation.matching.recovery import decide
from reconciliation.matching.service import match_index_for, match_settings
from reconciliation.payments import repository as payments_repository
from reconciliation.payments.service import (
    IncomingPayment,
    IncomingRecord,
    incoming_record,
    log_incoming,
    reverse_payment,
)

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
    notification: dict[str, Any] = {
        "id": uuid7(),
        "provider": notice.provider,
        "provider_id": notice.provider_id,
        "event_type": notice.event_type,
        "headers": headers,
        "body": body,
        "outcome": "received",
        "payment_id": None,
        "received_at": clock.now(),
    }
    if notice.kind == "payment" and notice.amount and notice.currency and notice.payment_id:
        booked = await _record_payment(
            session,
            clock=clock,
            settings=settings,
            notice=notice,
            amount=notice.amount,
            currency=notice.currency,
            trade=notice.payment_id,
            notification=notification,
        )
        log.info("gateway.notification", provider=notice.provider, provider_id=notice.provider_id, outcome=booked[0])
        return booked
    if not await repository.insert_notification(session, notification):
        # the gateway retried: answer as the first time, do nothing again
        return await _stored(session, notice)
    outcome: str = "ignored"
    payment_id: UUID | None = None
    if notice.kind == "refund" and notice.payment_id and notice.refunded is not None:
        outcome, payment_id = await _record_refund(
            session, clock=clock, notice=notice, trade=notice.payment_id, refunded=notice.refunded, actor=actor
        )
    await repository.set_outcome(session, notification["id"], outcome, payment_id)
    log.info("gateway.notification", provider=notice.provider, provider_id=notice.provider_id, outcome=outcome)
    return outcome, payment_id


async def _stored(session: AsyncSession, notice: GatewayNotice) -> tuple[str, UUID | None]:
    """What a notification stored before became (a gateway's retry is answered as the first time)."""
    stored = await repository.notification(session, notice.provider, notice.provider_id)
    assert stored is not None
    return stored.outcome, stored.payment_id


async def _record_payment(
    session: AsyncSession,
    *,
    clock: Clock,
    settings: ReconciliationSettings,
    notice: GatewayNotice,
    amount: Decimal,
    currency: str,
    trade: str,
    notification: dict[str, Any],
) -> tuple[str, UUID | None]:
    """A gateway's payment booked once (matched, or queued for review); (outcome, payment).

    Three statements in all (services/reconciliation/README.md, What a payment costs): what is known of the
    notification, its attempt and its trade (one query); the match's lookup (one query, more only for a
    payer's name that resembles without naming); and one statement writing the notification, the payment,
    its allocations, its event, its audit entries and the attempt paid. A retry, and a trade booked before
    (from the gateway's bill, or its other notice: the callback, or the answer to a query when the callback was
    late), are answered from the first query and book nothing.
    """
    facts = await repository.notice_facts(
        session,
        provider=notice.provider,
        provider_id=notice.provider_id,
        order_keys=order_keys(notice.order_ids),
        trade=trade,
    )
    if facts.stored_outcome is not None:  # the gateway retried: answer as the first time, do nothing again
        return facts.stored_outcome, facts.stored_payment_id
    if facts.booked_payment_id is not None:
        notification |= {"outcome": "duplicate_payment", "payment_id": facts.booked_payment_id}
        if not await repository.insert_notification(session, notification):
            return await _stored(session, notice)
        return "duplicate_payment", facts.booked_payment_id
    incoming = IncomingPayment(
        amount=amount,
        currency=currency,
        received_on=paid_on(notice, clock.now()),
        source=notice.provider,
        payer_name=notice.payer_name,
        payer_account=notice.payer_account,
        reference=notice.reference,
        external_id=trade,
        ordered=facts.attempt_invoice_number,
        order_id=facts.attempt_order_id,
        order_amount=facts.attempt_amount,
    )
    match_input = incoming.as_match_input()
    index = await match_index_for(session, match_input)
    decision = decide(match_input, index, match_settings(settings))
    record = incoming_record(clock=clock, incoming=incoming, decision=decision)
    payment_id: UUID = record.payment["id"]
    outcome = "payment" if decision.automatic else "payment_unmatched"
    notification |= {"outcome": outcome, "payment_id": payment_id}
    attempt_id = facts.attempt_id if facts.attempt_id is not None and facts.attempt_payment_id is None else None
    notified, booked = await repository.book_payment(
        session,
        notification=notification,
        payment=record.payment,
        allocations=record.allocations,
        attempt_id=attempt_id,
        outbox_row=outbox.rows_for([record.event], clock=clock)[0],
        audit=_audit_of_payment(record),
        attempt_audit=_audit_of_attempt(facts, payment_id, record.payment["created_at"]) if attempt_id else [],
    )
    if not notified:  # the same notification, delivered twice at once, was stored by the other delivery
        return await _stored(session, notice)
    if not booked:  # the same trade, told twice at once, was booked by the other notice
        existing = await repository.payment_of_trade(session, notice.provider, trade)
        await repository.set_outcome(session, notification["id"], "duplicate_payment", existing)
        return "duplicate_payment", existing
    log_incoming(record)
    return outcome, payment_id


def _audit_of_payment(record: IncomingRecord) -> list[dict[str, Any]]:
    """The audit entries of a payment booked from a notice (its row and its allocations' rows, as created), when
    an API call is being served (a job's booking is traced by its run, not audited)."""
    context = audit.current()
    if context is None:
        return []
    rows = [("payment", record.payment), *[("allocation", a) for a in record.allocations]]
    return [
        jsonable(
            entry_values(
                context,
                action=f"{table}.created",
                object_type=table,
                object_id=str(row["id"]),
                before=None,
                after=jsonable(row),
            )
        )
        for table, row in rows
    ]


def _audit_of_attempt(facts: Any, payment_id: UUID, at: datetime) -> list[dict[str, Any]]:
    """The audit entry of the payment attempt a notice's payment paid (the columns it changed, before and after)."""
    context = audit.current()
    if context is None:
        return []
    before = {"status": facts.attempt_status, "payment_id": None, "updated_at": facts.attempt_updated_at}
    after = {"status": "paid", "payment_id": payment_id, "updated_at": at}
    entry = entry_values(
        context,
        action="payment_attempt.updated",
        object_type="payment_attempt",
        object_id=str(facts.attempt_id),
        before=jsonable(before),
        after=jsonable(after),
    )
    return [jsonable(entry)]


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
