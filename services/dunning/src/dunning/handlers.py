"""Event handlers of the dunning service (thin: call the service)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from arflow.events.catalog import (
    CreditNoteIssued,
    CreditorUpdated,
    CreditScoreChanged,
    CustomerUpserted,
    DisputeOpened,
    DisputeResolved,
    Event,
    InvoiceDueSoon,
    InvoiceHostedLinkChanged,
    InvoiceIssued,
    InvoiceOverdue,
    InvoicePaid,
    InvoiceVoided,
    InvoiceWrittenOff,
    PaymentApplicationReversed,
    PaymentApplied,
    PaymentReceived,
    PaymentUnmatched,
    StatementConfirmed,
    StatementDisputed,
    StatementHostedLinkChanged,
    StatementIssued,
)
from arflow.messaging.consumer import EventContext, Handler
from dunning import invoice_links
from dunning.cases import service as cases
from dunning.config import DunningSettings
from dunning.creditor import service as creditor
from dunning.customers import service as customers
from dunning.deliveries import service as deliveries
from dunning.deps import SYSTEM
from dunning.disputes import statements
from dunning.models import DunningCase
from dunning.payments import service as payments

# session.info key: per customer and currency, the cases a run of PaymentApplied left to re-anchor, with the
# latest payment date of the run (see on_payment_applied).
REANCHOR = "dunning.reanchor"
_EVERY_KEY = object()  # no work is left under it: settling "unless" it runs all of a customer's work


async def on_creditor_updated(ctx: EventContext, event: CreditorUpdated) -> None:
    await creditor.record_creditor(ctx.session, event)


async def on_customer_upserted(ctx: EventContext, event: CustomerUpserted) -> None:
    await customers.record_customer(ctx.session, actor=SYSTEM, clock=ctx.clock, event=event)
    # documents queued before the customer was known are addressed now, not at their next retry
    await deliveries.wake_waiting(ctx.session, clock=ctx.clock, customer_id=event.customer_id)


async def on_invoice_issued(ctx: EventContext, event: InvoiceIssued) -> None:
    await invoice_links.record_invoice_issued(ctx.session, event)


def invoice_issued_handler(policy: deliveries.DeliveryPolicy) -> Handler:
    """InvoiceIssued: keep the invoice's link, and queue the invoice for its customer as `policy` says."""

    async def on_issued(ctx: EventContext, event: InvoiceIssued) -> None:
        await invoice_links.record_invoice_issued(ctx.session, event)
        await deliveries.queue_invoice(ctx.session, clock=ctx.clock, policy=policy, event=event)

    return on_issued


def invoice_link_changed_handler(policy: deliveries.DeliveryPolicy) -> Handler:
    """InvoiceHostedLinkChanged: follow the link; a renewal's is emailed to the address on file that asked."""

    async def on_changed(ctx: EventContext, event: InvoiceHostedLinkChanged) -> None:
        await invoice_links.record_link_changed(ctx.session, event)
        await deliveries.queue_link_renewal(ctx.session, clock=ctx.clock, policy=policy, event=event)

    return on_changed


def statement_link_changed_handler(policy: deliveries.DeliveryPolicy) -> Handler:
    """StatementHostedLinkChanged: the statement's deliveries follow the link; a renewal's is emailed."""

    async def on_changed(ctx: EventContext, event: StatementHostedLinkChanged) -> None:
        await deliveries.follow_statement_link(ctx.session, clock=ctx.clock, event=event)
        await deliveries.queue_link_renewal(ctx.session, clock=ctx.clock, policy=policy, event=event)

    return on_changed


async def on_invoice_overdue(ctx: EventContext, event: InvoiceOverdue) -> None:
    await cases.record_invoice_overdue(
        ctx.session, actor=SYSTEM, clock=ctx.clock, event=event, observed_at=ctx.envelope.time
    )


async def on_payment_applied(ctx: EventContext, event: PaymentApplied) -> None:
    """The item takes the balance at once; the case's schedule is re-anchored once for a run of payments of the
    customer in one batch, on the run's latest payment date, as many re-anchorings in a row would leave it (it
    only ever moves later). Any other event of the customer settles the run first (see `_customer_ordered`)."""
    key = ("reanchor", event.customer_id, event.invoice_balance_after.currency)
    pending: dict[UUID, tuple[DunningCase, date]] = ctx.session.info.setdefault(REANCHOR, {}).setdefault(key, {})

    async def record() -> None:
        case = await cases.record_payment_applied(
            ctx.session, actor=SYSTEM, clock=ctx.clock, event=event, observed_at=ctx.envelope.time
        )
        if case is not None:
            held = pending.get(case.id)
            pending[case.id] = (case, max(held[1], event.applied_on) if held else event.applied_on)

    async def reanchor() -> None:
        for case, paid_on in ctx.session.info[REANCHOR].pop(key, {}).values():
            await cases.reanchor_after_payment(ctx.session, case=case, paid_on=paid_on)

    await ctx.once(key, event.customer_id, record, reanchor)


async def on_payment_application_reversed(ctx: EventContext, event: PaymentApplicationReversed) -> None:
    await cases.record_payment_reversed(
        ctx.session, actor=SYSTEM, clock=ctx.clock, event=event, observed_at=ctx.envelope.time
    )


async def on_credit_note_issued(ctx: EventContext, event: CreditNoteIssued) -> None:
    await cases.record_credit_note(
        ctx.session, actor=SYSTEM, clock=ctx.clock, event=event, observed_at=ctx.envelope.time
    )


async def on_invoice_paid(ctx: EventContext, event: InvoicePaid) -> None:
    await cases.close_invoice(
        ctx.session,
        actor=SYSTEM,
        clock=ctx.clock,
        customer_id=event.customer_id,
        invoice_id=event.invoice_id,
        closure="paid",
    )


async def on_invoice_voided(ctx: EventContext, event: InvoiceVoided) -> None:
    await cases.close_invoice(
        ctx.session,
        actor=SYSTEM,
        clock=ctx.clock,
        customer_id=event.customer_id,
        invoice_id=event.invoice_id,
        closure="voided",
    )


async def on_invoice_written_off(ctx: EventContext, event: InvoiceWrittenOff) -> None:
    await cases.close_invoice(
        ctx.session,
        actor=SYSTEM,
        clock=ctx.clock,
        customer_id=event.customer_id,
        invoice_id=event.invoice_id,
        closure="written_off",
    )


async def on_invoice_due_soon(ctx: EventContext, event: InvoiceDueSoon) -> None:
    await cases.record_invoice_due_soon(
        ctx.session, actor=SYSTEM, clock=ctx.clock, event=event, observed_at=ctx.envelope.time
    )


async def on_credit_score_changed(ctx: EventContext, event: CreditScoreChanged) -> None:
    await customers.record_credit_score(ctx.session, actor=SYSTEM, event=event)


async def on_dispute_opened(ctx: EventContext, event: DisputeOpened) -> None:
    await cases.record_dispute(
        ctx.session,
        actor=SYSTEM,
        clock=ctx.clock,
        invoice_id=event.invoice_id,
        dispute_id=event.dispute_id,
        opened=True,
        at=event.opened_at,
    )


async def on_dispute_resolved(ctx: EventContext, event: DisputeResolved) -> None:
    await cases.record_dispute(
        ctx.session,
        actor=SYSTEM,
        clock=ctx.clock,
        invoice_id=event.invoice_id,
        dispute_id=event.dispute_id,
        opened=False,
        at=event.resolved_at,
    )


async def on_payment_unmatched(ctx: EventContext, event: PaymentUnmatched) -> None:
    await payments.record_unmatched_payment(ctx.session, actor=SYSTEM, clock=ctx.clock, event=event)


async def on_payment_received(ctx: EventContext, event: PaymentReceived) -> None:
    await payments.record_payment_received(ctx.session, actor=SYSTEM, clock=ctx.clock, event=event)


async def on_statement_disputed(ctx: EventContext, event: StatementDisputed) -> None:
    await statements.record_statement_dispute(ctx.session, actor=SYSTEM, clock=ctx.clock, event=event)


async def on_statement_confirmed(ctx: EventContext, event: StatementConfirmed) -> None:
    await statements.settle_statement_disputes(ctx.session, actor=SYSTEM, clock=ctx.clock, event=event)


HANDLERS: dict[type[Event], Handler] = {
    PaymentUnmatched: on_payment_unmatched,
    PaymentReceived: on_payment_received,
    InvoiceDueSoon: on_invoice_due_soon,
    CreditScoreChanged: on_credit_score_changed,
    DisputeOpened: on_dispute_opened,
    DisputeResolved: on_dispute_resolved,
    CreditorUpdated: on_creditor_updated,
    CustomerUpserted: on_customer_upserted,
    InvoiceIssued: on_invoice_issued,
    InvoiceOverdue: on_invoice_overdue,
    PaymentApplied: on_payment_applied,
    PaymentApplicationReversed: on_payment_application_reversed,
    CreditNoteIssued: on_credit_note_issued,
    InvoicePaid: on_invoice_paid,
    InvoiceVoided: on_invoice_voided,
    InvoiceWrittenOff: on_invoice_written_off,
    StatementDisputed: on_statement_disputed,
    StatementConfirmed: on_statement_confirmed,
}


def statement_issued_handler(policy: deliveries.DeliveryPolicy) -> Handler:
    """StatementIssued: send the statement to its customer, to confirm or dispute, as `policy` says."""

    async def on_issued(ctx: EventContext, event: StatementIssued) -> None:
        await deliveries.queue_statement(ctx.session, clock=ctx.clock, policy=policy, event=event)

    return on_issued


def _customer_ordered(handler: Handler) -> Handler:
    """Run the work a run of the customer's payments left in this batch before handling another event of theirs,
    so that it sees the case as it would have had each event been handled alone."""

    async def handle(ctx: EventContext, event: Any) -> None:
        customer_id = getattr(event, "customer_id", None)
        if customer_id is not None:
            await ctx.left.settle(customer_id, unless=_EVERY_KEY)
        await handler(ctx, event)

    return handle


def dunning_handlers(settings: DunningSettings) -> dict[type[Event], Handler]:
    """The handlers, InvoiceIssued's and StatementIssued's sending the document to its customer under these
    settings."""
    policy = deliveries.DeliveryPolicy.of(settings)
    handlers: dict[type[Event], Handler] = {
        **HANDLERS,
        InvoiceIssued: invoice_issued_handler(policy),
        StatementIssued: statement_issued_handler(policy),
        InvoiceHostedLinkChanged: invoice_link_changed_handler(policy),
        StatementHostedLinkChanged: statement_link_changed_handler(policy),
    }
    return {
        kind: handler if kind is PaymentApplied else _customer_ordered(handler) for kind, handler in handlers.items()
    }
