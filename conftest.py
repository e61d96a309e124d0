"""Session-wide test infrastructure: a real PostgreSQL and a real Tansu broker.

PostgreSQL is ARFLOW_TEST_DATABASE_URL when set (CI), otherwise an embedded
server under var/test-postgres. The broker is always a fresh Tansu on a free
port. Each run works in its own databases (a random prefix), dropped at the end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from arflow.auth import generate_key
from arflow.testing.infrastructure import TestInfrastructure


@pytest.fixture(scope="session")
async def infra() -> AsyncIterator[TestInfrastructure]:
    infrastructure = TestInfrastructure.start()
    try:
        yield infrastructure
    finally:
        await infrastructure.stop()


@pytest.fixture(scope="session")
def api_key() -> str:
    return generate_key()
