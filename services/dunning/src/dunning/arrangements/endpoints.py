"""REST endpoints of payment plans (分期还款协议) and settlement offers (和解折让)."""

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
from dunning.arrangements.approvals import PAYMENT_PLAN, SETTLEMENT_DISCOUNT, instalments_of
from dunning.arrangements.errors import PaymentPlanNotFound, SettlementOfferNotFound
from dunning.arrangements.instalments import always_guarded
from dunning.arrangements.schemas import PaymentPlanIn, PaymentPlanOut, SettlementOfferIn, SettlementOfferOut
from dunning.arrangements.service import agree_plan, check_plan, plan_instalments
from dunning.arrangements.settlements import check_offer, discount_always_guarded, make_offer
from dunning.deps import Reader, Writer
from dunning.lookups import lock_case, require_case
from dunning.models import PaymentPlan, SettlementOffer

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


def offer_out(offer: SettlementOffer) -> SettlementOfferOut:
    cur = offer.currency
    return SettlementOfferOut.model_validate(
        {
            "id": offer.id,
            "case_id": offer.case_id,
            "customer_id": offer.customer_id,
            "currency": cur,
            "amount": to_minor_units(offer.amount, cur),
            "owed_at_offer": to_minor_units(offer.owed_at_offer, cur),
            "discount": to_minor_units(offer.owed_at_offer - offer.amount, cur),
            "pay_by": offer.pay_by,
            "promise_id": offer.promise_id,
            "status": offer.status,
            "approved": offer.approved,
            "note": offer.note,
            "agreed_on": offer.agreed_on,
            "settled_on": offer.settled_on,
            "written_off": to_minor_units(offer.written_off, cur) if offer.written_off is not None else None,
            "made_by": offer.made_by,
            "created_at": offer.created_at,
        }
    )


@router.post(
    "/cases/{case_id}/settlement-offers",
    dependencies=[IDEMPOTENT],
    status_code=201,
    response_model=SettlementOfferOut,
    responses={
        202: {
            "model": ApprovalOut,
            "description": "A discount over the case.settlement_discount policy's threshold (10,000 CNY by "
            "default) or over 10% of the balance: the offer waits for a second person (dunning:approve).",
        }
    },
    tags=["pauses"],
    summary="Offer a settlement (和解折让): an amount paid by a date for the whole balance, the rest written off",
    description="The amount, less than the case's open balance, is a promise to pay by `pay_by` (the case "
    "pauses until then). Once the debt fell by it, dunning publishes SettlementPaid with each invoice's balance "
    "left, for invoicing to write off; unpaid by `pay_by`, the offer lapses and the chasing resumes.",
)
async def offer_settlement(
    case_id: UUID, body: SettlementOfferIn, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    case = await lock_case(session, case_id)
    _, owed = await check_offer(session, clock=clock, case=case, amount=body.amount, pay_by=body.pay_by)
    discount = owed - body.amount
    guarded = discount_always_guarded(amount=body.amount, owed=owed) or await approvals.needed(
        session, action=SETTLEMENT_DISCOUNT, amount=discount, currency=case.currency
    )
    if guarded:
        cur = case.currency

        async def ask() -> dict[str, Any]:
            return await approvals.request_approval(
                session,
                clock=clock,
                action=SETTLEMENT_DISCOUNT,
                subject_type=CASE_SUBJECT,
                subject_id=case.id,
                amount=discount,
                currency=cur,
                request={"case_id": str(case.id), **body.model_dump(mode="json")},
                actor=principal,
                reason=f"settlement: {body.amount:,.2f} {cur} for {owed:,.2f} {cur}, {discount:,.2f} written off"
                f" / 和解：付 {body.amount:,.2f} {cur} 结清 {owed:,.2f} {cur}，折让 {discount:,.2f}",
            )

        pending: JSONResponse = await idempotent(request, session, principal, body, ask, status_code=202)
        return pending

    async def offer() -> SettlementOfferOut:
        made = await make_offer(
            session,
            actor=principal,
            clock=clock,
            case=case,
            amount=body.amount,
            pay_by=body.pay_by,
            note=body.note,
            approved=False,
        )
        return offer_out(made)

    response: JSONResponse = await idempotent(request, session, principal, body, offer)
    return response


@router.get(
    "/cases/{case_id}/settlement-offers",
    response_model=list[SettlementOfferOut],
    tags=["pauses"],
    summary="A case's settlement offers, newest first",
)
async def list_settlement_offers(case_id: UUID, session: SessionDep, _: Reader) -> list[SettlementOfferOut]:
    await require_case(session, case_id)
    query = select(SettlementOffer).where(SettlementOffer.case_id == case_id).order_by(SettlementOffer.id.desc())
    return [offer_out(o) for o in (await session.execute(query)).scalars()]


@router.get(
    "/settlement-offers/{offer_id}", response_model=SettlementOfferOut, tags=["pauses"], summary="A settlement offer"
)
async def get_settlement_offer(offer_id: UUID, session: SessionDep, _: Reader) -> SettlementOfferOut:
    offer = await session.get(SettlementOffer, offer_id)
    if offer is None:
        raise SettlementOfferNotFound(
            f"There is no settlement offer {offer_id}.", detail_zh=f"和解方案 {offer_id} 不存在。"
        )
    return offer_out(offer)
