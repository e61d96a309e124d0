"""The dunning service application."""

from __future__ import annotations

from dataclasses import replace

from fastapi import FastAPI

from arflow.clock import Clock
from arflow.events.catalog import CREDIT_SCORING, INVOICING, RECONCILIATION, STATEMENTS, topic_of
from arflow.service import ServiceDefinition, create_service_app
from dunning.actions import endpoints as actions
from dunning.arrangements import endpoints as arrangements
from dunning.cases import endpoints as cases
from dunning.collectors import endpoints as collectors
from dunning.config import DunningSettings
from dunning.creditor.service import in_force
from dunning.deliveries import endpoints as deliveries
from dunning.deliveries.sending import email_sender, sms_sender
from dunning.deps import SYSTEM
from dunning.disputes import endpoints as disputes
from dunning.handlers import HANDLERS, dunning_handlers
from dunning.jobs import dunning_jobs
from dunning.ladder import endpoints as ladder
from dunning.ladder.service import seed_default_policies
from dunning.metrics import metrics_refresher
from dunning.plans import endpoints as plans
from dunning.promises import endpoints as promises
from dunning.tasks import endpoints as tasks


async def _on_startup(app: FastAPI) -> None:
    """Seed the default A/B/C/D ladders (idempotent, safe with several replicas)."""
    async with app.state.db.unit_of_work() as session:
        await seed_default_policies(session, clock=app.state.clock, actor=SYSTEM)


DEFINITION = ServiceDefinition(
    name="dunning",
    title="arflow dunning",
    description="Dunning cases, escalation ladders, collectors' tasks and the action log (催收记录).",
    routers=[
        cases.router,
        actions.router,
        ladder.router,
        promises.router,
        arrangements.router,
        tasks.router,
        plans.router,
        disputes.router,
        collectors.router,
        deliveries.router,
    ],
    subscriptions=[topic_of(INVOICING), topic_of(RECONCILIATION), topic_of(CREDIT_SCORING), topic_of(STATEMENTS)],
    handlers=HANDLERS,
    workers=[email_sender, sms_sender, metrics_refresher],
    on_startup=_on_startup,
)


async def creditor_readiness(app: FastAPI, settings: DunningSettings) -> str:
    """What readiness says of the creditor: invoicing's (once it arrived) or the settings', the demo one, or missing."""
    async with app.state.db.unit_of_work() as session:
        return (await in_force(session, settings)).creditor_readiness()


def create_app(settings: DunningSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or DunningSettings()
    app: FastAPI = create_service_app(
        replace(DEFINITION, jobs=dunning_jobs(settings), handlers=dunning_handlers(settings)), settings, clock=clock
    )
    # Readiness says when letters and customer emails are held back for want of a creditor.
    app.state.advisories["creditor"] = lambda: creditor_readiness(app, settings)
    return app
