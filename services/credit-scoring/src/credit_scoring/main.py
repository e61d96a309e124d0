"""The credit-scoring service application: each noun's router, the event handlers and the jobs."""

from __future__ import annotations

from fastapi import FastAPI

from arflow.clock import Clock
from arflow.events.catalog import DUNNING, INVOICING, RECONCILIATION, STATEMENTS, topic_of
from arflow.service import ServiceDefinition, create_service_app
from credit_scoring import config
from credit_scoring.alerts.endpoints import router as alerts
from credit_scoring.config import CreditScoringSettings
from credit_scoring.files.endpoints import router as files
from credit_scoring.handlers import HANDLERS
from credit_scoring.jobs import JOBS
from credit_scoring.limits.endpoints import router as limits
from credit_scoring.models_admin.endpoints import router as models_admin
from credit_scoring.onboarding.endpoints import router as onboarding
from credit_scoring.portfolio import service as portfolio_service
from credit_scoring.portfolio.endpoints import router as portfolio
from credit_scoring.reviews.endpoints import router as reviews
from credit_scoring.scores.endpoints import router as scores


async def register_gauges(app: FastAPI) -> None:
    """The portfolio gauges, bound to this app's database (its portfolio-drift job sets them)."""
    portfolio_service.register_gauges(app.state.metrics, app.state.db)


DEFINITION = ServiceDefinition(
    name="credit-scoring",
    title="arflow credit scoring",
    description="Credit files (信用档案) built from how each customer actually pays, as of any date; a "
    "PAYDEX-style payment index, an explainable scorecard with reason codes and tiers A–D, late-payment "
    "risk per open invoice, credit limits, credit hold, early warnings (预警), reviews and onboarding.",
    routers=[files, scores, limits, alerts, reviews, portfolio, models_admin, onboarding],
    subscriptions=[topic_of(INVOICING), topic_of(RECONCILIATION), topic_of(DUNNING), topic_of(STATEMENTS)],
    handlers=HANDLERS,
    jobs=JOBS,
    on_startup=register_gauges,
)


def create_app(settings: CreditScoringSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or CreditScoringSettings()
    app: FastAPI = create_service_app(DEFINITION, settings, clock=clock)
    config.configure(settings)
    return app
