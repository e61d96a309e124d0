"""One customer's invoice crosses all four services, as separate processes, end to end.

invoice issued → overdue sweep → dunning emails a reminder (real SMTP) →
payment recorded at reconciliation → invoicing applies it and marks it paid →
dunning resolves the case → credit-scoring shows the invoice paid late.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from arflow.testing import eventually
from arflow.testing.platform import Platform

pytestmark = pytest.mark.e2e


async def test_an_overdue_invoice_is_chased_paid_and_scored(platform: Platform) -> None:
    invoicing, reconciliation = platform.client("invoicing"), platform.client("reconciliation")
    dunning, credit = platform.client("dunning"), platform.client("credit-scoring")
    email = f"finance.{uuid.uuid4().hex[:8]}@example.cn"

    # 1. a customer with a billing contact
    response = await invoicing.post(
        "/customers",
        json={
            "legal_name": "杭州云帆科技有限公司",
            "external_reference": f"crm-{uuid.uuid4()}",
            "contacts": [{"name": "李娜", "role": "billing", "email": email, "language": "zh-CN"}],
        },
    )
    assert response.status_code == 201, response.text
    customer_id = response.json()["id"]

    # 2. an invoice issued on 5 January, due in 30 days (4 February)
    response = await invoicing.post(
        "/invoices",
        json={
            "customer_id": customer_id,
            "invoice_date": "2026-01-05",
            "net_days": 30,
            "issue": True,
            "lines": [{"description": "代理记账服务费 2026年1月", "unit_price": "300.00", "tax_rate": "0.06"}],
        },
    )
    assert response.status_code == 201, response.text
    invoice = response.json()
    assert (invoice["total"], invoice["due_date"]) == ("318.00", "2026-02-04")

    # 3. the overdue sweep as of 10 February (Shanghai) publishes InvoiceOverdue
    response = await invoicing.post("/admin/jobs/overdue-sweep/runs", json={"as_of": "2026-02-10T02:00:00Z"})
    assert response.status_code == 200, response.text
    assert response.json()["result"]["notices"] >= 1

    # 4. dunning opens a case and emails the reminder through SMTP
    async def reminder() -> Any:
        return next((m for m in platform.smtp.messages if email in str(m["To"])), None)

    message = await eventually(reminder, within=30, what="the reminder email")
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert invoice["number"] in body
    assert "318.00" in body
    assert "2026年2月4日" in body  # the due date, written the Chinese way for a zh-CN contact

    async def open_case() -> Any:
        cases = (await dunning.get("/cases", params={"customer_id": customer_id})).json()["data"]
        return cases[0] if cases and cases[0]["status"] == "open" else None

    case = await eventually(open_case, what="an open dunning case")

    # 5. the payment is recorded at reconciliation once it knows the invoice
    async def open_item() -> Any:
        items = (await reconciliation.get("/open-items", params={"customer_id": customer_id})).json()["data"]
        return next((i for i in items if i["invoice_id"] == invoice["id"]), None)

    await eventually(open_item, what="reconciliation's projection of the invoice")
    response = await reconciliation.post(
        "/payments",
        json={
            "customer_id": customer_id,
            "amount": "318.00",
            "currency": "CNY",
            "received_on": "2026-02-12",
            "payer_name": "杭州云帆科技有限公司",
            "reference": invoice["payment_reference"],
            "allocations": [{"invoice_id": invoice["id"], "amount": "318.00"}],
        },
    )
    assert response.status_code == 201, response.text

    # 6. invoicing applies it: the invoice reads paid
    async def paid() -> Any:
        state = (await invoicing.get(f"/invoices/{invoice['id']}")).json()
        return state if state["status"] == "paid" else None

    state = await eventually(paid, what="the invoice to read paid")
    assert (state["balance"], state["paid_on"]) == ("0.00", "2026-02-12")

    # 7. dunning resolves the case; credit-scoring records one invoice paid 8 days late
    async def resolved() -> Any:
        found = (await dunning.get(f"/cases/{case['id']}")).json()
        return found if found["status"] == "resolved" else None

    await eventually(resolved, what="the dunning case to be resolved")

    async def scored() -> Any:
        response = await credit.get(f"/credit-files/{customer_id}")
        if response.status_code != 200:
            return None
        file = response.json()
        return file if file["invoices_paid_late"] == 1 else None

    file = await eventually(scored, what="the credit file to show the late payment")
    [experience] = [e for e in file["payment_experiences"] if e["invoice_id"] == invoice["id"]]
    assert experience["days_beyond_terms"] == 8
