from __future__ import annotations

import base64
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from arflow.clock import FixedClock
from arflow.events.catalog import (
    INVOICING,
    RECONCILIATION,
    CustomerUpserted,
    Event,
    InvoiceIssued,
    PaymentReceived,
    topic_of,
)
from arflow.events.envelope import Envelope, wrap
from arflow.messaging.kafka import ensure_topics
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.services import RunningService, running_service, test_settings
from reconciliation.config import ReconciliationSettings
from reconciliation.main import create_app


@pytest.fixture(scope="session")
def reconciliation_clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))


@dataclass(frozen=True)
class GatewayKeys:
    """Throwaway keys and secrets standing in for the gateways' own (the service is configured with them)."""

    alipay_private: rsa.RSAPrivateKey
    wechatpay_private: rsa.RSAPrivateKey
    wechatpay_serial: str = "PUB_KEY_ID_0114232134912410000000000000"
    wechatpay_apiv3_key: str = "0123456789abcdef0123456789abcdef"
    stripe_secret: str = "whsec_test_secret_for_reconciliation"
    standard_secret: str = "whsec_" + base64.b64encode(b"standard-webhooks-test-key-32byt").decode()
    alipay_app_id: str = "2021000000000001"
    alipay_seller_id: str = "2088000000000001"
    wechatpay_mchid: str = "1900000109"

    @staticmethod
    def public_pem(key: rsa.RSAPrivateKey) -> str:
        return (
            key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def settings(self) -> dict[str, Any]:
        return {
            "stripe_webhook_secret": self.stripe_secret,
            "alipay_public_key": self.public_pem(self.alipay_private),
            "alipay_app_id": self.alipay_app_id,
            "alipay_seller_id": self.alipay_seller_id,
            "wechatpay_public_key": self.public_pem(self.wechatpay_private),
            "wechatpay_serial": self.wechatpay_serial,
            "wechatpay_apiv3_key": self.wechatpay_apiv3_key,
            "wechatpay_mchid": self.wechatpay_mchid,
            "standard_webhook_secret": self.standard_secret,
        }


@pytest.fixture(scope="session")
def gateway_keys() -> GatewayKeys:
    return GatewayKeys(
        alipay_private=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        wechatpay_private=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


@pytest.fixture(scope="session")
async def reconciliation(
    infra: TestInfrastructure, api_key: str, reconciliation_clock: FixedClock, gateway_keys: GatewayKeys
) -> AsyncIterator[RunningService]:
    # No invoicing runs here to create its topic before our consumer subscribes to it.
    await ensure_topics(infra.bootstrap, [topic_of(INVOICING), topic_of(RECONCILIATION)])
    settings = test_settings(ReconciliationSettings, infra, api_key, **gateway_keys.settings())
    async with running_service(
        "reconciliation", create_app, settings, infra, api_key, clock=reconciliation_clock
    ) as running:
        yield running


@dataclass
class InvoicingFeed:
    """Puts invoicing's facts on the broker exactly as invoicing's outbox relay would."""

    producer: AIOKafkaProducer
    clock: FixedClock

    async def publish(self, *events: Event) -> None:
        for event in events:
            envelope = wrap(event, occurred_at=self.clock.now(), traceparent=None)
            await self.producer.send_and_wait(
                topic_of(event.publisher),
                envelope.to_bytes(),
                key=envelope.subject.encode(),
                headers=envelope.kafka_headers(),
            )


@pytest.fixture(scope="session")
async def reconciliation_feed(
    infra: TestInfrastructure, reconciliation: RunningService, reconciliation_clock: FixedClock
) -> AsyncIterator[InvoicingFeed]:
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap, acks="all")
    await producer.start()
    try:
        yield InvoicingFeed(producer, reconciliation_clock)
    finally:
        await producer.stop()


@dataclass
class Ledger:
    """Gives reconciliation customers and invoices the real way (events), and reads its projection."""

    feed: InvoicingFeed
    client: httpx.AsyncClient

    async def customer(self, *, revision: int = 1, **fields: Any) -> UUID:
        customer_id = uuid.uuid4()
        await self.feed.publish(
            CustomerUpserted(
                customer_id=customer_id, revision=revision, legal_name="上海星河代理记账有限公司", **fields
            )
        )
        return customer_id

    async def invoice(
        self, customer_id: UUID, total: str, due_date: date, *, currency: str = "CNY", publish: bool = True
    ) -> InvoiceIssued:
        """An issued invoice with a fresh number and RF reference (published unless told not to)."""
        serial = f"{secrets.randbelow(10**6):06d}"
        amount = Money.of(total, currency)
        event = InvoiceIssued(
            customer_id=customer_id,
            invoice_id=uuid.uuid4(),
            invoice_number=f"INV-2026-{serial}",
            currency=currency,
            subtotal=amount,
            tax_total=Money.zero(currency),
            total=amount,
            invoice_date=due_date - timedelta(days=30),
            due_date=due_date,
            net_days=30,
            payment_reference=f"RF{secrets.randbelow(100):02d}INV2026{serial}",
            issued_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        if publish:
            await self.feed.publish(event)
        return event

    async def open_items(self, customer_id: UUID) -> dict[str, dict[str, Any]]:
        response = await self.client.get("/open-items", params={"customer_id": str(customer_id), "limit": 100})
        assert response.status_code == 200, response.text
        return {item["invoice_id"]: item for item in response.json()["data"]}

    async def item_when(
        self, customer_id: UUID, invoice_id: UUID, condition: Callable[[dict[str, Any]], bool] = lambda _: True
    ) -> dict[str, Any]:
        """The open item once it exists and meets `condition` (polled with a deadline)."""

        async def probe() -> dict[str, Any] | None:
            item = (await self.open_items(customer_id)).get(str(invoice_id))
            return item if item is not None and condition(item) else None

        return await eventually(probe, within=15, what=f"open item {invoice_id}")


@pytest.fixture(scope="session")
def reconciliation_ledger(reconciliation_feed: InvoicingFeed, reconciliation: RunningService) -> Ledger:
    return Ledger(reconciliation_feed, reconciliation.client)


@dataclass
class PublishedPayments:
    """Reads what reconciliation actually published on its topic."""

    bootstrap: str

    async def payment_received(self, payment_id: UUID, *, within: float = 15.0) -> PaymentReceived:
        """The PaymentReceived of a payment, read from the start of the topic; fails after `within` s."""
        topic = topic_of(RECONCILIATION)
        # No group: the consumer takes every partition and, with no committed offset, starts at the earliest.
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=self.bootstrap, group_id=None, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            deadline = time.monotonic() + within
            while time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    for record in records:
                        envelope = Envelope.from_bytes(record.value or b"")
                        if envelope.type == "PaymentReceived" and envelope.data["payment_id"] == str(payment_id):
                            assert record.key == envelope.subject.encode()
                            event = envelope.to_event()
                            assert isinstance(event, PaymentReceived)
                            return event
            raise AssertionError(f"no PaymentReceived for payment {payment_id} on {topic} within {within}s")
        finally:
            await consumer.stop()


@pytest.fixture(scope="session")
def reconciliation_published(infra: TestInfrastructure) -> PublishedPayments:
    return PublishedPayments(infra.bootstrap)


@dataclass
class Books:
    """Customers with distinct names and their invoices, given to reconciliation the real way (events)."""

    ledger: Ledger

    async def customer(self, legal_name: str | None = None) -> tuple[UUID, str]:
        serial = secrets.randbelow(10**8)
        name = legal_name or f"杭州测试{serial:08d}科技有限公司"
        customer_id = uuid.uuid4()
        await self.ledger.feed.publish(CustomerUpserted(customer_id=customer_id, revision=1, legal_name=name))
        return customer_id, name

    async def issued(self, customer_id: UUID, total: str, due_date: date, *, currency: str = "CNY") -> InvoiceIssued:
        """An invoice reconciliation has projected (waits until it is an open item)."""
        invoice = await self.ledger.invoice(customer_id, total, due_date, currency=currency)
        await self.ledger.item_when(customer_id, invoice.invoice_id)
        return invoice


@pytest.fixture(scope="session")
def reconciliation_books(reconciliation_ledger: Ledger) -> Books:
    return Books(reconciliation_ledger)


async def wait_for_import(client: httpx.AsyncClient, import_id: str) -> dict[str, Any]:
    """The import once its worker has finished it."""

    async def probe() -> dict[str, Any] | None:
        body = (await client.get(f"/statement-imports/{import_id}")).json()
        return body if body["status"] in ("succeeded", "failed") else None

    return await eventually(probe, within=20, what=f"statement import {import_id}")


ImportDone = Callable[[httpx.AsyncClient, str], Awaitable[dict[str, Any]]]


@pytest.fixture(scope="session")
def import_done() -> ImportDone:
    return wait_for_import
