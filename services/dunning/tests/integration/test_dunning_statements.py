"""Statements (对账单) through the running service: StatementIssued sent to the customer like an invoice (the PDF
from its page, the link to confirm or dispute on), and StatementDisputed opening dunning's disputes on the
invoices it concerns, once, so only those stop being chased, until a later statement is confirmed."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

from lxml import html

from arflow.clock import FixedClock
from arflow.events.catalog import (
    DUNNING,
    ContactInfo,
    CustomerUpserted,
    DisputedInvoice,
    InvoiceOverdue,
    StatementBalance,
    StatementConfirmed,
    StatementDisputed,
    StatementIssued,
    StatementResponder,
    topic_of,
)
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure
from arflow.testing.kafka import collect_events, publish_events
from arflow.testing.services import RunningService
from arflow.testing.smtp import SmtpSink
from dunning.customers.repository import get_customer
from dunning.disputes.statements import statement_dispute_id

MORNING = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
SHA = hashlib.sha256(b"what the statement showed").hexdigest()


def balance(amount: str, currency: str = "CNY") -> StatementBalance:
    zero = Money.of("0.00", currency)
    owed = Money.of(amount, currency)
    return StatementBalance(
        currency=currency, opening_balance=zero, invoiced=owed, credited=zero, paid=zero, closing_balance=owed
    )


async def known(infra: Infrastructure, dunning: RunningService, upserted: CustomerUpserted) -> None:
    """The customer as dunning has it before the statement events come: those are on arflow.statements, the
    customer on arflow.invoicing, so nothing orders one after the other (a delivery queued for a customer not
    yet known waits for the sender's next try, later than these tests wait)."""
    await publish_events(infra.bootstrap, upserted)

    async def kept() -> bool:
        async with dunning.app.state.db.unit_of_work() as session:
            return await get_customer(session, upserted.customer_id) is not None

    await eventually(kept, what=f"customer {upserted.customer_id} in dunning")


def issued(customer_id: UUID, link: str | None, *, balances: list[StatementBalance]) -> StatementIssued:
    return StatementIssued(
        customer_id=customer_id,
        statement_id=uuid4(),
        statement_number=f"ST-2026-{uuid4().hex[:6].upper()}",
        period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 28),
        cycle="monthly",
        business_date=MORNING.date(),
        language="zh-CN",
        closing_balance=balances[0].closing_balance,
        balances=balances,
        content_sha256=SHA,
        hosted_statement_url=link,
        link_expires_on=date(2026, 5, 1),
        issued_at=MORNING,
    )


def overdue(customer_id: UUID, amount: str) -> InvoiceOverdue:
    return InvoiceOverdue(
        customer_id=customer_id,
        invoice_id=uuid4(),
        invoice_number=f"INV-2026-{uuid4().hex[:6].upper()}",
        invoice_date=date(2026, 1, 1),
        due_date=date(2026, 1, 31),
        total=Money.of(amount, "CNY"),
        amount_due=Money.of(amount, "CNY"),
        days_overdue=30,
        bucket="1-30",
        as_of=date(2026, 3, 2),
    )


def disputed(customer_id: UUID, statement_id: UUID, *invoices: InvoiceOverdue, end: date) -> StatementDisputed:
    return StatementDisputed(
        customer_id=customer_id,
        statement_id=statement_id,
        statement_number="ST-2026-000002",
        period_start=end.replace(day=1),
        period_end=end,
        disputed_invoice_ids=[i.invoice_id for i in invoices],
        invoices=[
            DisputedInvoice(invoice_id=i.invoice_id, invoice_number=i.invoice_number, open_amount=i.amount_due)
            for i in invoices
        ],
        balance_disputed=False,
        closing_balance=Money.of("3000.00", "CNY"),
        comment="货物未到，不应计入",
        responder=StatementResponder(name="王芳", title="财务经理"),
        content_sha256=SHA,
        business_date=MORNING.date(),
        disputed_at=MORNING,
    )


def confirmed(customer_id: UUID, *, end: date) -> StatementConfirmed:
    return StatementConfirmed(
        customer_id=customer_id,
        statement_id=uuid4(),
        statement_number="ST-2026-000003",
        period_start=end.replace(day=1),
        period_end=end,
        closing_balance=Money.of("1000.00", "CNY"),
        balances=[balance("1000.00")],
        content_sha256=SHA,
        responder=StatementResponder(name="王芳"),
        business_date=end + timedelta(days=2),
        confirmed_at=datetime.combine(end + timedelta(days=2), datetime.min.time(), tzinfo=UTC),
    )


async def get(dunning: RunningService, path: str, **params: Any) -> Any:
    response = await dunning.client.get(path, params={k: str(v) for k, v in params.items()})
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_issued_statement_is_emailed_with_its_pdf_and_the_link_to_confirm_it(
    infra: Infrastructure,
    dunning: RunningService,
    dunning_smtp: SmtpSink,
    hosted_pages: Any,
    walking_clock: FixedClock,
) -> None:
    walking_clock.set(MORNING)
    customer_id, email, link = uuid4(), f"{uuid4().hex[:10]}@example.cn", hosted_pages.link("s")
    statement = issued(customer_id, link, balances=[balance("4550.50"), balance("120.00", "USD")])
    upserted = CustomerUpserted(
        customer_id=customer_id,
        revision=1,
        legal_name="嘉兴南湖贸易有限公司",
        contacts=[ContactInfo(name="陈静", email=email)],
    )
    await known(infra, dunning, upserted)
    await publish_events(infra.bootstrap, statement, statement)  # twice: sent once

    async def mailed() -> list[EmailMessage]:
        return [m for m in dunning_smtp.messages if m["To"] == email]

    [message] = await eventually(mailed, what=f"the statement email to {email}")
    assert message["Subject"] == f"对账单 {statement.statement_number}（2026年2月1日至2026年2月28日）：请核对确认"
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    for expected in ("CNY 4,550.50", "人民币肆仟伍佰伍拾元伍角", "USD 120.00", link, "确认无误", "2026年5月1日"):
        assert expected in text, expected
    rich = message.get_body(("html",))
    assert rich is not None and [a.get("href") for a in html.fromstring(rich.get_content()).xpath("//a")] == [link]
    [attachment] = list(message.iter_attachments())
    token = urlsplit(link).path.split("/")[2]
    assert attachment.get_content() == hosted_pages.pdf_of(token, "zh-CN")
    assert attachment.get_filename() == f"{statement.statement_number}.pdf"

    async def sent() -> dict[str, Any] | None:
        found = (await get(dunning, "/statement-deliveries", statement_id=statement.statement_id))["data"]
        return found[0] if len(found) == 1 and found[0]["status"] == "sent" else None

    delivery = await eventually(sent, what="the statement's delivery sent")
    assert (delivery["statement_number"], delivery["recipient"], delivery["channel"]) == (
        statement.statement_number,
        email,
        "email",
    )
    assert (await get(dunning, "/invoice-deliveries", customer_id=customer_id))["data"] == []
    one = await dunning.client.get(f"/statement-deliveries/{delivery['id']}")
    assert one.status_code == 200 and one.json()["statement_id"] == str(statement.statement_id)
    assert (await dunning.client.get(f"/invoice-deliveries/{delivery['id']}")).status_code == 404
    again = await dunning.client.post(f"/statement-deliveries/{delivery['id']}/resend", json={"reason": "客户未收到"})
    assert again.status_code == 200 and again.json()["status"] == "queued", again.text
    await eventually(lambda: _count(dunning_smtp, email, 2), what="the statement sent again")


async def _count(sink: SmtpSink, email: str, count: int) -> bool:
    return len([m for m in sink.messages if m["To"] == email]) >= count


async def test_a_statement_dispute_stops_chasing_only_its_invoices_once_until_a_later_statement_is_confirmed(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    walking_clock.set(MORNING)
    customer_id = uuid4()
    kept, contested, later = (
        overdue(customer_id, "1000.00"),
        overdue(customer_id, "2000.00"),
        overdue(customer_id, "500.00"),
    )
    upserted = CustomerUpserted(
        customer_id=customer_id,
        revision=1,
        legal_name="宁波海曙贸易有限公司",
        contacts=[ContactInfo(name="王芳", email=f"{uuid4().hex[:10]}@example.cn")],
    )
    statement_id = uuid4()
    answer = disputed(customer_id, statement_id, contested, later, end=date(2026, 2, 28))
    # `later` is disputed before it falls overdue: it joins its case already disputed.
    await known(infra, dunning, upserted)
    await publish_events(infra.bootstrap, kept, contested, answer, answer, later)

    async def case() -> dict[str, Any] | None:
        cases = (await get(dunning, "/cases", customer_id=customer_id))["data"]
        if not cases:
            return None
        detail: dict[str, Any] = await get(dunning, f"/cases/{cases[0]['id']}")
        return detail if len(detail["items"]) == 3 else None

    detail = await eventually(case, what="the case with its three invoices")
    items = {i["invoice_id"]: i["disputed"] for i in detail["items"]}
    assert items == {str(kept.invoice_id): False, str(contested.invoice_id): True, str(later.invoice_id): True}
    [entry] = (await get(dunning, "/dry-run", case_id=detail["id"]))["data"]
    assert entry["amount_overdue"] == "1000.00"  # only the undisputed invoice is chased

    disputes = (await get(dunning, f"/cases/{detail['id']}/disputes"))["data"]
    assert sorted(d["dispute_id"] for d in disputes) == sorted(
        str(statement_dispute_id(statement_id, i.invoice_id)) for i in (contested, later)
    )
    assert {(d["source"], d["statement_id"], d["opened_on"]) for d in disputes} == {
        ("statement", str(statement_id), "2026-03-02")
    }
    assert all(d["reason"] == "对账单 ST-2026-000002 有差异：货物未到，不应计入" for d in disputes)
    paused = await collect_events(
        infra.bootstrap,
        topic_of(DUNNING),
        lambda e: e.type == "DunningPaused" and e.data.get("case_id") == detail["id"],
        count=1,
    )
    assert paused[0].data["reason"] == "dispute" and contested.invoice_number in paused[0].data["note"]

    # The customer confirms an older period's statement: nothing changes; then the next month's: settled.
    await publish_events(
        infra.bootstrap, confirmed(customer_id, end=date(2026, 1, 31)), confirmed(customer_id, end=date(2026, 3, 31))
    )

    async def settled() -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = (await get(dunning, f"/cases/{detail['id']}/disputes"))["data"]
        return found if all(d["resolved_at"] for d in found) else None

    for dispute in await eventually(settled, what="the statement disputes settled"):
        assert (dispute["resolved_by"], dispute["resolved_on"]) == ("statement ST-2026-000003 confirmed", "2026-04-02")
    after = await get(dunning, f"/cases/{detail['id']}")
    assert not any(i["disputed"] for i in after["items"])
    [entry] = (await get(dunning, "/dry-run", case_id=detail["id"]))["data"]
    assert entry["amount_overdue"] == "3500.00"


async def test_a_statement_dispute_is_resolved_by_hand_in_dunning(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    walking_clock.set(MORNING)
    customer_id = uuid4()
    contested = overdue(customer_id, "800.00")
    upserted = CustomerUpserted(customer_id=customer_id, revision=1, legal_name="温州鹿城鞋业有限公司")
    answer = disputed(customer_id, uuid4(), contested, end=date(2026, 2, 28))
    await known(infra, dunning, upserted)
    await publish_events(infra.bootstrap, contested, answer)

    async def disputed_case() -> dict[str, Any] | None:
        cases = (await get(dunning, "/cases", customer_id=customer_id))["data"]
        if not cases:
            return None
        found = (await get(dunning, f"/cases/{cases[0]['id']}/disputes"))["data"]
        return {"case": cases[0]["id"], "dispute": found[0]} if found else None

    found = await eventually(disputed_case, what="the statement dispute on the case")
    resolved = await dunning.client.post(
        f"/cases/{found['case']}/disputes/{found['dispute']['dispute_id']}/resolve", json={"operator": "李娜"}
    )
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["source"], resolved.json()["resolved_by"]) == ("statement", "李娜")
    detail = await get(dunning, f"/cases/{found['case']}")
    assert [i["disputed"] for i in detail["items"]] == [False]
