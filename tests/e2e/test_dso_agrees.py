"""DSO is one figure wherever it is read (issue 21): invoicing's KPI report for a customer over the 90 days to a
date, the customer's credit file as of that date, and a recomputation from the invoices and payments themselves
— outstanding / credit sales of the window × 90 — agree to the hundredth of a day."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from arflow.testing import eventually
from arflow.testing.platform import Platform

pytestmark = pytest.mark.e2e

AS_OF = date(2026, 11, 30)
# (invoice date, amount, paid on or before AS_OF, paid after AS_OF): one paid, one partly paid, one open, one paid late.
INVOICES = [
    (date(2026, 9, 10), "1200.00", "1200.00", None),
    (date(2026, 10, 5), "800.00", "300.00", None),
    (date(2026, 11, 2), "450.00", None, None),
    (date(2026, 11, 20), "600.00", None, "600.00"),  # paid on 2026-12-01: still outstanding as of 30 November
]


async def test_dso_of_the_kpi_report_and_the_credit_file_equal_a_recomputation_from_the_ledger(
    platform: Platform,
) -> None:
    invoicing, reconciliation = platform.client("invoicing"), platform.client("reconciliation")
    credit = platform.client("credit-scoring")
    made = await invoicing.post(
        "/customers",
        json={
            "legal_name": f"苏州账期测试{secrets.randbelow(10**6):06d}有限公司",
            "external_reference": f"crm-{uuid.uuid4()}",
        },
    )
    assert made.status_code == 201, made.text
    customer_id = made.json()["id"]
    issued = []
    for invoice_date, amount, _, _ in INVOICES:
        response = await invoicing.post(
            "/invoices",
            json={
                "customer_id": customer_id,
                "invoice_date": invoice_date.isoformat(),
                "net_days": 30,
                "issue": True,
                "lines": [{"description": "代理记账服务费", "unit_price": amount}],
            },
        )
        assert response.status_code == 201, response.text
        issued.append(response.json())

    async def projected() -> Any:
        items = (await reconciliation.get("/open-items", params={"customer_id": customer_id})).json()["data"]
        return items if len(items) == len(INVOICES) else None

    await eventually(projected, within=30, what="reconciliation's projection of the invoices")
    for invoice, (invoice_date, _, paid_by, paid_after) in zip(issued, INVOICES, strict=True):
        for paid, on in ((paid_by, invoice_date + timedelta(days=25)), (paid_after, AS_OF + timedelta(days=1))):
            if paid is None:
                continue
            response = await reconciliation.post(
                "/payments",
                json={
                    "customer_id": customer_id,
                    "amount": paid,
                    "currency": "CNY",
                    "received_on": on.isoformat(),
                    "allocations": [{"invoice_id": invoice["id"], "amount": paid}],
                },
            )
            assert response.status_code == 201, response.text

    # The ledger, recomputed here: what was owed on AS_OF of what was invoiced in the 90 days to it.
    window = [i for i in INVOICES if AS_OF - timedelta(days=90) < i[0] <= AS_OF]
    sales = sum((Decimal(amount) for _, amount, _, _ in window), Decimal(0))
    outstanding = sum((Decimal(amount) - Decimal(paid or "0") for _, amount, paid, _ in INVOICES), Decimal(0))
    expected = (outstanding / sales * 90).quantize(Decimal("0.01"), ROUND_HALF_UP)

    async def settled_in_credit() -> Any:
        response = await credit.get(f"/credit-files/{customer_id}", params={"as_of": AS_OF.isoformat()})
        if response.status_code != 200:
            return None
        [cny] = [m for m in response.json()["by_currency"] if m["currency"] == "CNY"] or [None]
        return cny if cny and Decimal(cny["outstanding"]) == outstanding else None

    measures = await eventually(settled_in_credit, within=40, what="the credit file to see every payment")
    kpis = (
        await invoicing.get(
            "/reports/kpis",
            params={
                "from": (AS_OF - timedelta(days=89)).isoformat(),
                "to": AS_OF.isoformat(),
                "customer_id": customer_id,
            },
        )
    ).json()["data"]
    [kpi] = [k for k in kpis if k["currency"] == "CNY"]
    assert Decimal(kpi["closing_receivables"]) == outstanding and Decimal(kpi["credit_sales"]) == sales
    assert Decimal(measures["credit_sales_90d"]) == sales
    assert Decimal(kpi["dso"]) == expected, (kpi, expected)
    assert Decimal(measures["dso"]) == expected, (measures, expected)
    for client in (invoicing, reconciliation, credit):
        await client.aclose()
