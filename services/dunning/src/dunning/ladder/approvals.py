"""The legal handover waits for a second person (arflow.approvals): case.legal_handover.

When the tick reaches a case's `legal_handover` rung it does not take it: it asks, as `system:dunning`, for an
approval (the reason names the step and the amount), once, and the case waits (`blocked:awaiting_approval` in
the dry run, `handover_approval` on GET /cases/{id}). The default policy asks for every handover (threshold
null) and is decided by someone holding `dunning:approve` (the finance manager); an admin sets it at
PUT /approval-policies/case.legal_handover. Approving takes the step then - the same action, letter, evidence
pack and events as the tick took it before - as the system's, its audit entries naming the approver. The
request is made against the case's state (status, rung, open balance): a payment meanwhile makes approving
answer 409 approval_subject_changed, and the next tick asks anew for the amount owed now. A rejection leaves
the case at its rung; the tick asks again for it ASK_AGAIN_AFTER_REJECTION (30 days) after the rejection, and
again after a request expires undecided.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow import approvals, audit
from arflow.approvals import Applied, GuardedAction, register
from arflow.auth import Principal
from arflow.clock import Clock
from arflow.money import to_minor_units
from dunning import domain
from dunning.actions.repository import case_documents
from dunning.config import DunningSettings
from dunning.creditor.service import in_force
from dunning.ladder import repository
from dunning.ladder.errors import HandoverNotApplicable
from dunning.ladder.planning import CasePlan, plan_case
from dunning.ladder.repository import CASE_SUBJECT, LEGAL_HANDOVER
from dunning.ladder.service import policy_view
from dunning.ladder.steps import execute_step
from dunning.lookups import amount_owed, get_case, lock_case

log = structlog.get_logger("dunning")

APPROVE_SCOPE = "dunning:approve"


def _service_settings() -> DunningSettings:
    """The settings of the service serving the approval: an approval is applied by the platform's /approvals
    route, which hands over no dependency, so they are taken from the app of the call being served (several
    apps may share a process in tests); outside a call, from the environment."""
    context = audit.current()
    app = context.scope.get("app") if context is not None else None
    found = getattr(getattr(app, "state", None), "settings", None)
    return found if isinstance(found, DunningSettings) else DunningSettings()


async def _case_version(session: AsyncSession, case_id: str) -> str | None:
    """What a handover was asked against: its status, rung, freeze and open balance (a payment changes it)."""
    case = await get_case(session, UUID(case_id))
    if case is None:
        return None
    owed = to_minor_units(await amount_owed(session, case.id), case.currency)
    return f"{case.status}:{case.level}:{'frozen' if case.frozen_at else 'live'}:{owed}"


async def ask_for_handover(
    session: AsyncSession,
    *,
    clock: Clock,
    plan: CasePlan,
    step: domain.PolicyStep,
    as_of: datetime,
    actor: Principal,
) -> bool:
    """Ask a second person for the handover the tick reached (True), or False when its policy lets it through."""
    case, amount = plan.case, plan.state.amount_overdue
    if not await approvals.needed(session, action=LEGAL_HANDOVER, amount=amount, currency=case.currency):
        return False
    shown = format(to_minor_units(amount, case.currency), ",f")
    policy = plan.policy
    asked = await approvals.request_approval(
        session,
        clock=clock,
        action=LEGAL_HANDOVER,
        subject_type=CASE_SUBJECT,
        subject_id=case.id,
        amount=amount,
        currency=case.currency,
        request={
            "case_id": str(case.id),
            "step": step.name,
            "level": step.level,
            "policy_code": policy.code if policy else None,
            "policy_version": policy.version if policy else None,
            "as_of": as_of.isoformat(),
        },
        actor=actor,
        reason=f"ladder step {step.name} (level {step.level}): {shown} {case.currency} overdue"
        f" / 催收阶梯 {step.name}（第 {step.level} 级）：逾期 {shown} {case.currency}",
    )
    log.info("step.approval_requested", case_id=str(case.id), step=step.name, approval_id=str(asked["id"]))
    return True


async def _take_handover(session: AsyncSession, clock: Clock, request: dict[str, Any], requester: Principal) -> Applied:
    """Take the approved handover as the tick would have: on the case as it is now, if the rung is still to take."""
    case = await lock_case(session, UUID(request["case_id"]))
    settings = await in_force(session, _service_settings())
    # Dated when approved (or as of the tick that asked, when it ran ahead of the clock: a replay).
    as_of = max(clock.now(), datetime.fromisoformat(request["as_of"]))
    policies = [policy_view(p) for p in await repository.latest_policies(session)]
    plan = await plan_case(session, case=case, as_of=as_of, policies=policies, settings=settings)
    steps = plan.policy.steps if plan.policy else []
    step = next((s for s in steps if s.name == request["step"] and s.channel == "legal_handover"), None)
    if case.status != "open" or case.frozen_at is not None or plan.customer is None or step is None:
        raise HandoverNotApplicable(
            f"Case {case.id} can no longer be handed over at step {request['step']}: reject the request.",
            detail_zh=f"催收案件 {case.id} 已不能在 {request['step']} 阶段移交法务，请驳回此申请。",
        )
    if step.name in plan.state.done_steps:
        raise HandoverNotApplicable(
            f"Case {case.id} has taken step {step.name} already.",
            detail_zh=f"催收案件 {case.id} 已执行过 {step.name} 阶段。",
        )
    action = await execute_step(session, clock=clock, plan=plan, step=step, as_of=as_of, settings=settings)
    packs = [
        d for d in await case_documents(session, case.id) if d.kind == "evidence_pack" and d.action_id == action.id
    ]
    return Applied(
        object_id=str(case.id),
        result={
            "case_id": str(case.id),
            "action_id": str(action.id),
            "step": step.name,
            "level": case.level,
            "frozen_at": case.frozen_at.isoformat() if case.frozen_at else None,
            "amount_overdue": str(to_minor_units(plan.state.amount_overdue, case.currency)),
            "currency": case.currency,
            "evidence_pack_id": str(packs[0].id) if packs else None,
        },
    )


register(
    GuardedAction(
        name=LEGAL_HANDOVER,
        title_zh="移交法务",
        title_en="Legal handover",
        apply=_take_handover,
        version_of=_case_version,
        default_threshold=None,  # every handover waits for a second person
        default_approver_scope=APPROVE_SCOPE,
    )
)
