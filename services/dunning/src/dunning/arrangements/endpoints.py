"""REST endpoints of payment plans (分期还款协议)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from arflow import approvals
from arflow.approvals.api import ApprovalOut
from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.money import to_minor_units
from arflow.service import ClockDep, SessionDep
from dunning.arrangements.approvals import PAYMENT_PLAN, instalments_of
from dunning.arrangements.errors import PaymentPlanNotFound
from dunning.arrangements.instalments import always_guarded
from dunning.arrangements.schemas import PaymentPlanIn, PaymentPlanOut
from dunning.arrangements.service import agree_plan, check_plan, plan_instalments
from dunning.deps import Reader, Writer
from dunning.lookups import lock_case, require_case
from dunning.models import PaymentPlan

router = APIRouter()

CASE_SUBJECT = "dunning_case"  # (as the legal handover's approvals name a case)


async def plan_out(session: AsyncSession, plan: PaymentPlan) -> PaymentPlanOut:
    cur = plan.currency
    instalments = [
        {
            "promise_id": p.id,
            "due_date": p.promised_date,
            "amount": to_minor_units(p.amount, cur),
            "status": p.status,
            "settled_on": p.settled_on,
        }
        for p in await plan_instalments(session, plan.id)
    ]
    return PaymentPlanOut.model_validate(
        {
            "id": plan.id,
            "case_id": plan.case_id,
            "customer_id": plan.customer_id,
            "currency": cur,
            "amount_covered": to_minor_units(plan.amount_covered, cur),
            "owed_at_agreement": to_minor_units(plan.owed_at_agreement, cur),
            "status": plan.status,
            "note": plan.note,
            "agreed_on": plan.agreed_on,
            "ended_on": plan.ended_on,
            "made_by": plan.made_by,
            "instalments": instalments,
            "created_at": plan.created_at,
        }
    )


@router.post(
    "/cases/{case_id}/payment-plans",
    dependencies=[IDEMPOTENT],
    status_code=201,
    response_model=PaymentPlanOut,
    responses={
        202: {
            "model": ApprovalOut,
            "description": "Over the case.payment_plan policy's threshold (50,000 CNY by default), more than 6 "
            "instalments or longer than 6 months: the plan waits for a second person (dunning:approve).",
        }
    },
    tags=["pauses"],
    summary="Agree a payment plan (分期还款协议): instalments pause the case; one unpaid by its date resumes it",
    description="The instalments (due date, amount in the case's currency) add up to `amount_covered`, at most "
    "the case's open balance, on increasing dates from today. Each is a promise to pay, kept once the debt fell "
    "by the instalments up to it since the plan was agreed; the case takes no ladder step until the last one. "
    "An instalment unpaid by its date breaks the plan (the rest cancelled, the chasing resumes); every one kept "
    "completes it.",
)
async def agree_payment_plan(
    case_id: UUID, body: PaymentPlanIn, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    case = await lock_case(session, case_id)
    instalments = instalments_of(body)
    today, _ = await check_plan(session, clock=clock, case=case, instalments=instalments, amount=body.amount_covered)
    guarded = always_guarded(instalments, today) or await approvals.needed(
        session, action=PAYMENT_PLAN, amount=body.amount_covered, currency=case.currency
    )
    if guarded:
        shown = f"{body.amount_covered:,.2f} {case.currency}"
        last = instalments[-1].due_date.isoformat()

        async def ask() -> dict[str, Any]:
            return await approvals.request_approval(
                session,
                clock=clock,
                action=PAYMENT_PLAN,
                subject_type=CASE_SUBJECT,
                subject_id=case.id,
                amount=body.amount_covered,
                currency=case.currency,
                request={"case_id": str(case.id), **body.model_dump(mode="json")},
                actor=principal,
                reason=f"payment plan of {shown} in {len(instalments)} instalments to {last}"
                f" / 分期还款 {shown}，共 {len(instalments)} 期，至 {last}",
            )

        pending: JSONResponse = await idempotent(request, session, principal, body, ask, status_code=202)
        return pending

    async def agree() -> PaymentPlanOut:
        plan = await agree_plan(
            session,
            actor=principal,
            clock=clock,
            case=case,
            instalments=instalments,
            amount=body.amount_covered,
            note=body.note,
        )
        return await plan_out(session, plan)

    response: JSONResponse = await idempotent(request, session, principal, body, agree)
    return response


@router.get(
    "/cases/{case_id}/payment-plans",
    response_model=list[PaymentPlanOut],
    tags=["pauses"],
    summary="A case's payment plans, newest first, each with its instalments",
)
async def list_payment_plans(case_id: UUID, session: SessionDep, _: Reader) -> list[PaymentPlanOut]:
    await require_case(session, case_id)
    query = select(PaymentPlan).where(PaymentPlan.case_id == case_id).order_by(PaymentPlan.id.desc())
    return [await plan_out(session, p) for p in (await session.execute(query)).scalars()]


@router.get("/payment-plans/{plan_id}", response_model=PaymentPlanOut, tags=["pauses"], summary="A payment plan")
async def get_payment_plan(plan_id: UUID, session: SessionDep, _: Reader) -> PaymentPlanOut:
    plan = await session.get(PaymentPlan, plan_id)
    if plan is None:
        raise PaymentPlanNotFound(f"There is no payment plan {plan_id}.", detail_zh=f"分期还款协议 {plan_id} 不存在。")
    return await plan_out(session, plan)
