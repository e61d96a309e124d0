"""Reconciliation use cases: load, apply the domain rules, save, record events. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import DEFAULT_TIME_ZONE, Clock, local_date
from arflow.events.catalog import (
    DisputeOpened,
    DisputeResolved,
)
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.money import Money, minor_unit_exponent
from arflow.problems import Conflict, NotFound, Unprocessable
from reconciliation import domain, gateways, repository
from reconciliation.config import ReconciliationSettings
from reconciliation.keys import (
    account_key,
)
from reconciliation.matching import reasons as why
from reconciliation.matching.engine import match
from reconciliation.matching.service import learn_payer, match_index_for, match_settings
from reconciliation.models import Dispute, Payment
from reconciliation.open_items import repository as projection
from reconciliation.payments import repository as payments_repository
from reconciliation.payments.schemas import AllocationIn
from reconciliation.payments.service import (
    MANUAL_MATCH_CONFIDENCE,
    IncomingPayment,
    PaymentRecord,
    allocatable,
    new_allocations,
    publish_received,
    publish_unmatched,
    record_incoming,
    reverse_payment,
)
from reconciliation.schemas import DisputeCreate, DisputeResolve, SplitPayment

log = structlog.get_logger("reconciliation")


# --- the projection of invoicing ---------------------------------------------------


# --- payments -------------------------------------------------------------------------


# --- matched and unmatched payments (statements, gateways) -------------------------------


# --- the review queue -----------------------------------------------------------------------


async def _lock_unmatched(session: AsyncSession, payment_id: UUID) -> Payment:
    payment = await payments_repository.get_payment(session, payment_id, for_update=True)
    if payment is None:
        raise NotFound(f"There is no payment {payment_id}.", code="payment_not_found")
    if payment.status != "unmatched":
        raise Conflict(f"Payment {payment_id} is {payment.status}, not awaiting review.", code="payment_not_unmatched")
    return payment


async def _learn(session: AsyncSession, clock: Clock, payment: Payment) -> None:
    """A person's decision teaches the payer account → customer mapping."""
    if payment.payer_account and payment.customer_id:
        key = account_key(payment.payer_account)
        if key:
            await learn_payer(
                session,
                clock=clock,
                key=key,
                customer_id=payment.customer_id,
                payer_name=payment.payer_name,
                learned_from_payment_id=payment.id,
            )
            log.info("payer_mapping.learned", account=key, customer_id=str(payment.customer_id))


def _require_exact(currency: str, amounts: Sequence[tuple[str, Decimal]]) -> None:
    """Refuse an amount finer than the currency's minor unit: rounded when published, it would create money."""
    for location, amount in amounts:
        if amount != amount.quantize(minor_unit_exponent(currency)):
            message = f"{location} {amount} has more decimals than {currency} allows"
            raise Unprocessable(
                f"{message}.",
                code="amount_not_exact",
                errors=[{"location": f"body.{location}", "message": message, "type": "amount_not_exact"}],
            )


def _allocation_amounts(allocations: Sequence[AllocationIn], prefix: str = "") -> list[tuple[str, Decimal]]:
    return [(f"{prefix}allocations.{n}.amount", a.amount) for n, a in enumerate(allocations)]


async def allocate_unmatched(
    session: AsyncSession,
    *,
    clock: Clock,
    payment_id: UUID,
    customer_id: UUID,
    allocations: list[AllocationIn],
    actor: Principal,
    basis: str = "given",
) -> PaymentRecord:
    """A person says whose a queued payment is and how it is allocated; PaymentReceived follows."""
    decided_by = actor.name
    payment = await _lock_unmatched(session, payment_id)
    _require_exact(payment.currency, _allocation_amounts(allocations))
    customer = await projection.get_customer(session, customer_id, for_update=True)
    if customer is None:
        raise Unprocessable(f"Customer {customer_id} is not known to reconciliation.", code="customer_unknown")
    items = [allocatable(item, pending) for item, pending in await projection.allocatable_items(session, customer.id)]
    try:
        accepted = domain.check_allocations(
            payment.amount, payment.currency, [(a.invoice_id, a.amount) for a in allocations], items
        )
    except domain.AllocationRejected as exc:
        raise Unprocessable(exc.detail, code=exc.code) from None
    payment.customer_id = customer.id
    payment.status = "matched"
    payment.match_confidence = MANUAL_MATCH_CONFIDENCE
    payment.decided_by = decided_by
    rows = new_allocations(payment.id, accepted, basis)
    session.add_all(rows)
    await session.flush()
    await _learn(session, clock, payment)
    await publish_received(session, clock, payment, rows)
    log.info("payment.allocated_by_person", payment_id=str(payment.id), customer_id=str(customer.id))
    return PaymentRecord(payment, rows)


async def confirm_suggestion(
    session: AsyncSession, *, clock: Clock, payment_id: UUID, rank: int, actor: Principal
) -> PaymentRecord:
    """A person confirms one of the engine's suggestions (re-checked against today's balances)."""
    payment = await _lock_unmatched(session, payment_id)
    if not 0 <= rank < len(payment.suggestions):
        raise Unprocessable(
            f"Payment {payment_id} has {len(payment.suggestions)} suggestion(s); there is no number {rank}.",
            code="suggestion_not_found",
        )
    chosen = payment.suggestions[rank]
    allocations = [
        AllocationIn(invoice_id=UUID(a["invoice_id"]), amount=Decimal(a["amount"])) for a in chosen["allocations"]
    ]
    return await allocate_unmatched(
        session,
        clock=clock,
        payment_id=payment_id,
        customer_id=UUID(chosen["customer_id"]),
        allocations=allocations,
        actor=actor,
        basis="confirmed",
    )


async def split_unmatched(
    session: AsyncSession, *, clock: Clock, payment_id: UUID, data: SplitPayment, actor: Principal
) -> list[PaymentRecord]:
    """Divide a queued payment among customers: one PaymentReceived per part, each superseding the original."""
    decided_by = actor.name
    payment = await _lock_unmatched(session, payment_id)
    for n, part in enumerate(data.parts):
        _require_exact(
            payment.currency,
            [(f"parts.{n}.amount", part.amount), *_allocation_amounts(part.allocations, f"parts.{n}.")],
        )
    total = sum((part.amount for part in data.parts), Decimal(0))
    if total != payment.amount:
        raise Unprocessable(
            f"The parts add up to {total}, the payment is {payment.amount} {payment.currency}.",
            code="split_does_not_add_up",
        )
    records = []
    for part in data.parts:
        customer = await projection.get_customer(session, part.customer_id, for_update=True)
        if customer is None:
            raise Unprocessable(f"Customer {part.customer_id} is not known to reconciliation.", code="customer_unknown")
        items = [
            allocatable(item, pending) for item, pending in await projection.allocatable_items(session, customer.id)
        ]
        try:
            accepted = domain.check_allocations(
                part.amount, payment.currency, [(a.invoice_id, a.amount) for a in part.allocations], items
            )
        except domain.AllocationRejected as exc:
            raise Unprocessable(exc.detail, code=exc.code) from None
        child = _successor(
            payment,
            clock=clock,
            customer_id=customer.id,
            amount=part.amount,
            match_confidence=MANUAL_MATCH_CONFIDENCE,
            status="matched",
            match_shape="split",
            reason=why.SPLIT_PART,
            reason_values=(payment.id, decided_by),
            decided_by=decided_by,
        )
        session.add(child)
        await session.flush()
        rows = new_allocations(child.id, accepted, "given")
        session.add_all(rows)
        await session.flush()
        await publish_received(session, clock, child, rows)
        records.append(PaymentRecord(child, rows))
    payment.status, payment.decided_by = "split", decided_by
    await session.flush()
    log.info("payment.split", payment_id=str(payment.id), parts=len(records))
    return records


def _successor(
    payment: Payment,
    *,
    clock: Clock,
    customer_id: UUID | None,
    amount: Decimal,
    match_confidence: Decimal,
    status: str,
    match_shape: str,
    reason: why.Reason,
    reason_values: tuple[object, ...],
    decided_by: str | None,
) -> Payment:
    """A new payment for (part of) the same money, superseding `payment`: history is never edited."""
    return Payment(
        id=uuid7(),
        customer_id=customer_id,
        amount=amount,
        currency=payment.currency,
        received_on=payment.received_on,
        source=payment.source,
        payer_name=payment.payer_name,
        payer_account=payment.payer_account,
        reference=payment.reference,
        match_confidence=match_confidence,
        created_at=clock.now(),
        status=status,
        refunded_amount=Decimal(0),
        match_shape=match_shape,
        match_reasons=[reason.say(reason_values)],
        match_reasons_zh=[reason.say(reason_values, "zh")],
        suggestions=[],
        statement_line_id=payment.statement_line_id,
        supersedes_payment_id=payment.id,
        decided_by=decided_by,
    )


async def undo_match(session: AsyncSession, *, clock: Clock, payment_id: UUID, actor: Principal) -> Payment:
    """Undo a match: PaymentReversed for it, and the same money back in the review queue as a new payment."""
    decided_by = actor.name
    payment = await payments_repository.get_payment(session, payment_id, for_update=True)
    if payment is None:
        raise NotFound(f"There is no payment {payment_id}.", code="payment_not_found")
    if payment.status != "matched":
        raise Conflict(
            f"Payment {payment_id} is {payment.status}; only a matched payment can be undone.",
            code="payment_not_matched",
        )
    customer = await projection.get_customer(session, payment.customer_id) if payment.customer_id else None
    time_zone = customer.time_zone if customer else DEFAULT_TIME_ZONE
    await reverse_payment(
        session,
        clock=clock,
        payment=payment,
        amount=payment.amount,
        reason="unmatched",
        on=local_date(clock.now(), time_zone),
        actor=actor,
    )
    again = _successor(
        payment,
        clock=clock,
        customer_id=payment.customer_id,
        amount=payment.amount,
        match_confidence=Decimal(0),
        status="unmatched",
        match_shape="unmatched",
        reason=why.MATCH_UNDONE,
        reason_values=(payment.id, decided_by),
        decided_by=None,
    )
    session.add(again)
    await session.flush()
    await publish_unmatched(session, clock, again)
    log.info("payment.match_undone", payment_id=str(payment.id), new_payment_id=str(again.id))
    return again


# --- disputes ----------------------------------------------------------------------------------


async def open_dispute(session: AsyncSession, *, clock: Clock, data: DisputeCreate, opened_by: str) -> Dispute:
    """A client contests an invoice: DisputeOpened pauses chasing it."""
    item = await projection.get_open_item(session, data.invoice_id, for_update=True)
    if item is None or item.issued_at is None:
        raise Unprocessable(f"Invoice {data.invoice_id} is not known to reconciliation.", code="invoice_unknown")
    if item.status in ("paid", "void"):
        raise Conflict(
            f"Invoice {item.invoice_number} is {item.status}; there is nothing to dispute.", code="invoice_not_open"
        )
    if await repository.open_dispute_of(session, item.invoice_id) is not None:
        raise Conflict(f"Invoice {item.invoice_number} already has an open dispute.", code="dispute_already_open")
    amount = data.amount if data.amount is not None else item.balance
    if data.amount is not None and data.currency is not None and data.currency != item.currency:
        raise Unprocessable(f"Invoice {item.invoice_number} is in {item.currency}.", code="dispute_currency_mismatch")
    if amount <= 0 or (item.total is not None and amount > item.total):
        raise Unprocessable(
            f"A dispute of {amount} {item.currency} does not fit invoice {item.invoice_number}.",
            code="dispute_amount_invalid",
        )
    now = clock.now()
    dispute = Dispute(
        id=uuid7(),
        invoice_id=item.invoice_id,
        customer_id=item.customer_id,
        invoice_number=item.invoice_number,
        amount=amount,
        currency=item.currency,
        reason=data.reason,
        status="open",
        opened_by=opened_by,
        opened_at=now,
    )
    session.add(dispute)
    await session.flush()
    await outbox.add(
        session,
        DisputeOpened(
            customer_id=item.customer_id,
            dispute_id=dispute.id,
            invoice_id=item.invoice_id,
            invoice_number=item.invoice_number,
            amount=Money.of(amount, item.currency).quantize(),
            reason=data.reason,
            opened_at=now,
        ),
        clock=clock,
    )
    log.info("dispute.opened", dispute_id=str(dispute.id), invoice_id=str(item.invoice_id))
    return dispute


async def resolve_dispute(session: AsyncSession, *, clock: Clock, dispute_id: UUID, data: DisputeResolve) -> Dispute:
    """Close a dispute with its resolution: DisputeResolved lets chasing resume (or not)."""
    dispute = await repository.get_dispute(session, dispute_id, for_update=True)
    if dispute is None:
        raise NotFound(f"There is no dispute {dispute_id}.", code="dispute_not_found")
    if dispute.status != "open":
        raise Conflict(f"Dispute {dispute_id} is already resolved.", code="dispute_already_resolved")
    now = clock.now()
    dispute.status, dispute.resolution, dispute.note, dispute.resolved_at = "resolved", data.resolution, data.note, now
    await session.flush()
    await outbox.add(
        session,
        DisputeResolved(
            customer_id=dispute.customer_id,
            dispute_id=dispute.id,
            invoice_id=dispute.invoice_id,
            resolution=data.resolution,
            note=data.note,
            resolved_at=now,
        ),
        clock=clock,
    )
    log.info("dispute.resolved", dispute_id=str(dispute.id), resolution=data.resolution)
    return dispute


async def require_dispute(session: AsyncSession, dispute_id: UUID) -> Dispute:
    dispute = await repository.get_dispute(session, dispute_id)
    if dispute is None:
        raise NotFound(f"There is no dispute {dispute_id}.", code="dispute_not_found")
    return dispute


# --- gateway notifications --------------------------------------------------------------------------


def _paid_on(notice: gateways.GatewayNotice, clock: Clock) -> date:
    if notice.paid_at:
        try:
            return date.fromisoformat(notice.paid_at[:10])
        except ValueError:
            pass
    return local_date(clock.now(), DEFAULT_TIME_ZONE)


async def record_notification(
    session: AsyncSession,
    *,
    clock: Clock,
    settings: ReconciliationSettings,
    notice: gateways.GatewayNotice,
    headers: dict[str, str],
    body: str,
    actor: Principal,
) -> tuple[str, UUID | None]:
    """Store a verified notification once and act on it: a payment, a refund, or nothing; (outcome, payment)."""
    fresh = await repository.insert_notification(
        session,
        {
            "id": uuid7(),
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
    stored = await repository.notification(session, notice.provider, notice.provider_id)
    assert stored is not None
    if not fresh:  # the gateway retried: answer as the first time, do nothing again
        return stored.outcome, stored.payment_id
    outcome, payment_id = "ignored", None
    if notice.kind == "payment" and notice.amount and notice.currency and notice.payment_id:
        # The same trade may have been booked already from the gateway's bill (its line's bank_reference).
        existing = await payments_repository.payment_by_external_id(
            session, notice.provider, notice.payment_id
        ) or await repository.payment_of_bill_trade(session, notice.provider, notice.payment_id)
        if existing is not None:
            outcome, payment_id = "duplicate_payment", existing.id
        else:
            incoming = IncomingPayment(
                amount=notice.amount,
                currency=notice.currency,
                received_on=_paid_on(notice, clock),
                source=notice.provider,
                payer_name=notice.payer_name,
                payer_account=notice.payer_account,
                reference=notice.reference,
                external_id=notice.payment_id,
            )
            match_input = incoming.as_match_input()
            index = await match_index_for(session, match_input)
            decision = match(match_input, index, match_settings(settings))
            recorded = await record_incoming(session, clock=clock, incoming=incoming, decision=decision, actor=actor)
            outcome, payment_id = ("payment" if decision.automatic else "payment_unmatched"), recorded.id
    elif notice.kind == "refund" and notice.payment_id and notice.refunded is not None:
        payment = await payments_repository.payment_by_external_id(session, notice.provider, notice.payment_id)
        if payment is None:
            outcome = "refund_unlinked"
        elif notice.currency is not None and notice.currency != payment.currency:
            # A refund in another currency says nothing we can take off this payment: reverse nothing.
            outcome, payment_id = "refund_currency_mismatch", payment.id
            log.warning(
                "gateway.refund_currency_mismatch",
                payment_id=str(payment.id),
                payment_currency=payment.currency,
                refund_currency=notice.currency,
            )
        else:
            payment = await payments_repository.get_payment(session, payment.id, for_update=True)
            assert payment is not None
            delta = notice.refunded - payment.refunded_amount if notice.refund_cumulative else notice.refunded
            delta = min(delta, payment.amount - payment.refunded_amount)
            outcome, payment_id = "refund_nothing_new", payment.id
            if delta > 0 and payment.status != "reversed":
                payment.refunded_amount += delta
                await reverse_payment(
                    session,
                    clock=clock,
                    payment=payment,
                    amount=delta,
                    reason="refund",
                    on=local_date(clock.now(), DEFAULT_TIME_ZONE),
                    whole=payment.refunded_amount >= payment.amount,
                    actor=actor,
                )
                outcome = "refund"
    stored.outcome, stored.payment_id = outcome, payment_id
    await session.flush()
    log.info("gateway.notification", provider=notice.provider, provider_id=notice.provider_id, outcome=outcome)
    return outcome, payment_id
