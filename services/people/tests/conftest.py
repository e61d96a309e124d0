from __future__ import annotations

import email
import email.policy
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from people.config import PeopleSettings
from people.main import create_app

from arflow.clock import FixedClock
from arflow.devstack.broker import free_port
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.services import RunningService, running_service, test_settings
from arflow.tokens import generate_signing_key


@pytest.fixture(scope="session")
def people_clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai


@pytest.fixture(scope="session")
def signing_key() -> tuple[str, str]:
    return generate_signing_key()


class Mailbox:
    """A real SMTP server (aiosmtpd) keeping what it accepts; it refuses, as a server does, the addresses in
    `refused` (550 at RCPT TO) so that a test can watch a notice fail and be retried."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.refused: set[str] = set()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box._controller.start()
    yield box
    box._controller.stop()


@pytest.fixture(scope="session")
async def people(
    infra: TestInfrastructure,
    api_key: str,
    people_clock: FixedClock,
    signing_key: tuple[str, str],
    mailbox: Mailbox,
) -> AsyncIterator[RunningService]:
    settings = test_settings(
        PeopleSettings,
        infra,
        api_key,
        token_private_key=signing_key[0],
        lockout_threshold=3,
        smtp_port=mailbox.port,
        notice_retry_base_seconds=0.2,
        notice_poll_seconds=0.1,
    )
    async with running_service("people", create_app, settings, infra, api_key, clock=people_clock) as running:
        yield running
