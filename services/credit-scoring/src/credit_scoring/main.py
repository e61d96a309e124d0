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

DEFINITION = ServiceDefinition(
    name="credit-scoring",
    title="arflow credit scoring",
    description="Credit files (信用档案) built from how each customer actually pays: payment experiences, "
    "days beyond terms, outstanding and overdue amounts, as of any date.",
    routers=[router],
    subscriptions=[topic_of(INVOICING), topic_of(RECONCILIATION), topic_of(DUNNING)],
    handlers=HANDLERS,
)


def create_app(settings: CreditScoringSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or CreditScoringSettings()
    service.configure(settings)
    return create_service_app(DEFINITION, settings, clock=clock)
