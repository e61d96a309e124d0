"""The running platform as the cross-service tests see it, and how they start it: every service as a process,
as `make run` starts them, on free ports of a test infrastructure."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from arflow.devstack.broker import free_port
from arflow.devstack.platform import SERVICES, spawn_service
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.smtp import SmtpSink


@dataclass
class Platform:
    urls: dict[str, str]
    smtp: SmtpSink
    api_key: str

    def client(self, service: str) -> httpx.AsyncClient:
        """An authenticated client for one service (use it in `async with`)."""
        return httpx.AsyncClient(
            base_url=self.urls[service], headers={"Authorization": f"Bearer {self.api_key}"}, timeout=10
        )


@asynccontextmanager
async def service_processes(infra: TestInfrastructure, env: dict[str, str]) -> AsyncIterator[dict[str, str]]:
    """Every service migrated and started as a process on `infra` with `env` (over the infrastructure's own
    and quiet test defaults), each told the others' URLs; yields their URLs once all are ready, then stops them."""
    for spec in SERVICES:
        if spec.has_database:
            await infra.migrated_database(spec)
    ports = {spec.name: free_port() for spec in SERVICES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    started = {
        **infra.service_env(),
        "ARFLOW_JOBS_ENABLED": "false",
        "ARFLOW_RELAY_POLL_SECONDS": "0.2",
        "ARFLOW_LOG_LEVEL": "WARNING",
        # The console (no database) calls the others where this platform runs them.
        **{f"ARFLOW_{name.upper().replace('-', '_')}_URL": url for name, url in urls.items()},
        **env,
    }
    processes: list[subprocess.Popen[str]] = [spawn_service(spec, started, port=ports[spec.name]) for spec in SERVICES]
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            for name, url in urls.items():

                async def ready(url: str = url) -> bool:
                    try:
                        return (await client.get(f"{url}/readyz")).status_code == 200
                    except httpx.HTTPError:
                        return False

                await eventually(ready, within=60, what=f"{name} to be ready")
        yield urls
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
