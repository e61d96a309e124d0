"""The reconciliation service application."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from fastapi import FastAPI

from arflow.clock import Clock
from arflow.events.catalog import INVOICING, topic_of
from arflow.service import ServiceDefinition, create_service_app
from reconciliation.attempts.endpoints import router as attempts_router
from reconciliation.config import ReconciliationSettings
from reconciliation.disputes.endpoints import router as disputes_router
from reconciliation.gateways.endpoints import router as gateways_router
from reconciliation.handlers import HANDLERS
from reconciliation.jobs import jobs_for
from reconciliation.matching.endpoints import router as matching_router
from reconciliation.open_items.endpoints import router as open_items_router
from reconciliation.payments.endpoints import router as payments_router
from reconciliation.review.endpoints import router as review_router
from reconciliation.statements.endpoints import router as statements_router
from reconciliation.statements.importing import import_worker


async def register_metrics(app: FastAPI) -> None:
    """The service's own metrics, next to the platform's in the app's registry; the import worker's wake-up."""
    app.state.payments_received = app.state.metrics.counter(
        "payments_received_total", "Payments recorded, by source", ["source"]
    )
    app.state.metrics_imports = app.state.metrics.counter(
        "statement_imports_total", "Statement imports processed, by result", ["result"]
    )
    app.state.metrics_webhooks = app.state.metrics.counter(
        "webhook_notifications_total", "Gateway notifications, by provider and outcome", ["provider", "outcome"]
    )
    # An upload wakes the import worker once its transaction has committed (see the endpoint).
    app.state.import_wakeup = asyncio.Event()


DEFINITION = ServiceDefinition(
    name="reconciliation",
    title="arflow reconciliation",
    description="Payments received and their allocation to open invoices (收款核销).",
    routers=[
        payments_router,
        open_items_router,
        review_router,
        statements_router,
        matching_router,
        disputes_router,
        gateways_router,
        attempts_router,
    ],
    subscriptions=[topic_of(INVOICING)],
    handlers=HANDLERS,
    workers=[import_worker],
    on_startup=register_metrics,
)


def create_app(settings: ReconciliationSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or ReconciliationSettings()
    return create_service_app(replace(DEFINITION, jobs=jobs_for(settings)), settings, clock=clock)
