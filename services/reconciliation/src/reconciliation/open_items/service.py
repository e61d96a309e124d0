"""The projection of invoicing: customers and open items kept from its events, in any order, duplicates included."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from decimal import Decimal
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import DEFAULT_TIME_ZONE, Clock, is_time_zone
from arflow.events.catalog import (
    CreditNoteIssued,
    CustomerUpserted,
    InvoiceIssued,
    InvoicePaid,
    InvoiceVoided,
    InvoiceWrittenOff,
    PaymentApplicationReversed,
    PaymentApplied,
)
from arflow.money import Money
from reconciliation import domain
from reconciliation.keys import name_bigrams, normalise_name, reference_key
from reconciliation.models import Customer, OpenItem
from reconciliation.open_items import repository
from reconciliation.open_items.errors import CustomerUnknown

log = structlog.get_logger("reconciliation")


def _valid_time_zone(name: str) -> str:
    return name if is_time_zone(name) else DEFAULT_TIME_ZONE


async def record_customer(session: AsyncSession, *, clock: Clock, event: CustomerUpserted, actor: Principal) -> None:
    """Keep the customer's latest revision; an older or repeated revision changes nothing."""
    name_key = normalise_name(event.legal_name) or None
    short_name_key = normalise_name(event.short_name) or None
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
            "name_key": name_key,
            "short_name_key": short_name_key,
        },
    )
    if written:
        # An archived customer is never a candidate, so its names leave the bigram index.
        keys = () if event.archived else (name_key, short_name_key)
        await repository.replace_customer_name_bigrams(session, event.customer_id, _name_bigrams(keys))
    log.info(
        "customer.projected" if written else "customer.stale_revision_ignored",
        customer_id=str(event.customer_id),
        revision=event.revision,
    )


def _name_bigrams(name_keys: Sequence[str | None]) -> set[tuple[str, str]]:
    """(gram, name key) of each of the name keys' bigrams, as similar names are looked up."""
    return {(gram, key) for key in name_keys if key for gram in name_bigrams(key)}


def invoice_state(item: OpenItem) -> domain.InvoiceState:
    """An open item row as the domain sees it."""
    return domain.InvoiceState(
        customer_id=item.customer_id,
        invoice_number=item.invoice_number,
        currency=item.currency,
        balance=item.balance,
        status=item.status,
        total=item.total,
        invoice_date=item.invoice_date,
        due_date=item.due_date,
        payment_reference=item.payment_reference,
        issued_at=item.issued_at,
        ledger_version=item.ledger_version,
        written_off=item.written_off,
    )


def _lookup_keys(state: domain.InvoiceState) -> dict[str, str | None]:
    """The invoice number and reference as the matching engine looks them up (indexed columns)."""
    return {
        "number_key": reference_key(state.invoice_number) or None,
        "reference_key": reference_key(state.payment_reference) or None,
    }


async def record_invoice_fact(
    session: AsyncSession, *, clock: Clock, invoice_id: UUID, fact: domain.InvoiceState
) -> domain.InvoiceState:
    """Merge what one invoicing event says about an invoice into its open item."""
    now = clock.now()
    item = await repository.get_open_item(session, invoice_id, for_update=True)
    if item is None:
        first = domain.merge(None, fact)
        values = {"invoice_id": invoice_id, **asdict(first), **_lookup_keys(first), "updated_at": now}
        if await repository.insert_open_item(session, values):
            log.info("open_item.recorded", invoice_id=str(invoice_id), status=first.status)
            return first
        item = await repository.get_open_item(session, invoice_id, for_update=True)
        assert item is not None  # inserted concurrently, and committed before our lock was granted
    state = domain.merge(invoice_state(item), fact)
    for name, value in (asdict(state) | _lookup_keys(state)).items():
        setattr(item, name, value)
    item.updated_at = now
    await session.flush()
    log.info(
        "open_item.updated",
        invoice_id=str(invoice_id),
        status=state.status,
        balance=str(state.balance),
        ledger_version=state.ledger_version,
    )
    return state


async def record_invoice_issued(session: AsyncSession, *, clock: Clock, event: InvoiceIssued, actor: Principal) -> None:
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


async def record_payment_applied(
    session: AsyncSession, *, clock: Clock, event: PaymentApplied, actor: Principal
) -> None:
    """Take the invoice's balance as invoicing reports it, and release the applied allocation."""
    fact = domain.InvoiceState(
        customer_id=event.customer_id,
        invoice_number=event.invoice_number,
        currency=event.invoice_balance_after.currency,
        balance=event.invoice_balance_after.amount,
        due_date=event.due_date,
        ledger_version=event.invoice_ledger_version,
    )
    await record_invoice_fact(session, clock=clock, invoice_id=event.invoice_id, fact=fact)
    await repository.mark_allocation_applied(session, event.payment_id, event.invoice_id, clock.now())


async def record_application_reversed(
    session: AsyncSession, *, clock: Clock, event: PaymentApplicationReversed, actor: Principal
) -> None:
    """An application undone raises the invoice's balance again (and reopens a paid one), by its ledger version.

    Without a version the fact cannot be ordered against the others, so it
    changes nothing (the balance only ever falls under the version-less rule).
    """
    if event.invoice_ledger_version is None:
        log.warning("open_item.unversioned_reversal_ignored", invoice_id=str(event.invoice_id))
        return
    await record_invoice_fact(
        session, clock=clock, invoice_id=event.invoice_id, fact=_balance_after(event, event.invoice_balance_after)
    )


def _balance_after(event: PaymentApplicationReversed | CreditNoteIssued, balance: Money) -> domain.InvoiceState:
    """The invoice's state as a balance event reports it (the balance after, at the event's ledger version)."""
    return domain.InvoiceState(
        customer_id=event.customer_id,
        invoice_number=event.invoice_number,
        currency=balance.currency,
        balance=balance.amount,
        ledger_version=event.invoice_ledger_version,
    )


async def record_credit_note(session: AsyncSession, *, clock: Clock, event: CreditNoteIssued, actor: Principal) -> None:
    """A credit note sets the invoice's balance to the one invoicing reports after it."""
    if event.invoice_balance_after is None:
        # An event from before invoicing reported the balance: the next balance event carries it.
        log.warning("open_item.credit_note_without_balance", invoice_id=str(event.invoice_id))
        return
    await record_invoice_fact(
        session, clock=clock, invoice_id=event.invoice_id, fact=_balance_after(event, event.invoice_balance_after)
    )


async def record_invoice_paid(session: AsyncSession, *, clock: Clock, event: InvoicePaid, actor: Principal) -> None:
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


async def record_invoice_voided(session: AsyncSession, *, clock: Clock, event: InvoiceVoided, actor: Principal) -> None:
    fact = domain.InvoiceState(
        customer_id=event.customer_id,
        invoice_number=event.invoice_number,
        currency=event.total.currency,
        balance=Decimal(0),
        status="void",
        total=event.total.amount,
    )
    await record_invoice_fact(session, clock=clock, invoice_id=event.invoice_id, fact=fact)


async def record_invoice_written_off(
    session: AsyncSession, *, clock: Clock, event: InvoiceWrittenOff, actor: Principal
) -> None:
    # The balance stays owed (a written-off invoice can still be paid), so it is not zeroed.
    fact = domain.InvoiceState(
        customer_id=event.customer_id,
        invoice_number=event.invoice_number,
        currency=event.amount_written_off.currency,
        balance=event.amount_written_off.amount,
        status="written_off",
    )
    await record_invoice_fact(session, clock=clock, invoice_id=event.invoice_id, fact=fact)


async def require_customer(session: AsyncSession, customer_id: UUID, *, for_update: bool = False) -> Customer:
    """The customer as projected, or a 422 when invoicing never told of it (locked if asked: it serialises payments)."""
    customer = await repository.get_customer(session, customer_id, for_update=for_update)
    if customer is None:
        raise CustomerUnknown(
            f"Customer {customer_id} is not known to reconciliation.",
            detail_zh=f"对账服务中没有客户 {customer_id}。",
        )
    return customer
