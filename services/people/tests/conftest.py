from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from people.config import PeopleSettings
from people.main import create_app

from arflow.clock import FixedClock
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.services import RunningService, running_service, test_settings
from arflow.tokens import generate_signing_key


@pytest.fixture(scope="session")
def people_clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai


@pytest.fixture(scope="session")
def signing_key() -> tuple[str, str]:
    return generate_signing_key()


@pytest.fixture(scope="session")
async def people(
    infra: TestInfrastructure, api_key: str, people_clock: FixedClock, signing_key: tuple[str, str]
) -> AsyncIterator[RunningService]:
    settings = test_settings(PeopleSettings, infra, api_key, token_private_key=signing_key[0], lockout_threshold=3)
    async with running_service("people", create_app, settings, infra, api_key, clock=people_clock) as running:
        yield running
