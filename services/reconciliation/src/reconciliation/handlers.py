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


async def on_invoice_issued(ctx: EventContext, event: InvoiceIssued) -> None:
    await open_items.record_invoice_issued(ctx.session, clock=ctx.clock, event=event, actor=SYSTEM)


async def on_payment_applied(ctx: EventContext, event: PaymentApplied) -> None:
    await open_items.record_payment_applied(ctx.session, clock=ctx.clock, event=event, actor=SYSTEM)


async def on_application_reversed(ctx: EventContext, event: PaymentApplicationReversed) -> None:
    await open_items.record_application_reversed(ctx.session, clock=ctx.clock, event=event, actor=SYSTEM)


async def on_credit_note_issued(ctx: EventContext, event: CreditNoteIssued) -> None:
    await open_items.record_credit_note(ctx.session, clock=ctx.clock, event=event, actor=SYSTEM)


async def on_invoice_paid(ctx: EventContext, event: InvoicePaid) -> None:
    await open_items.record_invoice_paid(ctx.session, clock=ctx.clock, event=event, actor=SYSTEM)


async def on_invoice_voided(ctx: EventContext, event: InvoiceVoided) -> None:
    await open_items.record_invoice_voided(ctx.session, clock=ctx.clock, event=event, actor=SYSTEM)


async def on_invoice_written_off(ctx: EventContext, event: InvoiceWrittenOff) -> None:
    await open_items.record_invoice_written_off(ctx.session, clock=ctx.clock, event=event, actor=SYSTEM)


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
