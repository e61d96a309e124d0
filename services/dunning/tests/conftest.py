from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from arflow.clock import FixedClock
from arflow.events.catalog import ALL_TOPICS
from arflow.messaging.kafka import ensure_topics
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.services import RunningService, running_service, test_settings
from arflow.testing.smtp import SmtpSink
from dunning.config import DunningSettings
from dunning.main import create_app


@pytest.fixture(scope="session")
def dunning_clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))


@pytest.fixture
def walking_clock(dunning_clock: FixedClock) -> Iterator[FixedClock]:
    """The session's clock, for a test that moves it: put back where it was afterwards."""
    before = dunning_clock.now()
    try:
        yield dunning_clock
    finally:
        dunning_clock.set(before)


@pytest.fixture(scope="session")
def dunning_smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()


class SmsCarrier:
    """A local HTTP server standing in for the SMS provider: it keeps every message posted to it."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.fail = False
        carrier = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if carrier.fail:
                    self.send_response(503)
                else:
                    carrier.messages.append(json.loads(body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def to(self, phone: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["to"] == phone]


@pytest.fixture(scope="session")
def dunning_carrier() -> Iterator[SmsCarrier]:
    carrier = SmsCarrier()
    carrier.thread.start()
    try:
        yield carrier
    finally:
        carrier.server.shutdown()


@pytest.fixture(scope="session")
async def dunning(
    infra: TestInfrastructure,
    api_key: str,
    dunning_clock: FixedClock,
    dunning_smtp: SmtpSink,
    dunning_carrier: SmsCarrier,
) -> AsyncIterator[RunningService]:
    # The topics exist before the consumer subscribes, so it is assigned partitions at once.
    await ensure_topics(infra.bootstrap, list(ALL_TOPICS))
    settings = test_settings(
        DunningSettings,
        infra,
        api_key,
        smtp_port=dunning_smtp.port,
        email_poll_seconds=0.1,
        smtp_timeout=5.0,
        sms_provider_url=dunning_carrier.url,
        account_manager_email="am@arflow.example",
        metrics_refresh_seconds=0.2,
    )
    async with running_service("dunning", create_app, settings, infra, api_key, clock=dunning_clock) as running:
        yield running


@pytest.fixture(scope="session")
async def dunning_producer(infra: TestInfrastructure) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap, acks="all")
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()
