from __future__ import annotations

from collections.abc import AsyncIterator
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
