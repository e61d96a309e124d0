"""An invoice created issued with an Idempotency-Key: the number is taken last, the answer replayed whole.

The key is claimed after the invoice is inserted and before its number is taken (the
statement that takes it writes it into the stored answer and the outbox row), so a
retry answers with the first number and never takes one of its own.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select

from arflow.persistence import idempotency_key, outbox_message
from arflow.testing.services import RunningService
from invoicing.models import Invoice

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]


def issued_body(customer_id: str, year: int, description: str = "代理记账服务费") -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "invoice_date": f"{year}-01-05",
        "net_days": 30,
        "issue": True,
        "lines": [{"description": description, "unit_price": "300.00", "tax_rate": "0.06"}],
    }


async def numbers_of_year(service: RunningService, year: int) -> list[str]:
    async with service.app.state.db.unit_of_work() as session:
        rows = await session.scalars(select(Invoice.number).where(Invoice.number.like(f"INV-{year}-%")))
        return sorted(n for n in rows if n is not None)


async def issued_events(service: RunningService, invoice_id: str) -> list[dict[str, Any]]:
    async with service.app.state.db.unit_of_work() as session:
        rows = await session.execute(
            select(outbox_message.c.payload).where(outbox_message.c.event_type == "InvoiceIssued")
        )
        return [row.payload["data"] for row in rows if row.payload["data"]["invoice_id"] == invoice_id]


async def test_a_retried_issue_answers_the_first_number_and_takes_none(
    invoicing: RunningService, new_customer: NewCustomer
) -> None:
    customer = await new_customer()
    key = str(uuid.uuid4())
    body = issued_body(customer["id"], 2041)
    first = await invoicing.client.post("/invoices", json=body, headers={"Idempotency-Key": key})
    again = await invoicing.client.post("/invoices", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201, first.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert first.json()["number"] == "INV-2041-000001"
    assert first.json()["payment_reference"].startswith("RF")
    reused = await invoicing.client.post(
        "/invoices", json=issued_body(customer["id"], 2041, "另一项服务"), headers={"Idempotency-Key": key}
    )
    assert reused.status_code == 409
    assert reused.json()["code"] == "idempotency_key_reused"
    after = await invoicing.client.post(
        "/invoices", json=issued_body(customer["id"], 2041), headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert after.json()["number"] == "INV-2041-000002"  # the retry and the refused reuse took no number
    assert await numbers_of_year(invoicing, 2041) == ["INV-2041-000001", "INV-2041-000002"]
    [event] = await issued_events(invoicing, first.json()["id"])
    assert event["invoice_number"] == first.json()["number"]
    assert event["payment_reference"] == first.json()["payment_reference"]


async def test_the_stored_answer_carries_the_number_taken_last(
    invoicing: RunningService, new_customer: NewCustomer
) -> None:
    customer = await new_customer()
    key = str(uuid.uuid4())
    first = await invoicing.client.post(
        "/invoices", json=issued_body(customer["id"], 2043), headers={"Idempotency-Key": key}
    )
    assert first.status_code == 201, first.text
    async with invoicing.app.state.db.unit_of_work() as session:
        stored = await session.scalar(select(idempotency_key.c.response_body).where(idempotency_key.c.key == key))
    assert stored == first.json()


async def test_concurrent_duplicates_make_one_invoice_and_the_numbers_stay_gapless(
    invoicing: RunningService, new_customer: NewCustomer
) -> None:
    customer = await new_customer()
    keys = [str(uuid.uuid4()) for _ in range(4)]
    body = issued_body(customer["id"], 2042)
    answers = await asyncio.gather(
        *(invoicing.client.post("/invoices", json=body, headers={"Idempotency-Key": k}) for k in keys * 3)
    )
    assert {a.status_code for a in answers} == {201}
    by_key: dict[str, set[str]] = {}
    for key, answer in zip(keys * 3, answers, strict=True):
        by_key.setdefault(key, set()).add(answer.json()["number"])
    assert all(len(numbers) == 1 for numbers in by_key.values())  # each key: one invoice, one number
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 8
    assert await numbers_of_year(invoicing, 2042) == [f"INV-2042-{n:06d}" for n in range(1, 5)]


async def test_an_issue_without_a_key_is_numbered_and_published(
    invoicing: RunningService, new_customer: NewCustomer
) -> None:
    customer = await new_customer()
    answer = await invoicing.client.post("/invoices", json=issued_body(customer["id"], 2044))
    assert answer.status_code == 201, answer.text
    assert answer.json()["number"] == "INV-2044-000001"
    [event] = await issued_events(invoicing, answer.json()["id"])
    assert event["invoice_number"] == "INV-2044-000001"
    assert event["payment_reference"] == answer.json()["payment_reference"]
