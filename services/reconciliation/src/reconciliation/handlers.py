"""Event handlers of the reconciliation service (thin: call the service).

Invoicing's facts keep a local projection of customers and open items. Every
handler tolerates duplicates and any arrival order (see domain.merge).
"""

from __future__ import annotations

from arflow.events.catalog import (
    CreditNoteIssued,
    CustomerUpserted,
    Event,
    InvoiceIssued,
    InvoicePaid,
    InvoiceVoided,
    InvoiceWrittenOff,
    PaymentApplicationReversed,
    PaymentApplied,
)
from arflow.messaging.consumer import EventContext, Handler
from reconciliation.deps import SYSTEM
from reconciliation.open_items import service as open_items


async def on_customer_upserted(ctx: EventContext, event: CustomerUpserted) -> None:
    await open_items.record_customer(ctx.session, clock=ctx.clock, event=event, actor=SYSTEM)


# Where a batch's invoice facts wait for the end of its transaction (the session is the transaction's).
_INVOICE_FACTS = "reconciliation.invoice_facts"


async def _projected(ctx: EventContext, fact: open_items.InvoiceFact | None) -> None:
    """Keep an invoice fact for the end of the batch's transaction, and write every one of them there at once.

    Invoicing tells of one payment in two events (PaymentApplied, InvoicePaid), and a batch holds many: each
    read-merge-write of an open item becomes one merge in memory, the batch's items read and written in a few
    statements for all (open_items.write_invoice_facts), in the events' order, as one event at a time would.
    """
    if fact is None:
        return
    facts: list[open_items.InvoiceFact] = ctx.session.info.setdefault(_INVOICE_FACTS, [])

    async def record() -> None:
        facts.append(fact)

    async def write() -> None:
        batch = list(facts)
        facts.clear()
        await open_items.write_invoice_facts(ctx.session, clock=ctx.clock, facts=batch)

    await ctx.once(_INVOICE_FACTS, _INVOICE_FACTS, record, write)


async def on_invoice_issued(ctx: EventContext, event: InvoiceIssued) -> None:
    await _projected(ctx, open_items.invoice_issued(event))


async def on_payment_applied(ctx: EventContext, event: PaymentApplied) -> None:
    await _projected(ctx, open_items.payment_applied(event))


async def on_application_reversed(ctx: EventContext, event: PaymentApplicationReversed) -> None:
    await _projected(ctx, open_items.application_reversed(event))


async def on_credit_note_issued(ctx: EventContext, event: CreditNoteIssued) -> None:
    await _projected(ctx, open_items.credit_note(event))


async def on_invoice_paid(ctx: EventContext, event: InvoicePaid) -> None:
    await _projected(ctx, open_items.invoice_paid(event))


async def on_invoice_voided(ctx: EventContext, event: InvoiceVoided) -> None:
    await _projected(ctx, open_items.invoice_voided(event))


async def on_invoice_written_off(ctx: EventContext, event: InvoiceWrittenOff) -> None:
    await _projected(ctx, open_items.invoice_written_off(event))


HANDLERS: dict[type[Event], Handler] = {
    CustomerUpserted: on_customer_upserted,
    InvoiceIssued: on_invoice_issued,
    PaymentApplied: on_payment_applied,
    PaymentApplicationReversed: on_application_reversed,
    CreditNoteIssued: on_credit_note_issued,
    InvoicePaid: on_invoice_paid,
    InvoiceVoided: on_invoice_voided,
    InvoiceWrittenOff: on_invoice_written_off,
}
