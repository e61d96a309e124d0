"""Payment plans (分期还款协议) on a case: agreed (its instalments become promises to pay, which pause the
case until the last one), then broken by an instalment unpaid by its date - the rest cancelled, so the
chasing resumes - or completed once every instalment is kept. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import DEFAULT_TIME_ZONE, Clock, local_date
from arflow.events.catalog import PromiseToPayMade
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.money import Money
from dunning.arrangements.errors import InvalidPaymentPlan, PaymentPlanExists
from dunning.arrangements.instalments import Instalment, plan_problems, plan_status
from dunning.case_events import publish_pause
from dunning.customers.repository import get_customer
from dunning.lookups import CaseNotOpen, amount_owed
from dunning.models import DunningCase, PaymentPlan, PromiseToPay

log = structlog.get_logger("dunning")


async def case_today(session: AsyncSession, clock: Clock, case: DunningCase) -> date:
    customer = await get_customer(session, case.customer_id)
    return local_date(clock.now(), customer.time_zone if customer else DEFAULT_TIME_ZONE)


async def check_plan(
    session: AsyncSession, *, clock: Clock, case: DunningCase, instalments: Sequence[Instalment], amount: Decimal
) -> tuple[date, Decimal]:
    """Today on the customer's calendar and what the case owes, once the plan is shown valid against it."""
    if case.status != "open":
        raise CaseNotOpen(
            "The case is resolved: there is nothing to pay in instalments.",
            detail_zh="该催收案件已结案，无需分期还款。",
        )
    today = await case_today(session, clock, case)
    owed = await amount_owed(session, case.id)
    problems = plan_problems(instalments, amount_covered=amount, owed=owed, today=today)
    if problems:
        raise InvalidPaymentPlan(" ".join(p[0] for p in problems), detail_zh="".join(p[1] for p in problems))
    return today, owed


async def active_plan(session: AsyncSession, case_id: UUID) -> PaymentPlan | None:
    query = select(PaymentPlan).where(PaymentPlan.case_id == case_id, PaymentPlan.status == "active")
    return (await session.execute(query)).scalars().first()


async def agree_plan(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    case: DunningCase,
    instalments: Sequence[Instalment],
    amount: Decimal,
    note: str | None,
    approval_id: UUID | None = None,
) -> PaymentPlan:
    """Record the plan and its instalments as promises (PromiseToPayMade each, one DunningPaused to the last)."""
    today, owed = await check_plan(session, clock=clock, case=case, instalments=instalments, amount=amount)
    if await active_plan(session, case.id) is not None:
        raise PaymentPlanExists(
            "The case has an active payment plan already: it ends (kept or broken) before another is agreed.",
            detail_zh="该案件已有生效中的分期还款协议，须待其履行完毕或违约后方可另订。",
        )
    now = clock.now()
    plan = PaymentPlan(
        id=uuid7(),
        case_id=case.id,
        customer_id=case.customer_id,
        currency=case.currency,
        amount_covered=amount,
        owed_at_agreement=owed,
        instalment_count=len(instalments),
        last_due_date=instalments[-1].due_date,
        status="active",
        note=note,
        agreed_on=today,
        made_by=actor.name,
        approval_id=approval_id,
        created_at=now,
    )
    session.add(plan)
    await session.flush()
    earlier = Decimal(0)
    for instalment in instalments:
        promise = PromiseToPay(
            id=uuid7(),
            case_id=case.id,
            customer_id=case.customer_id,
            amount=instalment.amount,
            currency=case.currency,
            promised_date=instalment.due_date,
            # Kept once the debt fell by the instalments up to this one since the plan was agreed.
            owed_at_promise=owed - earlier,
            status="open",
            made_by=actor.name,
            created_at=now,
            payment_plan_id=plan.id,
        )
        earlier += instalment.amount
        session.add(promise)
        await session.flush()
        await outbox.add(
            session,
            PromiseToPayMade(
                customer_id=case.customer_id,
                promise_id=promise.id,
                case_id=case.id,
                amount=Money.of(instalment.amount, case.currency).quantize(),
                promised_date=instalment.due_date,
                made_at=now,
            ),
            clock=clock,
        )
    shown = f"{amount:,.2f} {case.currency}"
    await publish_pause(
        session,
        clock=clock,
        case=case,
        reason="promise_to_pay",
        until=plan.last_due_date,
        note=f"payment plan {plan.id}: {len(instalments)} instalments, {shown} / 分期还款协议 {len(instalments)} 期",
    )
    log.info("payment_plan.agreed", case_id=str(case.id), plan_id=str(plan.id), instalments=len(instalments))
    return plan


async def plan_instalments(session: AsyncSession, plan_id: UUID, *, for_update: bool = False) -> list[PromiseToPay]:
    query = (
        select(PromiseToPay)
        .where(PromiseToPay.payment_plan_id == plan_id)
        .order_by(PromiseToPay.promised_date, PromiseToPay.id)
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def settle_plans(session: AsyncSession, *, case: DunningCase, today: date) -> None:
    """After the case's promises were settled: a plan with a broken instalment is broken (its open ones
    cancelled, so they pause the case no more); one whose instalments are all kept is completed."""
    query = select(PaymentPlan).where(PaymentPlan.case_id == case.id, PaymentPlan.status == "active")
    for plan in (await session.execute(query.with_for_update())).scalars():
        instalments = await plan_instalments(session, plan.id, for_update=True)
        status = plan_status([p.status for p in instalments])
        if status == "active":
            continue
        if status == "broken":
            for promise in instalments:
                if promise.status == "open":
                    promise.status, promise.settled_on = "cancelled", today
        plan.status, plan.ended_on = status, today
        log.info(f"payment_plan.{status}", case_id=str(case.id), plan_id=str(plan.id))
