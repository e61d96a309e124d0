"""Scheduled jobs of credit scoring; each can be run "as of" any instant via POST /admin/jobs/{name}/runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from arflow.jobs import Job, JobContext
from credit_scoring.deps import SYSTEM
from credit_scoring.models_admin.service import retrain_models
from credit_scoring.portfolio.service import check_drift
from credit_scoring.reviews.service import run_reviews


async def credit_review(ctx: JobContext) -> dict[str, Any]:
    return await run_reviews(
        ctx.session, clock=ctx.clock, as_of=ctx.as_of, transaction=ctx.own_transaction, actor=SYSTEM
    )


async def model_retrain(ctx: JobContext) -> dict[str, Any]:
    return await retrain_models(ctx.session, clock=ctx.clock, as_of=ctx.as_of, actor=SYSTEM)


async def portfolio_drift(ctx: JobContext) -> dict[str, Any]:
    return await check_drift(ctx.session, clock=ctx.clock, as_of=ctx.as_of, actor=SYSTEM, db=ctx.db)


JOBS = [
    Job(
        "credit-review",
        timedelta(hours=6),
        credit_review,
        "Periodic credit reviews (定期审查) of every customer that is due: A yearly, B half-yearly, C quarterly, "
        "D monthly.",
    ),
    Job(
        "model-retrain",
        timedelta(days=7),
        model_retrain,
        "Refit the scorecard and the late-payment model on this service's own history; new versions take over.",
    ),
    Job(
        "portfolio-drift",
        timedelta(days=1),
        portfolio_drift,
        "Population stability of the score distribution; a psi_drift alert above the threshold.",
    ),
]
