"""Statements, aging and KPIs from the ledger, checked against a hand-worked April.

The statement and invoice PDFs are tested as documents in test_invoicing_documents.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest

from arflow.events.catalog import Allocation, PaymentReceived
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
NewInvoice = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture(scope="module")
async def april(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer, new_invoice: NewInvoice
) -> dict[str, Any]:
    """One customer's April 2026, worked by hand:

    A 1000.00 dated 04-01 net 10 (due 04-11), 600.00 of it paid on 04-15;
    B  500.00 dated 04-20 net 30 (due 05-20);
    C  100.00 dated 04-05 net 0, written off on 04-25.
    """
    customer = await new_customer(legal_name="杭州云帆科技有限公司")
    a = await new_invoice(customer["id"], "1000.00", invoice_date="2026-04-01", net_days=10)
    b = await new_invoice(customer["id"], "500.00", invoice_date="2026-04-20", net_days=30)
    c = await new_invoice(customer["id"], "100.00", invoice_date="2026-04-05", net_days=0)
    written = await invoicing.client.post(
        f"/invoices/{c['id']}/write-off", json={"reason": "破产", "written_off_on": "2026-04-25"}
    )
    assert written.status_code == 200, written.text
    await publish_events(
        infra.bootstrap,
        PaymentReceived(
            customer_id=uuid.UUID(customer["id"]),
            payment_id=uuid.uuid4(),
            amount=Money.of("600.00", "CNY"),
            received_on=date(2026, 4, 15),
            source="bank_statement",
            allocations=[Allocation(invoice_id=uuid.UUID(a["id"]), amount=Money.of("600.00", "CNY"))],
        ),
    )

    async def applied() -> bool:
        balance: str = (await invoicing.client.get(f"/invoices/{a['id']}")).json()["balance"]
        return balance == "400.00"

    await eventually(applied, what="the April payment")
    return {"customer": customer, "a": a, "b": b, "c": c}


async def test_kpis_match_the_hand_worked_april(invoicing: RunningService, april: dict[str, Any]) -> None:
    response = await invoicing.client.get(
        "/reports/kpis", params={"from": "2026-04-01", "to": "2026-04-30", "customer_id": april["customer"]["id"]}
    )
    assert response.status_code == 200, response.text
    [kpi] = response.json()["data"]
    assert (kpi["credit_sales"], kpi["closing_receivables"], kpi["closing_current"]) == ("1600.00", "900.00", "500.00")
    assert (kpi["collected"], kpi["written_off"], kpi["days"]) == ("600.00", "100.00", 30)
    assert kpi["dso"] == "16.88"  # 900 / 1600 × 30 = 16.875
    assert kpi["best_possible_dso"] == "9.38"  # 500 / 1600 × 30 = 9.375
    assert kpi["average_days_delinquent"] == "7.50"
    assert kpi["cei"] == "63.64"  # (0 + 1600 − 900) / (0 + 1600 − 500)
    assert kpi["bad_debt_rate"] == "6.25"  # 100 / 1600
    assert kpi["collection_rate"] == "37.50"  # 600 / (0 + 1600)


async def test_aging_as_of_month_end_leaves_the_write_off_out(invoicing: RunningService, april: dict[str, Any]) -> None:
    response = await invoicing.client.get(
        "/reports/aging", params={"as_of": "2026-04-30", "customer_id": april["customer"]["id"]}
    )
    assert response.status_code == 200, response.text
    report = response.json()
    [row] = report["customers"]
    assert row["buckets"] == {
        "current": "500.00",
        "1-30": "400.00",
        "31-60": "0.00",
        "61-90": "0.00",
        "90+": "0.00",
        "total": "900.00",
    }
    assert report["totals"][0]["buckets"]["total"] == "900.00"
    # as of a day before the payment, all of A was open
    earlier = await invoicing.client.get(
        "/reports/aging", params={"as_of": "2026-04-14", "customer_id": april["customer"]["id"]}
    )
    assert earlier.json()["customers"][0]["buckets"]["1-30"] == "1100.00"  # A 1000.00 + C 100.00, 3 and 9 days late


async def test_the_statement_walks_from_opening_to_closing(invoicing: RunningService, april: dict[str, Any]) -> None:
    response = await invoicing.client.get(
        f"/customers/{april['customer']['id']}/statement", params={"from": "2026-04-01", "to": "2026-04-30"}
    )
    assert response.status_code == 200, response.text
    [cny] = response.json()["currencies"]
    assert (cny["opening_balance"], cny["invoiced"], cny["paid"], cny["closing_balance"]) == (
        "0.00",
        "1600.00",
        "600.00",
        "1000.00",  # the customer still owes the written-off C
    )
    assert [(e["entry_date"], e["kind"], e["balance"]) for e in cny["entries"]] == [
        ("2026-04-01", "invoice", "1000.00"),
        ("2026-04-05", "invoice", "1100.00"),
        ("2026-04-15", "payment", "500.00"),
        ("2026-04-20", "invoice", "1000.00"),
    ]
    assert (cny["aging"]["current"], cny["aging"]["1-30"]) == ("500.00", "500.00")
    may = await invoicing.client.get(
        f"/customers/{april['customer']['id']}/statement", params={"from": "2026-05-01", "to": "2026-05-31"}
    )
    assert may.json()["currencies"][0]["opening_balance"] == "1000.00"


async def test_the_statement_as_csv(invoicing: RunningService, april: dict[str, Any]) -> None:
    params = {"from": "2026-04-01", "to": "2026-04-30"}
    url = f"/customers/{april['customer']['id']}/statement"
    csv = await invoicing.client.get(url, params={**params, "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0] == "currency,date,kind,document,invoice_number,debit,credit,balance"
    assert lines[-1] == "CNY,2026-04-30,closing,,,,,1000.00"


async def test_the_statement_format_follows_the_accept_header(invoicing: RunningService, april: dict[str, Any]) -> None:
    params = {"from": "2026-04-01", "to": "2026-04-30"}
    url = f"/customers/{april['customer']['id']}/statement"
    pdf = await invoicing.client.get(url, params=params, headers={"Accept": "application/pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    csv = await invoicing.client.get(url, params=params, headers={"Accept": "text/csv, application/json;q=0.5"})
    assert csv.headers["content-type"].startswith("text/csv")
    browser = await invoicing.client.get(url, params=params, headers={"Accept": "*/*"})
    assert browser.headers["content-type"].startswith("application/json")
    # ?format= is explicit and wins over the header.
    explicit = await invoicing.client.get(
        url, params={**params, "format": "csv"}, headers={"Accept": "application/pdf"}
    )
    assert explicit.headers["content-type"].startswith("text/csv")
    refused = await invoicing.client.get(url, params=params, headers={"Accept": "image/png"})
    assert refused.status_code == 406 and refused.json()["code"] == "not_acceptable"
    assert "application/pdf" in refused.json()["detail"]


async def test_a_period_that_ends_before_it_starts_is_refused(invoicing: RunningService, april: dict[str, Any]) -> None:
    response = await invoicing.client.get(
        f"/customers/{april['customer']['id']}/statement", params={"from": "2026-04-30", "to": "2026-04-01"}
    )
    assert (response.status_code, response.json()["code"]) == (422, "invalid_period")
