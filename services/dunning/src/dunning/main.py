"""The dunning service application."""

from __future__ import annotations

from fastapi import FastAPI

from arflow.clock import Clock
from arflow.events.catalog import INVOICING, topic_of
from arflow.service import ServiceDefinition, create_service_app
from dunning.config import DunningSettings
from dunning.endpoints import router
from dunning.handlers import HANDLERS
from dunning.sender import email_sender

DEFINITION = ServiceDefinition(
    name="dunning",
    title="arflow dunning",
    description="Dunning cases, the steps taken on them and the action log (催收记录).",
    routers=[router],
    subscriptions=[topic_of(INVOICING)],
    handlers=HANDLERS,
    workers=[email_sender],
)


def create_app(settings: DunningSettings | None = None, clock: Clock | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or DunningSettings(), clock=clock)
