"""The invoicing service application."""

from __future__ import annotations

from fastapi import FastAPI

from arflow.clock import Clock
from arflow.events.catalog import CREDIT_SCORING, RECONCILIATION, topic_of
from arflow.service import ServiceDefinition, create_service_app
from invoicing.config import InvoicingSettings
from invoicing.endpoints import router
from invoicing.handlers import HANDLERS
from invoicing.jobs import jobs_for


def definition(settings: InvoicingSettings) -> ServiceDefinition:
    return ServiceDefinition(
        name="invoicing",
        title="arflow invoicing",
        description="Customers, invoices and the receivables ledger of record (应收账款台账).",
        routers=[router],
        subscriptions=[topic_of(RECONCILIATION), topic_of(CREDIT_SCORING)],
        handlers=HANDLERS,
        jobs=jobs_for(settings),
    )


def create_app(settings: InvoicingSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or InvoicingSettings()
    return create_service_app(definition(settings), settings, clock=clock)
