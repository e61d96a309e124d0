"""Calls that move money take an Idempotency-Key: a retry returns the first answer and moves nothing again."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from arflow.testing.services import RunningService

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
NewInvoice = Callable[..., Awaitable[dict[str, Any]]]


async def test_a_retried_write_off_returns_the_first_answer_and_writes_off_once(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice, recorded: Any
) -> None:
    invoice = await new_invoice((await new_customer())["id"], amount="120.00")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"reason": "客户已注销", "written_off_on": "2026-02-01"}
    first = await invoicing.client.post(f"/invoices/{invoice['id']}/write-off", json=body, headers=key)
    again = await invoicing.client.post(f"/invoices/{invoice['id']}/write-off", json=body, headers=key)
    assert first.status_code == again.status_code == 200, first.text
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    assert len(await recorded("InvoiceWrittenOff", invoice_id=invoice["id"])) == 1

    other = await invoicing.client.post(
        f"/invoices/{invoice['id']}/write-off", json={**body, "reason": "另一个原因"}, headers=key
    )
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"


async def test_a_retried_credit_note_and_void_each_happen_once(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice, recorded: Any
) -> None:
    customer = await new_customer()
    invoice = await new_invoice(customer["id"], amount="300.00")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    note = {"amount": "50.00", "reason": "服务未满月"}
    first = await invoicing.client.post(f"/invoices/{invoice['id']}/credit-notes", json=note, headers=key)
    again = await invoicing.client.post(f"/invoices/{invoice['id']}/credit-notes", json=note, headers=key)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert len(await recorded("CreditNoteIssued", invoice_id=invoice["id"])) == 1
    assert (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()["balance"] == "250.00"

    # The same key on another invoice is another request: refused, not replayed.
    second = await new_invoice(customer["id"], amount="80.00")
    reused = await invoicing.client.post(f"/invoices/{second['id']}/credit-notes", json=note, headers=key)
    assert reused.status_code == 409

    void_key = {"Idempotency-Key": str(uuid.uuid4())}
    voided = [
        await invoicing.client.post(f"/invoices/{second['id']}/void", json={"reason": "开错"}, headers=void_key)
        for _ in range(2)
    ]
    assert [r.status_code for r in voided] == [200, 200] and voided[0].json() == voided[1].json()
    assert len(await recorded("InvoiceVoided", invoice_id=second["id"])) == 1


async def test_the_openapi_declares_the_key_on_every_call_that_moves_money(invoicing: RunningService) -> None:
    spec = (await invoicing.client.get("/openapi.json")).json()
    for path in (
        "/invoices/{invoice_id}/issue",
        "/invoices/{invoice_id}/void",
        "/invoices/{invoice_id}/write-off",
        "/invoices/{invoice_id}/credit-notes",
        "/customers/{customer_id}/apply-credit",
        "/invoices",
    ):
        names = [p["name"] for p in spec["paths"][path]["post"].get("parameters", [])]
        assert "Idempotency-Key" in names, path
