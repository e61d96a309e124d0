"""Reconciliation use cases: load, apply the domain rules, save, record events. Never commits."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock, local_date
from arflow.events.catalog import Allocation as AllocationFact
from arflow.events.catalog import (
    CustomerUpserted,
    InvoiceIssued,
    InvoicePaid,
    InvoiceVoided,
    InvoiceWrittenOff,
    PaymentApplied,
    PaymentReceived,
)
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.money import Money
from arflow.problems import NotFound, Unprocessable
from reconciliation import domain, repository
from reconciliation.models import Allocation, OpenItem, Payment
from reconciliation.schemas import PaymentCreate

log = structlog.get_logger("reconciliation")
DEFAULT_TIME_ZONE = "Asia/Shanghai"
# A person entered the payment and chose (or accepted) where it goes.
MANUAL_MATCH_CONFIDENCE = Decimal(1)


# --- the projection of invoicing ---------------------------------------------------


def _valid_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return DEFAULT_TIME_ZONE
    return name


async def record_customer(session: AsyncSession, *, clock: Clock, event: CustomerUpserted) -> None:
    """Keep the customer's latest revision; an older or repeated revision changes nothing."""
    written = await repository.upsert_customer(
        session,
        {
            "id": event.customer_id,
            "revision": event.revision,
            "legal_name": event.legal_name,
            "short_name": event.short_name,
            "external_reference": event.external_reference,
            "time_zone": _valid_time_zone(event.time_zone),
            "archived": event.archived,
            "updated_at": clock.now(),
        },
    )
    log.info(
        "customer.projected" if written else "customer.stale_revision_ignored",
        customer_id=str(event.customer_id),
        revision=event.revision,
    )


def invoice_state(item: OpenItem) -> domain.InvoiceState:
    """An open item row as the domain sees it."""
    return domain.InvoiceState(
        customer_id=item.customer_id,
        invoice_number=item.invoice_number,
        currency=item.currency,
        balance=item.balance,
        status=item.status,  # type: ignore[arg-type]
        total=item.total,
        invoice_date=item.invoice_date,
        due_date=item.due_date,
        payment_reference=item.payment_reference,
        issued_at=item.issued_at,
    )


async def record_invoice_fact(
    session: AsyncSession, *, clock: Clock, invoice_id: UUID, fact: domain.InvoiceState
) -> domain.InvoiceState:
    """Merge what one invoicing event says about an invoice into its open item."""
    now = clock.now()
    item = await repository.get_open_item(session, invoice_id, for_update=True)
    if item is None:
        if await repository.insert_open_item(session, {"invoice_id": invoice_id, **asdict(fact), "updated_at": now}):
            log.info("open_item.recorded", invoice_id=str(invoice_id), status=fact.status)
            return fact
        item = await repository.get_open_item(session, invoice_id, for_update=True)
        assert item is not None  # inserted concurrently, and committed before our lock was granted
    state = domain.merge(invoice_state(item), fact)
    for name, value in asdict(state).items():
        setattr(item, name, value)
    item.updated_at = now
    await session.flush()
    log.info("open_item.updated", invoice_id=str(invoice_id), status=state.status, balance=str(state.balance))
    return state


async def record_invoice_issued(session: AsyncSession, *, clock: Clock, event: InvoiceIssued) -> None:
    """An issued invoice becomes an open item owing its total (unless later facts already lowered it)."""
    fact = domain.InvoiceState(
        customer_id=event.customer_id,
        invoice_number=event.invoice_number,
        currency=event.total.currency,
        balance=event.total.amount,
        total=event.total.amount,
        invoice_date=event.invoice_date,
        due_date=event.due_date,
        payment_reference=event.payment_reference,
        issued_at=event.issued_at,
    )
    await record_invoice_fact(session, clock=clock, invoice_id=event.invoice_id, fact=fact)


async def record_payment_applied(session: AsyncSession, *, clock: Clock, event: PaymentApplied) -> None:
    """Lower the invoice's balance to what invoicing reports, and release the applied allocation."""
    fact = domain.InvoiceState(
        customer_id=event.customer_id,
        invoice_number=event.invoice_number,
        currency=event.invoice_balance_after.currency,
        balance=event.invoice_balance_after.amount,
        due_date=event.due_date,
    )
    await record_invoice_fact(session, clock=clock, invoice_id=event.invoice_id, fact=fact)
    await repository.mark_allocation_applied(session, event.payment_id, event.invoice_id, clock.now())


async def record_invoice_paid(session: AsyncSession, *, clock: Clock, event: InvoicePaid) -> None:
    fact = domain.InvoiceState(
        customer_id=event.customer_id,
        invoice_number=event.invoice_number,
        currency=event.total.currency,
        balance=Decimal(0),
        status="paid",
        total=event.total.amount,
        invoice_date=event.invoice_date,
        due_date=event.due_date,
    )
    await record_invoice_fact(session, clock=clock, invoice_id=event.invoice_id, fact=fact)


async def record_invoice_voided(session: AsyncSession, *, clock: Clock, event: InvoiceVoided) -> None:
    fact = domain.InvoiceState(
        customer_id=event.customer_id,
        invoice_number=event.invoice_number,
        currency=event.total.currency,
        balance=Decimal(0),
        status="void",
        total=event.total.amount,
    )
    await record_invoice_fact(session, clock=clock, invoice_id=event.invoice_id, fact=fact)


async def record_invoice_written_off(session: AsyncSession, *, clock: Clock, event: InvoiceWrittenOff) -> None:
    # The balance stays owed (a written-off invoice can still be paid), so it is not zeroed.
    fact = domain.InvoiceState(
        customer_id=event.customer_id,
        invoice_number=event.invoice_number,
        currency=event.amount_written_off.currency,
        balance=event.amount_written_off.amount,
        status="written_off",
    )
    await record_invoice_fact(session, clock=clock, invoice_id=event.invoice_id, fact=fact)


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
    customer = await repository.get_customer(session, data.customer_id, for_update=True)
    if customer is None:
        raise Unprocessable(
            f"Customer {data.customer_id} is not known to reconciliation (no CustomerUpserted received).",
            code="customer_unknown",
        )
    now = clock.now()
    if data.received_on > local_date(now, customer.time_zone):
        raise Unprocessable(f"received_on {data.received_on} is in the future.", code="received_on_in_future")
    items = [_allocatable(item, pending) for item, pending in await repository.allocatable_items(session, customer.id)]
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
