"""Invoicing use cases: load, apply the domain rules, save, record events. Never commits."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock, local_date
from arflow.events.catalog import (
    ContactInfo,
    CustomerUpserted,
    InvoiceIssued,
    InvoiceOverdue,
    InvoicePaid,
    PaymentApplied,
    PaymentReceived,
)
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.money import Money
from arflow.problems import Conflict, NotFound, Unprocessable
from invoicing import domain, repository
from invoicing.models import Customer, Invoice, InvoiceLine, PaymentApplication, UnappliedCredit
from invoicing.schemas import CustomerCreate, InvoiceCreate

log = structlog.get_logger("invoicing")
INVOICE_SERIES = "INV"


# --- customers -----------------------------------------------------------------


def customer_upserted(customer: Customer) -> CustomerUpserted:
    return CustomerUpserted(
        customer_id=customer.id,
        revision=customer.revision,
        legal_name=customer.legal_name,
        short_name=customer.short_name,
        unified_social_credit_code=customer.unified_social_credit_code,
        external_reference=customer.external_reference,
        time_zone=customer.time_zone,
        preferred_language=customer.preferred_language,  # type: ignore[arg-type]
        contacts=[
            ContactInfo(
                name=c["name"],
                role=c.get("role", "billing"),
                email=c.get("email"),
                phone=c.get("phone"),
                language=c.get("language", customer.preferred_language),
                preferred_channel=c.get("preferred_channel", "email"),
            )
            for c in customer.contacts
        ],
        tags=list(customer.tags),
        payment_terms_code=customer.payment_terms_code,
        dunning_excluded=customer.dunning_excluded,
        dunning_exclusion_reason=customer.dunning_exclusion_reason,
        credit_hold=customer.credit_hold,
        archived=customer.archived_at is not None,
    )


async def create_customer(session: AsyncSession, *, clock: Clock, data: CustomerCreate) -> Customer:
    """Create a customer and publish CustomerUpserted."""
    if data.external_reference and await repository.customer_by_external_reference(session, data.external_reference):
        raise Conflict(
            f"A customer with external reference '{data.external_reference}' already exists.",
            code="external_reference_taken",
        )
    now = clock.now()
    customer = Customer(
        id=uuid7(),
        **data.model_dump(exclude={"contacts"}),
        contacts=[c.model_dump(mode="json") for c in data.contacts],
        revision=1,
        credit_hold=False,
        created_at=now,
        updated_at=now,
    )
    session.add(customer)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("The customer conflicts with an existing one.", code="customer_conflict") from None
    await outbox.add(session, customer_upserted(customer), clock=clock)
    log.info("customer.created", customer_id=str(customer.id))
    return customer


async def require_customer(session: AsyncSession, customer_id: UUID, *, for_update: bool = False) -> Customer:
    customer = await repository.get_customer(session, customer_id, for_update=for_update)
    if customer is None:
        raise NotFound(f"There is no customer {customer_id}.", code="customer_not_found")
    return customer


# --- invoices ------------------------------------------------------------------


async def create_invoice(session: AsyncSession, *, clock: Clock, data: InvoiceCreate) -> Invoice:
    """Create a draft invoice from lines (and issue it at once when asked)."""
    customer = await repository.get_customer(session, data.customer_id)
    if customer is None:
        raise Unprocessable(f"There is no customer {data.customer_id}.", code="customer_not_found")
    if customer.archived_at is not None:
        raise Unprocessable("The customer is archived.", code="customer_archived")
    now = clock.now()
    invoice_date = data.invoice_date or local_date(now, customer.time_zone)
    terms = domain.Terms(net_days=data.net_days, basis=data.due_date_basis, grace_days=data.grace_days)
    invoice_id = uuid7()
    lines, subtotal, tax_total = [], Decimal(0), Decimal(0)
    for position, line in enumerate(data.lines, start=1):
        amounts = domain.line_amounts(line.quantity, line.unit_price, line.tax_rate, data.currency)
        subtotal += amounts.net
        tax_total += amounts.tax
        lines.append(
            InvoiceLine(
                id=uuid7(),
                invoice_id=invoice_id,
                position=position,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                tax_rate=line.tax_rate,
                net_amount=amounts.net,
                tax_amount=amounts.tax,
                gross_amount=amounts.gross,
            )
        )
    invoice = Invoice(
        id=invoice_id,
        customer_id=customer.id,
        status="draft",
        currency=data.currency,
        invoice_date=invoice_date,
        due_date=domain.due_date(invoice_date, terms),
        net_days=terms.net_days,
        grace_days=terms.grace_days,
        subtotal=subtotal,
        tax_total=tax_total,
        total=subtotal + tax_total,
        amount_paid=Decimal(0),
        amount_credited=Decimal(0),
        memo=data.memo,
        created_at=now,
        updated_at=now,
    )
    session.add(invoice)
    session.add_all(lines)
    await session.flush()
    if data.issue:
        await issue_invoice(session, clock=clock, invoice_id=invoice.id)
    return invoice


async def issue_invoice(session: AsyncSession, *, clock: Clock, invoice_id: UUID) -> Invoice:
    """Give a draft its number and payment reference, open it, publish InvoiceIssued."""
    invoice = await repository.get_invoice(session, invoice_id, for_update=True)
    if invoice is None:
        raise NotFound(f"There is no invoice {invoice_id}.", code="invoice_not_found")
    if invoice.status != "draft":
        raise Conflict(
            f"Invoice {invoice.number} is {invoice.status}; only drafts can be issued.", code="invoice_not_draft"
        )
    if invoice.total <= 0:
        raise Unprocessable("An invoice must total more than zero to be issued.", code="invoice_total_zero")
    now = clock.now()
    year = invoice.invoice_date.year
    value = await repository.next_invoice_number(session, INVOICE_SERIES, year)
    invoice.number = domain.format_invoice_number(INVOICE_SERIES, year, value)
    invoice.payment_reference = domain.rf_creditor_reference(invoice.number)
    invoice.status = "open"
    invoice.issued_at = now
    invoice.updated_at = now
    await session.flush()
    currency = invoice.currency
    await outbox.add(
        session,
        InvoiceIssued(
            customer_id=invoice.customer_id,
            invoice_id=invoice.id,
            invoice_number=invoice.number,
            currency=currency,
            subtotal=Money.of(invoice.subtotal, currency).quantize(),
            tax_total=Money.of(invoice.tax_total, currency).quantize(),
            total=Money.of(invoice.total, currency).quantize(),
            invoice_date=invoice.invoice_date,
            due_date=invoice.due_date,
            net_days=invoice.net_days,
            grace_days=invoice.grace_days,
            payment_reference=invoice.payment_reference,
            issued_at=now,
        ),
        clock=clock,
    )
    log.info("invoice.issued", invoice_id=str(invoice.id), number=invoice.number)
    return invoice


async def require_invoice(session: AsyncSession, invoice_id: UUID) -> Invoice:
    invoice = await repository.get_invoice(session, invoice_id)
    if invoice is None:
        raise NotFound(f"There is no invoice {invoice_id}.", code="invoice_not_found")
    return invoice


# --- the receivables ledger -------------------------------------------------------


async def apply_payment(session: AsyncSession, *, clock: Clock, event: PaymentReceived) -> dict[str, Any]:
    """Apply a received payment to the customer's invoices; the rest becomes credit."""
    customer = await repository.get_customer(session, event.customer_id, for_update=True)
    if customer is None:
        raise LookupError(f"payment {event.payment_id} names unknown customer {event.customer_id}")
    currency = event.amount.currency
    invoices = {i.id: i for i in await repository.open_invoices_for_update(session, customer.id, currency)}
    open_items = [domain.OpenItem(i.id, i.due_date, i.balance) for i in invoices.values()]
    proposed = [
        domain.Application(a.invoice_id, a.amount.amount) for a in event.allocations if a.amount.currency == currency
    ]
    applications, leftover = domain.allocate(event.amount.amount, proposed, open_items)
    now = clock.now()
    for application in applications:
        invoice = invoices[application.invoice_id]
        invoice.amount_paid += application.amount
        invoice.updated_at = now
        application_id = uuid7()
        session.add(
            PaymentApplication(
                id=application_id,
                payment_id=event.payment_id,
                invoice_id=invoice.id,
                customer_id=customer.id,
                amount=application.amount,
                currency=currency,
                applied_on=event.received_on,
                created_at=now,
            )
        )
        await outbox.add(
            session,
            PaymentApplied(
                customer_id=customer.id,
                application_id=application_id,
                payment_id=event.payment_id,
                invoice_id=invoice.id,
                invoice_number=invoice.number or "",
                amount=Money.of(application.amount, currency).quantize(),
                applied_on=event.received_on,
                due_date=invoice.due_date,
                invoice_balance_after=Money.of(invoice.balance, currency).quantize(),
                days_after_due=(event.received_on - invoice.due_date).days,
            ),
            clock=clock,
        )
        if invoice.balance <= 0:
            await _mark_paid(session, clock=clock, invoice=invoice, paid_on=event.received_on)
    if leftover > 0:
        session.add(
            UnappliedCredit(
                id=uuid7(),
                customer_id=customer.id,
                payment_id=event.payment_id,
                amount=leftover,
                currency=currency,
                received_on=event.received_on,
                created_at=now,
            )
        )
    await session.flush()
    log.info(
        "payment.applied", payment_id=str(event.payment_id), applications=len(applications), unapplied=str(leftover)
    )
    return {"applications": len(applications), "unapplied": leftover}


async def _mark_paid(session: AsyncSession, *, clock: Clock, invoice: Invoice, paid_on: date) -> None:
    invoice.status = "paid"
    invoice.paid_on = paid_on
    await outbox.add(
        session,
        InvoicePaid(
            customer_id=invoice.customer_id,
            invoice_id=invoice.id,
            invoice_number=invoice.number or "",
            total=Money.of(invoice.total, invoice.currency).quantize(),
            invoice_date=invoice.invoice_date,
            due_date=invoice.due_date,
            paid_on=paid_on,
            days_beyond_terms=max(0, (paid_on - invoice.due_date).days),
        ),
        clock=clock,
    )
    log.info("invoice.paid", invoice_id=str(invoice.id), number=invoice.number)


# --- due and overdue -------------------------------------------------------------


async def sweep_overdue(session: AsyncSession, *, clock: Clock, as_of: datetime) -> dict[str, Any]:
    """Publish InvoiceOverdue for every invoice that newly reached an aging threshold."""
    rows = await repository.record_overdue_notices(session, as_of)
    for row in rows:
        days_overdue = (row.as_of - row.due_date).days
        await outbox.add(
            session,
            InvoiceOverdue(
                customer_id=row.customer_id,
                invoice_id=row.id,
                invoice_number=row.number,
                invoice_date=row.invoice_date,
                due_date=row.due_date,
                total=Money.of(row.total, row.currency).quantize(),
                amount_due=Money.of(row.amount_due, row.currency).quantize(),
                days_overdue=days_overdue,
                bucket=domain.aging_bucket(days_overdue),  # type: ignore[arg-type]
                as_of=row.as_of,
                payment_reference=row.payment_reference,
            ),
            clock=clock,
        )
    by_threshold: dict[str, int] = {}
    for row in rows:
        by_threshold[row.threshold] = by_threshold.get(row.threshold, 0) + 1
    return {"notices": len(rows), "by_threshold": by_threshold}
