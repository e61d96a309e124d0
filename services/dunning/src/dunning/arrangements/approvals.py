"""A large or long payment plan waits for a second person (arflow.approvals): case.payment_plan.

The policy's threshold (DEFAULT_APPROVAL_THRESHOLD, 50,000 CNY by default; an admin changes it at PUT
/approval-policies/case.payment_plan) guards the amount covered; a plan of more than MANY_INSTALMENTS (6)
instalments or running past LONG_PLAN_DAYS (183, six months) waits whatever its amount. Someone holding
`dunning:approve` other than the requester decides. The request is frozen as asked against the case's state
(status and open balance): a payment meanwhile makes approving answer 409 approval_subject_changed; applying
re-validates the plan against the case as it is then (422 invalid_payment_plan, 409 payment_plan_exists).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from arflow.approvals import Applied, GuardedAction, register
from arflow.auth import Principal
from arflow.clock import Clock
from arflow.money import to_minor_units
from dunning.arrangements.instalments import DEFAULT_APPROVAL_THRESHOLD, Instalment
from dunning.arrangements.schemas import PaymentPlanIn
from dunning.arrangements.service import agree_plan
from dunning.arrangements.settlements import DEFAULT_DISCOUNT_THRESHOLD, make_offer
from dunning.lookups import amount_owed, get_case, lock_case

PAYMENT_PLAN = "case.payment_plan"
APPROVE_SCOPE = "dunning:approve"


def instalments_of(body: PaymentPlanIn) -> list[Instalment]:
    return [Instalment(i.due_date, i.amount) for i in body.instalments]


async def _case_version(session: AsyncSession, case_id: str) -> str | None:
    case = await get_case(session, UUID(case_id))
    if case is None:
        return None
    owed = to_minor_units(await amount_owed(session, case.id), case.currency)
    return f"{case.status}:{owed}"


async def _agree(session: AsyncSession, clock: Clock, request: dict[str, Any], requester: Principal) -> Applied:
    """Agree the plan as asked, by the requester, on the case as it is now (re-validated)."""
    case = await lock_case(session, UUID(request["case_id"]))
    instalments = [Instalment(date.fromisoformat(i["due_date"]), Decimal(i["amount"])) for i in request["instalments"]]
    plan = await agree_plan(
        session,
        actor=requester,
        clock=clock,
        case=case,
        instalments=instalments,
        amount=Decimal(request["amount_covered"]),
        note=request.get("note"),
    )
    return Applied(
        object_id=str(plan.id),
        result={
            "payment_plan_id": str(plan.id),
            "case_id": str(case.id),
            "status": plan.status,
            "amount_covered": str(to_minor_units(plan.amount_covered, plan.currency)),
            "currency": plan.currency,
            "instalments": plan.instalment_count,
        },
    )


register(
    GuardedAction(
        name=PAYMENT_PLAN,
        title_zh="分期还款协议",
        title_en="Payment plan",
        apply=_agree,
        version_of=_case_version,
        default_threshold=DEFAULT_APPROVAL_THRESHOLD,
        default_approver_scope=APPROVE_SCOPE,
    )
)


SETTLEMENT_DISCOUNT = "case.settlement_discount"


async def _settle(session: AsyncSession, clock: Clock, request: dict[str, Any], requester: Principal) -> Applied:
    """Make the settlement offer as asked, by the requester, on the case as it is now (re-validated)."""
    case = await lock_case(session, UUID(request["case_id"]))
    offer = await make_offer(
        session,
        actor=requester,
        clock=clock,
        case=case,
        amount=Decimal(request["amount"]),
        pay_by=date.fromisoformat(request["pay_by"]),
        note=request.get("note"),
        approved=True,
    )
    return Applied(
        object_id=str(offer.id),
        result={
            "settlement_id": str(offer.id),
            "case_id": str(case.id),
            "amount": str(to_minor_units(offer.amount, offer.currency)),
            "discount": str(to_minor_units(offer.owed_at_offer - offer.amount, offer.currency)),
            "currency": offer.currency,
        },
    )


register(
    GuardedAction(
        name=SETTLEMENT_DISCOUNT,
        title_zh="和解折让",
        title_en="Settlement discount",
        apply=_settle,
        version_of=_case_version,
        default_threshold=DEFAULT_DISCOUNT_THRESHOLD,  # on the discount, not the amount paid
        default_approver_scope=APPROVE_SCOPE,
    )
)
