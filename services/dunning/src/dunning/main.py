"""The dunning service application."""

from __future__ import annotations

from dataclasses import replace

from fastapi import FastAPI

from arflow.clock import Clock
from arflow.events.catalog import CREDIT_SCORING, INVOICING, RECONCILIATION, topic_of
from arflow.service import ServiceDefinition, create_service_app
from dunning import service
from dunning.config import DunningSettings
from dunning.endpoints import router
from dunning.handlers import HANDLERS
from dunning.jobs import dunning_jobs
from dunning.metrics import metrics_refresher
from dunning.sender import email_sender
from dunning.smssender import sms_sender


async def _on_startup(app: FastAPI) -> None:
    """Seed the default A/B/C/D ladders (idempotent, safe with several replicas)."""
    async with app.state.db.unit_of_work() as session:
        await service.seed_default_policies(session, clock=app.state.clock)


DEFINITION = ServiceDefinition(
    name="dunning",
    title="arflow dunning",
    description="Dunning cases, escalation ladders, collectors' tasks and the action log (催收记录).",
    routers=[router],
    subscriptions=[topic_of(INVOICING), topic_of(RECONCILIATION), topic_of(CREDIT_SCORING)],
    handlers=HANDLERS,
    workers=[email_sender, sms_sender, metrics_refresher],
    on_startup=_on_startup,
)


def create_app(settings: DunningSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or DunningSettings()
    app: FastAPI = create_service_app(replace(DEFINITION, jobs=dunning_jobs(settings)), settings, clock=clock)
    return app
