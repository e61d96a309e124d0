"""Event handlers of the credit-scoring service (thin: call the nouns' services), wired in one dict.

The envelope's time is when the fact occurred at its publisher: it dates the
customer's first appearance, whatever the delay before it reaches us. After
each fact the customer is rescored in the same transaction, so a score, limit
or warning is published exactly when (and only if) the facts moved it. The
rescore is dated by the fact's business date (`business_date`), never by the
clock: a back-dated invoice entered today is scored as of its invoice date.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime

from arflow.clock import DEFAULT_TIME_ZONE, local_date
from arflow.events.catalog import (
    ContractChanged,
    ContractStarted,
    CreditNoteIssued,
    CustomerUpserted,
    DisputeOpened,
    DisputeResolved,
    DunningEscalated,
    Event,
    InvoiceIssued,
    InvoiceOverdue,
    InvoicePaid,
    InvoiceVoided,
    InvoiceWrittenOff,
    LegalHandover,
    PaymentApplicationReversed,
    PaymentApplied,
    PromiseToPayBroken,
    PromiseToPayKept,
    StatementConfirmed,
    StatementDisputed,
)
from arflow.messaging.consumer import EventContext, Handler
from credit_scoring.alerts.service import warn_of_dunning
from credit_scoring.deps import SYSTEM
from credit_scoring.experience import service as experience
from credit_scoring.scores.service import rescore


async def on_customer_upserted(ctx: EventContext, event: CustomerUpserted) -> None:
    async def record() -> None:
        await experience.record_customer(
            ctx.session, clock=ctx.clock, occurred_at=ctx.envelope.time, event=event, actor=SYSTEM
        )

    await _rescored(ctx, event, record)


async def on_invoice_issued(ctx: EventContext, event: InvoiceIssued) -> None:
    async def record() -> None:
        await experience.record_invoice_issued(
            ctx.session, clock=ctx.clock, occurred_at=ctx.envelope.time, event=event, actor=SYSTEM
        )

    await _rescored(ctx, event, record)


async def on_invoice_overdue(ctx: EventContext, event: InvoiceOverdue) -> None:
    async def record() -> None:
        await experience.record_invoice_overdue(
            ctx.session, clock=ctx.clock, occurred_at=ctx.envelope.time, event=event, actor=SYSTEM
        )

    await _rescored(ctx, event, record)


async def on_payment_applied(ctx: EventContext, event: PaymentApplied) -> None:
    async def record() -> None:
        await experience.record_payment_applied(
            ctx.session, clock=ctx.clock, occurred_at=ctx.envelope.time, event=event, actor=SYSTEM
        )

    await _rescored(ctx, event, record)


async def on_payment_application_reversed(ctx: EventContext, event: PaymentApplicationReversed) -> None:
    async def record() -> None:
        await experience.record_payment_reversed(
            ctx.session, clock=ctx.clock, occurred_at=ctx.envelope.time, event=event, actor=SYSTEM
        )

    await _rescored(ctx, event, record)


async def on_invoice_paid(ctx: EventContext, event: InvoicePaid) -> None:
    async def record() -> None:
        await experience.record_invoice_paid(
            ctx.session, clock=ctx.clock, occurred_at=ctx.envelope.time, event=event, actor=SYSTEM
        )

    await _rescored(ctx, event, record)


async def on_invoice_voided(ctx: EventContext, event: InvoiceVoided) -> None:
    async def record() -> None:
        await experience.record_invoice_voided(
            ctx.session, clock=ctx.clock, occurred_at=ctx.envelope.time, event=event, actor=SYSTEM
        )

    await _rescored(ctx, event, record)


async def on_invoice_written_off(ctx: EventContext, event: InvoiceWrittenOff) -> None:
    async def record() -> None:
        await experience.record_invoice_written_off(
            ctx.session, clock=ctx.clock, occurred_at=ctx.envelope.time, event=event, actor=SYSTEM
        )

    await _rescored(ctx, event, record)


async def on_credit_note_issued(ctx: EventContext, event: CreditNoteIssued) -> None:
    async def record() -> None:
        await experience.record_credit_note(
            ctx.session, clock=ctx.clock, occurred_at=ctx.envelope.time, event=event, actor=SYSTEM
        )

    await _rescored(ctx, event, record)


async def on_dunning_escalated(ctx: EventContext, event: DunningEscalated) -> None:
    async def record() -> None:
        await experience.record_dunning_escalated(
            ctx.session, clock=ctx.clock, occurred_at=ctx.envelope.time, event=event, actor=SYSTEM
        )
        await warn_of_dunning(ctx.session, clock=ctx.clock, event=event, actor=SYSTEM)

    await _rescored(ctx, event, record)


async def on_legal_handover(ctx: EventContext, event: LegalHandover) -> None:
    async def record() -> None:
        await experience.record_legal_handover(
            ctx.session, clock=ctx.clock, occurred_at=ctx.envelope.time, event=event, actor=SYSTEM
        )
        await warn_of_dunning(ctx.session, clock=ctx.clock, event=event, actor=SYSTEM)

    await _rescored(ctx, event, record)


async def on_dispute_opened(ctx: EventContext, event: DisputeOpened) -> None:
    async def record() -> None:
        await experience.record_dispute_opened(
            ctx.session, clock=ctx.clock, occurred_at=ctx.envelope.time, event=event, actor=SYSTEM
        )

    await _rescored(ctx, event, record)


async def on_dispute_resolved(ctx: EventContext, event: DisputeResolved) -> None:
    async def record() -> None:
        await experience.record_dispute_resolved(
            ctx.session, clock=ctx.clock, occurred_at=ctx.envelope.time, event=event, actor=SYSTEM
        )

    await _rescored(ctx, event, record)


async def on_promise_kept(ctx: EventContext, event: PromiseToPayKept) -> None:
    async def record() -> None:
        await experience.record_promise_outcome(
            ctx.session, clock=ctx.clock, occurred_at=ctx.envelope.time, event=event, actor=SYSTEM
        )

    await _rescored(ctx, event, record)


async def on_promise_broken(ctx: EventContext, event: PromiseToPayBroken) -> None:
    async def record() -> None:
        await experience.record_promise_outcome(
            ctx.session, clock=ctx.clock, occurred_at=ctx.envelope.time, event=event, actor=SYSTEM
        )

    await _rescored(ctx, event, record)


async def on_contract(ctx: EventContext, event: ContractStarted | ContractChanged) -> None:
    async def record() -> None:
        await experience.record_contract(
            ctx.session, clock=ctx.clock, occurred_at=ctx.envelope.time, event=event, actor=SYSTEM
        )

    await _rescored(ctx, event, record)


async def on_statement_answered(ctx: EventContext, event: StatementConfirmed | StatementDisputed) -> None:
    """Filed in the credit file, and no rescore: an answer to a statement is not a scoring signal
    (credit_scoring.statements says why)."""
    await experience.record_statement_answer(ctx.session, clock=ctx.clock, event=event, actor=SYSTEM)


def business_date(event: Event) -> date | None:
    """The business date a fact happened on: what its rescore is dated by (None: the fact has none).

    An instant (a void, an escalation, a dispute) becomes the day it fell on in Asia/Shanghai; the
    credit file itself reads those instants in the customer's own zone.
    """
    match event:
        case InvoiceIssued():
            return event.invoice_date
        case InvoiceOverdue():
            return event.as_of
        case PaymentApplied():
            return event.applied_on
        case PaymentApplicationReversed():
            return event.reversed_on
        case InvoicePaid():
            return event.paid_on
        case InvoiceWrittenOff():
            return event.written_off_on
        case CreditNoteIssued():
            return event.issued_on
        case PromiseToPayKept():
            return event.kept_on
        case PromiseToPayBroken():
            return event.broken_on
        case InvoiceVoided():
            return _day(event.voided_at)
        case DunningEscalated():
            return _day(event.escalated_at)
        case LegalHandover():
            return _day(event.handed_over_at)
        case DisputeOpened():
            return _day(event.opened_at)
        case DisputeResolved():
            return _day(event.resolved_at)
        case ContractStarted() | ContractChanged():
            return event.effective_on
    return None  # CustomerUpserted: a change of master data, dated by nothing in the business


def _day(instant: datetime) -> date:
    day: date = local_date(instant, DEFAULT_TIME_ZONE)
    return day


async def _rescored(ctx: EventContext, event: Event, record: Callable[[], Awaitable[None]]) -> None:
    """Every fact about a customer may move its score, limit and warnings: record it, then rescore as of
    the fact's date.

    Once for the facts of a customer's day in a row of a batch: a payment's PaymentApplied and InvoicePaid
    are one rescore, not two (the first's score would be superseded within the same day, unseen).
    """
    on = business_date(event)

    async def rescore_customer() -> None:
        await rescore(
            ctx.session,
            clock=ctx.clock,
            customer_id=event.customer_id,
            trigger=event.event_type(),
            event_on=on,
            actor=SYSTEM,
        )

    await ctx.once(("rescore", event.customer_id, on), event.customer_id, record, rescore_customer)


HANDLERS: dict[type[Event], Handler] = {
    CustomerUpserted: on_customer_upserted,
    ContractStarted: on_contract,
    ContractChanged: on_contract,
    InvoiceIssued: on_invoice_issued,
    InvoiceOverdue: on_invoice_overdue,
    PaymentApplied: on_payment_applied,
    PaymentApplicationReversed: on_payment_application_reversed,
    InvoicePaid: on_invoice_paid,
    InvoiceVoided: on_invoice_voided,
    InvoiceWrittenOff: on_invoice_written_off,
    CreditNoteIssued: on_credit_note_issued,
    DunningEscalated: on_dunning_escalated,
    LegalHandover: on_legal_handover,
    DisputeOpened: on_dispute_opened,
    DisputeResolved: on_dispute_resolved,
    PromiseToPayKept: on_promise_kept,
    PromiseToPayBroken: on_promise_broken,
    StatementConfirmed: on_statement_answered,
    StatementDisputed: on_statement_answered,
}
