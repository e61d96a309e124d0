"""Credits granted by the ledger itself: the early-payment discount, and a cancelled contract's unused days."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, cast

from arflow.events.catalog import Allocation, PaymentReceived
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
NewInvoice = Callable[..., Awaitable[dict[str, Any]]]
Recorded = Callable[..., Awaitable[list[dict[str, Any]]]]
Probe = Callable[[], Awaitable[dict[str, Any] | None]]


async def discounted_invoice(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> dict[str, Any]:
    """1,000.00 dated 5 Jan 2026 on terms of 2% off when paid within 10 days (by 15 Jan)."""
    code = f"D-{uuid.uuid4().hex[:8]}"
    terms = await invoicing.client.post(
        "/payment-terms",
        json={"code": code, "name": "2/10 net 30", "net_days": 30, "discount_rate": "0.02", "discount_days": 10},
    )
    assert terms.status_code == 201, terms.text
    customer = await new_customer(payment_terms_code=code)
    invoice = await new_invoice(customer["id"], "1000.00", invoice_date="2026-01-05", net_days=None)
    assert (invoice["early_payment_discount"], invoice["discount_until"]) == ("20.00", "2026-01-15")
    return invoice


def paid(invoice: dict[str, Any], amount: str, on: date) -> PaymentReceived:
    return PaymentReceived(
        customer_id=uuid.UUID(invoice["customer_id"]),
        payment_id=uuid.uuid4(),
        amount=Money.of(amount, "CNY"),
        received_on=on,
        source="bank_statement",
        allocations=[Allocation(invoice_id=uuid.UUID(invoice["id"]), amount=Money.of(amount, "CNY"))],
    )


async def test_paying_all_but_the_discount_in_time_grants_it_as_a_credit_note(
    invoicing: RunningService,
    infra: TestInfrastructure,
    new_customer: NewCustomer,
    new_invoice: NewInvoice,
    recorded: Recorded,
) -> None:
    invoice = await discounted_invoice(invoicing, new_customer, new_invoice)
    await publish_events(infra.bootstrap, paid(invoice, "980.00", date(2026, 1, 15)))  # the discount's last day

    async def settled() -> dict[str, Any] | None:
        state = (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()
        return state if state["status"] == "paid" else None

    state = await eventually(settled, what="the discount to close the invoice")
    assert (state["amount_paid"], state["amount_credited"], state["balance"]) == ("980.00", "20.00", "0.00")
    [note] = (await invoicing.client.get("/credit-notes", params={"invoice_id": invoice["id"]})).json()["data"]
    assert (note["kind"], note["amount"], note["issued_on"]) == ("early_payment_discount", "20.00", "2026-01-15")
    assert "Early-payment discount 2%" in note["reason"]
    [issued] = await recorded("CreditNoteIssued", invoice_id=invoice["id"])
    assert (issued["amount"]["amount"], issued["invoice_balance_after"]["amount"]) == ("20.00", "0.00")
    [applied] = await recorded("PaymentApplied", invoice_id=invoice["id"])
    assert issued["invoice_ledger_version"] > applied["invoice_ledger_version"]
    [paid_event] = await recorded("InvoicePaid", invoice_id=invoice["id"])
    assert paid_event["paid_on"] == "2026-01-15"


async def test_a_payment_short_by_a_cent_more_than_the_discount_still_gets_it(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    invoice = await discounted_invoice(invoicing, new_customer, new_invoice)
    await publish_events(infra.bootstrap, paid(invoice, "979.99", date(2026, 1, 10)))  # 20.01 left

    async def settled() -> dict[str, Any] | None:
        state = (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()
        return state if state["status"] == "paid" else None

    state = await eventually(settled, what="the discount to close the invoice")
    assert (state["amount_paid"], state["amount_credited"]) == ("979.99", "20.01")


async def test_no_discount_for_a_payment_after_its_last_day_or_one_that_leaves_more_open(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    late = await discounted_invoice(invoicing, new_customer, new_invoice)
    short = await discounted_invoice(invoicing, new_customer, new_invoice)
    await publish_events(
        infra.bootstrap, paid(late, "980.00", date(2026, 1, 16)), paid(short, "900.00", date(2026, 1, 10))
    )

    async def applied(invoice: dict[str, Any], balance: str) -> dict[str, Any] | None:
        state = (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()
        return state if state["balance"] == balance else None

    for invoice, balance in ((late, "20.00"), (short, "100.00")):
        # mypy cannot type a lambda's parameters from their defaults, so the probe's type is stated
        state = await eventually(
            cast(Probe, lambda i=invoice, b=balance: applied(i, b)), what="the payment to be applied"
        )
        assert (state["status"], state["amount_credited"]) == ("open", "0.00")
        notes = (await invoicing.client.get("/credit-notes", params={"invoice_id": invoice["id"]})).json()["data"]
        assert notes == []


async def test_cancelling_a_contract_mid_period_credits_the_unused_days_of_the_invoiced_period(
    invoicing: RunningService, new_customer: NewCustomer, recorded: Recorded
) -> None:
    customer = await new_customer()
    created = await invoicing.client.post(
        "/contracts",
        json={
            "customer_id": customer["id"],
            "cycle": "monthly",
            "start_date": "2026-02-01",
            "lines": [{"description": "代理记账服务费", "unit_price": "300.00", "tax_rate": "0.06"}],
        },
    )
    assert created.status_code == 201, created.text
    contract = created.json()
    billed = await invoicing.client.post("/admin/jobs/recurring-billing/runs", json={"as_of": "2026-03-02T02:00:00Z"})
    expected = {"issued": 2, "drafts": 0, "zero_total_drafts": [], "failed": [], "credit_hold": []}
    assert billed.json()["result"] == expected, billed.text
    cancelled = await invoicing.client.post(f"/contracts/{contract['id']}/cancel", json={"cancelled_on": "2026-03-10"})
    assert cancelled.status_code == 200, cancelled.text
    invoices = (await invoicing.client.get("/invoices", params={"customer_id": customer["id"]})).json()["data"]
    march = next(i for i in invoices if i["invoice_date"] == "2026-03-01")
    february = next(i for i in invoices if i["invoice_date"] == "2026-02-01")
    # March was billed in advance (318.00); service ends 10 March: 21 of 31 days unused.
    #   quantity 21/31 = 0.677419 → net 300.00 × 0.677419 = 203.2257 → 203.23, tax 6% = 12.19, credit 215.42
    [note] = (await invoicing.client.get("/credit-notes", params={"invoice_id": march["id"]})).json()["data"]
    assert (note["kind"], note["amount"], note["issued_on"]) == ("contract_cancellation", "215.42", "2026-03-02")
    assert "2026-03-11..2026-03-31" in note["reason"]
    assert (march["balance"], march["status"]) == ("102.58", "open")
    assert (await invoicing.client.get("/credit-notes", params={"invoice_id": february["id"]})).json()["data"] == []
    [event] = await recorded("CreditNoteIssued", invoice_id=march["id"])
    assert (event["amount"]["amount"], event["invoice_balance_after"]["amount"]) == ("215.42", "102.58")
    again = await invoicing.client.post(f"/contracts/{contract['id']}/cancel", json={"cancelled_on": "2026-03-05"})
    assert again.status_code == 409  # cancelled once: credited once
