"""Dunning use cases: load, apply the domain rules, save, record events. Never commits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock
from arflow.events.catalog import CustomerUpserted, DunningResolved, DunningStepExecuted, InvoiceOverdue, PaymentApplied
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.money import Money
from arflow.problems import NotFound
from dunning import domain, repository
from dunning.models import Customer, DunningAction, DunningCase, DunningCaseItem

log = structlog.get_logger("dunning")


# --- the customer projection ---------------------------------------------------------


def customer_view(customer: Customer | None) -> domain.CustomerView | None:
    if customer is None:
        return None
    return domain.CustomerView(
        legal_name=customer.legal_name,
        preferred_language=customer.preferred_language,
        contacts=customer.contacts,
        dunning_excluded=customer.dunning_excluded,
    )


async def record_customer(session: AsyncSession, *, clock: Clock, event: CustomerUpserted) -> None:
    """Keep the customer's latest revision; re-address its pending actions accordingly."""
    values = {
        "id": event.customer_id,
        "revision": event.revision,
        "legal_name": event.legal_name,
        "preferred_language": event.preferred_language,
        "time_zone": event.time_zone,
        "contacts": [c.model_dump(mode="json") for c in event.contacts],
        "dunning_excluded": event.dunning_excluded,
        "updated_at": clock.now(),
    }
    if not await repository.upsert_customer(session, values):
        log.info("customer.stale_revision_ignored", customer_id=str(event.customer_id), revision=event.revision)
        return
    log.info("customer.projected", customer_id=str(event.customer_id), revision=event.revision)
    view = domain.CustomerView(
        legal_name=event.legal_name,
        preferred_language=event.preferred_language,
        contacts=values["contacts"],
        dunning_excluded=event.dunning_excluded,
    )
    for action in await repository.pending_actions_for_update(session, event.customer_id):
        if view.dunning_excluded:
            _complete(action, status="cancelled", outcome="customer_excluded", now=clock.now())
            log.info("action.cancelled", action_id=str(action.id), reason="customer_excluded")
        elif action.recipient is None:
            await _address(session, clock=clock, action=action, plan=domain.plan_reminder(view), customer=view)


# --- overdue invoices open cases -------------------------------------------------------


async def record_invoice_overdue(
    session: AsyncSession, *, clock: Clock, event: InvoiceOverdue, observed_at: datetime
) -> None:
    """Put an overdue invoice in its customer's open case; its first notice queues a reminder."""
    bound = log.bind(customer_id=str(event.customer_id), invoice_id=str(event.invoice_id))
    if await repository.is_invoice_closed(session, event.invoice_id):
        bound.info("case_item.already_closed")
        return
    now = clock.now()
    currency = event.amount_due.currency
    new_case_id = uuid7()
    case = await repository.open_case_for_update(
        session, case_id=new_case_id, customer_id=event.customer_id, currency=currency, now=now
    )
    if case.id == new_case_id:
        bound.info("case.opened", case_id=str(case.id), currency=currency)
    added = await repository.add_case_item(
        session,
        {
            "id": uuid7(),
            "case_id": case.id,
            "invoice_id": event.invoice_id,
            "invoice_number": event.invoice_number,
            "currency": currency,
            "amount_due": event.amount_due.amount,
            "due_date": event.due_date,
            "days_overdue": event.days_overdue,
            "bucket": event.bucket,
            "payment_reference": event.payment_reference,
            "status": "open",
            "balance_observed_at": observed_at,
            "created_at": now,
            "updated_at": now,
        },
    )
    if not added:
        item = await repository.get_item(session, event.invoice_id, for_update=True)
        assert item is not None
        _refresh_item(item, event, observed_at=observed_at, now=now)
        bound.info("case_item.refreshed", case_id=str(item.case_id), bucket=item.bucket)
        return
    case.updated_at = now
    bound.info("case_item.added", case_id=str(case.id), days_overdue=event.days_overdue)

    customer = await repository.get_customer(session, event.customer_id)
    plan = domain.plan_reminder(customer_view(customer))
    if plan.kind == "excluded":
        bound.info("action.not_queued", reason="customer_excluded", case_id=str(case.id))
        return
    action = DunningAction(
        id=uuid7(),
        case_id=case.id,
        customer_id=event.customer_id,
        step=domain.OVERDUE_NOTICE_STEP,
        level=domain.OVERDUE_NOTICE_LEVEL,
        channel=domain.OVERDUE_NOTICE_CHANNEL,
        template=domain.OVERDUE_NOTICE_TEMPLATE,
        invoice_ids=[event.invoice_id],
        amount_overdue=event.amount_due.amount,
        currency=currency,
        details=_notice_details(event, customer_name=customer.legal_name if customer else None),
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(action)
    case.level = max(case.level, action.level)
    await session.flush()
    await _address(session, clock=clock, action=action, plan=plan, customer=customer_view(customer))


def _refresh_item(item: DunningCaseItem, event: InvoiceOverdue, *, observed_at: datetime, now: datetime) -> None:
    if item.status != "open":
        return
    if event.days_overdue >= item.days_overdue:
        item.days_overdue, item.bucket = event.days_overdue, event.bucket
    if domain.is_newer_balance(item.balance_observed_at, observed_at):
        item.amount_due, item.balance_observed_at = event.amount_due.amount, observed_at
    item.updated_at = now


def _notice_details(event: InvoiceOverdue, *, customer_name: str | None) -> dict[str, Any]:
    """What the notice says, fixed when it is decided (the archived record of the message)."""
    return {
        "customer_name": customer_name,
        "currency": event.amount_due.currency,
        "amount_overdue": format(event.amount_due.amount, "f"),
        "invoices": [
            {
                "invoice_id": str(event.invoice_id),
                "number": event.invoice_number,
                "amount_due": format(event.amount_due.amount, "f"),
                "due_date": event.due_date.isoformat(),
                "days_overdue": event.days_overdue,
                "payment_reference": event.payment_reference,
            }
        ],
    }


async def _address(
    session: AsyncSession,
    *,
    clock: Clock,
    action: DunningAction,
    plan: domain.ReminderPlan,
    customer: domain.CustomerView | None,
) -> None:
    """Give a pending action its recipient, or record that it has none."""
    bound = log.bind(action_id=str(action.id), case_id=str(action.case_id))
    if customer is not None and not action.details.get("customer_name"):
        action.details = {**action.details, "customer_name": customer.legal_name}
    if plan.kind == "send" and plan.recipient is not None:
        action.recipient, action.language = plan.recipient.email, plan.recipient.language
        bound.info("action.queued", step=action.step, channel=action.channel, language=action.language)
    elif plan.kind == "no_recipient":
        action.language = plan.language
        _complete(action, status="skipped", outcome="no_recipient", now=clock.now())
        await outbox.add(session, step_executed(action, executed_at=clock.now()), clock=clock)
        bound.warning("action.no_recipient", step=action.step)
    elif plan.kind == "await_customer":
        bound.warning("action.awaiting_customer", customer_id=str(action.customer_id))


def _complete(action: DunningAction, *, status: str, outcome: str, now: datetime) -> None:
    action.status, action.outcome, action.completed_at = status, outcome, now


def step_executed(action: DunningAction, *, executed_at: datetime) -> DunningStepExecuted:
    return DunningStepExecuted(
        customer_id=action.customer_id,
        case_id=action.case_id,
        action_id=action.id,
        step_name=action.step,
        level=action.level,
        channel=action.channel,
        recipient=action.recipient,
        template=action.template,
        language=action.language,
        outcome=action.outcome or action.status,
        invoice_ids=list(action.invoice_ids),
        amount_overdue=Money.of(action.amount_overdue, action.currency).quantize(),
        executed_at=executed_at,
    )


# --- email delivery outcomes --------------------------------------------------------------


async def record_email_sent(session: AsyncSession, *, clock: Clock, action: DunningAction, subject: str) -> None:
    """Mark an email action sent and publish DunningStepExecuted (outcome "sent")."""
    now = clock.now()
    action.attempts += 1
    action.subject, action.sent_at, action.last_error = subject, now, None
    _complete(action, status="sent", outcome="sent", now=now)
    await outbox.add(session, step_executed(action, executed_at=now), clock=clock)
    log.info("action.sent", action_id=str(action.id), case_id=str(action.case_id), attempts=action.attempts)


async def record_email_failure(
    session: AsyncSession,
    *,
    clock: Clock,
    action: DunningAction,
    error: str,
    max_attempts: int,
    base_delay: timedelta,
) -> str:
    """Count a failed attempt: schedule a retry, or give up and publish outcome "failed"."""
    now = clock.now()
    action.attempts += 1
    action.last_error = error[:2000]
    decision = domain.after_failed_attempt(action.attempts, now=now, max_attempts=max_attempts, base_delay=base_delay)
    bound = log.bind(action_id=str(action.id), case_id=str(action.case_id), attempts=action.attempts, error=error)
    if decision.status == "failed":
        _complete(action, status="failed", outcome="failed", now=now)
        await outbox.add(session, step_executed(action, executed_at=now), clock=clock)
        bound.error("action.failed")
        return "failed"
    action.next_attempt_at = decision.retry_at
    bound.warning("action.retry_scheduled", retry_at=str(decision.retry_at))
    return "retry"


# --- closing invoices resolves cases ------------------------------------------------------


async def record_payment_applied(
    session: AsyncSession, *, clock: Clock, event: PaymentApplied, observed_at: datetime
) -> None:
    """Bring an item's amount due to the invoice's balance after a payment."""
    item = await repository.get_item(session, event.invoice_id, for_update=True)
    if item is None or item.status != "open":
        return
    if domain.is_newer_balance(item.balance_observed_at, observed_at):
        item.amount_due, item.balance_observed_at = event.invoice_balance_after.amount, observed_at
        item.updated_at = clock.now()
        log.info("case_item.balance_updated", invoice_id=str(item.invoice_id), amount_due=str(item.amount_due))


async def close_invoice(
    session: AsyncSession, *, clock: Clock, customer_id: UUID, invoice_id: UUID, closure: domain.Closure
) -> None:
    """Close an invoice's item; the case is resolved when no item remains open."""
    now = clock.now()
    await repository.remember_closed_invoice(
        session, invoice_id=invoice_id, customer_id=customer_id, closure=closure, closed_at=now
    )
    found = await repository.get_item(session, invoice_id)
    if found is None:
        log.info("case_item.closed_before_overdue", invoice_id=str(invoice_id), closure=closure)
        return
    case = await repository.get_case(session, found.case_id, for_update=True)
    item = await repository.get_item(session, invoice_id, for_update=True)
    assert case is not None and item is not None
    if item.status != "open":
        return
    item.status, item.closure, item.closed_at, item.updated_at = "closed", closure, now, now
    await session.flush()
    log.info("case_item.closed", case_id=str(case.id), invoice_id=str(invoice_id), closure=closure)
    resolution = domain.case_resolution(
        i.closure if i.status == "closed" else None for i in await repository.case_items(session, case.id)
    )
    if resolution is None or case.status != "open":
        return
    case.status, case.resolution, case.resolved_at, case.updated_at = "resolved", resolution, now, now
    cancelled = await repository.cancel_pending_actions(session, case.id, outcome="case_resolved", now=now)
    await outbox.add(
        session,
        DunningResolved(
            customer_id=case.customer_id,
            case_id=case.id,
            resolution=resolution,
            highest_level=case.level,
            resolved_at=now,
        ),
        clock=clock,
    )
    log.info("case.resolved", case_id=str(case.id), resolution=resolution, cancelled_actions=cancelled)


# --- reading ------------------------------------------------------------------------------


async def require_case(session: AsyncSession, case_id: UUID) -> DunningCase:
    case = await repository.get_case(session, case_id)
    if case is None:
        raise NotFound(f"There is no dunning case {case_id}.", code="case_not_found")
    return case
