"""The projection of invoicing: customers and open items kept from its events, in any order, duplicates included."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy import Row
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


def invoice_state(item: OpenItem | Row[Any]) -> domain.InvoiceState:
    """An open item row (ORM or Core) as the domain sees it."""
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


@dataclass(frozen=True)
class InvoiceFact:
    """What one invoicing event says about an invoice; `applied`: the payment it reports applied to it."""

    invoice_id: UUID
    state: domain.InvoiceState
    applied: UUID | None = None


async def write_invoice_facts(session: AsyncSession, *, clock: Clock, facts: Sequence[InvoiceFact]) -> None:
    """Merge invoice facts, in order, into their open items: a consumer batch's, in a few statements for all.

    The items are read locked (one query), merged in memory (domain.merge, fact by fact in the order given, as
    one event at a time would), the new ones inserted and the known ones updated (one statement each), and the
    applied allocations released (one). An item another transaction inserted meanwhile is read again, locked,
    and merged like the known ones.
    """
    if not facts:
        return
    now = clock.now()
    by_invoice: dict[UUID, list[InvoiceFact]] = {}
    for fact in facts:
        by_invoice.setdefault(fact.invoice_id, []).append(fact)
    known = await repository.open_items_for_update(session, sorted(by_invoice))
    fresh = {invoice_id: _folded(None, by_invoice[invoice_id]) for invoice_id in by_invoice if invoice_id not in known}
    inserted = await repository.insert_open_items(session, [_row(i, state, now) for i, state in fresh.items()])
    raced = [invoice_id for invoice_id in fresh if invoice_id not in inserted]
    if raced:  # inserted concurrently, and committed before our insert: merged as a known item
        known |= await repository.open_items_for_update(session, raced)
    changed = {
        invoice_id: _folded(invoice_state(row), by_invoice[invoice_id])
        for invoice_id, row in known.items()
        if invoice_id not in inserted
    }
    await repository.update_open_items(session, [_row(i, state, now) for i, state in changed.items()])
    applied = [(f.applied, f.invoice_id) for f in facts if f.applied is not None]
    await repository.mark_allocations_applied(session, applied, now)
    for invoice_id, state in (fresh | changed).items():
        log.info(
            "open_item.recorded" if invoice_id in inserted else "open_item.updated",
            invoice_id=str(invoice_id),
            status=state.status,
            balance=str(state.balance),
            ledger_version=state.ledger_version,
        )


def _folded(state: domain.InvoiceState | None, facts: Sequence[InvoiceFact]) -> domain.InvoiceState:
    for fact in facts:
        state = domain.merge(state, fact.state)
    assert state is not None
    return state


def _row(invoice_id: UUID, state: domain.InvoiceState, now: datetime) -> dict[str, Any]:
    return {"invoice_id": invoice_id, **asdict(state), **_lookup_keys(state), "updated_at": now}


def invoice_issued(event: InvoiceIssued) -> InvoiceFact:
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
    return InvoiceFact(event.invoice_id, fact)


def payment_applied(event: PaymentApplied) -> InvoiceFact:
    """Take the invoice's balance as invoicing reports it, and release the applied allocation."""
    fact = domain.InvoiceState(
        customer_id=event.customer_id,
        invoice_number=event.invoice_number,
        currency=event.invoice_balance_after.currency,
        balance=event.invoice_balance_after.amount,
        due_date=event.due_date,
        ledger_version=event.invoice_ledger_version,
    )
    return InvoiceFact(event.invoice_id, fact, applied=event.payment_id)


def application_reversed(event: PaymentApplicationReversed) -> InvoiceFact | None:
    """An application undone raises the invoice's balance again (and reopens a paid one), by its ledger version.

    Without a version the fact cannot be ordered against the others, so it
    changes nothing (the balance only ever falls under the version-less rule): None.
    """
    if event.invoice_ledger_version is None:
        log.warning("open_item.unversioned_reversal_ignored", invoice_id=str(event.invoice_id))
        return None
    return InvoiceFact(event.invoice_id, _balance_after(event, event.invoice_balance_after))


def _balance_after(event: PaymentApplicationReversed | CreditNoteIssued, balance: Money) -> domain.InvoiceState:
    """The invoice's state as a balance event reports it (the balance after, at the event's ledger version)."""
    return domain.InvoiceState(
        customer_id=event.customer_id,
        invoice_number=event.invoice_number,
        currency=balance.currency,
        balance=balance.amount,
        ledger_version=event.invoice_ledger_version,
    )


def credit_note(event: CreditNoteIssued) -> InvoiceFact | None:
    """A credit note sets the invoice's balance to the one invoicing reports after it (None: it reports none)."""
    if event.invoice_balance_after is None:
        # An event from before invoicing reported the balance: the next balance event carries it.
        log.warning("open_item.credit_note_without_balance", invoice_id=str(event.invoice_id))
        return None
    return InvoiceFact(event.invoice_id, _balance_after(event, event.invoice_balance_after))


def invoice_paid(event: InvoicePaid) -> InvoiceFact:
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
    return InvoiceFact(event.invoice_id, fact)


def invoice_voided(event: InvoiceVoided) -> InvoiceFact:
    fact = domain.InvoiceState(
        customer_id=event.customer_id,
        invoice_number=event.invoice_number,
        currency=event.total.currency,
        balance=Decimal(0),
        status="void",
        total=event.total.amount,
    )
    return InvoiceFact(event.invoice_id, fact)


def invoice_written_off(event: InvoiceWrittenOff) -> InvoiceFact:
    # The balance stays owed (a written-off invoice can still be paid), so it is not zeroed.
    fact = domain.InvoiceState(
        customer_id=event.customer_id,
        invoice_number=event.invoice_number,
        currency=event.amount_written_off.currency,
        balance=event.amount_written_off.amount,
        status="written_off",
    )
    return InvoiceFact(event.invoice_id, fact)


async def require_customer(session: AsyncSession, customer_id: UUID, *, for_update: bool = False) -> Customer:
    """The customer as projected, or a 422 when invoicing never told of it (locked if asked: it serialises payments)."""
    customer = await repository.get_customer(session, customer_id, for_update=for_update)
    if customer is None:
        raise CustomerUnknown(
            f"Customer {customer_id} is not known to reconciliation.",
            detail_zh=f"对账服务中没有客户 {customer_id}。",
        )
    return customer
