from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

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


class HostedPages:
    """A local HTTP server standing in for invoicing's hosted pages: `/i/<token>/pdf` (an invoice's) and
    `/s/<token>/pdf` (a statement's) answer a PDF of their own per token (or what `answer` says), and every
    request is kept."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self.answer: tuple[int, dict[str, str]] | None = None  # e.g. (429, {"Retry-After": "30"})
        pages = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                pages.requests.append((url.path, parse_qs(url.query)))
                parts = url.path.strip("/").split("/")
                if pages.answer is not None:
                    status, headers = pages.answer
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    return
                if len(parts) != 3 or parts[0] not in ("i", "s") or parts[2] != "pdf":
                    self.send_response(404)
                    self.end_headers()
                    return
                body = pages.pdf_of(parts[1], parse_qs(url.query).get("lang", ["zh-CN"])[0])
                self.send_response(200)
                self.send_header("Content-Type", "application/pdf")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def pdf_of(token: str, language: str) -> bytes:
        return f"%PDF-1.4\n% invoice page {token} in {language}\n%%EOF\n".encode()

    def link(self, page: str = "i") -> str:
        """A new invoice's (statement's: "s") hosted page link on this server."""
        return f"{self.base}/{page}/{uuid4().hex}{uuid4().hex[:11]}"

    def fetches_of(self, link: str) -> list[dict[str, list[str]]]:
        path = urlsplit(link).path + "/pdf"
        return [query for requested, query in self.requests if requested == path]


@pytest.fixture(scope="session")
def hosted_pages() -> Iterator[HostedPages]:
    pages = HostedPages()
    pages.thread.start()
    try:
        yield pages
    finally:
        pages.server.shutdown()


@pytest.fixture
def own_hosted_pages() -> Iterator[HostedPages]:
    """Hosted pages of the test alone (its knobs turned without touching the running service's)."""
    pages = HostedPages()
    pages.thread.start()
    try:
        yield pages
    finally:
        pages.server.shutdown()


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
