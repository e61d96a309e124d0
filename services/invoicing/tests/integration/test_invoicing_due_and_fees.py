"""Due soon from the sweep, and late interest charged as a fee invoice on request."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from arflow.testing.services import RunningService
from invoicing.deps import SYSTEM
from invoicing.late_fees.service import assess_late_fees_by_policy
from invoicing.lookups import get_invoice

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
NewInvoice = Callable[..., Awaitable[dict[str, Any]]]
Recorded = Callable[..., Awaitable[list[dict[str, Any]]]]


async def sweep(invoicing: RunningService, as_of: str) -> dict[str, Any]:
    response = await invoicing.client.post("/admin/jobs/overdue-sweep/runs", json={"as_of": as_of})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "succeeded", response.text
    result: dict[str, Any] = response.json()["result"]
    return result


async def test_due_soon_is_published_once_within_n_days_of_the_due_date(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice, recorded: Recorded
) -> None:
    customer = await new_customer()
    invoice = await new_invoice(customer["id"], "300.00", invoice_date="2027-05-01", net_days=30)  # due 2027-05-31
    await sweep(invoicing, "2027-05-27T02:00:00Z")  # 4 days before: not yet (N = 3)
    assert await recorded("InvoiceDueSoon", invoice_id=invoice["id"]) == []
    result = await sweep(invoicing, "2027-05-28T02:00:00Z")
    assert result["due_soon"] >= 1
    await sweep(invoicing, "2027-05-29T02:00:00Z")
    [event] = await recorded("InvoiceDueSoon", invoice_id=invoice["id"])
    assert (event["days_until_due"], event["amount_due"]) == (3, {"amount": "300.00", "currency": "CNY"})
    assert event["payment_reference"] == invoice["payment_reference"]


async def test_late_interest_and_the_fixed_fee_are_charged_as_a_fee_invoice(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice, recorded: Recorded
) -> None:
    code = f"LATE-{uuid.uuid4().hex[:6]}"
    created = await invoicing.client.post(
        "/payment-terms",
        json={
            "code": code,
            "name": "净30天 违约金",
            "net_days": 30,
            "interest_kind": "daily",
            "interest_rate": "0.0005",
            "late_fee": "20.00",
        },
    )
    assert created.status_code == 201, created.text
    customer = await new_customer(payment_terms_code=code)
    invoice = await new_invoice(customer["id"], "1000.00", invoice_date="2026-01-05", net_days=None)  # due 02-04
    response = await invoicing.client.post(f"/invoices/{invoice['id']}/late-fees", json={"as_of": "2026-02-14"})
    assert response.status_code == 201, response.text
    fee = response.json()
    assert (fee["kind"], fee["related_invoice_id"], fee["status"]) == ("late_fee", invoice["id"], "open")
    assert fee["total"] == "25.00"  # 10 days × 0.05% × 1000.00 + 20.00
    [event] = await recorded("LateFeeAssessed", invoice_id=invoice["id"])
    assert (event["interest_from"], event["interest_to"], event["amount"]["amount"]) == (
        "2026-02-05",
        "2026-02-14",
        "25.00",
    )
    # the next charge counts only the days since, and no second fixed fee
    again = await invoicing.client.post(f"/invoices/{invoice['id']}/late-fees", json={"as_of": "2026-02-24"})
    assert again.json()["total"] == "5.00"
    twice = await invoicing.client.post(f"/invoices/{invoice['id']}/late-fees", json={"as_of": "2026-02-24"})
    assert (twice.status_code, twice.json()["code"]) == (409, "late_fee_already_charged")


async def test_monthly_late_interest_never_exceeds_the_cap_in_total(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    code = f"CAP-{uuid.uuid4().hex[:6]}"
    created = await invoicing.client.post(
        "/payment-terms",
        json={
            "code": code,
            "name": "净30天 日千分之一 封顶5%",
            "net_days": 30,
            "interest_kind": "daily",
            "interest_rate": "0.001",
            "interest_cap_ratio": "0.05",
        },
    )
    assert created.status_code == 201, created.text
    customer = await new_customer(payment_terms_code=code)
    invoice = await new_invoice(customer["id"], "1000.00", invoice_date="2026-01-05", net_days=None)  # due 02-04
    month_ends = ["2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30", "2026-07-31"]
    month_ends += ["2026-08-31", "2026-09-30", "2026-10-31", "2026-11-30", "2026-12-31", "2027-01-31"]
    charges = []
    for month_end in month_ends:
        response = await invoicing.client.post(f"/invoices/{invoice['id']}/late-fees", json={"as_of": month_end})
        if response.status_code == 201:
            charges.append(response.json()["total"])
        else:  # the cap is reached: nothing more to charge
            assert (response.status_code, response.json()["code"]) == (422, "nothing_to_charge"), response.text
    assert charges == ["24.00", "26.00"]  # 24 days at 1.00, then what is left of the 50.00 cap
    state = (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()
    assert state["late_interest"] == "0.00"


async def test_no_late_fee_before_the_invoice_is_overdue(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    customer = await new_customer()
    invoice = await new_invoice(customer["id"], invoice_date="2026-01-05")
    response = await invoicing.client.post(f"/invoices/{invoice['id']}/late-fees", json={"as_of": "2026-02-04"})
    assert (response.status_code, response.json()["code"]) == (422, "invoice_not_overdue")
    response = await invoicing.client.post(f"/invoices/{invoice['id']}/late-fees", json={"as_of": "2026-02-10"})
    assert (response.status_code, response.json()["code"]) == (422, "nothing_to_charge")


async def test_the_monthly_policy_charges_each_overdue_invoice_once_a_month(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    code = f"POL-{uuid.uuid4().hex[:6]}"
    await invoicing.client.post(
        "/payment-terms",
        json={"code": code, "name": "x", "net_days": 30, "interest_kind": "annual", "interest_rate": "0.365"},
    )
    customer = await new_customer(payment_terms_code=code)
    invoice = await new_invoice(customer["id"], "1000.00", invoice_date="2025-06-01", net_days=None)  # due 07-01
    clock = invoicing.app.state.clock
    async with invoicing.app.state.db.sessions() as session:
        transaction = await session.begin()
        try:
            first = await assess_late_fees_by_policy(
                session, actor=SYSTEM, clock=clock, as_of=datetime(2025, 7, 11, 4, tzinfo=UTC)
            )
            again = await assess_late_fees_by_policy(
                session, actor=SYSTEM, clock=clock, as_of=datetime(2025, 7, 20, 4, tzinfo=UTC)
            )
            charged = await get_invoice(session, uuid.UUID(invoice["id"]))
            assert first["fee_invoices"] >= 1 and again["fee_invoices"] == 0  # once in July
            assert charged is not None and str(charged.interest_charged_to) == "2025-07-11"
            august = await assess_late_fees_by_policy(
                session, actor=SYSTEM, clock=clock, as_of=datetime(2025, 8, 1, 4, tzinfo=UTC)
            )
            assert august["fee_invoices"] >= 1
        finally:
            await transaction.rollback()
