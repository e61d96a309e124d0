"""The statement cycle through the API: issued once per customer and period, frozen with its hash, told on its topic.

A hand-worked February 2026 for one customer: opening 1,000.00 (A, dated 01-10), B 500.00 dated 02-03,
600.00 of A paid on 02-15, so the closing balance is 900.00, A 400.00 and B 500.00 open on 02-28.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest
from pypdf import PdfReader

from arflow.events.catalog import Allocation, PaymentReceived, StatementIssued
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
NewInvoice = Callable[..., Awaitable[dict[str, Any]]]
Recorded = Callable[..., Awaitable[list[dict[str, Any]]]]


async def pay(invoicing: RunningService, infra: TestInfrastructure, customer_id: str, invoice: dict[str, Any]) -> None:
    await publish_events(
        infra.bootstrap,
        PaymentReceived(
            customer_id=uuid.UUID(customer_id),
            payment_id=uuid.uuid4(),
            amount=Money.of("600.00", "CNY"),
            received_on=date(2026, 2, 15),
            source="bank_statement",
            allocations=[Allocation(invoice_id=uuid.UUID(invoice["id"]), amount=Money.of("600.00", "CNY"))],
        ),
    )

    async def applied() -> bool:
        balance: str = (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()["balance"]
        return balance == "400.00"

    await eventually(applied, what="the February payment")


@pytest.fixture
async def february(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer, new_invoice: NewInvoice
) -> dict[str, Any]:
    customer = await new_customer(legal_name="杭州云帆科技有限公司")
    a = await new_invoice(customer["id"], "1000.00", invoice_date="2026-01-10", net_days=30)
    b = await new_invoice(customer["id"], "500.00", invoice_date="2026-02-03", net_days=30)
    await pay(invoicing, infra, customer["id"], a)
    return {"customer": customer, "a": a, "b": b}


async def issue(invoicing: RunningService, customer_id: str, **body: Any) -> Any:
    return await invoicing.client.post("/statements", json={"customer_id": customer_id, **body})


async def test_a_statement_freezes_the_period_and_tells_it(
    invoicing: RunningService, february: dict[str, Any], recorded: Recorded
) -> None:
    customer, a, b = february["customer"], february["a"], february["b"]
    response = await issue(invoicing, customer["id"])  # the last whole month: February
    assert response.status_code == 201, response.text
    statement = response.json()
    assert (statement["period_start"], statement["period_end"]) == ("2026-02-01", "2026-02-28")
    assert statement["status"] == "issued" and statement["cycle"] == "on_demand"
    assert statement["business_date"] == "2026-03-02"  # the customer's day (Shanghai) when it was issued
    [cny] = statement["balances"]
    assert (cny["opening_balance"], cny["invoiced"], cny["paid"], cny["closing_balance"]) == (
        "1000.00",
        "500.00",
        "600.00",
        "900.00",
    )
    assert statement["hosted_statement_url"].startswith("http://127.0.0.1:8001/s/")
    assert statement["link"]["status"] == "active" and statement["link"]["expires_on"] == "2026-05-01"

    detail = (await invoicing.client.get(f"/statements/{statement['id']}")).json()
    assert detail["hosted_statement_url"] is None  # only the hash is kept
    lines = detail["content"]["statement"]["currencies"][0]["entries"]
    assert [(line["kind"], line["invoice_number"]) for line in lines] == [
        ("invoice", b["number"]),
        ("payment", a["number"]),
    ]
    assert detail["content"]["invoice_ids"] == {a["number"]: a["id"], b["number"]: b["id"]}
    assert {i["invoice_id"]: i["open_amount"] for i in detail["content"]["open_invoices"]} == {
        a["id"]: "400.00",
        b["id"]: "500.00",
    }
    # The bytes frozen are exactly what the hash is of, and what the detail shows.
    raw = await invoicing.client.get(f"/statements/{statement['id']}/content")
    assert hashlib.sha256(raw.content).hexdigest() == statement["content_sha256"]
    assert json.loads(raw.content) == detail["content"]

    [event] = await recorded("StatementIssued", statement_id=statement["id"])
    told = StatementIssued.model_validate(event)
    assert told.closing_balance == Money.of("900.00", "CNY")
    assert told.hosted_statement_url == statement["hosted_statement_url"]
    assert told.content_sha256 == statement["content_sha256"]
    assert {str(i) for i in told.open_invoice_ids} == {a["id"], b["id"]}
    assert (told.period_start, told.business_date) == (date(2026, 2, 1), date(2026, 3, 2))


async def test_issuing_again_answers_the_same_statement(
    invoicing: RunningService, february: dict[str, Any], recorded: Recorded
) -> None:
    customer_id = february["customer"]["id"]
    period = {"period_start": "2026-02-01", "period_end": "2026-02-28"}
    first = await issue(invoicing, customer_id, **period)
    again = await issue(invoicing, customer_id, **period)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["content_sha256"] == first.json()["content_sha256"]
    assert len(await recorded("StatementIssued", customer_id=customer_id)) == 1


async def test_a_period_not_over_is_refused(invoicing: RunningService, new_customer: NewCustomer) -> None:
    customer = await new_customer()
    response = await issue(invoicing, customer["id"], period_start="2026-03-01", period_end="2026-03-31")
    assert response.status_code == 422
    assert response.json()["code"] == "statement_period_not_ended"
    listed = (await invoicing.client.get("/statements", params={"customer_id": customer["id"]})).json()
    assert listed["data"] == []


async def test_the_job_issues_each_period_once(
    invoicing: RunningService, february: dict[str, Any], recorded: Recorded, new_customer: NewCustomer
) -> None:
    customer_id = february["customer"]["id"]
    quiet = await new_customer()  # nothing billed: nothing to confirm, no statement
    opted_out = await new_customer()
    put = await invoicing.client.put(f"/customers/{opted_out['id']}/statement-schedule", json={"cycle": "none"})
    assert put.status_code == 200 and put.json()["next_period_start"] is None

    async def run(as_of: str) -> dict[str, Any]:
        response = await invoicing.client.post("/admin/jobs/statement-cycle/runs", json={"as_of": as_of})
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()["result"]
        return result

    await run("2026-03-01T02:00:00Z")
    await run("2026-03-01T03:00:00Z")  # the hour after: nothing new
    [march] = await recorded("StatementIssued", customer_id=customer_id)
    assert (march["period_start"], march["cycle"], march["business_date"]) == ("2026-02-01", "monthly", "2026-03-01")
    await run("2026-04-01T02:00:00Z")  # a new month: March's statement, once
    await run("2026-04-01T02:30:00Z")
    issued = await recorded("StatementIssued", customer_id=customer_id)
    assert [e["period_end"] for e in issued] == ["2026-02-28", "2026-03-31"]
    assert await recorded("StatementIssued", customer_id=quiet["id"]) == []
    assert await recorded("StatementIssued", customer_id=opted_out["id"]) == []
    listed = await invoicing.client.get("/statements", params={"customer_id": customer_id, "period": "2026-03"})
    assert [s["period_end"] for s in listed.json()["data"]] == ["2026-03-31"]


async def test_a_quarterly_schedule_waits_for_its_day(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice, recorded: Recorded
) -> None:
    customer = await new_customer()
    await new_invoice(customer["id"], "300.00", invoice_date="2026-02-10")
    put = await invoicing.client.put(
        f"/customers/{customer['id']}/statement-schedule", json={"cycle": "quarterly", "day": 5}
    )
    assert put.status_code == 200, put.text
    assert put.json()["is_default"] is False
    for as_of in ("2026-04-04T02:00:00Z", "2026-04-05T02:00:00Z", "2026-05-01T02:00:00Z"):
        await invoicing.client.post("/admin/jobs/statement-cycle/runs", json={"as_of": as_of})
    issued = await recorded("StatementIssued", customer_id=customer["id"])
    # 04-04: the first quarter's day has not come, and the last quarter of 2025 had nothing to confirm
    assert [(e["period_start"], e["period_end"], e["business_date"]) for e in issued] == [
        ("2026-01-01", "2026-03-31", "2026-04-05")
    ]


async def test_schedule_refuses_a_day_past_the_28th(invoicing: RunningService, new_customer: NewCustomer) -> None:
    customer = await new_customer()
    response = await invoicing.client.put(
        f"/customers/{customer['id']}/statement-schedule", json={"cycle": "monthly", "day": 31}
    )
    assert response.status_code == 422
    default = (await invoicing.client.get(f"/customers/{customer['id']}/statement-schedule")).json()
    assert (default["cycle"], default["day"], default["is_default"]) == ("monthly", 1, True)
    assert (default["next_period_start"], default["next_issue_on"]) == ("2026-03-01", "2026-04-01")


async def test_the_pdf_is_drawn_from_what_was_frozen(invoicing: RunningService, february: dict[str, Any]) -> None:
    statement = (await issue(invoicing, february["customer"]["id"])).json()
    response = await invoicing.client.get(f"/statements/{statement['id']}/pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert statement["number"] in text
    assert "900.00" in text and "杭州云帆科技有限公司" in text


async def test_an_unknown_statement_is_404(invoicing: RunningService) -> None:
    response = await invoicing.client.get(f"/statements/{uuid.uuid4()}")
    assert response.status_code == 404 and response.json()["code"] == "statement_not_found"
