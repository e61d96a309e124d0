"""Every customer email links each invoice's hosted page, taken from InvoiceIssued; an invoice without one gets none."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from uuid import UUID, uuid4

from lxml import html

from arflow.clock import FixedClock
from arflow.events.catalog import (
    ContactInfo,
    CustomerUpserted,
    InvoiceHostedLinkChanged,
    InvoiceIssued,
    InvoiceOverdue,
)
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService
from arflow.testing.smtp import SmtpSink

DUE = date(2026, 3, 1)


def events(customer_id: UUID, email: str, number: str, url: str | None) -> list[object]:
    invoice_id = uuid4()
    return [
        CustomerUpserted(
            customer_id=customer_id,
            revision=1,
            legal_name="深圳前海宏图贸易有限公司",
            contacts=[ContactInfo(name="陈静", email=email)],
        ),
        InvoiceIssued(
            customer_id=customer_id,
            invoice_id=invoice_id,
            invoice_number=number,
            currency="CNY",
            subtotal=Money.of("2000.00", "CNY"),
            tax_total=Money.of("0.00", "CNY"),
            total=Money.of("2000.00", "CNY"),
            invoice_date=DUE - timedelta(days=30),
            due_date=DUE,
            net_days=30,
            payment_reference="RF47INV2026000007",
            issued_at=datetime(2026, 1, 30, 2, tzinfo=UTC),
            hosted_invoice_url=url,
        ),
        InvoiceOverdue(
            customer_id=customer_id,
            invoice_id=invoice_id,
            invoice_number=number,
            invoice_date=DUE - timedelta(days=30),
            due_date=DUE,
            total=Money.of("2000.00", "CNY"),
            amount_due=Money.of("2000.00", "CNY"),
            days_overdue=1,
            bucket="1-30",
            as_of=DUE + timedelta(days=1),
            payment_reference="RF47INV2026000007",
        ),
    ]


async def notice_to(dunning_smtp: SmtpSink, email: str) -> EmailMessage:
    async def mail() -> list[EmailMessage]:
        return [m for m in dunning_smtp.messages if m["To"] == email]

    [message] = await eventually(mail, what=f"the overdue notice to {email}")
    return message


def parts(message: EmailMessage) -> tuple[str, str]:
    plain, rich = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and rich is not None
    return str(plain.get_content()), str(rich.get_content())


async def test_overdue_notice_links_the_invoice_page(
    infra: Infrastructure, dunning: RunningService, dunning_smtp: SmtpSink, walking_clock: FixedClock
) -> None:
    walking_clock.set(datetime(2026, 3, 2, 2, tzinfo=UTC))
    url = f"https://pay.example.cn/i/{uuid4().hex}{uuid4().hex[:11]}"
    email, number = f"{uuid4().hex[:10]}@example.cn", f"INV-2026-{uuid4().hex[:6].upper()}"
    await publish_events(infra.bootstrap, *events(uuid4(), email, number, url))  # type: ignore[arg-type]
    text, rich = parts(await notice_to(dunning_smtp, email))
    assert f"在线查看：{url}" in text
    page = html.fromstring(rich)
    [link] = page.xpath("//a")
    assert link.get("href") == url and link.text_content() == number
    assert "点击账单编号即可在线查看账单" in page.text_content()


async def test_invoice_without_a_page_gets_no_link_and_no_placeholder(
    infra: Infrastructure, dunning: RunningService, dunning_smtp: SmtpSink, walking_clock: FixedClock
) -> None:
    walking_clock.set(datetime(2026, 3, 2, 2, tzinfo=UTC))
    email, number = f"{uuid4().hex[:10]}@example.cn", f"INV-2025-{uuid4().hex[:6].upper()}"
    await publish_events(infra.bootstrap, *events(uuid4(), email, number, None))  # type: ignore[arg-type]
    text, rich = parts(await notice_to(dunning_smtp, email))
    assert number in text and number in rich
    for part in (text, rich):
        assert "在线查看" not in part and "/i/" not in part and "None" not in part
    assert html.fromstring(rich).xpath("//a") == []


async def test_a_rotated_link_replaces_the_old_one_and_a_revoked_one_goes(
    infra: Infrastructure, dunning: RunningService, dunning_smtp: SmtpSink, walking_clock: FixedClock
) -> None:
    walking_clock.set(datetime(2026, 3, 2, 2, tzinfo=UTC))
    old, new = (f"https://pay.example.cn/i/{uuid4().hex}{uuid4().hex[:11]}" for _ in range(2))
    rotated_to, revoked_for = f"{uuid4().hex[:10]}@example.cn", f"{uuid4().hex[:10]}@example.cn"
    for email, change in ((rotated_to, new), (revoked_for, None)):
        customer_id = uuid4()
        customer, issued, overdue = events(customer_id, email, f"INV-2026-{uuid4().hex[:6].upper()}", old)
        assert isinstance(issued, InvoiceIssued)
        changed = InvoiceHostedLinkChanged(
            customer_id=customer_id,
            invoice_id=issued.invoice_id,
            hosted_invoice_url=change,
            changed_at=datetime(2026, 2, 10, 2, tzinfo=UTC),
        )
        await publish_events(infra.bootstrap, customer, issued, changed, overdue)  # type: ignore[arg-type]
    text, rich = parts(await notice_to(dunning_smtp, rotated_to))
    assert new in text and new in rich and old not in text + rich
    text, rich = parts(await notice_to(dunning_smtp, revoked_for))
    assert "在线查看" not in text and old not in text + rich and html.fromstring(rich).xpath("//a") == []
