"""The credit-scoring service application."""

from __future__ import annotations

from fastapi import FastAPI

from arflow.clock import Clock
from arflow.events.catalog import DUNNING, INVOICING, RECONCILIATION, topic_of
from arflow.service import ServiceDefinition, create_service_app
from credit_scoring import service
from credit_scoring.config import CreditScoringSettings
from credit_scoring.endpoints import router
from credit_scoring.handlers import HANDLERS
from credit_scoring.jobs import JOBS

DEFINITION = ServiceDefinition(
    name="credit-scoring",
    title="arflow credit scoring",
    description="Credit files (信用档案) built from how each customer actually pays, as of any date; a "
    "PAYDEX-style payment index, an explainable scorecard with reason codes and tiers A–D, late-payment "
    "risk per open invoice, credit limits, credit hold, early warnings (预警), reviews and onboarding.",
    routers=[router],
    subscriptions=[topic_of(INVOICING), topic_of(RECONCILIATION), topic_of(DUNNING)],
    handlers=HANDLERS,
    jobs=JOBS,
)


def create_app(settings: CreditScoringSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or CreditScoringSettings()
    app: FastAPI = create_service_app(DEFINITION, settings, clock=clock)
    service.configure(settings, app.state.metrics)
    return app
