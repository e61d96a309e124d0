from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest

from arflow.clock import FixedClock
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.services import RunningService, running_service, test_settings
from invoicing.config import InvoicingSettings
from invoicing.main import create_app


@pytest.fixture(scope="session")
def invoicing_clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
async def invoicing(
    infra: TestInfrastructure, api_key: str, invoicing_clock: FixedClock
) -> AsyncIterator[RunningService]:
    settings = test_settings(InvoicingSettings, infra, api_key)
    async with running_service("invoicing", create_app, settings, infra, api_key, clock=invoicing_clock) as running:
        yield running


CUSTOMER = {
    "legal_name": "上海星河代理记账有限公司",
    "short_name": "星河",
    "unified_social_credit_code": "91350100M000100Y43",
    "contacts": [{"name": "王芳", "email": "wang.fang@example.cn", "phone": "+8613812345678", "language": "zh-CN"}],
}


@pytest.fixture(scope="session")
def customer_body() -> dict:
    """A valid customer; tests vary it."""
    return dict(CUSTOMER)


@pytest.fixture(scope="session")
def new_customer(invoicing: RunningService) -> Callable[..., Awaitable[dict]]:
    """Create a customer through the API (a fresh external reference each time)."""

    async def create(**overrides: object) -> dict:
        body = {**CUSTOMER, "external_reference": str(uuid.uuid4()), **overrides}
        response = await invoicing.client.post("/customers", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    return create
