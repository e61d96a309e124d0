"""Payment terms templates: customer default, per-invoice override, a snapshot on the invoice, late interest."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from arflow.events.catalog import Allocation, PaymentReceived
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
NewInvoice = Callable[..., Awaitable[dict[str, Any]]]


async def new_terms(invoicing: RunningService, **fields: object) -> dict[str, Any]:
    body = {"code": f"T-{uuid.uuid4().hex[:8]}", "name": "月结30天", "net_days": 30, **fields}
    response = await invoicing.client.post("/payment-terms", json=body)
    assert response.status_code == 201, response.text
    terms: dict[str, Any] = response.json()
    return terms


async def test_the_customers_default_terms_set_the_due_date_月结(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    terms = await new_terms(invoicing, basis="end_of_month", grace_days=5)
    customer = await new_customer(payment_terms_code=terms["code"])
    invoice = await new_invoice(customer["id"], invoice_date="2026-01-05", net_days=None)
    # 月结30天: 30 days after the end of January
    assert (invoice["due_date"], invoice["grace_days"], invoice["terms_code"]) == ("2026-03-02", 5, terms["code"])
    assert invoice["due_date_basis"] == "end_of_month"


async def test_an_invoice_may_name_other_terms_or_override_a_field(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    default = await new_terms(invoicing, net_days=30)
    other = await new_terms(invoicing, net_days=10)
    customer = await new_customer(payment_terms_code=default["code"])
    named = await new_invoice(
        customer["id"], invoice_date="2026-01-05", net_days=None, payment_terms_code=other["code"]
    )
    assert (named["due_date"], named["terms_code"]) == ("2026-01-15", other["code"])
    overridden = await new_invoice(customer["id"], invoice_date="2026-01-05", net_days=45)
    assert (overridden["due_date"], overridden["terms_code"]) == ("2026-02-19", default["code"])


async def test_changing_a_template_never_rewrites_an_issued_invoice(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    terms = await new_terms(invoicing, net_days=30, interest_kind="daily", interest_rate="0.0005")
    customer = await new_customer(payment_terms_code=terms["code"])
    invoice = await new_invoice(customer["id"], invoice_date="2026-01-05", net_days=None)
    changed = await invoicing.client.patch(
        f"/payment-terms/{terms['code']}", json={"net_days": 60, "interest_rate": "0.001"}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["net_days"], changed.json()["revision"]) == (60, 2)
    again = (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()
    assert (again["due_date"], again["interest_rate"]) == ("2026-02-04", "0.000500")
    later = await new_invoice(customer["id"], invoice_date="2026-01-05", net_days=None)
    assert later["due_date"] == "2026-03-06"


async def test_late_interest_is_simple_daily_on_the_balance_from_the_day_after_due(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    terms = await new_terms(invoicing, interest_kind="daily", interest_rate="0.0005")  # 每日万分之五
    customer = await new_customer(payment_terms_code=terms["code"])
    invoice = await new_invoice(customer["id"], "1000.00", invoice_date="2026-01-05", net_days=None)
    # due 2026-02-04; the test clock reads 2026-03-02 in Shanghai: 26 days × 0.05% × 1000.00
    assert invoice["late_interest"] == "13.00"


async def test_late_interest_follows_each_days_balance_on_the_invoice_and_the_statement(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    terms = await new_terms(invoicing, interest_kind="daily", interest_rate="0.0005")
    customer = await new_customer(payment_terms_code=terms["code"])
    invoice = await new_invoice(customer["id"], "1000.00", invoice_date="2026-01-05", net_days=None)
    payment = PaymentReceived(
        customer_id=uuid.UUID(customer["id"]),
        payment_id=uuid.uuid4(),
        amount=Money.of("400.00", "CNY"),
        received_on=date(2026, 2, 10),
        source="bank_statement",
        allocations=[Allocation(invoice_id=uuid.UUID(invoice["id"]), amount=Money.of("400.00", "CNY"))],
    )
    await publish_events(infra.bootstrap, payment)

    async def paid_in_part() -> dict[str, Any] | None:
        state = (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()
        return state if state["balance"] == "600.00" else None

    state = await eventually(paid_in_part, what="the payment to be applied")
    # due 4 Feb, 400.00 paid 10 Feb, today 2 March (Shanghai):
    #   5–9 Feb:         5 days × 1,000.00 × 0.0005 = 2.50
    #   10 Feb–2 March: 21 days ×   600.00 × 0.0005 = 6.30   → 8.80 (not 600.00 × 26 days = 7.80)
    assert state["late_interest"] == "8.80"
    statement = await invoicing.client.get(
        f"/customers/{customer['id']}/statement", params={"from": "2026-01-01", "to": "2026-03-02"}
    )
    assert statement.status_code == 200, statement.text
    assert statement.json()["currencies"][0]["late_interest"] == "8.80"


async def test_annual_interest_with_a_cap(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    terms = await new_terms(invoicing, interest_kind="annual", interest_rate="0.365", interest_cap_ratio="0.01")
    customer = await new_customer(payment_terms_code=terms["code"])
    invoice = await new_invoice(customer["id"], "1000.00", invoice_date="2026-01-05", net_days=None)
    assert invoice["late_interest"] == "10.00"  # 26.00 uncapped, capped at 1% of 1000.00


async def test_inconsistent_terms_are_refused(invoicing: RunningService) -> None:
    response = await invoicing.client.post(
        "/payment-terms", json={"code": "bad", "name": "x", "net_days": 30, "interest_rate": "0.01"}
    )
    assert response.status_code == 422
    assert "interest_kind" in response.json()["detail"]
    response = await invoicing.client.post(
        "/payment-terms", json={"code": "bad", "name": "x", "net_days": 30, "discount_rate": "0.02"}
    )
    assert response.status_code == 422


async def test_a_patch_that_breaks_the_rules_is_refused(invoicing: RunningService) -> None:
    terms = await new_terms(invoicing)
    response = await invoicing.client.patch(f"/payment-terms/{terms['code']}", json={"interest_kind": "daily"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_payment_terms"


async def test_a_duplicate_code_is_a_conflict(invoicing: RunningService) -> None:
    terms = await new_terms(invoicing)
    response = await invoicing.client.post("/payment-terms", json={"code": terms["code"], "name": "x", "net_days": 1})
    assert response.status_code == 409
    assert response.json()["code"] == "payment_terms_code_taken"


async def test_unknown_terms_are_refused_on_customer_and_invoice(
    invoicing: RunningService, new_customer: NewCustomer
) -> None:
    refused = await invoicing.client.post("/customers", json={"legal_name": "x", "payment_terms_code": "no-such-terms"})
    assert (refused.status_code, refused.json()["code"]) == (422, "payment_terms_not_found")
    customer = await new_customer()
    refused = await invoicing.client.post(
        "/invoices",
        json={
            "customer_id": customer["id"],
            "payment_terms_code": "no-such-terms",
            "lines": [{"description": "x", "unit_price": "1.00"}],
        },
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "payment_terms_not_found")
    assert (await invoicing.client.get("/payment-terms/no-such-terms")).status_code == 404
