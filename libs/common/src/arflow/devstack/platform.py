"""The services, their databases, migrations, topics and processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from arflow.db import database_url, ensure_database
from arflow.events.catalog import ALL_TOPICS
from arflow.messaging.kafka import ensure_topics
from arflow.migrations import upgrade

REPO_ROOT = Path(__file__).resolve().parents[5]


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # as in topics and settings: "credit-scoring"
    package: str  # import name: "credit_scoring"
    port: int
    # The console owns no business data: no database, no migrations, no topics of its own.
    has_database: bool = True

    @property
    def directory(self) -> Path:
        return REPO_ROOT / "services" / self.name


SERVICES = (
    ServiceSpec("invoicing", "invoicing", 8001),
    ServiceSpec("reconciliation", "reconciliation", 8002),
    ServiceSpec("dunning", "dunning", 8003),
    ServiceSpec("credit-scoring", "credit_scoring", 8004),
    ServiceSpec("people", "people", 8005),
    ServiceSpec("console", "console", 8000, has_database=False),
)


async def prepare_databases(server_url: str, prefix: str, services: tuple[ServiceSpec, ...] = SERVICES) -> None:
    """Create each service's database if missing and migrate it to head."""
    for spec in services:
        if not spec.has_database:
            continue
        name = f"{prefix}{spec.name.replace('-', '_')}"
        await ensure_database(server_url, name)
        await asyncio.to_thread(upgrade, spec.directory, database_url(server_url, name))


async def prepare_topics(bootstrap: str, partitions: int = 3) -> list[str]:
    return await ensure_topics(bootstrap, list(ALL_TOPICS), partitions=partitions)


def spawn_service(
    spec: ServiceSpec, env: dict[str, str], *, port: int | None = None, output: IO[str] | None = None
) -> subprocess.Popen[str]:
    """Start one service under uvicorn; its output lines are prefixed with its name."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            f"{spec.package}.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port or spec.port),
            "--no-access-log",
            "--no-server-header",
            "--log-level",
            "warning",
        ],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        # Its own process group: a Ctrl-C at the terminal reaches only the supervisor,
        # which then stops each service with one signal (a second would force-quit it).
        start_new_session=True,
    )
    threading.Thread(target=_prefix_lines, args=(spec.name, process, output or sys.stdout), daemon=True).start()
    return process


_COLOURS = {"invoicing": 36, "reconciliation": 35, "dunning": 33, "credit-scoring": 32, "people": 34, "console": 31}


def _prefix_lines(name: str, process: subprocess.Popen[str], output: IO[str]) -> None:
    colour = _COLOURS.get(name, 37) if output.isatty() else None
    label = f"{name:<14}|"
    label = f"\033[{colour}m{label}\033[0m" if colour else label
    assert process.stdout is not None
    for line in process.stdout:
        output.write(f"{label} {line}")
        output.flush()
