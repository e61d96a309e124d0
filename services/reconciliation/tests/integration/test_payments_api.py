from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest
from sqlalchemy import func, select

from arflow.persistence import outbox_message
from arflow.testing.services import RunningService
from reconciliation.models import Payment

if TYPE_CHECKING:  # the fixtures' types; conftest is not importable at run time (--import-mode=importlib)
    from conftest import Ledger, PublishedPayments


# `amount` may be a float on purpose: one case checks that the API refuses a JSON number.
def payment_body(customer_id: UUID, amount: str | float, **fields: Any) -> dict[str, Any]:
    return {
        "customer_id": str(customer_id),
        "amount": amount,
        "currency": "CNY",
        "received_on": "2026-03-01",
        **fields,
    }


async def nothing_recorded_for(reconciliation: RunningService, customer_id: UUID) -> bool:
    """No payment row and no outbox event for the customer."""
    async with reconciliation.app.state.db.unit_of_work() as session:
        payments: int | None = await session.scalar(select(func.count()).where(Payment.customer_id == customer_id))
        events: int | None = await session.scalar(
            select(func.count()).select_from(outbox_message).where(outbox_message.c.key == str(customer_id))
        )
    return payments == 0 and events == 0


async def test_issued_invoice_becomes_an_open_item(reconciliation_ledger: Ledger) -> None:
    customer_id = await reconciliation_ledger.customer()
    invoice = await reconciliation_ledger.invoice(customer_id, "1060.00", date(2026, 3, 31))
    item = await reconciliation_ledger.item_when(customer_id, invoice.invoice_id)
    assert item["invoice_number"] == invoice.invoice_number
    assert item["payment_reference"] == invoice.payment_reference
    assert (item["status"], item["issued"]) == ("open", True)
    assert (item["total"], item["balance"], item["available"]) == ("1060.00", "1060.00", "1060.00")
    assert item["due_date"] == "2026-03-31"


async def test_payment_with_given_allocations_is_stored_and_published(
    reconciliation: RunningService, reconciliation_ledger: Ledger, reconciliation_published: PublishedPayments
) -> None:
    customer_id = await reconciliation_ledger.customer()
    first = await reconciliation_ledger.invoice(customer_id, "300.00", date(2026, 2, 28))
    second = await reconciliation_ledger.invoice(customer_id, "500.00", date(2026, 3, 31))
    await reconciliation_ledger.item_when(customer_id, second.invoice_id)

    response = await reconciliation.client.post(
        "/payments",
        json=payment_body(
            customer_id,
            "1000.00",
            payer_name="上海星河代理记账有限公司",
            payer_account="6222 0000 1111 2222",
            allocations=[
                {"invoice_id": str(second.invoice_id), "amount": "500.00"},
                {"invoice_id": str(first.invoice_id), "amount": "120.50"},
            ],
        ),
    )
    assert response.status_code == 201, response.text
    payment = response.json()
    assert payment["source"] == "manual"
    assert payment["unallocated"] == "379.50"
    assert [(a["invoice_number"], a["amount"], a["basis"]) for a in payment["allocations"]] == [
        (second.invoice_number, "500.00", "given"),
        (first.invoice_number, "120.50", "given"),
    ]
    fetched = await reconciliation.client.get(f"/payments/{payment['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == payment

    event = await reconciliation_published.payment_received(UUID(payment["id"]))
    assert event.customer_id == customer_id
    assert (str(event.amount.amount), event.amount.currency) == ("1000.00", "CNY")
    assert (event.source, event.match_confidence, event.received_on) == ("manual", 1.0, date(2026, 3, 1))
    assert event.payer_account == "6222 0000 1111 2222"
    assert [(a.invoice_id, a.invoice_number, str(a.amount.amount)) for a in event.allocations] == [
        (second.invoice_id, second.invoice_number, "500.00"),
        (first.invoice_id, first.invoice_number, "120.50"),
    ]


async def test_payment_without_allocations_goes_to_the_invoice_its_reference_names(
    reconciliation: RunningService, reconciliation_ledger: Ledger, reconciliation_published: PublishedPayments
) -> None:
    customer_id = await reconciliation_ledger.customer()
    older = await reconciliation_ledger.invoice(customer_id, "300.00", date(2026, 2, 28))
    named = await reconciliation_ledger.invoice(customer_id, "500.00", date(2026, 3, 31))
    await reconciliation_ledger.item_when(customer_id, named.invoice_id)
    spaced = " ".join(named.payment_reference[i : i + 4] for i in range(0, len(named.payment_reference), 4))

    response = await reconciliation.client.post(
        "/payments", json=payment_body(customer_id, "500.00", reference=f"付款 {spaced.lower()}")
    )
    assert response.status_code == 201, response.text
    payment = response.json()
    assert [(a["invoice_id"], a["amount"], a["basis"]) for a in payment["allocations"]] == [
        (str(named.invoice_id), "500.00", "reference")
    ]
    event = await reconciliation_published.payment_received(UUID(payment["id"]))
    assert [(a.invoice_id, str(a.amount.amount)) for a in event.allocations] == [(named.invoice_id, "500.00")]
    items = await reconciliation_ledger.open_items(customer_id)
    assert items[str(older.invoice_id)]["available"] == "300.00"


async def test_payment_without_reference_goes_oldest_due_first_and_leaves_the_rest(
    reconciliation: RunningService, reconciliation_ledger: Ledger, reconciliation_published: PublishedPayments
) -> None:
    customer_id = await reconciliation_ledger.customer()
    newer = await reconciliation_ledger.invoice(customer_id, "500.00", date(2026, 3, 31))
    older = await reconciliation_ledger.invoice(customer_id, "300.00", date(2026, 2, 28))
    await reconciliation_ledger.item_when(customer_id, older.invoice_id)

    response = await reconciliation.client.post("/payments", json=payment_body(customer_id, "900.00"))
    assert response.status_code == 201, response.text
    payment = response.json()
    assert [(a["invoice_id"], a["amount"]) for a in payment["allocations"]] == [
        (str(older.invoice_id), "300.00"),
        (str(newer.invoice_id), "500.00"),
    ]
    assert payment["unallocated"] == "100.00"
    event = await reconciliation_published.payment_received(UUID(payment["id"]))
    assert [(a.invoice_number, str(a.amount.amount)) for a in event.allocations] == [
        (older.invoice_number, "300.00"),
        (newer.invoice_number, "500.00"),
    ]


async def test_a_second_payment_is_not_proposed_what_the_first_already_took(
    reconciliation: RunningService, reconciliation_ledger: Ledger
) -> None:
    customer_id = await reconciliation_ledger.customer()
    older = await reconciliation_ledger.invoice(customer_id, "300.00", date(2026, 2, 28))
    newer = await reconciliation_ledger.invoice(customer_id, "500.00", date(2026, 3, 31))
    await reconciliation_ledger.item_when(customer_id, newer.invoice_id)

    first = await reconciliation.client.post("/payments", json=payment_body(customer_id, "200.00"))
    second = await reconciliation.client.post("/payments", json=payment_body(customer_id, "200.00"))
    assert first.status_code == second.status_code == 201
    assert [(a["invoice_id"], a["amount"]) for a in second.json()["allocations"]] == [
        (str(older.invoice_id), "100.00"),
        (str(newer.invoice_id), "100.00"),
    ]
    items = await reconciliation_ledger.open_items(customer_id)
    assert (items[str(older.invoice_id)]["pending_allocations"], items[str(older.invoice_id)]["available"]) == (
        "300.00",
        "0.00",
    )


async def test_empty_allocations_leave_the_payment_on_account(
    reconciliation: RunningService, reconciliation_ledger: Ledger
) -> None:
    customer_id = await reconciliation_ledger.customer()
    invoice = await reconciliation_ledger.invoice(customer_id, "300.00", date(2026, 2, 28))
    await reconciliation_ledger.item_when(customer_id, invoice.invoice_id)
    response = await reconciliation.client.post("/payments", json=payment_body(customer_id, "50.00", allocations=[]))
    assert response.status_code == 201, response.text
    assert (response.json()["allocations"], response.json()["unallocated"]) == ([], "50.00")


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("unknown_customer", "customer_unknown"),
        ("above_balance", "allocation_exceeds_balance"),
        ("above_payment", "allocations_exceed_payment"),
        ("other_customers_invoice", "invoice_not_open"),
        ("other_currency", "allocation_currency_mismatch"),
        ("future_date", "received_on_in_future"),
        ("zero_amount", "validation_failed"),
        ("finer_than_fen", "validation_failed"),
        ("float_amount", "validation_failed"),
        ("unknown_field", "validation_failed"),
    ],
)
async def test_invalid_payment_is_a_422_problem_and_records_nothing(
    reconciliation: RunningService, reconciliation_ledger: Ledger, case: str, code: str
) -> None:
    customer_id = await reconciliation_ledger.customer()
    invoice = await reconciliation_ledger.invoice(customer_id, "300.00", date(2026, 2, 28))
    usd = await reconciliation_ledger.invoice(customer_id, "80.00", date(2026, 2, 28), currency="USD")
    stranger = await reconciliation_ledger.customer()
    strangers_invoice = await reconciliation_ledger.invoice(stranger, "300.00", date(2026, 2, 28))
    await reconciliation_ledger.item_when(customer_id, usd.invoice_id)
    await reconciliation_ledger.item_when(stranger, strangers_invoice.invoice_id)

    def allocate(invoice_id: UUID, amount: str) -> dict[str, Any]:
        return {"allocations": [{"invoice_id": str(invoice_id), "amount": amount}]}

    body = {
        "unknown_customer": payment_body(uuid.uuid4(), "100.00"),
        "above_balance": payment_body(customer_id, "500.00", **allocate(invoice.invoice_id, "300.01")),
        "above_payment": payment_body(customer_id, "100.00", **allocate(invoice.invoice_id, "100.01")),
        "other_customers_invoice": payment_body(customer_id, "100.00", **allocate(strangers_invoice.invoice_id, "1")),
        "other_currency": payment_body(customer_id, "100.00", **allocate(usd.invoice_id, "1.00")),
        "future_date": payment_body(customer_id, "100.00", received_on="2026-03-04"),
        "zero_amount": payment_body(customer_id, "0.00"),
        "finer_than_fen": payment_body(customer_id, "100.001"),
        "float_amount": payment_body(customer_id, 100.5),
        "unknown_field": payment_body(customer_id, "100.00", memo="x"),
    }[case]
    response = await reconciliation.client.post("/payments", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert await nothing_recorded_for(reconciliation, customer_id)
    item = (await reconciliation_ledger.open_items(customer_id))[str(invoice.invoice_id)]
    assert item["pending_allocations"] == "0.00"


async def test_received_on_may_be_one_day_ahead_of_the_customers_calendar_and_no_more(
    reconciliation: RunningService, reconciliation_ledger: Ledger
) -> None:
    # The clock stands at 2026-03-02 02:00 UTC: the 2nd in Shanghai, still the 1st in Los Angeles.
    shanghai = await reconciliation_ledger.customer()
    los_angeles = await reconciliation_ledger.customer(time_zone="America/Los_Angeles")
    for customer_id in (shanghai, los_angeles):
        invoice = await reconciliation_ledger.invoice(customer_id, "300.00", date(2026, 2, 28))
        await reconciliation_ledger.item_when(customer_id, invoice.invoice_id)
    for customer_id, latest in ((shanghai, "2026-03-03"), (los_angeles, "2026-03-02")):
        accepted = await reconciliation.client.post(
            "/payments", json=payment_body(customer_id, "10.00", received_on=latest)
        )
        assert accepted.status_code == 201, accepted.text
        assert accepted.json()["received_on"] == latest
    refused = await reconciliation.client.post(
        "/payments",
        json=payment_body(los_angeles, "10.00", received_on="2026-03-03"),
        headers={"Accept-Language": "zh-CN"},
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "received_on_in_future"
    assert refused.json()["detail"] == (
        "received_on 2026-03-03 是未来日期：收款日期最晚只能比今天（2026-03-01）晚 1 天，即不晚于 2026-03-02。"
    )
    english = await reconciliation.client.post(
        "/payments", json=payment_body(los_angeles, "10.00", received_on="2026-03-03")
    )
    assert "at most 1 day after today (2026-03-01)" in english.json()["detail"]


async def test_unknown_payment_is_a_404_problem(reconciliation: RunningService) -> None:
    response = await reconciliation.client.get(f"/payments/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["code"] == "payment_not_found"


async def test_idempotency_key_replays_the_payment_and_records_it_once(
    reconciliation: RunningService, reconciliation_ledger: Ledger
) -> None:
    customer_id = await reconciliation_ledger.customer()
    invoice = await reconciliation_ledger.invoice(customer_id, "300.00", date(2026, 2, 28))
    await reconciliation_ledger.item_when(customer_id, invoice.invoice_id)
    key = str(uuid.uuid4())
    body = payment_body(customer_id, "100.00")
    first = await reconciliation.client.post("/payments", json=body, headers={"Idempotency-Key": key})
    again = await reconciliation.client.post("/payments", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    listed = await reconciliation.client.get("/payments", params={"customer_id": str(customer_id)})
    assert [p["id"] for p in listed.json()["data"]] == [first.json()["id"]]
    other = await reconciliation.client.post(
        "/payments", json={**body, "amount": "99.00"}, headers={"Idempotency-Key": key}
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"


async def test_payments_list_filters_by_dates_and_pages_newest_first(
    reconciliation: RunningService, reconciliation_ledger: Ledger
) -> None:
    customer_id = await reconciliation_ledger.customer()
    invoice = await reconciliation_ledger.invoice(customer_id, "300.00", date(2026, 2, 28))
    await reconciliation_ledger.item_when(customer_id, invoice.invoice_id)
    ids = []
    for received_on in ("2026-02-10", "2026-02-20", "2026-03-01"):
        response = await reconciliation.client.post(
            "/payments", json=payment_body(customer_id, "1.00", received_on=received_on)
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])

    window = await reconciliation.client.get(
        "/payments",
        params={"customer_id": str(customer_id), "received_from": "2026-02-15", "received_to": "2026-03-01"},
    )
    assert [p["id"] for p in window.json()["data"]] == [ids[2], ids[1]]

    page1 = (await reconciliation.client.get("/payments", params={"customer_id": str(customer_id), "limit": 2})).json()
    assert ([p["id"] for p in page1["data"]], page1["has_more"]) == ([ids[2], ids[1]], True)
    page2 = (
        await reconciliation.client.get(
            "/payments", params={"customer_id": str(customer_id), "limit": 2, "starting_after": page1["next_cursor"]}
        )
    ).json()
    assert ([p["id"] for p in page2["data"]], page2["has_more"]) == ([ids[0]], False)


async def test_reversed_date_range_is_a_422_problem(reconciliation: RunningService) -> None:
    response = await reconciliation.client.get(
        "/payments", params={"received_from": "2026-03-01", "received_to": "2026-02-01"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_date_range"
