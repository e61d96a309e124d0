"""Invoice lifecycle: draft edits, void, write-off, credit notes, currencies, and gapless numbers under concurrency."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy import select

from arflow.clock import FixedClock
from arflow.db import Database
from arflow.events.catalog import Allocation, PaymentReceived
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService
from invoicing import domain
from invoicing.deps import SYSTEM
from invoicing.invoices.service import issue_invoice
from invoicing.models import Invoice

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
NewInvoice = Callable[..., Awaitable[dict[str, Any]]]
Recorded = Callable[..., Awaitable[list[dict[str, Any]]]]


async def test_a_draft_is_edited_and_its_totals_follow(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    customer = await new_customer()
    draft = await new_invoice(customer["id"], "100.00", issue=False)
    response = await invoicing.client.patch(
        f"/invoices/{draft['id']}",
        json={
            "invoice_date": "2026-02-01",
            "net_days": 15,
            "lines": [
                {"description": "代理记账", "unit_price": "300.00", "tax_rate": "0.06"},
                {"description": "印花税申报", "quantity": "2", "unit_price": "50.00", "tax_rate": "0.03"},
            ],
        },
    )
    assert response.status_code == 200, response.text
    edited = response.json()
    assert (edited["subtotal"], edited["tax_total"], edited["total"]) == ("400.00", "21.00", "421.00")
    assert (edited["due_date"], len(edited["lines"]), edited["number"]) == ("2026-02-16", 2, None)


async def test_an_issued_invoice_cannot_be_edited_or_deleted(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    customer = await new_customer()
    invoice = await new_invoice(customer["id"])
    edited = await invoicing.client.patch(f"/invoices/{invoice['id']}", json={"memo": "x"})
    assert (edited.status_code, edited.json()["code"]) == (409, "invoice_not_draft")
    deleted = await invoicing.client.delete(f"/invoices/{invoice['id']}")
    assert (deleted.status_code, deleted.json()["code"]) == (409, "invoice_not_draft")


async def test_a_draft_can_be_deleted(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    customer = await new_customer()
    draft = await new_invoice(customer["id"], issue=False)
    assert (await invoicing.client.delete(f"/invoices/{draft['id']}")).status_code == 204
    assert (await invoicing.client.get(f"/invoices/{draft['id']}")).status_code == 404


async def test_voiding_an_open_invoice_publishes_invoice_voided(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice, recorded: Recorded
) -> None:
    customer = await new_customer()
    invoice = await new_invoice(customer["id"])
    response = await invoicing.client.post(f"/invoices/{invoice['id']}/void", json={"reason": "开错客户"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "void"
    [event] = await recorded("InvoiceVoided", invoice_id=invoice["id"])
    assert (event["reason"], event["total"]["amount"]) == ("开错客户", "300.00")
    again = await invoicing.client.post(f"/invoices/{invoice['id']}/void", json={"reason": "again"})
    assert (again.status_code, again.json()["code"]) == (409, "invoice_not_open")


async def test_a_written_off_invoice_is_uncollectible_yet_still_payable(
    invoicing: RunningService,
    infra: TestInfrastructure,
    new_customer: NewCustomer,
    new_invoice: NewInvoice,
    recorded: Recorded,
) -> None:
    customer = await new_customer()
    invoice = await new_invoice(customer["id"], "500.00")
    response = await invoicing.client.post(
        f"/invoices/{invoice['id']}/write-off", json={"reason": "客户失联", "written_off_on": "2026-03-01"}
    )
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["amount_written_off"]) == ("uncollectible", "500.00")
    [event] = await recorded("InvoiceWrittenOff", invoice_id=invoice["id"])
    assert event["amount_written_off"]["amount"] == "500.00"
    paid = PaymentReceived(
        customer_id=uuid.UUID(customer["id"]),
        payment_id=uuid.uuid4(),
        amount=Money.of("500.00", "CNY"),
        received_on=date(2026, 3, 20),
        source="manual",
        allocations=[Allocation(invoice_id=uuid.UUID(invoice["id"]), amount=Money.of("500.00", "CNY"))],
    )
    await publish_events(infra.bootstrap, paid)

    async def settled() -> bool:
        status: str = (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()["status"]
        return status == "paid"

    await eventually(settled, what="the written-off invoice to be paid")


async def test_money_nobody_allocated_passes_a_written_off_invoice_by(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    """By age, a payment pays the open invoice and keeps the rest as credit: recovering bad debt is decided by
    whoever names the invoice (an exact reference, a person), not by the oldest due date."""
    customer = await new_customer()
    written_off = await new_invoice(customer["id"], "500.00")
    written = await invoicing.client.post(
        f"/invoices/{written_off['id']}/write-off", json={"reason": "客户失联", "written_off_on": "2026-03-01"}
    )
    assert written.status_code == 200, written.text
    current = await new_invoice(customer["id"], "300.00")
    unallocated = PaymentReceived(
        customer_id=uuid.UUID(customer["id"]),
        payment_id=uuid.uuid4(),
        amount=Money.of("800.00", "CNY"),
        received_on=date(2026, 3, 20),
        source="manual",
        allocations=[],
    )
    await publish_events(infra.bootstrap, unallocated)

    async def current_paid() -> bool:
        status: str = (await invoicing.client.get(f"/invoices/{current['id']}")).json()["status"]
        return status == "paid"

    await eventually(current_paid, what="the open invoice to be paid by age")
    still = (await invoicing.client.get(f"/invoices/{written_off['id']}")).json()
    assert (still["status"], still["balance"]) == ("uncollectible", "500.00")
    balance = (await invoicing.client.get(f"/customers/{customer['id']}/balance")).json()
    [cny] = balance["balances"]
    assert cny["unapplied_credit"] == "500.00"


async def test_a_written_off_invoice_cannot_be_voided(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice, recorded: Recorded
) -> None:
    customer = await new_customer()
    invoice = await new_invoice(customer["id"], "1000.00")
    written = await invoicing.client.post(
        f"/invoices/{invoice['id']}/write-off", json={"reason": "客户失联", "written_off_on": "2026-03-01"}
    )
    assert written.status_code == 200, written.text
    period = {"from": "2026-01-01", "to": "2026-03-31", "customer_id": customer["id"]}
    before = (await invoicing.client.get("/reports/kpis", params=period)).json()
    response = await invoicing.client.post(f"/invoices/{invoice['id']}/void", json={"reason": "x"})
    assert (response.status_code, response.json().get("code")) == (409, "invoice_not_open"), response.text
    assert "written off" in response.json()["detail"]
    assert (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()["status"] == "uncollectible"
    assert await recorded("InvoiceVoided", invoice_id=invoice["id"]) == []
    after = (await invoicing.client.get("/reports/kpis", params=period)).json()
    assert after == before
    [kpi] = after["data"]
    assert (kpi["closing_receivables"], kpi["written_off"]) == ("0.00", "1000.00")


async def test_credit_notes_reduce_the_balance_and_a_full_one_settles_it(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice, recorded: Recorded
) -> None:
    customer = await new_customer()
    invoice = await new_invoice(customer["id"], "300.00")
    partial = await invoicing.client.post(
        f"/invoices/{invoice['id']}/credit-notes", json={"amount": "100.00", "reason": "服务未满月"}
    )
    assert partial.status_code == 201, partial.text
    assert partial.json()["number"].startswith("CN-2026-")
    state = (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()
    assert (state["amount_credited"], state["balance"], state["status"]) == ("100.00", "200.00", "open")
    too_much = await invoicing.client.post(
        f"/invoices/{invoice['id']}/credit-notes", json={"amount": "200.01", "reason": "x"}
    )
    assert (too_much.status_code, too_much.json()["code"]) == (422, "credit_exceeds_balance")
    full = await invoicing.client.post(f"/invoices/{invoice['id']}/credit-notes", json={"reason": "合同取消"})
    assert full.json()["amount"] == "200.00"
    state = (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()
    assert (state["balance"], state["status"]) == ("0.00", "paid")
    events = await recorded("CreditNoteIssued", invoice_id=invoice["id"])
    assert [e["amount"]["amount"] for e in events] == ["100.00", "200.00"]
    assert await recorded("InvoicePaid", invoice_id=invoice["id"])
    notes = await invoicing.client.get("/credit-notes", params={"invoice_id": invoice["id"]})
    assert [n["amount"] for n in notes.json()["data"]] == ["200.00", "100.00"]


async def test_a_voided_invoice_with_payments_is_refused(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    customer = await new_customer()
    invoice = await new_invoice(customer["id"], "300.00")
    await invoicing.client.post(f"/invoices/{invoice['id']}/credit-notes", json={"amount": "1.00", "reason": "x"})
    response = await invoicing.client.post(f"/invoices/{invoice['id']}/void", json={"reason": "x"})
    assert (response.status_code, response.json()["code"]) == (409, "invoice_has_settlements")


async def test_each_invoice_has_its_own_currency_and_minor_unit(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    customer = await new_customer()
    yen = await new_invoice(customer["id"], "1000.5", currency="JPY")
    dollars = await new_invoice(customer["id"], "99.995", currency="USD")
    assert (yen["currency"], yen["total"]) == ("JPY", "1001")
    assert (dollars["currency"], dollars["total"]) == ("USD", "100.00")
    listed = await invoicing.client.get("/invoices", params={"customer_id": customer["id"], "currency": "JPY"})
    assert [i["id"] for i in listed.json()["data"]] == [yen["id"]]


async def test_invoices_issued_concurrently_by_two_replicas_are_numbered_gapless_and_unique(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    customer = await new_customer()
    year = 2031  # a year of its own, so no other test takes numbers from the series
    drafts = [await new_invoice(customer["id"], "10.00", issue=False, invoice_date=f"{year}-01-05") for _ in range(40)]
    # A second replica: its own engine and connection pool on the same database.
    replica = Database(invoicing.app.state.db.engine.url, pool_size=10)
    clock = FixedClock(invoicing.app.state.clock.now())

    async def through_replica(invoice_id: str) -> None:
        async with replica.unit_of_work() as session:
            await issue_invoice(session, actor=SYSTEM, clock=clock, invoice_id=uuid.UUID(invoice_id))

    async def through_api(invoice_id: str) -> None:
        response = await invoicing.client.post(f"/invoices/{invoice_id}/issue")
        assert response.status_code == 200, response.text

    created: list[str] = []

    async def created_issued() -> None:  # the other path: created and issued in one POST
        invoice = await new_invoice(customer["id"], "10.00", invoice_date=f"{year}-01-06")
        created.append(invoice["id"])

    try:
        await asyncio.gather(
            *((through_api if n % 2 else through_replica)(draft["id"]) for n, draft in enumerate(drafts)),
            *(created_issued() for _ in range(20)),
        )
    finally:
        await replica.dispose()
    ids = [uuid.UUID(i) for i in [d["id"] for d in drafts] + created]
    async with invoicing.app.state.db.sessions() as session:
        query = select(Invoice.number, Invoice.payment_reference).where(Invoice.id.in_(ids))
        rows = (await session.execute(query)).all()
    assert sorted(number for number, _ in rows) == [f"INV-{year}-{n:06d}" for n in range(1, 61)]
    # the number and its RF reference are written by one SQL statement: each must be the domain's reference
    assert all(reference == domain.rf_creditor_reference(number) for number, reference in rows)


async def test_a_recovered_write_off_leaves_receivables_once_and_nets_the_bad_debt(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    """坏账收回 in the management figures: 500.00 written off in March, 300.00 recovered in April, 200.00 in May.
    The write-off took the 500.00 out of receivables; each recovery comes back against it as the payment takes it
    out, so receivables never go below zero, and the month's write-off is net of what came back."""
    customer = await new_customer()
    invoice = await new_invoice(customer["id"], "500.00")
    written = await invoicing.client.post(
        f"/invoices/{invoice['id']}/write-off", json={"reason": "客户失联", "written_off_on": "2026-03-10"}
    )
    assert written.status_code == 200, written.text

    async def recover(amount: str, on: date) -> None:
        recovery = PaymentReceived(
            customer_id=uuid.UUID(customer["id"]),
            payment_id=uuid.uuid4(),
            amount=Money.of(amount, "CNY"),
            received_on=on,
            source="manual",
            allocations=[Allocation(invoice_id=uuid.UUID(invoice["id"]), amount=Money.of(amount, "CNY"))],
        )
        await publish_events(infra.bootstrap, recovery)

    await recover("300.00", date(2026, 4, 15))
    await recover("200.00", date(2026, 5, 20))

    async def settled() -> bool:
        status: str = (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()["status"]
        return status == "paid"

    await eventually(settled, what="the written-off invoice recovered in full")
    params = {"from": "2026-03-01", "to": "2026-05-31", "customer_id": customer["id"]}
    series = (await invoicing.client.get("/reports/kpis/monthly", params=params)).json()["data"]
    figures = [(k["period_start"], k["closing_receivables"], k["collected"], k["written_off"]) for k in series]
    assert figures == [
        ("2026-03-01", "0.00", "0.00", "500.00"),
        ("2026-04-01", "0.00", "300.00", "-300.00"),
        ("2026-05-01", "0.00", "200.00", "-200.00"),
    ]
    whole = (await invoicing.client.get("/reports/kpis", params=params)).json()["data"]
    [cny] = whole
    assert (cny["closing_receivables"], cny["written_off"], cny["collected"]) == ("0.00", "0.00", "500.00")
