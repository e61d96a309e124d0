"""A statement not answered within ARFLOW_STATEMENT_ANSWER_DAYS (15) of its issue shows as unanswered.

The clock stands at 2026-03-02 02:00 UTC: 10:00 on 2 March in Shanghai, 18:00 on 1 March in Los Angeles.
A statement issued on 14 February is answered in time through 1 March: unanswered on 2 March in Shanghai,
not yet in Los Angeles. The day each was issued is set in the table (the clock cannot go back for one test).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import pytest
from lxml import html
from sqlalchemy import update

from arflow.testing.services import RunningService
from invoicing.hosted.ratelimit import RateLimiter
from invoicing.statements.models import Statement

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
NewInvoice = Callable[..., Awaitable[dict[str, Any]]]
BROWSER = {"Accept": "text/html"}


@pytest.fixture
async def visitor(invoicing: RunningService) -> AsyncIterator[httpx.AsyncClient]:
    invoicing.app.state.hosted_rate_limiter = RateLimiter(10_000)
    transport = httpx.ASGITransport(app=invoicing.app, client=("203.0.113.12", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=BROWSER) as client:
        yield client


async def issued(invoicing: RunningService, customer_id: str, start: str, end: str, on: date) -> dict[str, Any]:
    """A statement for the period, as if issued on `on` (the customer's date)."""
    response = await invoicing.client.post(
        "/statements", json={"customer_id": customer_id, "period_start": start, "period_end": end}
    )
    assert response.status_code == 201, response.text
    statement: dict[str, Any] = response.json()
    async with invoicing.app.state.db.unit_of_work() as session:
        await session.execute(
            update(Statement).where(Statement.id == uuid.UUID(statement["id"])).values(business_date=on)
        )
    return statement


async def confirm(visitor: httpx.AsyncClient, statement: dict[str, Any]) -> None:
    path = statement["hosted_statement_url"].removeprefix("http://127.0.0.1:8001")
    page = html.fromstring((await visitor.get(path)).text)
    form = {i.get("name"): i.get("value") for i in page.xpath("//form[@id='confirm-form']//input[@type='hidden']")}
    answered = await visitor.post(f"{path}/confirm", data={**form, "responder_name": "王芳", "responder_title": "会计"})
    assert answered.status_code == 303


async def listed(invoicing: RunningService, **params: str) -> list[dict[str, Any]]:
    response = await invoicing.client.get("/statements", params={"limit": "100", **params})
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


@pytest.fixture
async def shanghai(
    invoicing: RunningService, visitor: httpx.AsyncClient, new_customer: NewCustomer, new_invoice: NewInvoice
) -> dict[str, Any]:
    customer = await new_customer()
    await new_invoice(customer["id"], "800.00", invoice_date="2025-11-05")
    answered = await issued(invoicing, customer["id"], "2025-11-01", "2025-11-30", date(2026, 1, 2))
    await confirm(visitor, answered)
    late = await issued(invoicing, customer["id"], "2025-12-01", "2025-12-31", date(2026, 2, 14))
    last_day = await issued(invoicing, customer["id"], "2026-01-01", "2026-01-31", date(2026, 2, 15))
    new = await issued(invoicing, customer["id"], "2026-02-01", "2026-02-28", date(2026, 3, 2))
    return {"customer": customer, "answered": answered, "late": late, "last_day": last_day, "new": new}


async def test_a_statement_left_unanswered_past_its_days_shows_for_follow_up(
    invoicing: RunningService, shanghai: dict[str, Any]
) -> None:
    mine = {"customer_id": shanghai["customer"]["id"]}
    by_id = {s["id"]: s for s in await listed(invoicing, **mine)}
    shown = {name: by_id[shanghai[name]["id"]] for name in ("answered", "late", "last_day", "new")}
    assert {name: s["unanswered"] for name, s in shown.items()} == {
        "answered": False,  # confirmed: nothing to follow up however old
        "late": True,  # issued 02-14, answer due by 03-01, today is 03-02
        "last_day": False,  # issued 02-15: 03-02 is its last day
        "new": False,
    }
    assert (shown["late"]["answer_due_on"], shown["late"]["status"]) == ("2026-03-01", "issued")
    assert shown["last_day"]["answer_due_on"] == "2026-03-02"
    assert shown["answered"]["status"] == "confirmed"
    assert [s["id"] for s in await listed(invoicing, **mine, unanswered="true")] == [shanghai["late"]["id"]]
    others = await listed(invoicing, **mine, unanswered="false")
    assert {s["id"] for s in others} == {shanghai[n]["id"] for n in ("answered", "last_day", "new")}
    pending = await listed(invoicing, **mine, status="issued", unanswered="false")
    assert {s["id"] for s in pending} == {shanghai["last_day"]["id"], shanghai["new"]["id"]}
    detail = (await invoicing.client.get(f"/statements/{shanghai['late']['id']}")).json()
    assert detail["unanswered"] is True and detail["answer_due_on"] == "2026-03-01"


async def test_unanswered_is_counted_on_the_customers_calendar(
    invoicing: RunningService, shanghai: dict[str, Any], new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    pacific = await new_customer(time_zone="America/Los_Angeles")
    await new_invoice(pacific["id"], "100.00", invoice_date="2025-12-05")
    same_day = await issued(invoicing, pacific["id"], "2025-12-01", "2025-12-31", date(2026, 2, 14))
    [shown] = await listed(invoicing, customer_id=pacific["id"])
    assert (shown["answer_due_on"], shown["unanswered"]) == ("2026-03-01", False)  # still 1 March there
    everyone = {s["id"] for s in await listed(invoicing, unanswered="true")}
    assert shanghai["late"]["id"] in everyone and same_day["id"] not in everyone


async def test_the_days_are_a_setting(invoicing: RunningService, shanghai: dict[str, Any]) -> None:
    settings = invoicing.app.state.settings
    before = settings.statement_answer_days
    assert before == 15  # the default
    settings.statement_answer_days = 30
    try:
        late = (await invoicing.client.get(f"/statements/{shanghai['late']['id']}")).json()
        assert (late["answer_due_on"], late["unanswered"]) == ("2026-03-16", False)
        mine = {"customer_id": shanghai["customer"]["id"], "unanswered": "true"}
        assert await listed(invoicing, **mine) == []
    finally:
        settings.statement_answer_days = before


async def test_the_filter_takes_only_a_boolean(invoicing: RunningService) -> None:
    response = await invoicing.client.get("/statements", params={"unanswered": "soon"})
    assert response.status_code == 422 and response.json()["code"] == "validation_failed"
