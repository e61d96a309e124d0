from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from stdnum.cn import uscc

from arflow.clock import FixedClock
from arflow.persistence import outbox_message
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


def fresh_uscc() -> str:
    """A valid 统一社会信用代码 no other test uses (one customer per code)."""
    first17 = f"913501{uuid.uuid4().int % 10**11:011d}"
    return first17 + uscc.calc_check_digit(first17)


@pytest.fixture
def customer_body() -> dict[str, Any]:
    """A valid customer with a code of its own; tests vary it."""
    return {**CUSTOMER, "unified_social_credit_code": fresh_uscc()}


@pytest.fixture(scope="session")
def new_customer(invoicing: RunningService) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Create a customer through the API (a fresh external reference each time)."""

    async def create(**overrides: object) -> dict[str, Any]:
        body = {
            **CUSTOMER,
            "unified_social_credit_code": fresh_uscc(),
            "external_reference": str(uuid.uuid4()),
            **overrides,
        }
        response = await invoicing.client.post("/customers", json=body)
        assert response.status_code == 201, response.text
        customer: dict[str, Any] = response.json()
        return customer

    return create


@pytest.fixture(scope="session")
def recorded(invoicing: RunningService) -> Callable[..., Awaitable[list[dict[str, Any]]]]:
    """The data of events of a type the service recorded in its outbox (committed), oldest first.

    Reading the outbox is the fast way to see what a use case published; a few
    tests still read the real broker to prove the relay carries it.
    """

    async def read(event_type: str, **match: object) -> list[dict[str, Any]]:
        async with invoicing.app.state.db.sessions() as session:
            payloads = (
                await session.execute(
                    select(outbox_message.c.payload)
                    .where(outbox_message.c.event_type == event_type)
                    .order_by(outbox_message.c.id)
                )
            ).scalars()
            return [p["data"] for p in payloads if all(str(p["data"].get(k)) == str(v) for k, v in match.items())]

    return read


@pytest.fixture(scope="session")
def new_invoice(invoicing: RunningService) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Create (and by default issue) an invoice of one line through the API."""

    async def create(customer_id: str, amount: str = "300.00", **overrides: object) -> dict[str, Any]:
        body = {
            "customer_id": customer_id,
            "invoice_date": "2026-01-05",
            "net_days": 30,
            "issue": True,
            "lines": [{"description": "代理记账服务费", "unit_price": amount}],
            **overrides,
        }
        response = await invoicing.client.post("/invoices", json=body)
        assert response.status_code == 201, response.text
        invoice: dict[str, Any] = response.json()
        return invoice

    return create
