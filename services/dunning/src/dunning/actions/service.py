"""The action log: what a message says, who receives it, how it finishes. Never commits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock
from arflow.events.catalog import DunningChannel, DunningStepExecuted, InvoiceOverdue, Language
from arflow.messaging import outbox
from arflow.money import Money
from dunning import domain
from dunning.models import DunningAction

log = structlog.get_logger("dunning")


def notice_details(event: InvoiceOverdue, *, customer_name: str | None) -> dict[str, Any]:
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


async def address_action(
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
        complete_action(action, status="skipped", outcome="no_recipient", now=clock.now())
        await outbox.add(session, step_executed(action, executed_at=clock.now()), clock=clock)
        bound.warning("action.no_recipient", step=action.step)
    elif plan.kind == "await_customer":
        bound.warning("action.awaiting_customer", customer_id=str(action.customer_id))


def complete_action(action: DunningAction, *, status: str, outcome: str, now: datetime) -> None:
    """Mark an action finished with its status and outcome."""
    action.status, action.outcome, action.completed_at = status, outcome, now


def step_executed(action: DunningAction, *, executed_at: datetime) -> DunningStepExecuted:
    """The DunningStepExecuted of a finished action."""
    return DunningStepExecuted(
        customer_id=action.customer_id,
        case_id=action.case_id,
        action_id=action.id,
        step_name=action.step,
        level=action.level,
        channel=cast("DunningChannel", action.channel),
        recipient=action.recipient,
        template=action.template,
        language=cast("Language | None", action.language),
        outcome=action.outcome or action.status,
        invoice_ids=list(action.invoice_ids),
        amount_overdue=Money.of(action.amount_overdue, action.currency).quantize(),
        executed_at=executed_at,
    )


async def finish_action(
    session: AsyncSession, *, clock: Clock, action: DunningAction, status: str, outcome: str, at: datetime
) -> None:
    """Complete an action now and publish its DunningStepExecuted."""
    complete_action(action, status=status, outcome=outcome, now=at)
    action.next_attempt_at = None
    if status == "sent":
        action.sent_at = at
    await session.flush()
    await outbox.add(session, step_executed(action, executed_at=at), clock=clock)


async def record_delivery_sent(
    session: AsyncSession, *, clock: Clock, action: DunningAction, subject: str, actor: Principal
) -> None:
    """Mark a delivered action (email or SMS) sent and publish DunningStepExecuted (outcome "sent")."""
    now = clock.now()
    action.attempts += 1
    action.subject, action.sent_at, action.last_error = subject, now, None
    complete_action(action, status="sent", outcome="sent", now=now)
    await outbox.add(session, step_executed(action, executed_at=now), clock=clock)
    log.info("action.sent", action_id=str(action.id), case_id=str(action.case_id), attempts=action.attempts)


async def record_delivery_failure(
    session: AsyncSession,
    *,
    clock: Clock,
    action: DunningAction,
    error: str,
    max_attempts: int,
    base_delay: timedelta,
    actor: Principal,
) -> str:
    """Count a failed delivery attempt (email or SMS): schedule a retry, or give up and publish outcome "failed"."""
    now = clock.now()
    action.attempts += 1
    action.last_error = error[:2000]
    decision = domain.after_failed_attempt(action.attempts, now=now, max_attempts=max_attempts, base_delay=base_delay)
    bound = log.bind(action_id=str(action.id), case_id=str(action.case_id), attempts=action.attempts, error=error)
    if decision.status == "failed":
        complete_action(action, status="failed", outcome="failed", now=now)
        await outbox.add(session, step_executed(action, executed_at=now), clock=clock)
        bound.error("action.failed")
        return "failed"
    action.next_attempt_at = decision.retry_at
    bound.warning("action.retry_scheduled", retry_at=str(decision.retry_at))
    return "retry"


async def record_delivery_held(
    session: AsyncSession, *, clock: Clock, action: DunningAction, reason: str, delay: timedelta
) -> None:
    """Keep an action queued without an attempt (e.g. no creditor yet), saying why; looked at again after `delay`."""
    action.last_error = reason[:2000]
    action.next_attempt_at = clock.now() + delay
    log.warning("action.held", action_id=str(action.id), case_id=str(action.case_id), reason=reason)
