"""Scheduled work of the dunning service: the ladder tick (and the monthly collection plan)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from arflow.jobs import Job, JobContext
from dunning.collectors.service import assign_waiting_cases
from dunning.config import DunningSettings
from dunning.creditor.service import in_force
from dunning.deps import SYSTEM
from dunning.ladder.tick import run_tick
from dunning.plans.service import monthly_plan_job


def dunning_jobs(settings: DunningSettings) -> list[Job]:
    """The service's jobs, bound to its settings (guardrails, bank account, interest rate)."""

    async def dunning_tick(ctx: JobContext) -> dict[str, Any]:
        """Give the open cases nobody holds to collectors by the rules, then take every due ladder step on
        every open case, as of the run's instant."""
        in_effect = await in_force(ctx.session, settings)
        async with ctx.own_transaction() as session:
            assigned = await assign_waiting_cases(session, actor=SYSTEM, as_of=ctx.as_of)
        ticked = await run_tick(
            ctx.session,
            clock=ctx.clock,
            as_of=ctx.as_of,
            settings=in_effect,
            transaction=ctx.own_transaction,
            actor=SYSTEM,
        )
        return {**ticked, "assignment": assigned}

    async def monthly_collection_plan(ctx: JobContext) -> dict[str, Any]:
        """Draw up the month's collection plan on its first day."""
        in_effect = await in_force(ctx.session, settings)
        return await monthly_plan_job(ctx.session, clock=ctx.clock, as_of=ctx.as_of, settings=in_effect, actor=SYSTEM)

    return [
        Job(
            name="monthly-collection-plan",
            interval=timedelta(hours=6),
            run=monthly_collection_plan,
            description="On the 1st of each month, draw up that month's collection plan (每月催账计划).",
        ),
        Job(
            name="dunning-tick",
            interval=timedelta(hours=1),
            run=dunning_tick,
            description="Execute the due steps of every open dunning case (one step per case per run).",
        ),
    ]
