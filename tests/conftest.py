"""The whole platform as processes: the services started as `make run` starts them."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from arflow.auth import hash_key
from arflow.devstack.broker import free_port
from arflow.devstack.platform import SERVICES, spawn_service
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.platform import Platform
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
    for spec in SERVICES:
        await infra.migrated_database(spec)
    env = {
        **infra.service_env(),
        "ARFLOW_API_KEYS": json.dumps([{"name": "e2e", "sha256": hash_key(api_key), "scopes": ["*"]}]),
        "ARFLOW_JOBS_ENABLED": "false",
        "ARFLOW_RELAY_POLL_SECONDS": "0.2",
        "ARFLOW_LOG_LEVEL": "WARNING",
        "ARFLOW_SMTP_HOST": "127.0.0.1",
        "ARFLOW_SMTP_PORT": str(smtp_sink.port),
    }
    ports = {spec.name: free_port() for spec in SERVICES}
    # The console (no database) calls the others where this platform runs them.
    env |= {f"ARFLOW_{name.upper().replace('-', '_')}_URL": f"http://127.0.0.1:{port}" for name, port in ports.items()}
    processes: list[subprocess.Popen[str]] = [spawn_service(spec, env, port=ports[spec.name]) for spec in SERVICES]
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            for name, url in urls.items():

                async def ready(url: str = url) -> bool:
                    try:
                        return (await client.get(f"{url}/readyz")).status_code == 200
                    except httpx.HTTPError:
                        return False

                await eventually(ready, within=60, what=f"{name} to be ready")
        yield Platform(urls=urls, smtp=smtp_sink, api_key=api_key)
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
