"""Payments' use cases: money received (by hand, from a statement, from a gateway), allocated, published, reversed."""

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

from arflow.auth import Principal
from arflow.clock import Clock, local_date
from arflow.events.catalog import Allocation as AllocationFact
from arflow.events.catalog import (
    MatchSuggestion,
    PaymentReceived,
    PaymentReversed,
    PaymentSource,
    PaymentUnmatched,
)
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.money import Money
from reconciliation import domain
from reconciliation.matching import reasons as why
from reconciliation.matching.engine import Decision, Incoming
from reconciliation.matching.service import suggestion_json
from reconciliation.models import Allocation, OpenItem, Payment
from reconciliation.open_items import repository as projection
from reconciliation.open_items.errors import CustomerUnknown
from reconciliation.open_items.service import invoice_state
from reconciliation.payments import repository
from reconciliation.payments.errors import PaymentNotFound, ReceivedOnInFuture, allocation_rejected
from reconciliation.payments.schemas import PaymentCreate

log = structlog.get_logger("reconciliation")


# A person entered the payment and chose (or accepted) where it goes.
MANUAL_MATCH_CONFIDENCE = Decimal(1)
# The PaymentReversed reasons reconciliation publishes.
ReversalReason = Literal["refund", "statement_reversal", "unmatched"]


@dataclass(frozen=True)
class PaymentRecord:
    payment: Payment
    allocations: list[Allocation]


def allocatable(item: OpenItem, pending: Decimal) -> domain.OpenItem:
    """An open item as the allocation rules see it: what it can still take after pending allocations."""
    return domain.OpenItem(
        invoice_id=item.invoice_id,
        invoice_number=item.invoice_number,
        currency=item.currency,
        due_date=item.due_date,
        available=domain.available_balance(invoice_state(item), pending),
        payment_reference=item.payment_reference,
        written_off=item.status == "written_off",
    )


async def receive_payment(
    session: AsyncSession, *, clock: Clock, data: PaymentCreate, actor: Principal
) -> PaymentRecord:
    """Record a payment entered by a person, allocate it, and publish PaymentReceived."""
    # The row lock serialises one customer's payments, so two cannot both take the same balance.
    customer = await projection.get_customer(session, data.customer_id, for_update=True)
    if customer is None:
        raise CustomerUnknown(
            f"Customer {data.customer_id} is not known to reconciliation (no CustomerUpserted received).",
            detail_zh=f"对账服务中没有客户 {data.customer_id}（尚未收到 CustomerUpserted 事件）。",
        )
    now = clock.now()
    today = local_date(now, customer.time_zone)
    if data.received_on > domain.latest_business_date(today):
        detail, detail_zh = domain.future_date_detail("received_on", data.received_on, today)
        raise ReceivedOnInFuture(detail, detail_zh=detail_zh)
    items = [allocatable(item, pending) for item, pending in await projection.allocatable_items(session, customer.id)]
    if data.allocations is None:
        proposals = domain.propose_allocations(data.amount, data.currency, data.reference, items)
    else:
        requested = [(a.invoice_id, a.amount) for a in data.allocations]
        try:
            proposals = domain.check_allocations(data.amount, data.currency, requested, items)
        except domain.AllocationRejected as exc:
            raise allocation_rejected(exc) from None

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
    """A payment with its allocations, or a 404."""
    payment = await repository.get_payment(session, payment_id)
    if payment is None:
        raise PaymentNotFound(f"There is no payment {payment_id}.", detail_zh=f"收款 {payment_id} 不存在。")
    allocations = await repository.allocations_of(session, [payment.id])
    return PaymentRecord(payment, allocations[payment.id])


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
    # A gateway order made for an invoice (a payment attempt) that the payment pays: its invoice number and id.
    ordered: str | None = None
    order_id: str | None = None
    order_amount: Decimal | None = None  # what the order asked (less than the invoice owes: a part payment)

    def as_match_input(self) -> Incoming:
        return Incoming(
            self.amount,
            self.currency,
            self.reference,
            self.payer_name,
            self.payer_account,
            self.ordered,
            self.order_id,
            self.order_amount,
        )


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


async def publish_received(
    session: AsyncSession, clock: Clock, payment: Payment, allocations: list[Allocation]
) -> None:
    """PaymentReceived of a payment and its allocations, to the outbox."""
    await outbox.add(session, _received_event(payment, allocations), clock=clock)


async def publish_unmatched(session: AsyncSession, clock: Clock, payment: Payment) -> None:
    """PaymentUnmatched of a payment and its suggestions, to the outbox."""
    await outbox.add(session, _unmatched_event(payment), clock=clock)


def new_allocations(payment_id: UUID, allocations: Any, basis: str) -> list[Allocation]:
    """Allocation rows of a payment, numbered in the order given."""
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


async def record_incoming_many(
    session: AsyncSession,
    *,
    clock: Clock,
    batch: Sequence[tuple[IncomingPayment, Decision]],
    actor: Principal,
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
        log_incoming(record)
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


def log_incoming(record: IncomingRecord) -> None:
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
    actor: Principal,
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
