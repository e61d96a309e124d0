"""Sending a case's next ladder step now (issue 19's "send the next step now"), instead of on its day.

The step is taken exactly as the tick takes it (`ladder.steps.execute_step`: the same action, templates,
channel start, sender, letter, task, escalation and events), after the same decision the tick draws
(`ladder.planning.plan_case`, `domain.decide_step`), with one difference: the step's day is brought
forward to today. Every other rule of the tick stands — pauses (hold, dispute, promise or payment plan,
unmatched payment, legal handover, exclusion), the minimum amount, weekends, the creditor, the quiet hours
and the minimum gap between contacts — and a guarded legal handover still waits for a second person.

Once taken the step is done by name (an action that is not cancelled), so the tick never takes it again;
the case's anchor is not moved, so every later step keeps its own day (the gap between contacts counts
from now, as after any step).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow import approvals, audit
from arflow.auth import Principal
from arflow.clock import DEFAULT_TIME_ZONE, Clock
from dunning import domain
from dunning.cases.errors import (
    CasePaused,
    ContactNotAllowed,
    NextStepChanged,
    NoNextStep,
    StepBlocked,
    StepNeedsApproval,
)
from dunning.config import DunningSettings
from dunning.ladder import repository as ladder_repository
from dunning.ladder.planning import CasePlan, guardrails, handover_wait, plan_case
from dunning.ladder.repository import LEGAL_HANDOVER, latest_handover_request
from dunning.ladder.service import policy_view
from dunning.ladder.steps import execute_step
from dunning.lookups import CaseNotOpen
from dunning.models import DunningAction, DunningCase
from dunning.promises.repository import open_promises
from dunning.promises.service import settle_due_promises

log = structlog.get_logger("dunning")

# The audit trail's reason code of a step sent ahead of its day (the caller's reason is the comment).
REASON_CODE = "step_now"

# Why a case takes no step, as the tick says it, in the words of a refusal.
PAUSES: dict[str, tuple[str, str]] = {
    "manual_hold": ("the case is on hold: release it first", "案件已暂停（手动暂停），请先解除暂停"),
    "dispute": ("every open invoice of the case is disputed", "案件的所有未结发票均有争议，暂停催收"),
    "payment_plan": (
        "a payment plan is running: its instalments pause the case",
        "分期还款协议执行中，案件暂停催收",
    ),
    "promise_to_pay": ("the customer promised to pay and the date has not passed", "客户已承诺付款且尚未到期"),
    "unmatched_payment": (
        "an unmatched payment that is probably the customer's awaits review",
        "一笔可能属于该客户的未匹配款项正在核对中",
    ),
    "legal_handover": ("the case was handed over to legal proceedings", "案件已移交法务，催收已冻结"),
    "customer_excluded": ("the customer is excluded from dunning", "该客户已被排除在催收之外"),
}
CONTACT_RULES: dict[str, tuple[str, str]] = {
    "minimum_gap": ("the minimum gap between two contacts has not passed", "距上次联系未满最短间隔"),
    "quiet_hours": (
        "it is quiet hours where the customer is (no SMS or call)",
        "客户当地处于免打扰时段（不发短信、不打电话）",
    ),
    "weekend": ("no step is taken on Saturdays and Sundays", "周六、周日不执行催收步骤"),
}
BLOCKS: dict[str, tuple[str, str]] = {
    "below_minimum_amount": ("the amount overdue is below the minimum for dunning", "逾期金额低于催收最低金额"),
    "creditor_not_configured": (
        "the creditor is not set, so no letter can be made (PUT /creditor in invoicing)",
        "债权人信息未设置，无法生成函件（请在开票服务 PUT /creditor）",
    ),
}


async def take_next_step_now(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    case: DunningCase,
    settings: DunningSettings,
    reason: str,
    expected_step: str | None = None,
) -> tuple[DunningAction, CasePlan]:
    """Take a locked case's next ladder step now, through the tick's own step; refuse (409) what the tick would
    not do today but for the step's day."""
    if case.status != "open":
        raise CaseNotOpen(f"Case {case.id} is resolved.", detail_zh=f"催收案件 {case.id} 已结案。")
    now = clock.now()
    # As the tick does first: promises whose date passed are found kept or broken (a broken plan resumes).
    await settle_due_promises(session, clock=clock, case=case, as_of=now)
    policies = [policy_view(p) for p in await ladder_repository.latest_policies(session)]
    plan = await plan_case(session, case=case, as_of=now, policies=policies, settings=settings)
    paused = plan.state.paused_reason
    if paused is not None:
        if paused == "promise_to_pay" and any(p.payment_plan_id for p in await open_promises(session, case.id)):
            paused = "payment_plan"
        english, chinese = PAUSES.get(paused, (paused, paused))
        raise CasePaused(
            f"Case {case.id} takes no step now: {english}.",
            detail_zh=f"催收案件 {case.id} 当前不能执行催收步骤：{chinese}。",
            reason=paused,
        )
    if plan.customer is None or plan.policy is None:
        why = "customer_unknown" if plan.customer is None else "no_policy"
        raise NoNextStep(
            f"Case {case.id} has no ladder to follow ({why}).",
            detail_zh=f"催收案件 {case.id} 没有适用的催收阶梯（{why}）。",
            reason=why,
        )
    remaining = domain.pending_steps(plan.policy, plan.state)
    if not remaining:
        raise NoNextStep(
            f"Case {case.id} has taken every step of its ladder ({plan.policy.code}).",
            detail_zh=f"催收案件 {case.id} 已执行完催收阶梯（{plan.policy.code}）的全部步骤。",
            reason="ladder_done",
        )
    step = remaining[0]
    due_on = domain.step_due_date(step, plan.state.anchor_date)
    if expected_step is not None and expected_step != step.name:
        raise NextStepChanged(
            f"The next step of case {case.id} is {step.name}, not {expected_step}: look at the case again.",
            detail_zh=f"催收案件 {case.id} 的下一步是 {step.name}，而不是 {expected_step}，请刷新后再试。",
            step=step.name,
        )
    await _refuse_handover(session, plan=plan, step=step, due_on=due_on.isoformat(), now=now)
    decision = _decide_today(plan, step, now=now, settings=settings)
    if decision.kind != "execute":
        _refuse(case, decision, step=step, now=now, plan=plan, settings=settings)
    if _new_ladder(plan):
        assert plan.policy is not None
        case.policy_code, case.policy_version = plan.policy.code, plan.policy.version
    audit.set_reason(REASON_CODE, reason)
    action = await execute_step(session, clock=clock, plan=plan, step=step, as_of=now, settings=settings)
    action.details = {
        **action.details,
        "taken_now": {"by": actor.name, "reason": reason, "due_on": due_on.isoformat()},
    }
    await session.flush()
    await audit.record(
        session,
        action="dunning_case.step_taken_now",
        object_type="dunning_case",
        object_id=case.id,
        after={
            "step": step.name,
            "channel": step.channel,
            "level": step.level,
            "action_id": action.id,
            "due_on": due_on,
            "taken_on": plan.local_today,
        },
    )
    log.info(
        "step.taken_now",
        case_id=str(case.id),
        action_id=str(action.id),
        step=step.name,
        due_on=str(due_on),
        by=actor.name,
    )
    return action, plan


def _new_ladder(plan: CasePlan) -> bool:
    policy = plan.policy
    return policy is not None and (plan.case.policy_code, plan.case.policy_version) != (policy.code, policy.version)


def _decide_today(
    plan: CasePlan, step: domain.PolicyStep, *, now: datetime, settings: DunningSettings
) -> domain.StepDecision:
    """The tick's decision as if `step` were due today: its day alone is brought forward, every guardrail stands."""
    assert plan.policy is not None
    today = plan.local_today
    anchor = min(plan.state.anchor_date, today - timedelta(days=step.offset_days))
    local_now = now.astimezone(ZoneInfo(plan.customer.time_zone if plan.customer else DEFAULT_TIME_ZONE))
    state = replace(plan.state, anchor_date=anchor)
    return domain.decide_step(plan.policy, state, now=now, local_now=local_now, guard=guardrails(settings))


async def _refuse_handover(
    session: AsyncSession, *, plan: CasePlan, step: domain.PolicyStep, due_on: str, now: datetime
) -> None:
    """A legal handover a second person must approve is never sent now: it goes through the approval the tick asks."""
    if step.channel != "legal_handover":
        return
    case, amount = plan.case, plan.state.amount_overdue
    latest = await latest_handover_request(session, case.id)
    requests = await ladder_repository.handover_requests(session, [case.id])
    waiting = handover_wait(requests.get(case.id, ()), step.name, amount, now)
    if waiting is None and not await approvals.needed(
        session, action=LEGAL_HANDOVER, amount=amount, currency=case.currency
    ):
        return  # the policy lets this handover through: the tick would take it at once, and so do we
    approval_id = None
    if latest is not None and waiting == "awaiting_approval" and latest._mapping["status"] == "pending":
        approval_id = str(latest._mapping["id"])
    if approval_id:
        english = f"its approval {approval_id} is pending (GET /approvals/{approval_id})"
        chinese = f"审批 {approval_id} 待处理"
    elif waiting == "handover_rejected":
        english, chinese = (
            "it was rejected; the tick asks again 30 days after the rejection",
            "已被驳回，驳回 30 天后将重新申请",
        )
    else:
        english = f"the tick asks a second person (dunning:approve) on its day, {due_on}"
        chinese = f"将于 {due_on} 由系统提交审批（dunning:approve）"
    raise StepNeedsApproval(
        f"The next step of case {case.id} is {step.name}, a legal handover a second person approves: {english}.",
        detail_zh=f"催收案件 {case.id} 的下一步 {step.name} 为移交法务，须经第二人审批：{chinese}。",
        step=step.name,
        approval_id=approval_id,
    )


def _refuse(
    case: DunningCase,
    decision: domain.StepDecision,
    *,
    step: domain.PolicyStep,
    now: datetime,
    plan: CasePlan,
    settings: DunningSettings,
) -> None:
    """Raise the refusal of a step the tick would not take today (the decision's reason says why)."""
    why = decision.reason or decision.kind
    if why in CONTACT_RULES:
        english, chinese = CONTACT_RULES[why]
        not_before = _not_before(why, plan=plan, now=now, settings=settings)
        when = f" (not before {not_before.isoformat()})" if not_before else ""
        raise ContactNotAllowed(
            f"Step {step.name} ({step.channel}) of case {case.id} cannot be sent now: {english}{when}.",
            detail_zh=f"催收案件 {case.id} 的步骤 {step.name}（{step.channel}）现在不能发送：{chinese}"
            + (f"（最早 {not_before.isoformat()}）" if not_before else "")
            + "。",
            reason=why,
            step=step.name,
            not_before=not_before.isoformat() if not_before else None,
        )
    english, chinese = BLOCKS.get(why, (why, why))
    raise StepBlocked(
        f"Step {step.name} of case {case.id} cannot be taken now: {english}.",
        detail_zh=f"催收案件 {case.id} 的步骤 {step.name} 现在不能执行：{chinese}。",
        reason=why,
        step=step.name,
    )


def _not_before(why: str, *, plan: CasePlan, now: datetime, settings: DunningSettings) -> datetime | None:
    """When the contact rule that refused the step lets it through (the gap's end, the quiet hours' end)."""
    guard = guardrails(settings)
    if why == "minimum_gap" and plan.case.last_contact_at is not None:
        return plan.case.last_contact_at + guard.min_gap
    if why == "quiet_hours":
        local = now.astimezone(ZoneInfo(plan.customer.time_zone if plan.customer else DEFAULT_TIME_ZONE))
        end = local.replace(hour=guard.quiet_end.hour, minute=guard.quiet_end.minute, second=0, microsecond=0)
        return end if end > local else end + timedelta(days=1)
    return None
