"""The monthly collection plan (每月催账计划). Never commits."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import DEFAULT_TIME_ZONE, Clock, local_date
from arflow.ids import uuid7
from arflow.money import to_minor_units
from dunning import domain
from dunning.config import DunningSettings
from dunning.ladder.planning import plan_case
from dunning.ladder.repository import latest_policies, open_case_ids
from dunning.ladder.service import policy_view
from dunning.lookups import get_case
from dunning.models import CollectionPlan
from dunning.plans import repository

log = structlog.get_logger("dunning")


def month_bounds(month: date) -> tuple[date, date]:
    """The first and the last day of `month`'s month."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


async def build_plan(
    session: AsyncSession, *, actor: Principal, clock: Clock, month: date, as_of: datetime, settings: DunningSettings
) -> CollectionPlan:
    """Draw up a month's plan: every open case with its planned steps, by overdue amount × risk tier."""
    first, last = month_bounds(month)
    policies = [policy_view(p) for p in await latest_policies(session)]
    lines: list[dict[str, Any]] = []
    for case_id in await open_case_ids(session):
        case = await get_case(session, case_id)
        if case is None:
            continue
        plan = await plan_case(session, case=case, as_of=as_of, policies=policies, settings=settings)
        if plan.policy is None or plan.state.amount_overdue <= 0:
            continue
        steps = domain.planned_steps(plan.policy, plan.state, first=first, last=last)
        if not steps:
            continue
        lines.append(
            {
                "case_id": str(case.id),
                "customer_id": str(case.customer_id),
                "customer_name": plan.customer.legal_name if plan.customer else None,
                "tier": plan.tier or domain.DEFAULT_TIER,
                "policy": plan.policy.code,
                "level": case.level,
                "collector": case.collector,
                "currency": case.currency,
                "amount_overdue": format(to_minor_units(plan.state.amount_overdue, case.currency), "f"),
                "priority": format(
                    domain.plan_priority(plan.state.amount_overdue, plan.tier).quantize(Decimal("0.01")), "f"
                ),
                "paused": plan.state.paused_reason,
                "planned_steps": [
                    {"step": s.name, "channel": s.channel, "level": s.level, "date": d.isoformat()} for s, d in steps
                ],
            }
        )
    lines.sort(key=lambda line: (-Decimal(line["priority"]), line["case_id"]))
    for rank, line in enumerate(lines, start=1):
        line["rank"] = rank
    totals: dict[tuple[str | None, str], dict[str, Any]] = {}
    for line in lines:
        key = (line["collector"], line["currency"])
        total = totals.setdefault(
            key,
            {
                "collector": line["collector"],
                "currency": line["currency"],
                "cases": 0,
                "amount_overdue": Decimal(0),
                "planned_steps": 0,
            },
        )
        total["cases"] += 1
        total["amount_overdue"] += Decimal(line["amount_overdue"])
        total["planned_steps"] += len(line["planned_steps"])
    collectors = [
        {**t, "amount_overdue": format(t["amount_overdue"], "f")}
        for t in sorted(totals.values(), key=lambda t: (t["collector"] or "", t["currency"]))
    ]
    now = clock.now()
    await repository.save_plan(
        session,
        {"id": uuid7(), "month": first, "as_of": as_of, "lines": lines, "collectors": collectors, "created_at": now},
    )
    found = await repository.get_plan(session, first)
    assert found is not None
    log.info("plan.drawn_up", month=first.isoformat(), cases=len(lines))
    return found


async def monthly_plan_job(
    session: AsyncSession, *, actor: Principal, clock: Clock, as_of: datetime, settings: DunningSettings
) -> dict[str, Any]:
    """On the first day of a month (Shanghai), draw up that month's plan once."""
    today = local_date(as_of, DEFAULT_TIME_ZONE)
    if today.day != 1:
        return {"skipped": "not the first day of the month"}
    if await repository.get_plan(session, today) is not None:
        return {"skipped": "plan exists"}
    plan = await build_plan(session, actor=actor, clock=clock, month=today, as_of=as_of, settings=settings)
    return {"month": today.isoformat(), "cases": len(plan.lines)}
