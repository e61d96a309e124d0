"""Customers' confirmations and disputes of their statements (对账确认) reach the credit file through the real
broker, once each, dated by the customer's day of answering (issue 20); they do not move the score."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text

from arflow.events.catalog import (
    CustomerUpserted,
    DisputedInvoice,
    DisputedLine,
    InvoiceIssued,
    StatementBalance,
    StatementConfirmed,
    StatementDisputed,
    StatementResponder,
)
from arflow.events.envelope import wrap
from arflow.ids import uuid7
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService

CNY = "CNY"
SHA = "ab" * 32


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


def money(amount: str) -> Money:
    return Money.of(amount, CNY)


def balance(closing: str) -> StatementBalance:
    return StatementBalance(
        currency=CNY,
        opening_balance=money("0.00"),
        invoiced=money(closing),
        credited=money("0.00"),
        paid=money("0.00"),
        closing_balance=money(closing),
    )


def issued(customer_id: UUID, invoice_id: UUID, total: str) -> InvoiceIssued:
    return InvoiceIssued(
        customer_id=customer_id,
        invoice_id=invoice_id,
        invoice_number=f"INV-2026-{invoice_id.hex[-6:]}",
        currency=CNY,
        subtotal=money(total),
        tax_total=Money.zero(CNY),
        total=money(total),
        invoice_date=date(2026, 2, 1),
        due_date=date(2026, 3, 3),
        net_days=30,
        payment_reference="RF18INV2026000001",
        issued_at=at(date(2026, 2, 1)),
    )


def confirmed(customer_id: UUID, number: str, period_end: date, closing: str, on: date) -> StatementConfirmed:
    return StatementConfirmed(
        customer_id=customer_id,
        statement_id=uuid7(),
        statement_number=number,
        period_start=period_end.replace(day=1),
        period_end=period_end,
        closing_balance=money(closing),
        balances=[balance(closing)],
        content_sha256=SHA,
        responder=StatementResponder(name="李娜", title="财务经理"),
        business_date=on,
        confirmed_at=at(on),
    )


def disputed(customer_id: UUID, invoice: InvoiceIssued, number: str, period_end: date, on: date) -> StatementDisputed:
    return StatementDisputed(
        customer_id=customer_id,
        statement_id=uuid7(),
        statement_number=number,
        period_start=period_end.replace(day=1),
        period_end=period_end,
        disputed_invoice_ids=[invoice.invoice_id],
        invoices=[
            DisputedInvoice(
                invoice_id=invoice.invoice_id, invoice_number=invoice.invoice_number, open_amount=invoice.total
            )
        ],
        lines=[
            DisputedLine(
                line_no=1,
                kind="invoice",
                entry_date=invoice.invoice_date,
                document=invoice.invoice_number,
                invoice_id=invoice.invoice_id,
                invoice_number=invoice.invoice_number,
                amount_on_statement=invoice.total,
                amount_customer_sees=money("800.00"),
            )
        ],
        balance_disputed=True,
        closing_balance=money("1000.00"),
        balance_customer_sees=money("800.00"),
        comment="二月服务费应按合同打八折",
        responder=StatementResponder(name="王强"),
        content_sha256=SHA,
        business_date=on,
        disputed_at=at(on),
    )


async def known_customer(service: RunningService, infra: TestInfrastructure) -> tuple[UUID, InvoiceIssued]:
    customer_id = uuid7()
    invoice = issued(customer_id, uuid7(), "1000.00")
    await publish_events(
        infra.bootstrap,
        CustomerUpserted(customer_id=customer_id, revision=1, legal_name="宁波远洋贸易有限公司"),
        invoice,
    )
    await file_when(service, customer_id, lambda f: f["invoices_issued"] == 1, "the invoice")
    return customer_id, invoice


async def file_when(service: RunningService, customer_id: UUID, condition: Any, what: str, **params: str) -> Any:
    async def probe() -> Any:
        response = await service.client.get(f"/credit-files/{customer_id}", params=params)
        return response.json() if response.status_code == 200 and condition(response.json()) else None

    return await eventually(probe, within=15, what=what)


async def test_a_dispute_and_a_later_confirmation_show_in_the_file_with_dates_amounts_and_responder(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id, invoice = await known_customer(credit_scoring, infra)
    before = (await credit_scoring.client.get(f"/credit-files/{customer_id}")).json()
    assert before["statements"] == {
        "confirmed": 0,
        "disputed": 0,
        "disputed_open": 0,
        "last_confirmed_on": None,
        "last_confirmed_period_end": None,
        "last_confirmed_balance": None,
        "last_confirmed_currency": None,
        "answers": [],
    }
    dispute = disputed(customer_id, invoice, "ST-2026-02-0001", date(2026, 2, 28), date(2026, 3, 5))
    told = wrap(dispute, occurred_at=at(date(2026, 3, 5)), traceparent=None)
    await publish_events(infra.bootstrap, told, told)  # delivered twice
    file = await file_when(credit_scoring, customer_id, lambda f: f["statements"]["disputed"] >= 1, "the dispute")
    (answer,) = file["statements"]["answers"]
    assert answer == {
        "statement_id": str(dispute.statement_id),
        "statement_number": "ST-2026-02-0001",
        "period_start": "2026-02-01",
        "period_end": "2026-02-28",
        "answer": "disputed",
        "answered_on": "2026-03-05",
        "responder": {"name": "王强", "title": None},
        "currency": "CNY",
        "closing_balance": "1000.00",
        "balance_customer_sees": "800.00",
        "balance_disputed": True,
        "disputed_invoices": [
            {
                "invoice_id": str(invoice.invoice_id),
                "invoice_number": invoice.invoice_number,
                "open_amount": "1000.00",
                "currency": "CNY",
            }
        ],
        "comment": "二月服务费应按合同打八折",
        "open": True,
    }
    assert file["statements"]["disputed_open"] == 1

    march = confirmed(customer_id, "ST-2026-03-0001", date(2026, 3, 31), "800.00", date(2026, 4, 3))
    again = confirmed(customer_id, "ST-2026-03-0001", date(2026, 3, 31), "800.00", date(2026, 4, 3))
    # The same statement told again under another event id, now saying something else: the first answer stands.
    other = disputed(customer_id, invoice, "ST-2026-03-0001", date(2026, 3, 31), date(2026, 4, 4))
    await publish_events(
        infra.bootstrap,
        march,
        again.model_copy(update={"statement_id": march.statement_id}),
        other.model_copy(update={"statement_id": march.statement_id}),
    )
    file = await file_when(credit_scoring, customer_id, lambda f: f["statements"]["confirmed"] == 1, "the confirmation")
    statements = file["statements"]
    assert [(a["statement_number"], a["answer"], a["open"]) for a in statements["answers"]] == [
        ("ST-2026-03-0001", "confirmed", None),
        ("ST-2026-02-0001", "disputed", False),  # the balance carried forward was agreed since
    ]
    assert statements["answers"][0]["responder"] == {"name": "李娜", "title": "财务经理"}
    assert (statements["disputed"], statements["disputed_open"]) == (1, 0)
    assert (statements["last_confirmed_on"], statements["last_confirmed_balance"]) == ("2026-04-03", "800.00")

    earlier = await file_when(credit_scoring, customer_id, lambda f: True, "the file on 31 March", as_of="2026-03-31")
    assert [a["answer"] for a in earlier["statements"]["answers"]] == ["disputed"]
    assert earlier["statements"]["disputed_open"] == 1 and earlier["statements"]["last_confirmed_on"] is None


async def test_a_statement_dispute_is_not_a_scoring_signal(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id, invoice = await known_customer(credit_scoring, infra)
    scores = (await credit_scoring.client.get(f"/credit-files/{customer_id}/scores")).json()["data"]
    before = (await credit_scoring.client.get(f"/credit-files/{customer_id}")).json()
    await publish_events(
        infra.bootstrap,
        disputed(customer_id, invoice, "ST-2026-02-0009", date(2026, 2, 28), date(2026, 3, 5)),
        confirmed(customer_id, "ST-2026-01-0009", date(2026, 1, 31), "0.00", date(2026, 2, 3)),
    )
    after = await file_when(credit_scoring, customer_id, lambda f: len(f["statements"]["answers"]) == 2, "the answers")
    unchanged = {k: v for k, v in after.items() if k != "statements"}
    assert unchanged == {k: v for k, v in before.items() if k != "statements"}
    assert after["disputes_open"] == 0 and not after["payment_experiences"][0]["disputed"]
    assert (await credit_scoring.client.get(f"/credit-files/{customer_id}/scores")).json()["data"] == scores


async def test_an_answer_heard_before_its_customer_shows_once_the_customer_is_known(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id = uuid7()
    answer = confirmed(customer_id, "ST-2026-03-0042", date(2026, 3, 31), "2500.00", date(2026, 4, 2))
    await publish_events(infra.bootstrap, answer)

    async def filed() -> bool:
        async with credit_scoring.app.state.db.unit_of_work() as session:
            held = await session.scalar(
                text("SELECT answer FROM statement_answer WHERE statement_id = :id"), {"id": answer.statement_id}
            )
        return bool(held == "confirmed")

    await eventually(filed, what="the answer to be filed")
    unknown = await credit_scoring.client.get(f"/credit-files/{customer_id}")
    assert unknown.status_code == 404  # nothing else is known of the customer yet: the answer made no file
    await publish_events(infra.bootstrap, CustomerUpserted(customer_id=customer_id, revision=1, legal_name="某公司"))
    file = await file_when(credit_scoring, customer_id, lambda f: f["statements"]["confirmed"] == 1, "the answer")
    assert file["statements"]["last_confirmed_balance"] == "2500.00"
