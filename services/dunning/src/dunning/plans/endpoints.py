"""REST endpoints of the monthly collection plan (JSON and CSV)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Response
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.service import ClockDep, SessionDep
from dunning.actions import exports
from dunning.deps import Reader, Settings, Writer
from dunning.models import CollectionPlan
from dunning.plans import repository, service
from dunning.plans.errors import PlanNotFound
from dunning.plans.schemas import MONTH_PATTERN, PlanIn, PlanOut

router = APIRouter()


Month = Annotated[str, Path(pattern=MONTH_PATTERN, description="YYYY-MM, 2000-01 to 2999-12")]


def _month(value: str) -> date:
    return date(int(value[:4]), int(value[5:7]), 1)


def plan_out(plan: CollectionPlan) -> PlanOut:
    return PlanOut.model_validate({c.key: getattr(plan, c.key) for c in CollectionPlan.__table__.columns})


@router.post("/plans", status_code=201, response_model=PlanOut, tags=["plans"], summary="Draw up a month's plan now")
async def build_plan(
    body: PlanIn, session: SessionDep, clock: ClockDep, settings: Settings, principal: Writer
) -> PlanOut:
    plan = await service.build_plan(
        session,
        actor=principal,
        clock=clock,
        month=_month(body.month),
        as_of=body.as_of or clock.now(),
        settings=settings,
    )
    return plan_out(plan)


async def _plan(session: AsyncSession, month: str) -> CollectionPlan:
    plan = await repository.get_plan(session, _month(month))
    if plan is None:
        raise PlanNotFound(f"There is no collection plan for {month}.", detail_zh=f"{month} 没有催收计划。")
    return plan


@router.get("/plans/{month}", response_model=PlanOut, tags=["plans"], summary="A month's collection plan")
async def get_plan(month: Month, session: SessionDep, _: Reader) -> PlanOut:
    return plan_out(await _plan(session, month))


@router.get(
    "/plans/{month}/csv",
    tags=["plans"],
    summary="A month's collection plan as CSV (one row per planned step)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def get_plan_csv(month: Month, session: SessionDep, _: Reader) -> Response:
    plan = await _plan(session, month)
    return Response(
        "\ufeff" + exports.plan_csv(plan.lines, plan.collectors),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="collection-plan-{month}.csv"'},
    )
