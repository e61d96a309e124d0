"""Run a service in-process on the test infrastructure, with an httpx client on it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from arflow.auth import hash_key
from arflow.clock import Clock
from arflow.documents.creditor import CreditorSettings
from arflow.settings import ServiceSettings
from arflow.testing.creditor import TEST_CREDITOR
from arflow.testing.infrastructure import TEST_SIGNING_KEY, TestInfrastructure, spec


@dataclass
class RunningService:
    app: FastAPI
    client: httpx.AsyncClient


def test_settings(
    settings_cls: type[ServiceSettings], infra: TestInfrastructure, api_key: str, **overrides: Any
) -> Any:
    values: dict[str, Any] = {
        "database_url": infra.server_url,
        "database_prefix": infra.prefix,
        "kafka_bootstrap": infra.bootstrap,
        "api_keys": json.dumps([{"name": "test", "sha256": hash_key(api_key), "scopes": ["*"]}]),
        "jobs_enabled": False,
        "relay_poll_seconds": 0.1,
        "consumer_backoff_seconds": 0.05,
        "log_level": "WARNING",
        **(TEST_CREDITOR if issubclass(settings_cls, CreditorSettings) else {}),
        # Sign-in tokens of the test session's key pair are accepted (arflow.testing.tokens makes them).
        "token_public_key": TEST_SIGNING_KEY[1],
    }
    values.update(overrides)
    return settings_cls(**values)


@asynccontextmanager
async def running_service(
    name: str,
    create_app: Callable[..., FastAPI],
    settings: ServiceSettings,
    infra: TestInfrastructure,
    api_key: str,
    *,
    clock: Clock | None = None,
) -> AsyncIterator[RunningService]:
    """Migrate the service's database, start its lifespan, and hand out a client."""
    await infra.migrated_database(spec(name))
    app = create_app(settings=settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url=f"http://{name}", headers={"Authorization": f"Bearer {api_key}"}
        ) as client:
            yield RunningService(app=app, client=client)
