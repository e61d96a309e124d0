"""Reconciliation use cases: load, apply the domain rules, save, record events. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, Literal
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock, local_date
from arflow.events.catalog import Allocation as AllocationFact
from arflow.events.catalog import (
    DisputeOpened,
    DisputeResolved,
    MatchSuggestion,
    PaymentReceived,
    PaymentReversed,
    PaymentSource,
    PaymentUnmatched,
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
from reconciliation.matching.engine import Decision, Incoming, match
from reconciliation.matching.service import learn_payer, match_index_for, match_settings, suggestion_json
from reconciliation.models import Allocation, Dispute, OpenItem, Payment
from reconciliation.open_items import repository as projection
from reconciliation.open_items.service import invoice_state
from reconciliation.schemas import AllocationIn, DisputeCreate, DisputeResolve, PaymentCreate, SplitPayment

log = structlog.get_logger("reconciliation")
DEFAULT_TIME_ZONE = "Asia/Shanghai"
# A person entered the payment and chose (or accepted) where it goes.
MANUAL_MATCH_CONFIDENCE = Decimal(1)
# The PaymentReversed reasons reconciliation publishes.
ReversalReason = Literal["refund", "statement_reversal", "unmatched"]


# --- the projection of invoicing ---------------------------------------------------


# --- payments -------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentRecord:
    payment: Payment
    allocations: list[Allocation]


def _allocatable(item: OpenItem, pending: Decimal) -> domain.OpenItem:
    return domain.OpenItem(
        invoice_id=item.invoice_id,
        invoice_number=item.invoice_number,
        currency=item.currency,
        due_date=item.due_date,
        available=domain.available_balance(invoice_state(item), pending),
        payment_reference=item.payment_reference,
    )


async def receive_payment(session: AsyncSession, *, clock: Clock, data: PaymentCreate) -> PaymentRecord:
    """Record a payment entered by a person, allocate it, and publish PaymentReceived."""
    # The row lock serialises one customer's payments, so two cannot both take the same balance.
    customer = await projection.get_customer(session, data.customer_id, for_update=True)
    if customer is None:
        raise Unprocessable(
            f"Customer {data.customer_id} is not known to reconciliation (no CustomerUpserted received).",
            code="customer_unknown",
        )
    now = clock.now()
    if data.received_on > local_date(now, customer.time_zone):
        raise Unprocessable(f"received_on {data.received_on} is in the future.", code="received_on_in_future")
    items = [_allocatable(item, pending) for item, pending in await projection.allocatable_items(session, customer.id)]
    if data.allocations is None:
        proposals = domain.propose_allocations(data.amount, data.currency, data.reference, items)
    else:
        requested = [(a.invoice_id, a.amount) for a in data.allocations]
        try:
            proposals = domain.check_allocations(data.amount, data.currency, requested, items)
        except domain.AllocationRejected as exc:
            raise Unprocessable(exc.detail, code=exc.code) from None

    payment = Payment(
        id=uuid7(),
        customer_id=customer.id,
        amount=data.amount,
        currency=data.currency,
        received_on=data.received_on,
        source="manual",
        payer_name=data.payer_name,
        payer_account=data.payer_account,
        reference=data.reference,
        match_confidence=MANUAL_MATCH_CONFIDENCE,
        created_at=now,
        status="matched",
        refunded_amount=Decimal(0),
        match_shape=None,
        match_reasons=[],
        match_reasons_zh=[],
        suggestions=[],
        decided_by="manual entry",
    )
    allocations = [
        Allocation(
            id=uuid7(),
            payment_id=payment.id,
            invoice_id=p.invoice_id,
            position=position,
            invoice_number=p.invoice_number,
            amount=p.amount,
            basis=p.basis,
        )
        for position, p in enumerate(proposals, start=1)
    ]
    session.add(payment)
    await session.flush()
    session.add_all(allocations)
    await session.flush()
    await outbox.add(
        session,
        PaymentReceived(
            customer_id=customer.id,
            payment_id=payment.id,
            amount=Money.of(payment.amount, payment.currency).quantize(),
            received_on=payment.received_on,
            source="manual",
            payer_name=payment.payer_name,
            payer_account=payment.payer_account,
            reference=payment.reference,
            allocations=[
                AllocationFact(
                    invoice_id=a.invoice_id,
                    invoice_number=a.invoice_number,
                    amount=Money.of(a.amount, payment.currency).quantize(),
                )
                for a in allocations
            ],
            match_confidence=float(MANUAL_MATCH_CONFIDENCE),
        ),
        clock=clock,
    )
    log.info(
        "payment.received",
        payment_id=str(payment.id),
        customer_id=str(customer.id),
        amount=str(payment.amount),
        currency=payment.currency,
        allocations=len(allocations),
    )
    return PaymentRecord(payment, allocations)


async def require_payment(session: AsyncSession, payment_id: UUID) -> PaymentRecord:
    payment = await repository.get_payment(session, payment_id)
    if payment is None:
        raise NotFound(f"There is no payment {payment_id}.", code="payment_not_found")
    allocations = await repository.allocations_of(session, [payment.id])
    return PaymentRecord(payment, allocations[payment.id])


# --- matched and unmatched payments (statements, gateways) -------------------------------


@dataclass(frozen=True)
class IncomingPayment:
    """Money seen arriving, before anyone knows whose it is."""

    amount: Decimal
    currency: str
    received_on: date
    source: PaymentSource
    payer_name: str | None = None
    payer_account: str | None = None
    reference: str | None = None
    external_id: str | None = None
    statement_line_id: UUID | None = None

    def as_match_input(self) -> Incoming:
        return Incoming(self.amount, self.currency, self.reference, self.payer_name, self.payer_account)


def _allocation_facts(allocations: Sequence[Any], currency: str) -> list[AllocationFact]:
    return [
        AllocationFact(
            invoice_id=a.invoice_id, invoice_number=a.invoice_number, amount=Money.of(a.amount, currency).quantize()
        )
        for a in allocations
    ]


def _received_event(payment: Payment | SimpleNamespace, allocations: Sequence[Any]) -> PaymentReceived:
    assert payment.customer_id is not None
    return PaymentReceived(
        customer_id=payment.customer_id,
        payment_id=payment.id,
        amount=Money.of(payment.amount, payment.currency).quantize(),
        received_on=payment.received_on,
        source=payment.source,
        payer_name=payment.payer_name,
        payer_account=payment.payer_account,
        reference=payment.reference,
        allocations=_allocation_facts(allocations, payment.currency),
        match_confidence=float(payment.match_confidence),
        supersedes_payment_id=payment.supersedes_payment_id,
    )


def _unmatched_event(payment: Payment | SimpleNamespace) -> PaymentUnmatched:
    return PaymentUnmatched(
        customer_id=payment.customer_id,
        payment_id=payment.id,
        amount=Money.of(payment.amount, payment.currency).quantize(),
        received_on=payment.received_on,
        source=payment.source,
        payer_name=payment.payer_name,
        payer_account=payment.payer_account,
        remittance_info=payment.reference,
        suggestions=[
            MatchSuggestion(
                customer_id=UUID(s["customer_id"]),
                invoice_ids=[UUID(a["invoice_id"]) for a in s["allocations"]],
                confidence=s["confidence"],
                reasons=s["reasons"],
            )
            for s in payment.suggestions
        ],
    )


async def _publish_received(
    session: AsyncSession, clock: Clock, payment: Payment, allocations: list[Allocation]
) -> None:
    await outbox.add(session, _received_event(payment, allocations), clock=clock)


async def _publish_unmatched(session: AsyncSession, clock: Clock, payment: Payment) -> None:
    await outbox.add(session, _unmatched_event(payment), clock=clock)


def _new_allocations(payment_id: UUID, allocations: Any, basis: str) -> list[Allocation]:
    return [
        Allocation(
            id=uuid7(),
            payment_id=payment_id,
            invoice_id=a.invoice_id,
            position=position,
            invoice_number=a.invoice_number,
            amount=a.amount,
            basis=basis,
        )
        for position, a in enumerate(allocations, start=1)
    ]


@dataclass(frozen=True)
class IncomingRecord:
    """What money that arrived becomes: the payment row, its allocation rows (when applied), and its event."""

    payment: dict[str, Any]
    allocations: list[dict[str, Any]]
    event: PaymentReceived | PaymentUnmatched


def incoming_record(*, clock: Clock, incoming: IncomingPayment, decision: Decision) -> IncomingRecord:
    """Build the rows and the event of money that arrived: applied when the match is sure, else queued."""
    best = decision.best
    row: dict[str, Any] = {
        "id": uuid7(),
        "customer_id": best.customer_id if best else None,
        "amount": incoming.amount,
        "currency": incoming.currency,
        "received_on": incoming.received_on,
        "source": incoming.source,
        "payer_name": incoming.payer_name,
        "payer_account": incoming.payer_account,
        "reference": incoming.reference,
        "match_confidence": Decimal(str(round(best.confidence, 3))) if best else Decimal(0),
        "created_at": clock.now(),
        "status": "matched" if decision.automatic else "unmatched",
        "external_id": incoming.external_id,
        "match_shape": best.shape if best else "unmatched",
        "match_reasons": list(best.reasons) if best else [],
        "match_reasons_zh": list(why.said(best.evidence, "zh")) if best else [],
        "suggestions": [suggestion_json(s) for s in decision.suggestions],
        "statement_line_id": incoming.statement_line_id,
        "supersedes_payment_id": None,
        "reversed_at": None,
        "reversal_reason": None,
        "refunded_amount": Decimal(0),
        "decided_by": "matching engine" if decision.automatic else None,
    }
    payment = SimpleNamespace(**row)
    if decision.automatic and best is not None:
        allocations = [
            {
                "id": uuid7(),
                "payment_id": row["id"],
                "invoice_id": a.invoice_id,
                "position": position,
                "invoice_number": a.invoice_number,
                "amount": a.amount,
                "basis": "matched",
                "applied_at": None,
                "released_at": None,
            }
            for position, a in enumerate(best.allocations, start=1)
        ]
        event: PaymentReceived | PaymentUnmatched = _received_event(
            payment, [SimpleNamespace(**a) for a in allocations]
        )
        return IncomingRecord(row, allocations, event)
    return IncomingRecord(row, [], _unmatched_event(payment))


async def record_incoming(
    session: AsyncSession, *, clock: Clock, incoming: IncomingPayment, decision: Decision
) -> Payment:
    """Record money that arrived: applied when the match is sure, else queued for review."""
    record = incoming_record(clock=clock, incoming=incoming, decision=decision)
    payment = Payment(**record.payment)
    session.add(payment)
    await session.flush()
    if record.allocations:
        session.add_all([Allocation(**a) for a in record.allocations])
        await session.flush()
    await outbox.add(session, record.event, clock=clock)
    _log_incoming(record)
    return payment


async def record_incoming_many(
    session: AsyncSession, *, clock: Clock, batch: Sequence[tuple[IncomingPayment, Decision]]
) -> list[UUID]:
    """Record many arrivals at once (a statement chunk): one multi-row INSERT each for payments, allocations, events.

    The same rows and events as `record_incoming`, without an ORM object or a round trip per payment.
    A gateway bill's line for a trade the gateway's notification already booked
    is not booked again: its id is that payment's.
    """
    booked = await _booked_by_notification(session, [incoming for incoming, _ in batch])
    records = [
        incoming_record(clock=clock, incoming=incoming, decision=decision)
        for (incoming, decision), existing in zip(batch, booked, strict=True)
        if existing is None
    ]
    if records:
        await repository.insert_payments(session, [r.payment for r in records])
        await repository.insert_allocations(session, [a for r in records for a in r.allocations])
        await outbox.add_many(session, [r.event for r in records], clock=clock)
    for record in records:
        _log_incoming(record)
    new = iter(r.payment["id"] for r in records)
    return [existing or next(new) for existing in booked]


async def _booked_by_notification(session: AsyncSession, incomings: Sequence[IncomingPayment]) -> list[UUID | None]:
    """For each arrival, the payment already booked for the same gateway transaction, if it is a bill line.

    The gateway's transaction id (Alipay trade_no, WeChat Pay transaction_id) is
    the payment's identity whichever way it arrives: a notification books it
    under that id, a bill line carries it as its bank_reference.
    """
    line_ids = [i.statement_line_id for i in incomings if i.source != "bank_statement" and i.statement_line_id]
    references = await repository.bank_references_of_lines(session, line_ids)
    found: dict[tuple[str, str], UUID] = {}
    for source in {i.source for i in incomings if i.statement_line_id in references}:
        ids = await repository.payments_by_external_ids(session, source, sorted(set(references.values())))
        found.update({(source, external_id): payment_id for external_id, payment_id in ids.items()})
    booked: list[UUID | None] = []
    for incoming in incomings:
        reference = references.get(incoming.statement_line_id) if incoming.statement_line_id else None
        existing = found.get((incoming.source, reference)) if reference else None
        if existing is not None:
            log.info(
                "payment.already_booked_by_notification",
                payment_id=str(existing),
                statement_line_id=str(incoming.statement_line_id),
            )
        booked.append(existing)
    return booked


def _log_incoming(record: IncomingRecord) -> None:
    payment = record.payment
    if payment["status"] == "matched":
        log.info(
            "payment.matched",
            payment_id=str(payment["id"]),
            confidence=float(payment["match_confidence"]),
            shape=payment["match_shape"],
        )
    else:
        log.info("payment.unmatched", payment_id=str(payment["id"]), suggestions=len(payment["suggestions"]))


async def reverse_payment(
    session: AsyncSession,
    *,
    clock: Clock,
    payment: Payment,
    amount: Decimal,
    reason: ReversalReason,
    on: date,
    whole: bool | None = None,
) -> None:
    """Publish PaymentReversed; a reversal of the whole amount releases the payment's allocations.

    A payment nobody has claimed yet (unmatched, no candidate) never reached
    invoicing: it is marked reversed without an event.
    """
    if payment.customer_id is not None:
        await outbox.add(
            session,
            PaymentReversed(
                customer_id=payment.customer_id,
                payment_id=payment.id,
                amount=Money.of(min(amount, payment.amount), payment.currency).quantize(),
                reason=reason,
                reversed_on=on,
            ),
            clock=clock,
        )
    if whole if whole is not None else amount >= payment.amount:
        payment.status = "reversed"
        payment.reversed_at = clock.now()
        payment.reversal_reason = reason
        await repository.release_allocations(session, payment.id, clock.now())
    await session.flush()
    log.info("payment.reversed", payment_id=str(payment.id), amount=str(amount), reason=reason)


# --- the review queue -----------------------------------------------------------------------


async def _lock_unmatched(session: AsyncSession, payment_id: UUID) -> Payment:
    payment = await repository.get_payment(session, payment_id, for_update=True)
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
    decided_by: str,
    basis: str = "given",
) -> PaymentRecord:
    """A person says whose a queued payment is and how it is allocated; PaymentReceived follows."""
    payment = await _lock_unmatched(session, payment_id)
    _require_exact(payment.currency, _allocation_amounts(allocations))
    customer = await projection.get_customer(session, customer_id, for_update=True)
    if customer is None:
        raise Unprocessable(f"Customer {customer_id} is not known to reconciliation.", code="customer_unknown")
    items = [_allocatable(item, pending) for item, pending in await projection.allocatable_items(session, customer.id)]
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
    rows = _new_allocations(payment.id, accepted, basis)
    session.add_all(rows)
    await session.flush()
    await _learn(session, clock, payment)
    await _publish_received(session, clock, payment, rows)
    log.info("payment.allocated_by_person", payment_id=str(payment.id), customer_id=str(customer.id))
    return PaymentRecord(payment, rows)


async def confirm_suggestion(
    session: AsyncSession, *, clock: Clock, payment_id: UUID, rank: int, decided_by: str
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
        decided_by=decided_by,
        basis="confirmed",
    )


async def split_unmatched(
    session: AsyncSession, *, clock: Clock, payment_id: UUID, data: SplitPayment, decided_by: str
) -> list[PaymentRecord]:
    """Divide a queued payment among customers: one PaymentReceived per part, each superseding the original."""
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
            _allocatable(item, pending) for item, pending in await projection.allocatable_items(session, customer.id)
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
        rows = _new_allocations(child.id, accepted, "given")
        session.add_all(rows)
        await session.flush()
        await _publish_received(session, clock, child, rows)
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


async def undo_match(session: AsyncSession, *, clock: Clock, payment_id: UUID, decided_by: str) -> Payment:
    """Undo a match: PaymentReversed for it, and the same money back in the review queue as a new payment."""
    payment = await repository.get_payment(session, payment_id, for_update=True)
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
    await _publish_unmatched(session, clock, again)
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
        existing = await repository.payment_by_external_id(
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
            recorded = await record_incoming(session, clock=clock, incoming=incoming, decision=decision)
            outcome, payment_id = ("payment" if decision.automatic else "payment_unmatched"), recorded.id
    elif notice.kind == "refund" and notice.payment_id and notice.refunded is not None:
        payment = await repository.payment_by_external_id(session, notice.provider, notice.payment_id)
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
            payment = await repository.get_payment(session, payment.id, for_update=True)
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
                )
                outcome = "refund"
    stored.outcome, stored.payment_id = outcome, payment_id
    await session.flush()
    log.info("gateway.notification", provider=notice.provider, provider_id=notice.provider_id, outcome=outcome)
    return outcome, payment_id
