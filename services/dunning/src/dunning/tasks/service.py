"""Collectors' tasks: completed with an outcome that drives the case. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock
from dunning.actions.repository import get_action
from dunning.actions.service import finish_action
from dunning.case_events import raise_level
from dunning.disputes.service import check_disputed_invoices, open_dunning_dispute
from dunning.lookups import get_case
from dunning.models import DunningTask
from dunning.promises.service import make_promise
from dunning.tasks.errors import PromiseIncomplete, TaskClosed

# The channels whose actions an email or SMS sender delivers (actions.delivery's EMAIL and SMS channels).
SENT_BY_A_SENDER = frozenset({"email", "internal_alert", "letter", "sms"})

log = structlog.get_logger("dunning")


async def assign_task(session: AsyncSession, *, actor: Principal, task: DunningTask, assignee: str) -> DunningTask:
    """Give a task to a collector."""
    task.assignee = assignee
    return task


async def complete_task(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    task: DunningTask,
    outcome: str,
    operator: str,
    note: str | None,
    promised_date: date | None,
    promised_amount: Decimal | None,
    disputed_invoice_ids: Sequence[UUID] | None = None,
) -> DunningTask:
    """Close a collector's task with its outcome; the outcome drives the case."""
    if task.status != "open":
        raise TaskClosed("The task is already closed.", detail_zh="该任务已关闭。")
    case = await get_case(session, task.case_id, for_update=True)
    assert case is not None
    now = clock.now()
    disputed = (
        await check_disputed_invoices(session, case=case, invoice_ids=disputed_invoice_ids)
        if outcome == "dispute"
        else []
    )
    if outcome == "promise_to_pay":
        if promised_date is None or promised_amount is None:
            raise PromiseIncomplete(
                "A promise to pay needs promised_date and promised_amount.",
                detail_zh="承诺付款需要填写 promised_date（承诺付款日期）和 promised_amount（承诺付款金额）。",
            )
        await make_promise(
            session,
            actor=actor,
            clock=clock,
            case=case,
            amount=promised_amount,
            promised_date=promised_date,
            made_by=operator,
        )
    task.status, task.outcome, task.note, task.completed_by, task.completed_at = "done", outcome, note, operator, now
    action = await get_action(session, task.action_id, for_update=True)
    if action is not None and action.status == "pending":
        action.details = {**action.details, "operator": operator, "note": note}
        # A step a sender still has to deliver (a letter's email, say, beside its registered-mail task) is finished
        # by that sender: completing the task first must not cancel the email.
        if action.channel not in SENT_BY_A_SENDER:
            await finish_action(session, clock=clock, action=action, status="completed", outcome=outcome, at=now)
    if outcome == "dispute":
        await open_dunning_dispute(session, actor=actor, clock=clock, case=case, items=disputed, reason=note)
    elif outcome == "refused":
        await raise_level(session, clock=clock, case=case, level=case.level + 1, channel="phone_task", at=now)
    log.info("task.completed", task_id=str(task.id), case_id=str(case.id), outcome=outcome, operator=operator)
    return task
