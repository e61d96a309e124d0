"""The invoice sent on issue, on a database of its own: the sender's rules where timing matters (a settled
invoice, no creditor, a failing or rate-limited PDF fetch, a customer not yet known, two replicas)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import func, select

from arflow.clock import FixedClock
from arflow.db import Database
from arflow.events.catalog import ContactInfo, CustomerUpserted, InvoiceIssued, InvoiceOverdue
from arflow.events.envelope import wrap
from arflow.messaging.consumer import EventContext
from arflow.migrations import upgrade
from arflow.money import Money
from arflow.testing.creditor import TEST_CREDITOR
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure  # not Test*: pytest would collect it
from arflow.testing.infrastructure import spec
from arflow.testing.smtp import SmtpSink
from dunning.actions.delivery import EMAIL, Channel, send_due
from dunning.cases.service import close_invoice, record_invoice_overdue
from dunning.config import DunningSettings
from dunning.customers.service import record_customer
from dunning.deliveries.sending import DocumentQueue
from dunning.deliveries.service import DeliveryPolicy, queue_invoice
from dunning.deps import SYSTEM
from dunning.handlers import dunning_handlers
from dunning.invoice_links import record_invoice_issued
from dunning.models import CustomerDelivery, DunningAction

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
BASE_DELAY = timedelta(seconds=60)


@pytest.fixture
async def sender_db(infra: Infrastructure) -> AsyncIterator[Database]:
    url = await infra.scratch_database(f"dunning_invoices_{uuid4().hex[:8]}")
    await asyncio.to_thread(upgrade, spec("dunning").directory, url)
    db = Database(url, pool_size=2)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


def settings(port: int, **overrides: Any) -> DunningSettings:
    return DunningSettings.model_validate(
        {
            "smtp_port": port,
            "smtp_timeout": 2.0,
            "email_max_attempts": 3,
            "email_retry_base_seconds": BASE_DELAY.total_seconds(),
            **TEST_CREDITOR,
            **overrides,
        }
    )


def with_invoices(client: httpx.AsyncClient) -> Channel:
    return replace(EMAIL, queues=(DocumentQueue("email", client),))


async def know_customer(db: Database, clock: FixedClock, customer_id: UUID, email: str) -> None:
    async with db.unit_of_work() as session:
        event = CustomerUpserted(
            customer_id=customer_id,
            revision=1,
            legal_name="杭州云帆科技有限公司",
            contacts=[ContactInfo(name="陈静", email=email)],
        )
        await record_customer(session, actor=SYSTEM, clock=clock, event=event)


async def issue(db: Database, clock: FixedClock, customer_id: UUID, link: str) -> InvoiceIssued:
    """InvoiceIssued as its handler takes it: the link kept, the invoice queued."""
    event = InvoiceIssued(
        customer_id=customer_id,
        invoice_id=uuid4(),
        invoice_number=f"INV-2026-{uuid4().hex[:6].upper()}",
        currency="CNY",
        subtotal=Money.of("300.00", "CNY"),
        tax_total=Money.of("18.00", "CNY"),
        total=Money.of("318.00", "CNY"),
        invoice_date=T0.date(),
        due_date=T0.date() + timedelta(days=30),
        net_days=30,
        payment_reference="RF18INV2026000101",
        issued_at=clock.now(),
        hosted_invoice_url=link,
    )
    async with db.unit_of_work() as session:
        await record_invoice_issued(session, event)
        policy = DeliveryPolicy.of(settings(0))
        assert await queue_invoice(session, clock=clock, policy=policy, event=event)
    return event


async def delivery(db: Database, invoice_id: UUID) -> CustomerDelivery:
    async with db.unit_of_work() as session:
        found = await session.scalar(select(CustomerDelivery).where(CustomerDelivery.document_id == invoice_id))
    assert found is not None
    return found


async def test_an_invoice_settled_before_its_turn_is_cancelled_not_sent(
    sender_db: Database, client: httpx.AsyncClient, dunning_smtp: SmtpSink, own_hosted_pages: Any
) -> None:
    clock, email = FixedClock(T0), f"paid-{uuid4().hex[:8]}@example.cn"
    customer_id = uuid4()
    await know_customer(sender_db, clock, customer_id, email)
    invoice = await issue(sender_db, clock, customer_id, own_hosted_pages.link())
    async with sender_db.unit_of_work() as session:
        await close_invoice(
            session, actor=SYSTEM, clock=clock, customer_id=customer_id, invoice_id=invoice.invoice_id, closure="paid"
        )

    assert await send_due(sender_db, with_invoices(client), clock=clock, settings=settings(dunning_smtp.port)) == 1
    cancelled = await delivery(sender_db, invoice.invoice_id)
    assert (cancelled.status, cancelled.attempts, cancelled.sent_at) == ("cancelled", 0, None)
    assert cancelled.last_error == "cancelled: the invoice was paid before it was sent"
    assert own_hosted_pages.requests == [] and [m for m in dunning_smtp.messages if m["To"] == email] == []


async def test_without_a_creditor_the_invoice_waits_queued_then_goes_once_one_is_set(
    sender_db: Database, client: httpx.AsyncClient, dunning_smtp: SmtpSink, own_hosted_pages: Any
) -> None:
    clock, email, customer_id = FixedClock(T0), f"wait-{uuid4().hex[:8]}@example.cn", uuid4()
    await know_customer(sender_db, clock, customer_id, email)
    invoice = await issue(sender_db, clock, customer_id, own_hosted_pages.link())
    unset = settings(dunning_smtp.port, **{name: None for name in TEST_CREDITOR})

    assert await send_due(sender_db, with_invoices(client), clock=clock, settings=unset) == 1
    held = await delivery(sender_db, invoice.invoice_id)
    assert (held.status, held.attempts, held.next_attempt_at) == ("queued", 0, T0 + BASE_DELAY)
    assert held.last_error is not None and held.last_error.startswith("creditor_not_configured")
    assert own_hosted_pages.requests == [] and [m for m in dunning_smtp.messages if m["To"] == email] == []

    clock.advance(BASE_DELAY)
    assert await send_due(sender_db, with_invoices(client), clock=clock, settings=settings(dunning_smtp.port)) == 1
    sent = await delivery(sender_db, invoice.invoice_id)
    assert (sent.status, sent.attempts, sent.last_error, sent.sent_at) == ("sent", 1, None, clock.now())
    [message] = [m for m in dunning_smtp.messages if m["To"] == email]
    assert message["From"].addresses[0].display_name == TEST_CREDITOR["creditor_name"]


async def test_a_failing_pdf_fetch_is_retried_with_backoff_then_the_delivery_fails(
    sender_db: Database, client: httpx.AsyncClient, dunning_smtp: SmtpSink, own_hosted_pages: Any
) -> None:
    clock, email, customer_id = FixedClock(T0), f"fail-{uuid4().hex[:8]}@example.cn", uuid4()
    await know_customer(sender_db, clock, customer_id, email)
    invoice = await issue(sender_db, clock, customer_id, own_hosted_pages.link())
    own_hosted_pages.answer = (503, {})
    ready = settings(dunning_smtp.port)

    for attempt, delay in ((1, 1), (2, 2)):
        assert await send_due(sender_db, with_invoices(client), clock=clock, settings=ready) == 1
        retried = await delivery(sender_db, invoice.invoice_id)
        assert (retried.status, retried.attempts) == ("queued", attempt)
        assert retried.next_attempt_at == clock.now() + BASE_DELAY * delay
        assert retried.last_error == "RuntimeError: the hosted page's PDF answered 503"
        assert await send_due(sender_db, with_invoices(client), clock=clock, settings=ready) == 0  # not due yet
        clock.set(retried.next_attempt_at)
    assert await send_due(sender_db, with_invoices(client), clock=clock, settings=ready) == 1
    failed = await delivery(sender_db, invoice.invoice_id)
    assert (failed.status, failed.attempts, failed.next_attempt_at) == ("failed", 3, None)
    assert len(own_hosted_pages.requests) == 3 and [m for m in dunning_smtp.messages if m["To"] == email] == []


async def test_a_revoked_link_fails_the_attempt_and_a_rotated_one_is_followed(
    sender_db: Database, client: httpx.AsyncClient, dunning_smtp: SmtpSink, own_hosted_pages: Any
) -> None:
    from arflow.events.catalog import InvoiceHostedLinkChanged
    from dunning.invoice_links import record_link_changed

    clock, email, customer_id = FixedClock(T0), f"rotated-{uuid4().hex[:8]}@example.cn", uuid4()
    await know_customer(sender_db, clock, customer_id, email)
    invoice = await issue(sender_db, clock, customer_id, own_hosted_pages.link())
    revoked = InvoiceHostedLinkChanged(customer_id=customer_id, invoice_id=invoice.invoice_id, changed_at=T0)
    async with sender_db.unit_of_work() as session:
        await record_link_changed(session, revoked)
    ready = settings(dunning_smtp.port)
    assert await send_due(sender_db, with_invoices(client), clock=clock, settings=ready) == 1
    waiting = await delivery(sender_db, invoice.invoice_id)
    assert (waiting.status, waiting.attempts) == ("queued", 1)
    assert waiting.last_error is not None and "no hosted page" in waiting.last_error

    new = own_hosted_pages.link()
    rotated = InvoiceHostedLinkChanged(
        customer_id=customer_id, invoice_id=invoice.invoice_id, hosted_invoice_url=new, changed_at=T0
    )
    async with sender_db.unit_of_work() as session:
        await record_link_changed(session, rotated)
    clock.advance(BASE_DELAY)
    assert await send_due(sender_db, with_invoices(client), clock=clock, settings=ready) == 1
    assert (await delivery(sender_db, invoice.invoice_id)).status == "sent"
    [message] = [m for m in dunning_smtp.messages if m["To"] == email]
    body = message.get_body(("plain",))
    assert body is not None and new in body.get_content()
    assert own_hosted_pages.fetches_of(new) == [{"lang": ["zh-CN"]}]


async def test_a_rate_limited_fetch_holds_the_queue_without_counting_an_attempt(
    sender_db: Database, client: httpx.AsyncClient, dunning_smtp: SmtpSink, own_hosted_pages: Any
) -> None:
    clock, customer_id = FixedClock(T0), uuid4()
    emails = [f"limited-{uuid4().hex[:8]}@example.cn" for _ in range(2)]
    await know_customer(sender_db, clock, customer_id, emails[0])
    invoices = [await issue(sender_db, clock, customer_id, own_hosted_pages.link()) for _ in emails]
    own_hosted_pages.answer = (429, {"Retry-After": "30"})
    channel, ready = with_invoices(client), settings(dunning_smtp.port)

    assert await send_due(sender_db, channel, clock=clock, settings=ready) == 1  # the second is not even tried
    held = await delivery(sender_db, invoices[0].invoice_id)
    assert (held.status, held.attempts, held.next_attempt_at) == ("queued", 0, T0 + timedelta(seconds=30))
    assert held.last_error is not None and held.last_error.startswith("rate_limited")
    assert len(own_hosted_pages.requests) == 1
    assert (await delivery(sender_db, invoices[1].invoice_id)).next_attempt_at == T0

    own_hosted_pages.answer = None
    clock.advance(timedelta(seconds=30))
    assert await send_due(sender_db, channel, clock=clock, settings=ready) == 2
    assert [(await delivery(sender_db, i.invoice_id)).attempts for i in invoices] == [1, 1]
    assert len([m for m in dunning_smtp.messages if m["To"] == emails[0]]) == 2


async def test_an_invoice_issued_before_its_customer_was_known_is_addressed_when_sent(
    sender_db: Database, client: httpx.AsyncClient, dunning_smtp: SmtpSink, own_hosted_pages: Any
) -> None:
    clock, email, customer_id = FixedClock(T0), f"late-{uuid4().hex[:8]}@example.cn", uuid4()
    invoice = await issue(sender_db, clock, customer_id, own_hosted_pages.link())
    unknown = await delivery(sender_db, invoice.invoice_id)
    assert (unknown.status, unknown.recipient, unknown.channel) == ("queued", None, "email")

    ready = settings(dunning_smtp.port)
    assert await send_due(sender_db, with_invoices(client), clock=clock, settings=ready) == 1
    assert (await delivery(sender_db, invoice.invoice_id)).attempts == 1  # still not known: a failed attempt
    await know_customer(sender_db, clock, customer_id, email)
    clock.advance(BASE_DELAY)
    assert await send_due(sender_db, with_invoices(client), clock=clock, settings=ready) == 1
    sent = await delivery(sender_db, invoice.invoice_id)
    assert (sent.status, sent.recipient, sent.details["customer_name"]) == ("sent", email, "杭州云帆科技有限公司")
    assert len([m for m in dunning_smtp.messages if m["To"] == email]) == 1


async def test_two_replicas_send_each_invoice_once(
    sender_db: Database, dunning_smtp: SmtpSink, own_hosted_pages: Any
) -> None:
    clock = FixedClock(T0)
    emails = [f"replica-{uuid4().hex[:8]}@example.cn" for _ in range(8)]
    for email in emails:
        customer_id = uuid4()
        await know_customer(sender_db, clock, customer_id, email)
        await issue(sender_db, clock, customer_id, own_hosted_pages.link())
    other = Database(sender_db.engine.url, pool_size=2)
    ready = settings(dunning_smtp.port)
    try:
        async with httpx.AsyncClient() as one, httpx.AsyncClient() as two:
            attempted = await asyncio.gather(
                send_due(sender_db, with_invoices(one), clock=clock, settings=ready),
                send_due(other, with_invoices(two), clock=clock, settings=ready),
            )
    finally:
        await other.dispose()
    assert sum(attempted) == len(emails)
    for email in emails:
        assert len([m for m in dunning_smtp.messages if m["To"] == email]) == 1
    async with sender_db.unit_of_work() as session:
        statuses = (
            await session.execute(select(CustomerDelivery.status, func.count()).group_by(CustomerDelivery.status))
        ).all()
        assert await session.scalar(select(func.count()).select_from(DunningAction)) == 0
    assert dict(statuses) == {"sent": len(emails)}


async def test_the_sender_takes_turns_between_the_action_log_and_the_invoices(
    sender_db: Database, client: httpx.AsyncClient, dunning_smtp: SmtpSink, own_hosted_pages: Any
) -> None:
    clock, customer_id = FixedClock(T0), uuid4()
    email = f"turns-{uuid4().hex[:8]}@example.cn"
    await know_customer(sender_db, clock, customer_id, email)
    for _ in range(3):
        async with sender_db.unit_of_work() as session:
            overdue = InvoiceOverdue(
                customer_id=customer_id,
                invoice_id=uuid4(),
                invoice_number=f"INV-2025-{uuid4().hex[:6].upper()}",
                invoice_date=date(2026, 1, 1),
                due_date=date(2026, 1, 31),
                total=Money.of("300.00", "CNY"),
                amount_due=Money.of("300.00", "CNY"),
                days_overdue=30,
                bucket="1-30",
                as_of=date(2026, 3, 2),
                payment_reference="RF47INV2026000007",
            )
            await record_invoice_overdue(session, actor=SYSTEM, clock=clock, event=overdue, observed_at=T0)
    invoices = [(await issue(sender_db, clock, customer_id, own_hosted_pages.link())).invoice_number for _ in range(3)]

    assert await send_due(sender_db, with_invoices(client), clock=clock, settings=settings(dunning_smtp.port)) == 6
    subjects = [m["Subject"] for m in dunning_smtp.messages if m["To"] == email]
    assert ["invoice" if any(n in s for n in invoices) else "notice" for s in subjects] == ["notice", "invoice"] * 3


async def test_invoice_issued_costs_the_link_the_customers_read_and_one_insert(
    sender_db: Database, own_hosted_pages: Any
) -> None:
    """Issue 17: the consume path stays cheap, the sending is the sender's."""
    clock, customer_id = FixedClock(T0), uuid4()
    await know_customer(sender_db, clock, customer_id, f"cheap-{uuid4().hex[:8]}@example.cn")
    event = InvoiceIssued(
        customer_id=customer_id,
        invoice_id=uuid4(),
        invoice_number="INV-2026-000777",
        currency="CNY",
        subtotal=Money.of("300.00", "CNY"),
        tax_total=Money.of("0.00", "CNY"),
        total=Money.of("300.00", "CNY"),
        invoice_date=T0.date(),
        due_date=T0.date() + timedelta(days=30),
        net_days=30,
        payment_reference="RF18INV2026000777",
        issued_at=T0,
        hosted_invoice_url=own_hosted_pages.link(),
    )
    handler = dunning_handlers(settings(0))[InvoiceIssued]
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    sqlalchemy_event.listen(sender_db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with sender_db.unit_of_work() as session:
            context = EventContext(session, wrap(event, occurred_at=T0, traceparent=None), clock)
            await handler(context, event)
    finally:
        sqlalchemy_event.remove(sender_db.engine.sync_engine, "before_cursor_execute", seen)
    assert statements == ["INSERT", "SELECT", "INSERT"]  # the link's upsert, the customer, the delivery
    assert (await delivery(sender_db, event.invoice_id)).status == "queued"
