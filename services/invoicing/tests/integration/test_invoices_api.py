from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from arflow.testing.services import RunningService

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]


async def test_issued_invoice_gets_number_reference_and_exact_totals(
    invoicing: RunningService, new_customer: NewCustomer, customer_body: dict[str, Any]
) -> None:
    customer = await new_customer()
    response = await invoicing.client.post(
        "/invoices",
        json={
            "customer_id": customer["id"],
            "invoice_date": "2026-03-01",
            "net_days": 15,
            "issue": True,
            "lines": [
                {"description": "代理记账 2026-03", "quantity": "1", "unit_price": "300.00", "tax_rate": "0.06"},
                {"description": "工商年报", "quantity": "3", "unit_price": "33.335", "tax_rate": "0.06"},
            ],
        },
    )
    assert response.status_code == 201, response.text
    invoice = response.json()
    assert invoice["status"] == "open"
    assert invoice["number"].startswith("INV-2026-")
    assert invoice["payment_reference"].startswith("RF")
    # 3 × 33.335 = 100.005 → 100.01 (half-up); tax 6.00 and 18.00
    assert invoice["subtotal"] == "400.01"
    assert invoice["tax_total"] == "24.00"
    assert invoice["total"] == "424.01"
    assert invoice["due_date"] == "2026-03-16"


async def test_bad_invoice_is_a_problem_naming_the_field(
    invoicing: RunningService, new_customer: NewCustomer, customer_body: dict[str, Any]
) -> None:
    customer = await new_customer()
    response = await invoicing.client.post(
        "/invoices",
        json={"customer_id": customer["id"], "currency": "XYZ", "lines": [{"description": "x", "unit_price": 1.5}]},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_failed"
    locations = {e["location"] for e in body["errors"]}
    assert "body.currency" in locations
    assert "body.lines.0.unit_price" in locations


async def test_invalid_credit_code_is_rejected(
    invoicing: RunningService, new_customer: NewCustomer, customer_body: dict[str, Any]
) -> None:
    response = await invoicing.client.post(
        "/customers", json={**customer_body, "unified_social_credit_code": "91350100M000100Y44"}
    )
    assert response.status_code == 422
    assert "unified_social_credit_code" in response.json()["detail"]


async def test_unknown_invoice_is_404_problem(
    invoicing: RunningService, new_customer: NewCustomer, customer_body: dict[str, Any]
) -> None:
    response = await invoicing.client.get(f"/invoices/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["code"] == "invoice_not_found"


async def test_missing_api_key_is_401(
    invoicing: RunningService, new_customer: NewCustomer, customer_body: dict[str, Any]
) -> None:
    response = await invoicing.client.get("/customers", headers={"Authorization": ""})
    assert response.status_code == 401
    assert response.json()["code"] == "missing_api_key"


async def test_idempotency_key_replays_and_refuses_a_different_body(
    invoicing: RunningService, new_customer: NewCustomer, customer_body: dict[str, Any]
) -> None:
    key = str(uuid.uuid4())
    body = {**customer_body, "external_reference": key}
    first = await invoicing.client.post("/customers", json=body, headers={"Idempotency-Key": key})
    again = await invoicing.client.post("/customers", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    other = await invoicing.client.post(
        "/customers", json={**body, "short_name": "另一个"}, headers={"Idempotency-Key": key}
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
