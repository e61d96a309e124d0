"""Ledger use cases: apply and reverse payments, apply credit, credit notes. Never commits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock, local_date
from arflow.events.catalog import (
    CreditNoteIssued,
    PaymentApplicationReversed,
    PaymentApplied,
    PaymentReceived,
    PaymentReversed,
)
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.money import Money, to_minor_units
from invoicing import domain
from invoicing.ledger import lifecycle, repository
from invoicing.ledger.errors import AmountNotExact, CreditExceedsBalance, InvoiceNotOpen, invoice_status_zh
from invoicing.ledger.schemas import CreditNoteCreate, CurrencyBalance, CustomerBalanceOut
from invoicing.lookups import get_customer, get_invoice, require_customer, require_invoice
from invoicing.models import CreditNote, Invoice, PaymentApplication, UnappliedCredit

log = structlog.get_logger("invoicing")
CREDIT_NOTE_SERIES = "CN"


def _balance_changed(invoice: Invoice) -> int:
    """Count one more change of the invoice's balance (its row is locked); the events carry the count."""
    invoice.ledger_version += 1
    return invoice.ledger_version


async def customer_balance(session: AsyncSession, *, customer_id: UUID) -> CustomerBalanceOut:
    """The balance per currency from the ledger entries: invoiced − applied − credited."""
    customer = await require_customer(session, customer_id)
    credit = await repository.unapplied_credit_totals(session, customer.id)
    rows = {row.currency: row for row in await repository.ledger_totals(session, customer.id)}
    balances = []
    for currency in sorted(set(rows) | set(credit)):
        row = rows.get(currency)
        invoiced, applied, credited = (row.invoiced, row.applied, row.credited) if row else (Decimal(0),) * 3
        balances.append(
            CurrencyBalance(
                currency=currency,
                invoiced=to_minor_units(invoiced, currency),
                applied=to_minor_units(applied, currency),
                credited=to_minor_units(credited, currency),
                balance=to_minor_units(invoiced - applied - credited, currency),
                unapplied_credit=to_minor_units(credit.get(currency, Decimal(0)), currency),
            )
        )
    return CustomerBalanceOut(customer_id=customer.id, balances=balances)


async def apply_payment(
    session: AsyncSession, *, actor: Principal, clock: Clock, event: PaymentReceived
) -> dict[str, Any]:
    """Apply a received payment to the customer's invoices; the rest becomes credit."""
    customer = await get_customer(session, event.customer_id, for_update=True)
    if customer is None:
        raise LookupError(f"payment {event.payment_id} names unknown customer {event.customer_id}")
    if await repository.payment_seen(session, event.payment_id):
        log.info("payment.already_applied", payment_id=str(event.payment_id))
        return {"applications": 0, "unapplied": Decimal(0)}
    currency = event.amount.currency
    invoices = {i.id: i for i in await repository.open_invoices_for_update(session, customer.id, currency)}
    open_items = [domain.OpenItem(i.id, i.due_date, i.balance, i.status == "uncollectible") for i in invoices.values()]
    proposed = [
        domain.Application(a.invoice_id, a.amount.amount) for a in event.allocations if a.amount.currency == currency
    ]
    applications, leftover = domain.allocate(event.amount.amount, proposed, open_items)
    for application in applications:
        await _apply(
            session,
            actor=actor,
            clock=clock,
            invoice=invoices[application.invoice_id],
            payment_id=event.payment_id,
            amount=application.amount,
            applied_on=event.received_on,
            source="payment",
        )
    if leftover > 0:
        session.add(
            UnappliedCredit(
                id=uuid7(),
                customer_id=customer.id,
                payment_id=event.payment_id,
                amount=leftover,
                remaining=leftover,
                currency=currency,
                received_on=event.received_on,
                created_at=clock.now(),
            )
        )
    await session.flush()
    log.info(
        "payment.applied", payment_id=str(event.payment_id), applications=len(applications), unapplied=str(leftover)
    )
    return {"applications": len(applications), "unapplied": leftover}


async def _apply(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    invoice: Invoice,
    payment_id: UUID,
    amount: Decimal,
    applied_on: date,
    source: str,
) -> PaymentApplication:
    """Record one application, publish PaymentApplied, and InvoicePaid when the balance reaches zero."""
    now = clock.now()
    recovery = invoice.status == "uncollectible"  # before the money may mark it paid
    invoice.amount_paid += amount
    version = _balance_changed(invoice)
    invoice.updated_at = now
    application = PaymentApplication(
        id=uuid7(),
        payment_id=payment_id,
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        amount=amount,
        currency=invoice.currency,
        applied_on=applied_on,
        source=source,
        recovery=recovery,
        created_at=now,
    )
    session.add(application)
    await outbox.add(
        session,
        PaymentApplied(
            customer_id=invoice.customer_id,
            application_id=application.id,
            payment_id=payment_id,
            invoice_id=invoice.id,
            invoice_number=invoice.number or "",
            amount=Money.of(amount, invoice.currency).quantize(),
            applied_on=applied_on,
            due_date=invoice.due_date,
            invoice_balance_after=Money.of(invoice.balance, invoice.currency).quantize(),
            days_after_due=(applied_on - invoice.due_date).days,
            invoice_ledger_version=version,
        ),
        clock=clock,
    )
    if invoice.balance <= 0:
        await _mark_paid(session, clock=clock, invoice=invoice, paid_on=applied_on)
    else:
        await _grant_early_payment_discount(session, actor=actor, clock=clock, invoice=invoice, paid_on=applied_on)
    return application


async def _grant_early_payment_discount(
    session: AsyncSession, *, actor: Principal, clock: Clock, invoice: Invoice, paid_on: date
) -> None:
    """Close an invoice paid early down to its discount with a credit note of what is left (once per invoice)."""
    if invoice.kind != "standard":
        return
    grant = domain.early_payment_discount_due(
        total=invoice.total,
        balance=invoice.balance,
        invoice_date=invoice.invoice_date,
        paid_on=paid_on,
        rate=invoice.discount_rate,
        days=invoice.discount_days,
        currency=invoice.currency,
    )
    if grant is None or await repository.has_credit_note_of_kind(session, invoice.id, "early_payment_discount"):
        return
    percent = f"{(invoice.discount_rate or 0) * 100:f}".rstrip("0").rstrip(".")
    reason = f"提前付款折扣 Early-payment discount {percent}% (paid {paid_on})"
    await credit_invoice(
        session,
        actor=actor,
        clock=clock,
        invoice=invoice,
        amount=grant,
        reason=reason,
        issued_on=max(paid_on, invoice.invoice_date),
        kind="early_payment_discount",
    )


async def apply_unapplied_credit(
    session: AsyncSession, *, actor: Principal, clock: Clock, customer_id: UUID, currency: str | None = None
) -> dict[str, Any]:
    """Apply the customer's free credit to its open invoices, oldest due first."""
    customer = await require_customer(session, customer_id, for_update=True)
    currencies = [currency] if currency else sorted(await repository.unapplied_credit_totals(session, customer.id))
    today = local_date(clock.now(), customer.time_zone)
    count, total = 0, Decimal(0)
    for code in currencies:
        credits = await repository.free_credit_for_update(session, customer.id, code)
        if not credits:
            continue
        invoices = await repository.open_invoices_for_update(session, customer.id, code)
        for credit in credits:
            open_items = [
                domain.OpenItem(i.id, i.due_date, i.balance, i.status == "uncollectible")
                for i in invoices
                if i.balance > 0
            ]
            applications, leftover = domain.allocate(credit.remaining, [], open_items)
            by_id = {i.id: i for i in invoices}
            for application in applications:
                await _apply(
                    session,
                    actor=actor,
                    clock=clock,
                    invoice=by_id[application.invoice_id],
                    payment_id=credit.payment_id,
                    amount=application.amount,
                    applied_on=max(today, by_id[application.invoice_id].invoice_date),
                    source="credit",
                )
                count, total = count + 1, total + application.amount
            credit.remaining = leftover
    await session.flush()
    if count:
        log.info("credit.applied", customer_id=str(customer.id), applications=count, amount=str(total))
    return {"applications": count, "applied": total}


async def reverse_payment(
    session: AsyncSession, *, actor: Principal, clock: Clock, event: PaymentReversed
) -> dict[str, Any]:
    """Undo a payment (refund, chargeback, bounce): its free credit first, then its applications, newest first.

    Each undone application is kept, marked reversed; a partly undone one is
    replaced by an application of what remains. Invoices it had paid reopen.
    """
    customer = await get_customer(session, event.customer_id, for_update=True)
    if customer is None:
        raise LookupError(f"reversal of payment {event.payment_id} names unknown customer {event.customer_id}")
    to_undo = event.amount.amount
    for credit in await repository.credits_of_payment(session, event.payment_id):
        if credit.reversed_on is None and credit.remaining > 0 and to_undo > 0:
            taken = min(credit.remaining, to_undo)
            credit.remaining -= taken
            to_undo -= taken
            if credit.remaining == 0:
                credit.reversed_on = event.reversed_on
    applications = await repository.active_applications_of_payment(session, event.payment_id)
    undone = 0
    for application in reversed(applications):
        if to_undo <= 0:
            break
        taken = min(application.amount, to_undo)
        to_undo -= taken
        await _unapply(session, clock=clock, application=application, amount=taken, event=event)
        undone += 1
    await session.flush()
    if to_undo > 0:
        log.warning("payment.reversal_exceeds_payment", payment_id=str(event.payment_id), left=str(to_undo))
    log.info("payment.reversed", payment_id=str(event.payment_id), applications=undone)
    return {"applications_reversed": undone, "not_found": to_undo}


async def _unapply(
    session: AsyncSession, *, clock: Clock, application: PaymentApplication, amount: Decimal, event: PaymentReversed
) -> None:
    invoice = await get_invoice(session, application.invoice_id, for_update=True)
    assert invoice is not None
    now = clock.now()
    application.reversed_on = event.reversed_on
    if amount < application.amount:  # keep what the reversal does not touch
        # dated the day of the reversal, so the ledger read "as of" any earlier
        # day still shows the whole original application
        session.add(
            PaymentApplication(
                id=uuid7(),
                payment_id=application.payment_id,
                invoice_id=application.invoice_id,
                customer_id=application.customer_id,
                amount=application.amount - amount,
                currency=application.currency,
                applied_on=event.reversed_on,
                source=application.source,
                recovery=application.recovery,
                created_at=now,
            )
        )
    invoice.amount_paid -= amount
    version = _balance_changed(invoice)
    invoice.updated_at = now
    reopened = lifecycle.reopen_if_owed(invoice)
    await session.flush()
    await outbox.add(
        session,
        PaymentApplicationReversed(
            customer_id=invoice.customer_id,
            application_id=application.id,
            payment_id=application.payment_id,
            invoice_id=invoice.id,
            invoice_number=invoice.number or "",
            amount=Money.of(amount, invoice.currency).quantize(),
            reversed_on=event.reversed_on,
            reason=event.reason,
            invoice_balance_after=Money.of(invoice.balance, invoice.currency).quantize(),
            invoice_reopened=reopened,
            invoice_ledger_version=version,
        ),
        clock=clock,
    )
    log.info("payment_application.reversed", application_id=str(application.id), reopened=reopened)


async def _mark_paid(session: AsyncSession, *, clock: Clock, invoice: Invoice, paid_on: date) -> None:
    await outbox.add(session, lifecycle.mark_paid(invoice, paid_on=paid_on), clock=clock)
    log.info("invoice.paid", invoice_id=str(invoice.id), number=invoice.number)


async def issue_credit_note(
    session: AsyncSession, *, actor: Principal, clock: Clock, invoice_id: UUID, data: CreditNoteCreate
) -> CreditNote:
    """Credit part or all of an issued invoice's open balance; number it CN-YYYY-nnnnnn."""
    invoice = await require_invoice(session, invoice_id, for_update=True)
    if invoice.status not in ("open", "uncollectible"):
        raise InvoiceNotOpen(
            f"Invoice {invoice.number or invoice.id} is {invoice.status}; only open invoices can be credited.",
            detail_zh=f"账单 {invoice.number or invoice.id} 的状态为{invoice_status_zh(invoice.status)}，"
            "只有未结账单可以开具贷项通知单。",
        )
    amount = invoice.balance if data.amount is None else data.amount
    if not Money.of(amount, invoice.currency).is_exact_minor_units():
        raise AmountNotExact(
            f"The amount has more decimals than {invoice.currency} allows.",
            detail_zh=f"金额的小数位数超过了 {invoice.currency} 允许的位数。",
        )
    if amount > invoice.balance:
        raise CreditExceedsBalance(
            f"The credit ({amount}) exceeds the open balance ({to_minor_units(invoice.balance, invoice.currency)}).",
            detail_zh=f"贷项金额（{amount}）超过未结余额（{to_minor_units(invoice.balance, invoice.currency)}）。",
        )
    customer = await require_customer(session, invoice.customer_id)
    issued_on = max(local_date(clock.now(), customer.time_zone), invoice.invoice_date)
    return await credit_invoice(
        session, actor=actor, clock=clock, invoice=invoice, amount=amount, reason=data.reason, issued_on=issued_on
    )


async def credit_invoice(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    invoice: Invoice,
    amount: Decimal,
    reason: str,
    issued_on: date,
    kind: str = "manual",
) -> CreditNote:
    """Issue a credit note of `amount` (at most the balance) against a locked open invoice; paid at zero."""
    now = clock.now()
    value = await repository.next_invoice_number(session, CREDIT_NOTE_SERIES, issued_on.year)
    note = CreditNote(
        id=uuid7(),
        number=domain.format_invoice_number(CREDIT_NOTE_SERIES, issued_on.year, value),
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        amount=amount,
        currency=invoice.currency,
        reason=reason,
        kind=kind,
        issued_on=issued_on,
        created_at=now,
    )
    session.add(note)
    invoice.amount_credited += amount
    version = _balance_changed(invoice)
    invoice.updated_at = now
    await session.flush()
    await outbox.add(
        session,
        CreditNoteIssued(
            customer_id=invoice.customer_id,
            credit_note_id=note.id,
            credit_note_number=note.number,
            invoice_id=invoice.id,
            invoice_number=invoice.number or "",
            amount=Money.of(amount, invoice.currency).quantize(),
            reason=reason,
            issued_on=issued_on,
            invoice_balance_after=Money.of(invoice.balance, invoice.currency).quantize(),
            invoice_ledger_version=version,
        ),
        clock=clock,
    )
    if invoice.balance <= 0:
        await _mark_paid(session, clock=clock, invoice=invoice, paid_on=issued_on)
    log.info("credit_note.issued", credit_note_id=str(note.id), number=note.number, invoice_id=str(invoice.id))
    return note
