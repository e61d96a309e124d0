from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from arflow.events.catalog import (
    CreditNoteIssued,
    CustomerUpserted,
    InvoiceIssued,
    InvoicePaid,
    InvoiceVoided,
    InvoiceWrittenOff,
    PaymentApplicationReversed,
    PaymentApplied,
)
from arflow.money import Money
from arflow.testing.services import RunningService
from reconciliation.models import Customer

if TYPE_CHECKING:  # the fixtures' types; conftest is not importable at run time (--import-mode=importlib)
    from conftest import InvoicingFeed, Ledger


def applied(
    invoice: InvoiceIssued, balance_after: str, *, payment_id: UUID | None = None, version: int | None = None
) -> PaymentApplied:
    paid = invoice.total.amount - Money.of(balance_after, invoice.currency).amount
    return PaymentApplied(
        customer_id=invoice.customer_id,
        application_id=uuid.uuid4(),
        payment_id=payment_id or uuid.uuid4(),
        invoice_id=invoice.invoice_id,
        invoice_number=invoice.invoice_number,
        amount=Money.of(paid, invoice.currency),
        applied_on=date(2026, 3, 1),
        due_date=invoice.due_date,
        invoice_balance_after=Money.of(balance_after, invoice.currency),
        days_after_due=(date(2026, 3, 1) - invoice.due_date).days,
        invoice_ledger_version=version,
    )


def reversed_application(
    invoice: InvoiceIssued, balance_after: str, *, version: int | None
) -> PaymentApplicationReversed:
    return PaymentApplicationReversed(
        customer_id=invoice.customer_id,
        application_id=uuid.uuid4(),
        payment_id=uuid.uuid4(),
        invoice_id=invoice.invoice_id,
        invoice_number=invoice.invoice_number,
        amount=Money.of(balance_after, invoice.currency),
        reversed_on=date(2026, 3, 2),
        reason="chargeback",
        invoice_balance_after=Money.of(balance_after, invoice.currency),
        invoice_reopened=True,
        invoice_ledger_version=version,
    )


def credit_note(invoice: InvoiceIssued, amount: str, balance_after: str, *, version: int) -> CreditNoteIssued:
    return CreditNoteIssued(
        customer_id=invoice.customer_id,
        credit_note_id=uuid.uuid4(),
        credit_note_number=f"CN-{invoice.invoice_number}",
        invoice_id=invoice.invoice_id,
        invoice_number=invoice.invoice_number,
        amount=Money.of(amount, invoice.currency),
        reason="折让",
        issued_on=date(2026, 3, 2),
        invoice_balance_after=Money.of(balance_after, invoice.currency),
        invoice_ledger_version=version,
    )


def paid(invoice: InvoiceIssued) -> InvoicePaid:
    return InvoicePaid(
        customer_id=invoice.customer_id,
        invoice_id=invoice.invoice_id,
        invoice_number=invoice.invoice_number,
        total=invoice.total,
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        paid_on=date(2026, 3, 1),
        days_beyond_terms=max(0, (date(2026, 3, 1) - invoice.due_date).days),
    )


async def test_payment_applied_lowers_the_balance_and_releases_the_allocation(
    reconciliation: RunningService, reconciliation_ledger: Ledger, reconciliation_feed: InvoicingFeed
) -> None:
    customer_id = await reconciliation_ledger.customer()
    invoice = await reconciliation_ledger.invoice(customer_id, "1000.00", date(2026, 3, 31))
    await reconciliation_ledger.item_when(customer_id, invoice.invoice_id)
    response = await reconciliation.client.post(
        "/payments",
        json={"customer_id": str(customer_id), "amount": "400.00", "currency": "CNY", "received_on": "2026-03-01"},
    )
    assert response.status_code == 201, response.text
    payment_id = UUID(response.json()["id"])
    item = (await reconciliation_ledger.open_items(customer_id))[str(invoice.invoice_id)]
    assert (item["balance"], item["pending_allocations"], item["available"]) == ("1000.00", "400.00", "600.00")

    await reconciliation_feed.publish(applied(invoice, "600.00", payment_id=payment_id))
    item = await reconciliation_ledger.item_when(customer_id, invoice.invoice_id, lambda i: i["balance"] == "600.00")
    assert (item["status"], item["pending_allocations"], item["available"]) == ("open", "0.00", "600.00")
    payment = (await reconciliation.client.get(f"/payments/{payment_id}")).json()
    assert [a["applied"] for a in payment["allocations"]] == [True]


async def test_invoice_paid_closes_the_open_item(
    reconciliation_ledger: Ledger, reconciliation_feed: InvoicingFeed
) -> None:
    customer_id = await reconciliation_ledger.customer()
    invoice = await reconciliation_ledger.invoice(customer_id, "1000.00", date(2026, 3, 31))
    await reconciliation_feed.publish(applied(invoice, "0.00"), paid(invoice))
    item = await reconciliation_ledger.item_when(customer_id, invoice.invoice_id, lambda i: i["status"] == "paid")
    assert (item["balance"], item["available"]) == ("0.00", "0.00")


async def test_invoice_paid_before_invoice_issued_ends_paid(
    reconciliation_ledger: Ledger, reconciliation_feed: InvoicingFeed
) -> None:
    customer_id = await reconciliation_ledger.customer()
    invoice = await reconciliation_ledger.invoice(customer_id, "1000.00", date(2026, 3, 31), publish=False)
    await reconciliation_feed.publish(paid(invoice), invoice)
    item = await reconciliation_ledger.item_when(customer_id, invoice.invoice_id, lambda i: i["issued"])
    assert (item["status"], item["balance"], item["total"]) == ("paid", "0.00", "1000.00")
    assert item["payment_reference"] == invoice.payment_reference


async def test_a_stale_payment_applied_does_not_raise_the_balance(
    reconciliation_ledger: Ledger, reconciliation_feed: InvoicingFeed
) -> None:
    customer_id = await reconciliation_ledger.customer()
    invoice = await reconciliation_ledger.invoice(customer_id, "1000.00", date(2026, 3, 31))
    sentinel = await reconciliation_ledger.invoice(customer_id, "1.00", date(2026, 3, 31), publish=False)
    # Same key, same partition: once the sentinel is visible, everything before it was applied.
    await reconciliation_feed.publish(applied(invoice, "300.00"), applied(invoice, "600.00"), sentinel)
    await reconciliation_ledger.item_when(customer_id, sentinel.invoice_id)
    item = (await reconciliation_ledger.open_items(customer_id))[str(invoice.invoice_id)]
    assert (item["status"], item["balance"]) == ("open", "300.00")


async def test_a_voided_invoice_takes_no_payment_and_a_written_off_one_none_by_age(
    reconciliation: RunningService, reconciliation_ledger: Ledger, reconciliation_feed: InvoicingFeed
) -> None:
    customer_id = await reconciliation_ledger.customer()
    voided = await reconciliation_ledger.invoice(customer_id, "100.00", date(2026, 1, 31))
    written_off = await reconciliation_ledger.invoice(customer_id, "200.00", date(2026, 1, 31))
    await reconciliation_feed.publish(
        InvoiceVoided(
            customer_id=customer_id,
            invoice_id=voided.invoice_id,
            invoice_number=voided.invoice_number,
            total=voided.total,
            reason="开错了",
            voided_at=datetime(2026, 2, 1, tzinfo=UTC),
        ),
        InvoiceWrittenOff(
            customer_id=customer_id,
            invoice_id=written_off.invoice_id,
            invoice_number=written_off.invoice_number,
            amount_written_off=written_off.total,
            reason="uncollectible",
            written_off_on=date(2026, 2, 1),
        ),
    )
    item = await reconciliation_ledger.item_when(
        customer_id, written_off.invoice_id, lambda i: i["status"] == "written_off"
    )
    # A written-off invoice still owes what was written off: it can take a recovery (坏账收回), up to that.
    assert (item["balance"], item["available"]) == ("200.00", "200.00")
    assert (await reconciliation_ledger.open_items(customer_id))[str(voided.invoice_id)]["status"] == "void"

    response = await reconciliation.client.post(
        "/payments",
        json={"customer_id": str(customer_id), "amount": "50.00", "currency": "CNY", "received_on": "2026-03-01"},
    )
    assert response.status_code == 201, response.text
    # Oldest due first never reaches a written-off invoice: a recovery is named or given, never guessed.
    assert (response.json()["allocations"], response.json()["recovered"]) == ([], "0.00")


async def test_customer_keeps_its_highest_revision(
    reconciliation: RunningService, reconciliation_ledger: Ledger, reconciliation_feed: InvoicingFeed
) -> None:
    customer_id = uuid.uuid4()
    sentinel = await reconciliation_ledger.invoice(customer_id, "1.00", date(2026, 3, 31), publish=False)
    await reconciliation_feed.publish(
        CustomerUpserted(customer_id=customer_id, revision=3, legal_name="新名字有限公司"),
        CustomerUpserted(customer_id=customer_id, revision=2, legal_name="旧名字有限公司"),
        sentinel,
    )
    await reconciliation_ledger.item_when(customer_id, sentinel.invoice_id)
    async with reconciliation.app.state.db.unit_of_work() as session:
        customer = await session.get(Customer, customer_id)
    assert customer is not None
    assert (customer.revision, customer.legal_name) == (3, "新名字有限公司")


async def test_open_items_page_by_invoice_id(reconciliation: RunningService, reconciliation_ledger: Ledger) -> None:
    customer_id = await reconciliation_ledger.customer()
    invoices = [await reconciliation_ledger.invoice(customer_id, "10.00", date(2026, 3, 31)) for _ in range(3)]
    await reconciliation_ledger.item_when(customer_id, invoices[-1].invoice_id)
    expected = sorted((str(i.invoice_id) for i in invoices), key=UUID, reverse=True)
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(3):
        params: dict[str, str | int] = {"customer_id": str(customer_id), "limit": 2}
        if cursor:
            params["starting_after"] = cursor
        page = (await reconciliation.client.get("/open-items", params=params)).json()
        seen += [i["invoice_id"] for i in page["data"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == expected


async def test_a_reversed_application_reopens_a_paid_item_that_takes_payments_again(
    reconciliation: RunningService, reconciliation_ledger: Ledger, reconciliation_feed: InvoicingFeed
) -> None:
    customer_id = await reconciliation_ledger.customer()
    invoice = await reconciliation_ledger.invoice(customer_id, "1000.00", date(2026, 3, 31))
    await reconciliation_feed.publish(applied(invoice, "0.00", version=1), paid(invoice))
    await reconciliation_ledger.item_when(customer_id, invoice.invoice_id, lambda i: i["status"] == "paid")

    await reconciliation_feed.publish(reversed_application(invoice, "1000.00", version=2))
    item = await reconciliation_ledger.item_when(customer_id, invoice.invoice_id, lambda i: i["status"] == "open")
    assert (item["balance"], item["available"]) == ("1000.00", "1000.00")
    response = await reconciliation.client.post(
        "/payments",
        json={"customer_id": str(customer_id), "amount": "1000.00", "currency": "CNY", "received_on": "2026-03-02"},
    )
    assert response.status_code == 201, response.text
    assert [a["invoice_id"] for a in response.json()["allocations"]] == [str(invoice.invoice_id)]


async def test_balance_events_delivered_out_of_order_end_at_the_highest_version(
    reconciliation_ledger: Ledger, reconciliation_feed: InvoicingFeed
) -> None:
    customer_id = await reconciliation_ledger.customer()
    invoice = await reconciliation_ledger.invoice(customer_id, "1000.00", date(2026, 3, 31))
    sentinel = await reconciliation_ledger.invoice(customer_id, "1.00", date(2026, 3, 31), publish=False)
    await reconciliation_feed.publish(
        credit_note(invoice, "100.00", "500.00", version=4),
        reversed_application(invoice, "600.00", version=3),
        applied(invoice, "0.00", version=2),
        paid(invoice),
        applied(invoice, "600.00", version=1),
        sentinel,
    )
    await reconciliation_ledger.item_when(customer_id, sentinel.invoice_id)
    item = (await reconciliation_ledger.open_items(customer_id))[str(invoice.invoice_id)]
    assert (item["status"], item["balance"], item["available"]) == ("open", "500.00", "500.00")
    assert item["ledger_version"] == 4


async def test_a_balance_event_delivered_twice_changes_nothing_the_second_time(
    reconciliation_ledger: Ledger, reconciliation_feed: InvoicingFeed
) -> None:
    customer_id = await reconciliation_ledger.customer()
    invoice = await reconciliation_ledger.invoice(customer_id, "1000.00", date(2026, 3, 31))
    sentinel = await reconciliation_ledger.invoice(customer_id, "1.00", date(2026, 3, 31), publish=False)
    reopened = reversed_application(invoice, "400.00", version=2)
    # The same fact again (a new envelope, so the inbox lets it through), after a later version.
    await reconciliation_feed.publish(
        applied(invoice, "0.00", version=1), reopened, applied(invoice, "100.00", version=3), reopened, sentinel
    )
    await reconciliation_ledger.item_when(customer_id, sentinel.invoice_id)
    item = (await reconciliation_ledger.open_items(customer_id))[str(invoice.invoice_id)]
    assert (item["status"], item["balance"]) == ("open", "100.00")


async def test_an_unversioned_reversal_does_not_raise_the_balance(
    reconciliation_ledger: Ledger, reconciliation_feed: InvoicingFeed
) -> None:
    customer_id = await reconciliation_ledger.customer()
    invoice = await reconciliation_ledger.invoice(customer_id, "1000.00", date(2026, 3, 31))
    sentinel = await reconciliation_ledger.invoice(customer_id, "1.00", date(2026, 3, 31), publish=False)
    await reconciliation_feed.publish(
        applied(invoice, "0.00"), paid(invoice), reversed_application(invoice, "1000.00", version=None), sentinel
    )
    await reconciliation_ledger.item_when(customer_id, sentinel.invoice_id)
    item = (await reconciliation_ledger.open_items(customer_id))[str(invoice.invoice_id)]
    assert (item["status"], item["balance"]) == ("paid", "0.00")
