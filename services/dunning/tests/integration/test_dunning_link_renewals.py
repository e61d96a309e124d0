"""A renewed link emailed to the address that asked for it, and deliveries woken when their customer arrives.

On a database of its own, the handlers taking the events as the consumer would (EventContext), the sender
sending to a real SMTP sink: InvoiceHostedLinkChanged / StatementHostedLinkChanged with reason "renewed" queue
one email (a customer_delivery of purpose link_renewal) to `send_to_email`, with the new link and no PDF, and a
replay queues nothing more, and a resend goes to the address that asked while it is on file; a rotation sends
nothing but is followed; CustomerUpserted makes the deliveries that waited for the customer due at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import select

from arflow.clock import FixedClock
from arflow.db import Database
from arflow.events.catalog import (
    ContactInfo,
    CustomerUpserted,
    Event,
    InvoiceHostedLinkChanged,
    InvoiceIssued,
    StatementBalance,
    StatementHostedLinkChanged,
    StatementIssued,
)
from arflow.events.envelope import wrap
from arflow.messaging.consumer import EventContext
from arflow.migrations import upgrade
from arflow.money import Money
from arflow.testing.creditor import TEST_CREDITOR
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure  # not Test*: pytest would collect it
from arflow.testing.infrastructure import spec
from arflow.testing.smtp import SmtpSink
from dunning.actions.delivery import EMAIL, Channel, send_due
from dunning.config import DunningSettings
from dunning.deliveries.errors import DeliveryNoRecipient
from dunning.deliveries.sending import DocumentQueue
from dunning.deliveries.service import require_delivery, resend
from dunning.deps import SYSTEM
from dunning.handlers import dunning_handlers
from dunning.invoice_links import links_of
from dunning.models import CustomerDelivery

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
BASE_DELAY = timedelta(seconds=60)
NAME = "杭州云帆科技有限公司"


@pytest.fixture
async def renewal_db(infra: Infrastructure) -> AsyncIterator[Database]:
    url = await infra.scratch_database(f"dunning_renewals_{uuid4().hex[:8]}")
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


def settings(port: int) -> DunningSettings:
    return DunningSettings.model_validate(
        {
            "smtp_port": port,
            "smtp_timeout": 2.0,
            "email_max_attempts": 3,
            "email_retry_base_seconds": BASE_DELAY.total_seconds(),
            **TEST_CREDITOR,
        }
    )


def channel(client: httpx.AsyncClient) -> Channel:
    return replace(EMAIL, queues=(DocumentQueue("email", client),))


async def handle(db: Database, clock: FixedClock, event: Event) -> None:
    """The event through dunning's handler, as its consumer gives it."""
    handler = dunning_handlers(settings(0))[type(event)]
    async with db.unit_of_work() as session:
        await handler(EventContext(session, wrap(event, occurred_at=clock.now(), traceparent=None), clock), event)


def customer_upserted(customer_id: UUID, email: str, *, language: str = "zh-CN") -> CustomerUpserted:
    contact = ContactInfo(name="陈静", email=email, language=language)  # type: ignore[arg-type]
    return CustomerUpserted(customer_id=customer_id, revision=1, legal_name=NAME, contacts=[contact])


def invoice_issued(customer_id: UUID, link: str) -> InvoiceIssued:
    return InvoiceIssued(
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
        issued_at=T0,
        hosted_invoice_url=link,
    )


async def deliveries_of(db: Database, document_id: UUID) -> list[CustomerDelivery]:
    async with db.unit_of_work() as session:
        query = select(CustomerDelivery).where(CustomerDelivery.document_id == document_id)
        return list((await session.execute(query.order_by(CustomerDelivery.created_at, CustomerDelivery.id))).scalars())


def plain(message: Any) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    text: str = body.get_content()
    return text


async def test_a_renewed_invoice_link_is_emailed_once_to_the_address_that_asked(
    renewal_db: Database, client: httpx.AsyncClient, dunning_smtp: SmtpSink, own_hosted_pages: Any
) -> None:
    clock, customer_id = FixedClock(T0), uuid4()
    billing, asker = f"billing-{uuid4().hex[:8]}@example.cn", f"ap-{uuid4().hex[:8]}@example.cn"
    await handle(renewal_db, clock, customer_upserted(customer_id, billing))
    issued = invoice_issued(customer_id, own_hosted_pages.link())
    await handle(renewal_db, clock, issued)
    assert await send_due(renewal_db, channel(client), clock=clock, settings=settings(dunning_smtp.port)) == 1

    clock.advance(timedelta(days=40))
    new = own_hosted_pages.link()
    renewed = InvoiceHostedLinkChanged(
        customer_id=customer_id,
        invoice_id=issued.invoice_id,
        invoice_number=issued.invoice_number,
        hosted_invoice_url=new,
        link_expires_on=date(2026, 5, 11),
        reason="renewed",
        send_to_email=asker,
        language="en",
        renewal_id=uuid4(),
        changed_at=clock.now(),
    )
    await handle(renewal_db, clock, renewed)
    await handle(renewal_db, clock, renewed)  # a duplicate (the inbox aside): one email still
    async with renewal_db.unit_of_work() as session:
        assert (await links_of(session, [issued.invoice_id])) == {str(issued.invoice_id): new}
    fetched = len(own_hosted_pages.requests)
    assert await send_due(renewal_db, channel(client), clock=clock, settings=settings(dunning_smtp.port)) == 1

    [message] = [m for m in dunning_smtp.messages if m["To"] == asker]
    assert message["Subject"] == f"A new link to invoice {issued.invoice_number}"  # the page's language (en)
    assert new in plain(message) and "11 May 2026" in plain(message)
    assert list(message.iter_attachments()) == [] and len(own_hosted_pages.requests) == fetched  # no PDF fetched
    assert len([m for m in dunning_smtp.messages if m["To"] == billing]) == 1  # the issue's email only
    on_issue, renewal = await deliveries_of(renewal_db, issued.invoice_id)
    assert (on_issue.purpose, renewal.purpose) == ("issue", "link_renewal")
    assert (renewal.id, renewal.status, renewal.recipient, renewal.channel, renewal.attempts) == (
        renewed.renewal_id,
        "sent",
        asker,
        "email",
        1,
    )


async def test_the_renewal_email_is_in_the_contacts_language_when_the_address_is_a_contacts(
    renewal_db: Database, client: httpx.AsyncClient, dunning_smtp: SmtpSink, own_hosted_pages: Any
) -> None:
    clock, customer_id, email = FixedClock(T0), uuid4(), f"zh-{uuid4().hex[:8]}@example.cn"
    await handle(renewal_db, clock, customer_upserted(customer_id, email, language="zh-CN"))
    invoice_id, new = uuid4(), own_hosted_pages.link()
    renewed = InvoiceHostedLinkChanged(
        customer_id=customer_id,
        invoice_id=invoice_id,
        invoice_number="INV-2026-000042",
        hosted_invoice_url=new,
        reason="renewed",
        send_to_email=email,
        language="en",
        renewal_id=uuid4(),
        changed_at=T0,
    )
    await handle(renewal_db, clock, renewed)
    assert await send_due(renewal_db, channel(client), clock=clock, settings=settings(dunning_smtp.port)) == 1
    [message] = [m for m in dunning_smtp.messages if m["To"] == email]
    assert message["Subject"] == "账单 INV-2026-000042 的新链接" and NAME in plain(message) and new in plain(message)


async def test_a_rotation_or_a_revocation_sends_nothing(renewal_db: Database, own_hosted_pages: Any) -> None:
    clock, customer_id, invoice_id = FixedClock(T0), uuid4(), uuid4()
    for event in (
        InvoiceHostedLinkChanged(
            customer_id=customer_id,
            invoice_id=invoice_id,
            hosted_invoice_url=own_hosted_pages.link(),
            reason="rotated",
            changed_at=T0,
        ),
        InvoiceHostedLinkChanged(customer_id=customer_id, invoice_id=invoice_id, reason="revoked", changed_at=T0),
    ):
        await handle(renewal_db, clock, event)
    assert await deliveries_of(renewal_db, invoice_id) == []


async def test_a_renewed_statement_link_is_emailed_and_a_rotation_is_followed(
    renewal_db: Database, client: httpx.AsyncClient, dunning_smtp: SmtpSink, own_hosted_pages: Any
) -> None:
    clock, customer_id = FixedClock(T0), uuid4()
    email = f"stmt-{uuid4().hex[:8]}@example.cn"
    await handle(renewal_db, clock, customer_upserted(customer_id, email))
    balance = Money.of("800.00", "CNY")
    zero = Money.of("0.00", "CNY")
    issued = StatementIssued(
        customer_id=customer_id,
        statement_id=uuid4(),
        statement_number="ST-2026-000007",
        period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 28),
        cycle="monthly",
        business_date=T0.date(),
        language="zh-CN",
        closing_balance=balance,
        balances=[
            StatementBalance(
                currency="CNY",
                opening_balance=zero,
                invoiced=balance,
                credited=zero,
                paid=zero,
                closing_balance=balance,
            )
        ],
        content_sha256="0" * 64,
        hosted_statement_url=own_hosted_pages.link("s"),
        issued_at=T0,
    )
    await handle(renewal_db, clock, issued)
    rotated_to = own_hosted_pages.link("s")
    rotated = StatementHostedLinkChanged(
        customer_id=customer_id,
        statement_id=issued.statement_id,
        statement_number=issued.statement_number,
        hosted_statement_url=rotated_to,
        reason="rotated",
        changed_at=T0,
    )
    await handle(renewal_db, clock, rotated)
    [on_issue] = await deliveries_of(renewal_db, issued.statement_id)
    assert on_issue.details["hosted_url"] == rotated_to  # the email on issue links the page in force

    renewed_to = own_hosted_pages.link("s")
    renewed = StatementHostedLinkChanged(
        customer_id=customer_id,
        statement_id=issued.statement_id,
        statement_number=issued.statement_number,
        hosted_statement_url=renewed_to,
        link_expires_on=date(2026, 5, 1),
        reason="renewed",
        send_to_email=email,
        renewal_id=uuid4(),
        changed_at=T0,
    )
    await handle(renewal_db, clock, renewed)
    assert await send_due(renewal_db, channel(client), clock=clock, settings=settings(dunning_smtp.port)) == 2
    by_subject = {m["Subject"]: m for m in dunning_smtp.messages if m["To"] == email}
    renewal_email = by_subject["对账单 ST-2026-000007 的新链接"]
    assert renewed_to in plain(renewal_email) and list(renewal_email.iter_attachments()) == []
    kinds = [(d.kind, d.purpose, d.status) for d in await deliveries_of(renewal_db, issued.statement_id)]
    assert sorted(kinds) == [("statement", "issue", "sent"), ("statement", "link_renewal", "sent")]


async def test_a_delivery_waiting_for_its_customer_is_due_once_the_customer_arrives(
    renewal_db: Database, client: httpx.AsyncClient, dunning_smtp: SmtpSink, own_hosted_pages: Any
) -> None:
    clock, customer_id, email = FixedClock(T0), uuid4(), f"late-{uuid4().hex[:8]}@example.cn"
    issued = invoice_issued(customer_id, own_hosted_pages.link())
    await handle(renewal_db, clock, issued)
    assert await send_due(renewal_db, channel(client), clock=clock, settings=settings(dunning_smtp.port)) == 1
    [waiting] = await deliveries_of(renewal_db, issued.invoice_id)
    assert (waiting.status, waiting.recipient, waiting.attempts) == ("queued", None, 1)
    assert waiting.next_attempt_at is not None and waiting.next_attempt_at > clock.now()  # its retry, later

    clock.advance(timedelta(seconds=5))
    await handle(renewal_db, clock, customer_upserted(customer_id, email))
    [woken] = await deliveries_of(renewal_db, issued.invoice_id)
    assert woken.next_attempt_at == clock.now()
    assert await send_due(renewal_db, channel(client), clock=clock, settings=settings(dunning_smtp.port)) == 1
    [sent] = await deliveries_of(renewal_db, issued.invoice_id)
    assert (sent.status, sent.recipient) == ("sent", email)
    assert len([m for m in dunning_smtp.messages if m["To"] == email]) == 1


async def test_a_renewal_resent_goes_to_the_address_that_asked_while_it_is_on_file(
    renewal_db: Database, client: httpx.AsyncClient, dunning_smtp: SmtpSink, own_hosted_pages: Any
) -> None:
    clock = FixedClock(T0)
    customer_id = uuid4()
    billing, asker = f"billing-{uuid4().hex[:8]}@example.cn", f"asker-{uuid4().hex[:8]}@example.cn"
    contacts = [ContactInfo(name="陈静", email=billing), ContactInfo(name="李雷", email=asker, role="other")]
    await handle(
        renewal_db,
        clock,
        CustomerUpserted(customer_id=customer_id, revision=1, legal_name=NAME, contacts=contacts),
    )
    renewed = InvoiceHostedLinkChanged(
        customer_id=customer_id,
        invoice_id=uuid4(),
        invoice_number="INV-2026-000043",
        hosted_invoice_url=own_hosted_pages.link(),
        reason="renewed",
        send_to_email=asker,
        renewal_id=uuid4(),
        changed_at=T0,
    )
    await handle(renewal_db, clock, renewed)
    assert await send_due(renewal_db, channel(client), clock=clock, settings=settings(dunning_smtp.port)) == 1
    assert renewed.renewal_id is not None
    async with renewal_db.unit_of_work() as session:
        delivery = await require_delivery(session, renewed.renewal_id, kind="invoice", for_update=True)
        await resend(session, clock=clock, actor=SYSTEM, delivery=delivery, reason="客户未收到")
        assert (delivery.recipient, delivery.status) == (asker, "queued")  # not the billing contact
    assert await send_due(renewal_db, channel(client), clock=clock, settings=settings(dunning_smtp.port)) == 1
    assert len([m for m in dunning_smtp.messages if m["To"] == asker]) == 2
    assert [m for m in dunning_smtp.messages if m["To"] == billing] == []

    # the address no longer on file: nobody to send it to
    await handle(
        renewal_db,
        clock,
        CustomerUpserted(customer_id=customer_id, revision=2, legal_name=NAME, contacts=contacts[:1]),
    )
    async with renewal_db.unit_of_work() as session:
        delivery = await require_delivery(session, renewed.renewal_id, kind="invoice", for_update=True)
        with pytest.raises(DeliveryNoRecipient):
            await resend(session, clock=clock, actor=SYSTEM, delivery=delivery, reason=None)
