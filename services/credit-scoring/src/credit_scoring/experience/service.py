"""Projecting the facts others publish: invoicing's invoices, payments and statement answers, disputes, dunning.
Never commits.

Each fact is merged into the customer's projection so that any arrival order
ends in the same state: InvoicePaid before InvoiceIssued, a stale customer
revision after a newer one, a payment application delivered twice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import DEFAULT_TIME_ZONE, Clock, is_time_zone
from arflow.events.catalog import (
    ContractChanged,
    ContractStarted,
    CreditNoteIssued,
    CustomerUpserted,
    DisputeOpened,
    DisputeResolved,
    DunningEscalated,
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
from credit_scoring import domain
from credit_scoring.experience import repository

log = structlog.get_logger("credit-scoring")


async def record_customer(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: CustomerUpserted, actor: Principal
) -> None:
    """Keep the highest customer revision; remember when the customer was first seen."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    time_zone = event.time_zone
    if not is_time_zone(time_zone):
        # Dates are read in this zone on every request: a bad one must not break the credit file.
        log.warning("customer.unknown_time_zone", customer_id=str(event.customer_id), time_zone=time_zone)
        time_zone = DEFAULT_TIME_ZONE
    taken = await repository.apply_customer_revision(
        session,
        event.customer_id,
        revision=event.revision,
        legal_name=event.legal_name,
        time_zone=time_zone,
        now=now,
    )
    name = "customer.projected" if taken else "customer.stale_revision_ignored"
    log.info(name, customer_id=str(event.customer_id), revision=event.revision)


async def record_invoice_issued(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: InvoiceIssued, actor: Principal
) -> None:
    """Open the invoice's payment experience (or complete one begun by a later fact)."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    values = {
        "invoice_id": event.invoice_id,
        "customer_id": event.customer_id,
        "invoice_number": event.invoice_number,
        "currency": event.currency,
        "total": event.total.amount,
        "invoice_date": event.invoice_date,
        "due_date": event.due_date,
        "net_days": event.net_days,
        "issued_at": event.issued_at,
    }
    # InvoiceIssued is the authority on the invoice's terms: it replaces what others filled in.
    await repository.merge_experience(session, values, now=now, replace=_columns(values))
    log.info("payment_experience.issued", invoice_id=str(event.invoice_id), customer_id=str(event.customer_id))


async def record_invoice_overdue(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: InvoiceOverdue, actor: Principal
) -> None:
    """Note how far past due the invoice has been reported (the maximum, with its bucket)."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    facts = {
        "invoice_id": event.invoice_id,
        "customer_id": event.customer_id,
        "invoice_number": event.invoice_number,
        "currency": event.total.currency,
        "total": event.total.amount,
        "invoice_date": event.invoice_date,
        "due_date": event.due_date,
    }
    notice = {
        "max_days_overdue": event.days_overdue,
        "last_overdue_bucket": event.bucket,
        "overdue_noted_on": event.as_of,
    }
    await repository.merge_overdue_notice(session, {**facts, **notice}, now=now, fill=_columns(facts))
    log.info(
        "payment_experience.overdue_noted",
        invoice_id=str(event.invoice_id),
        days_overdue=event.days_overdue,
        bucket=event.bucket,
    )


async def record_payment_applied(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: PaymentApplied, actor: Principal
) -> None:
    """Record a payment application once, by its application id."""
    now = clock.now()
    await _invoice_seen(session, event, occurred_at=occurred_at, now=now, due_date=event.due_date)
    recorded = await repository.add_application(
        session,
        {
            "application_id": event.application_id,
            "invoice_id": event.invoice_id,
            "customer_id": event.customer_id,
            "payment_id": event.payment_id,
            "amount": event.amount.amount,
            "currency": event.amount.currency,
            "applied_on": event.applied_on,
        },
        now=now,
    )
    log.info(
        "payment_experience.payment_applied" if recorded else "payment_experience.application_already_recorded",
        invoice_id=str(event.invoice_id),
        application_id=str(event.application_id),
    )


async def record_payment_reversed(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: PaymentApplicationReversed, actor: Principal
) -> None:
    """Record a reversal once, by the application it undoes: less paid, and open again if it reopened the invoice."""
    now = clock.now()
    await _invoice_seen(session, event, occurred_at=occurred_at, now=now)
    recorded = await repository.add_reversal(
        session,
        {
            "application_id": event.application_id,
            "invoice_id": event.invoice_id,
            "customer_id": event.customer_id,
            "payment_id": event.payment_id,
            "amount": event.amount.amount,
            "currency": event.amount.currency,
            "reversed_on": event.reversed_on,
            "invoice_reopened": event.invoice_reopened,
        },
        now=now,
    )
    log.info(
        "payment_experience.payment_reversed" if recorded else "payment_experience.reversal_already_recorded",
        invoice_id=str(event.invoice_id),
        application_id=str(event.application_id),
        invoice_reopened=event.invoice_reopened,
    )


async def record_invoice_paid(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: InvoicePaid, actor: Principal
) -> None:
    """Mark the experience paid on its date (the latest date if paid more than once)."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    facts = {
        "invoice_id": event.invoice_id,
        "customer_id": event.customer_id,
        "invoice_number": event.invoice_number,
        "currency": event.total.currency,
        "total": event.total.amount,
        "invoice_date": event.invoice_date,
        "due_date": event.due_date,
    }
    await repository.merge_experience(
        session, {**facts, "paid_on": event.paid_on}, now=now, fill=_columns(facts), latest=["paid_on"]
    )
    log.info(
        "payment_experience.paid",
        invoice_id=str(event.invoice_id),
        paid_on=event.paid_on.isoformat(),
        days_beyond_terms=event.days_beyond_terms,
    )


async def record_invoice_voided(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: InvoiceVoided, actor: Principal
) -> None:
    """Mark the experience void: listed in the file, never measured."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    facts = {
        "invoice_id": event.invoice_id,
        "customer_id": event.customer_id,
        "invoice_number": event.invoice_number,
        "currency": event.total.currency,
        "total": event.total.amount,
    }
    await repository.merge_experience(
        session, {**facts, "voided_at": event.voided_at}, now=now, fill=[*_columns(facts), "voided_at"]
    )
    log.info("payment_experience.voided", invoice_id=str(event.invoice_id))


async def record_invoice_written_off(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: InvoiceWrittenOff, actor: Principal
) -> None:
    """Mark the experience written off (a loss) from its date."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    facts = {
        "invoice_id": event.invoice_id,
        "customer_id": event.customer_id,
        "invoice_number": event.invoice_number,
        "currency": event.amount_written_off.currency,
    }
    await repository.merge_experience(
        session,
        {**facts, "written_off_on": event.written_off_on},
        now=now,
        fill=[*_columns(facts), "written_off_on"],
    )
    log.info("payment_experience.written_off", invoice_id=str(event.invoice_id))


async def record_credit_note(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: CreditNoteIssued, actor: Principal
) -> None:
    """Record a credit note once; it lowers the invoice's outstanding amount from its date."""
    now = clock.now()
    await _invoice_seen(session, event, occurred_at=occurred_at, now=now)
    recorded = await repository.add_credit_note(
        session,
        {
            "credit_note_id": event.credit_note_id,
            "customer_id": event.customer_id,
            "invoice_id": event.invoice_id,
            "amount": event.amount.amount,
            "currency": event.amount.currency,
            "issued_on": event.issued_on,
        },
        now=now,
    )
    log.info(
        "payment_experience.credited" if recorded else "payment_experience.credit_note_already_recorded",
        invoice_id=str(event.invoice_id),
        credit_note_id=str(event.credit_note_id),
    )


async def record_dunning_escalated(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: DunningEscalated, actor: Principal
) -> None:
    """Note the level a dunning case reached."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    values = {
        "case_id": event.case_id,
        "level": event.to_level,
        "legal_handover": False,
        "customer_id": event.customer_id,
        "channel": event.channel,
        "escalated_at": event.escalated_at,
    }
    await repository.add_dunning_escalation(session, values, now=now)
    log.info("dunning.escalation_noted", case_id=str(event.case_id), level=event.to_level, channel=event.channel)


async def record_legal_handover(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: LegalHandover, actor: Principal
) -> None:
    """Note a legal handover (法律手段): the top of the dunning ladder."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    values = {
        "case_id": event.case_id,
        "level": domain.LEGAL_LEVEL,
        "legal_handover": True,
        "customer_id": event.customer_id,
        "channel": "legal_handover",
        "escalated_at": event.handed_over_at,
    }
    await repository.add_dunning_escalation(session, values, now=now)
    log.info("dunning.legal_handover_noted", case_id=str(event.case_id))


async def record_dispute_opened(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: DisputeOpened, actor: Principal
) -> None:
    """Note that a dispute was opened (either order with its resolution)."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    values = {
        "dispute_id": event.dispute_id,
        "customer_id": event.customer_id,
        "invoice_id": event.invoice_id,
        "opened_at": event.opened_at,
    }
    await repository.merge_dispute(session, values, now=now)
    log.info("dispute.opened_noted", dispute_id=str(event.dispute_id), invoice_id=str(event.invoice_id))


async def record_dispute_resolved(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: DisputeResolved, actor: Principal
) -> None:
    """Note how a dispute was resolved (either order with its opening)."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    values = {
        "dispute_id": event.dispute_id,
        "customer_id": event.customer_id,
        "invoice_id": event.invoice_id,
        "resolved_at": event.resolved_at,
        "resolution": event.resolution,
    }
    await repository.merge_dispute(session, values, now=now)
    log.info("dispute.resolved_noted", dispute_id=str(event.dispute_id), resolution=event.resolution)


async def record_promise_outcome(
    session: AsyncSession,
    *,
    clock: Clock,
    occurred_at: datetime,
    event: PromiseToPayKept | PromiseToPayBroken,
    actor: Principal,
) -> None:
    """Record whether a promise to pay was kept or broken (broken wins if both are reported)."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    kept = isinstance(event, PromiseToPayKept)
    values = {
        "promise_id": event.promise_id,
        "customer_id": event.customer_id,
        "case_id": event.case_id,
        "kept": kept,
        "outcome_on": event.kept_on if isinstance(event, PromiseToPayKept) else event.broken_on,
    }
    await repository.merge_promise_outcome(session, values, now=now)
    log.info("promise.outcome_noted", promise_id=str(event.promise_id), kept=kept)


async def record_contract(
    session: AsyncSession,
    *,
    clock: Clock,
    occurred_at: datetime,
    event: ContractStarted | ContractChanged,
    actor: Principal,
) -> None:
    """Keep the contract's latest state (what it bills monthly, on what terms): a new client's expected billing."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    values = {
        "contract_id": event.contract_id,
        "customer_id": event.customer_id,
        "currency": event.monthly_amount.currency,
        "cycle": event.cycle,
        "monthly_amount": event.monthly_amount.amount,
        "net_days": event.net_days,
        "start_date": event.start_date,
        "end_date": event.end_date,
        "status": event.status,
        "effective_on": event.effective_on,
        "changed_at": event.changed_at,
    }
    taken = await repository.merge_contract(session, values, now=now)
    name = "contract.projected" if taken else "contract.stale_state_ignored"
    log.info(name, contract_id=str(event.contract_id), status=event.status)


async def record_statement_answer(
    session: AsyncSession,
    *,
    clock: Clock,
    event: StatementConfirmed | StatementDisputed,
    actor: Principal,
) -> bool:
    """Keep a customer's answer to a statement (one per statement, whatever how often it is told); True if new.

    The customer is not touched: an answer is no fact of paying behaviour (credit_scoring.statements), so it
    neither dates the customer's first appearance nor rescores them; the credit file shows it once the
    customer is known.
    """
    confirmed = isinstance(event, StatementConfirmed)
    values: dict[str, Any] = {
        "statement_id": event.statement_id,
        "customer_id": event.customer_id,
        "statement_number": event.statement_number,
        "period_start": event.period_start,
        "period_end": event.period_end,
        "answer": "confirmed" if confirmed else "disputed",
        "answered_on": event.business_date,
        "responder_name": event.responder.name,
        "responder_title": event.responder.title,
        "currency": event.closing_balance.currency,
        "closing_balance": event.closing_balance.amount,
        "content_sha256": event.content_sha256,
        "recorded_at": clock.now(),
    }
    if isinstance(event, StatementConfirmed):
        values |= {
            "answered_at": event.confirmed_at,
            "balances": [b.model_dump(mode="json") for b in event.balances],
            "disputed_invoices": [],
            "disputed_lines": [],
        }
    else:
        sees = event.balance_customer_sees
        values |= {
            "answered_at": event.disputed_at,
            "balance_customer_sees": sees.amount if sees is not None else None,
            "balance_disputed": event.balance_disputed,
            "balances": [],
            "disputed_invoices": [i.model_dump(mode="json") for i in event.invoices],
            "disputed_lines": [line.model_dump(mode="json") for line in event.lines],
            "comment": event.comment,
            "reply_sha256": event.reply_sha256,
        }
    held = await repository.add_statement_answer(session, values)
    bound = log.bind(statement_id=str(event.statement_id), customer_id=str(event.customer_id), answer=values["answer"])
    if held is None:
        bound.info("statement.answer_noted")
        return True
    if held != values["answer"]:  # a statement is answered once: the first answer heard stands
        bound.warning("statement.second_answer_ignored", held=held)
    return False


def _columns(values: dict[str, object]) -> list[str]:
    """The columns a fact merges (the keys are the conflict target and the owner, never updated)."""
    return [name for name in values if name not in ("invoice_id", "customer_id")]


async def _invoice_seen(
    session: AsyncSession,
    event: PaymentApplied | PaymentApplicationReversed | CreditNoteIssued,
    *,
    occurred_at: datetime,
    now: datetime,
    due_date: date | None = None,
) -> None:
    """What a money event tells of its customer and invoice, merged before the event's own fact."""
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    facts: dict[str, object] = {
        "invoice_id": event.invoice_id,
        "customer_id": event.customer_id,
        "invoice_number": event.invoice_number,
        "currency": event.amount.currency,
    }
    if due_date is not None:
        facts["due_date"] = due_date
    await repository.merge_experience(session, facts, now=now, fill=_columns(facts))
