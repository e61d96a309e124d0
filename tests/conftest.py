"""The whole platform as processes: the services started as `make run` starts them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest

from arflow.auth import hash_key
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.platform import Platform, service_processes
from arflow.testing.smtp import SmtpSink


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
async def platform(infra: TestInfrastructure, api_key: str, smtp_sink: SmtpSink) -> AsyncIterator[Platform]:
    # Its own databases and broker: the services' in-process test copies may still be
    # running in this session, in the same consumer groups.
    own = infra.isolated()
    try:
        async for running in _platform(own, api_key, smtp_sink):
            yield running
    finally:
        await own.stop()


async def _platform(infra: TestInfrastructure, api_key: str, smtp_sink: SmtpSink) -> AsyncIterator[Platform]:
    env = {
        "ARFLOW_API_KEYS": json.dumps([{"name": "e2e", "sha256": hash_key(api_key), "scopes": ["*"]}]),
        "ARFLOW_SMTP_HOST": "127.0.0.1",
        "ARFLOW_SMTP_PORT": str(smtp_sink.port),
    }
    async with service_processes(infra, env) as urls:
        yield Platform(urls=urls, smtp=smtp_sink, api_key=api_key)
