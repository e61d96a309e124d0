"""The reconciliation service application."""

from __future__ import annotations

from fastapi import FastAPI

from arflow.clock import Clock
from arflow.events.catalog import INVOICING, topic_of
from arflow.service import ServiceDefinition, create_service_app
from reconciliation.config import ReconciliationSettings
from reconciliation.endpoints import router
from reconciliation.handlers import HANDLERS


async def register_metrics(app: FastAPI) -> None:
    """The service's own metrics, next to the platform's in the app's registry."""
    app.state.payments_received = app.state.metrics.counter(
        "payments_received_total", "Payments recorded, by source", ["source"]
    )


DEFINITION = ServiceDefinition(
    name="reconciliation",
    title="arflow reconciliation",
    description="Payments received and their allocation to open invoices (收款核销).",
    routers=[router],
    subscriptions=[topic_of(INVOICING)],
    handlers=HANDLERS,
    on_startup=register_metrics,
)


def create_app(settings: ReconciliationSettings | None = None, clock: Clock | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or ReconciliationSettings(), clock=clock)
