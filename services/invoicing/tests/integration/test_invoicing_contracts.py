"""Recurring service contracts: calendar periods, proration, pause / cancel, and exactly one invoice per period."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import update

from arflow.testing.services import RunningService
from invoicing.models import ServiceContract

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]


async def new_contract(invoicing: RunningService, customer_id: str, **fields: object) -> dict[str, Any]:
    body = {
        "customer_id": customer_id,
        "cycle": "monthly",
        "start_date": "2026-01-15",
        "lines": [{"description": "代理记账服务费", "unit_price": "300.00", "tax_rate": "0.06"}],
        **fields,
    }
    response = await invoicing.client.post("/contracts", json=body)
    assert response.status_code == 201, response.text
    contract: dict[str, Any] = response.json()
    return contract


async def bill(invoicing: RunningService, as_of: str) -> dict[str, Any]:
    response = await invoicing.client.post("/admin/jobs/recurring-billing/runs", json={"as_of": as_of})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "succeeded", response.text
    result: dict[str, Any] = response.json()["result"]
    return result


async def contract_invoices(invoicing: RunningService, customer_id: str) -> list[dict[str, Any]]:
    listed = await invoicing.client.get("/invoices", params={"customer_id": customer_id, "limit": 100})
    return sorted(listed.json()["data"], key=lambda i: i["invoice_date"])


async def test_a_monthly_contract_bills_each_month_once_and_prorates_the_first(
    invoicing: RunningService, new_customer: NewCustomer
) -> None:
    customer = await new_customer()
    await new_contract(invoicing, customer["id"])
    await bill(invoicing, "2026-03-02T02:00:00Z")
    await bill(invoicing, "2026-03-02T03:00:00Z")  # again: nothing new
    invoices = await contract_invoices(invoicing, customer["id"])
    assert [(i["invoice_date"], i["subtotal"], i["status"]) for i in invoices] == [
        ("2026-01-15", "164.52", "open"),  # 17/31 of a month
        ("2026-02-01", "300.00", "open"),
        ("2026-03-01", "300.00", "open"),
    ]
    assert "2026-01-15..2026-01-31" in invoices[0]["lines"][0]["description"]


async def test_two_concurrent_runs_bill_each_period_once(invoicing: RunningService, new_customer: NewCustomer) -> None:
    customer = await new_customer()
    await new_contract(invoicing, customer["id"], cycle="quarterly", start_date="2026-01-01")
    await asyncio.gather(bill(invoicing, "2026-07-02T02:00:00Z"), bill(invoicing, "2026-07-02T02:00:00Z"))
    invoices = await contract_invoices(invoicing, customer["id"])
    assert [i["invoice_date"] for i in invoices] == ["2026-01-01", "2026-04-01", "2026-07-01"]


async def test_a_cancelled_contract_bills_its_last_period_up_to_the_cancellation(
    invoicing: RunningService, new_customer: NewCustomer
) -> None:
    customer = await new_customer()
    contract = await new_contract(invoicing, customer["id"], start_date="2026-05-01", auto_issue=False)
    await bill(invoicing, "2026-05-02T02:00:00Z")
    cancelled = await invoicing.client.post(f"/contracts/{contract['id']}/cancel", json={"cancelled_on": "2026-06-10"})
    assert cancelled.json()["status"] == "cancelled"
    await bill(invoicing, "2026-08-01T02:00:00Z")
    invoices = await contract_invoices(invoicing, customer["id"])
    assert [(i["invoice_date"], i["subtotal"], i["status"]) for i in invoices] == [
        ("2026-05-01", "300.00", "draft"),  # auto_issue false: left as drafts
        ("2026-06-01", "100.00", "draft"),  # 10/30 of June
    ]


async def test_periods_that_start_while_paused_are_not_billed(
    invoicing: RunningService, new_customer: NewCustomer, invoicing_clock: object
) -> None:
    customer = await new_customer()
    contract = await new_contract(invoicing, customer["id"], start_date="2026-03-01")
    paused = await invoicing.client.post(f"/contracts/{contract['id']}/pause")  # the test clock: 2026-03-02
    assert paused.json()["status"] == "paused"
    assert (await bill(invoicing, "2026-05-02T02:00:00Z")) == {
        "issued": 0,
        "drafts": 0,
        "zero_total_drafts": [],
        "failed": [],
        "credit_hold": [],
    }
    resumed = await invoicing.client.post(f"/contracts/{contract['id']}/resume")
    assert (resumed.json()["status"], resumed.json()["bill_from"]) == ("active", "2026-03-02")
    await bill(invoicing, "2026-05-02T02:00:00Z")
    invoices = await contract_invoices(invoicing, customer["id"])
    assert [i["invoice_date"] for i in invoices] == ["2026-04-01", "2026-05-01"]


async def test_a_contract_ending_before_it_starts_is_refused(
    invoicing: RunningService, new_customer: NewCustomer
) -> None:
    customer = await new_customer()
    response = await invoicing.client.post(
        "/contracts",
        json={
            "customer_id": customer["id"],
            "start_date": "2026-05-01",
            "end_date": "2026-04-01",
            "lines": [{"description": "x", "unit_price": "1.00"}],
        },
    )
    assert response.status_code == 422


async def test_a_period_totalling_zero_is_left_a_draft_and_reported_while_the_others_are_billed(
    invoicing: RunningService, new_customer: NewCustomer
) -> None:
    good, free, tiny = await new_customer(), await new_customer(), await new_customer()
    period = {"start_date": "2026-01-01", "end_date": "2026-02-28"}
    await new_contract(invoicing, good["id"], **period)
    await new_contract(invoicing, free["id"], **period, lines=[{"description": "免费试用", "unit_price": "0.00"}])
    # 0.10 a month for one day of January: 0.10 × 1/31 rounds to 0.00
    await new_contract(
        invoicing,
        tiny["id"],
        start_date="2026-01-31",
        end_date="2026-01-31",
        lines=[{"description": "短信通知", "unit_price": "0.10"}],
    )
    result = await bill(invoicing, "2026-03-02T02:00:00Z")  # the job succeeds
    invoices = await contract_invoices(invoicing, good["id"])
    assert [(i["invoice_date"], i["subtotal"], i["status"]) for i in invoices] == [
        ("2026-01-01", "300.00", "open"),
        ("2026-02-01", "300.00", "open"),
    ]
    reported = sorted(
        (r["customer_id"], r["period_start"]) for r in result["zero_total_drafts"] if r["customer_id"] != good["id"]
    )
    assert reported == sorted([(free["id"], "2026-01-01"), (free["id"], "2026-02-01"), (tiny["id"], "2026-01-31")])
    for customer in (free, tiny):
        drafts = await contract_invoices(invoicing, customer["id"])
        assert {(i["status"], i["total"]) for i in drafts} == {("draft", "0.00")}
    assert not [r for r in result["failed"] if r["customer_id"] in (good["id"], free["id"], tiny["id"])]
    again = await bill(invoicing, "2026-03-02T03:00:00Z")  # billed once: not reported again
    assert not [r for r in again["zero_total_drafts"] if r["customer_id"] in (free["id"], tiny["id"])]


async def test_a_period_that_cannot_be_billed_is_reported_and_billed_on_a_later_run(
    invoicing: RunningService, new_customer: NewCustomer
) -> None:
    good, broken = await new_customer(), await new_customer()
    period = {"start_date": "2026-01-01", "end_date": "2026-01-31"}
    await new_contract(invoicing, good["id"], **period)
    contract = await new_contract(invoicing, broken["id"], **period)
    # a stored contract naming terms that do not exist (no foreign key holds the code): its invoice is refused
    async with invoicing.app.state.db.sessions() as session, session.begin():
        stale = update(ServiceContract).where(ServiceContract.id == uuid.UUID(contract["id"]))
        await session.execute(stale.values(payment_terms_code="GONE"))
    result = await bill(invoicing, "2026-03-02T02:00:00Z")  # the job succeeds
    [failure] = [r for r in result["failed"] if r["customer_id"] == broken["id"]]
    assert (failure["period_start"], failure["code"]) == ("2026-01-01", "payment_terms_not_found")
    assert [i["status"] for i in await contract_invoices(invoicing, good["id"])] == ["open"]
    assert await contract_invoices(invoicing, broken["id"]) == []  # rolled back alone, period not claimed
    async with invoicing.app.state.db.sessions() as session, session.begin():
        await session.execute(stale.values(payment_terms_code=None))
    again = await bill(invoicing, "2026-03-02T03:00:00Z")
    assert not [r for r in again["failed"] if r["customer_id"] == broken["id"]]
    assert [i["status"] for i in await contract_invoices(invoicing, broken["id"])] == ["open"]
