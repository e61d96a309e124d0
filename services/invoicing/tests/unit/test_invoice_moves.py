"""An issued invoice's moves (void, write-off, paid, reopened) as pure rules: no database, no broker."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from invoicing.invoices import lifecycle as decisions
from invoicing.invoices.errors import InvoiceHasSettlements, WriteOffBeforeInvoice
from invoicing.ledger import lifecycle as money
from invoicing.ledger.errors import InvoiceNotOpen
from invoicing.models import Invoice

AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def an_invoice(**overrides: Any) -> Invoice:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "customer_id": uuid.uuid4(),
        "number": "INV-2026-000042",
        "status": "open",
        "currency": "CNY",
        "invoice_date": date(2026, 1, 5),
        "due_date": date(2026, 2, 4),
        "total": Decimal("1200.0000"),
        "amount_paid": Decimal(0),
        "amount_credited": Decimal(0),
        "amount_written_off": Decimal(0),
        "written_off_on": None,
        **overrides,
    }
    return Invoice(**values)


def test_voiding_an_open_invoice_records_why_and_when_and_says_so() -> None:
    invoice = an_invoice()
    event = decisions.void(invoice, at=AT, reason="开错了客户")
    assert (invoice.status, invoice.voided_at, invoice.void_reason) == ("void", AT, "开错了客户")
    assert (event.invoice_number, str(event.total.amount), event.voided_at) == ("INV-2026-000042", "1200.00", AT)


@pytest.mark.parametrize("status", ["paid", "void", "draft"])
def test_only_an_open_invoice_can_be_voided(status: str) -> None:
    invoice = an_invoice(status=status)
    with pytest.raises(InvoiceNotOpen, match=f"is {status}"):
        decisions.void(invoice, at=AT, reason="x")
    assert invoice.status == status


def test_a_written_off_invoice_is_not_voided_but_credited() -> None:
    with pytest.raises(InvoiceNotOpen, match="credit note"):
        decisions.void(an_invoice(status="uncollectible", written_off_on=date(2026, 6, 1)), at=AT, reason="x")


@pytest.mark.parametrize(("paid", "credited"), [("0.01", "0"), ("0", "100.00")])
def test_an_invoice_with_money_on_it_is_not_voided(paid: str, credited: str) -> None:
    invoice = an_invoice(amount_paid=Decimal(paid), amount_credited=Decimal(credited))
    with pytest.raises(InvoiceHasSettlements):
        decisions.void(invoice, at=AT, reason="x")
    assert invoice.status == "open"


def test_a_write_off_takes_what_is_still_owed_on_its_business_date() -> None:
    invoice = an_invoice(amount_paid=Decimal("200.00"), amount_credited=Decimal("100.00"))
    event = decisions.write_off(invoice, on=date(2026, 9, 30), at=AT, reason="客户注销")
    assert (invoice.status, invoice.written_off_on, invoice.amount_written_off) == (
        "uncollectible",
        date(2026, 9, 30),
        Decimal("900.00"),
    )
    assert (str(event.amount_written_off.amount), event.written_off_on) == ("900.00", date(2026, 9, 30))


def test_no_write_off_before_the_invoice_date() -> None:
    invoice = an_invoice()
    with pytest.raises(WriteOffBeforeInvoice):
        decisions.write_off(invoice, on=date(2026, 1, 4), at=AT, reason="x")
    assert invoice.status == "open"


def test_paid_counts_the_days_beyond_terms_from_the_due_date() -> None:
    early, late = an_invoice(), an_invoice()
    assert money.mark_paid(early, paid_on=date(2026, 1, 20)).days_beyond_terms == 0
    assert money.mark_paid(late, paid_on=date(2026, 2, 13)).days_beyond_terms == 9
    assert (late.status, late.paid_on) == ("paid", date(2026, 2, 13))


@pytest.mark.parametrize(("written_off_on", "reopened_as"), [(None, "open"), (date(2026, 6, 1), "uncollectible")])
def test_a_reversal_that_leaves_money_owed_reopens_a_paid_invoice(
    written_off_on: date | None, reopened_as: str
) -> None:
    invoice = an_invoice(status="paid", paid_on=date(2026, 2, 1), written_off_on=written_off_on)
    invoice.amount_paid = Decimal("700.00")  # 500.00 of the 1,200.00 reversed
    assert money.reopen_if_owed(invoice) is True
    assert (invoice.status, invoice.paid_on) == (reopened_as, None)


def test_a_reversal_that_leaves_nothing_owed_keeps_it_paid() -> None:
    invoice = an_invoice(status="paid", paid_on=date(2026, 2, 1), amount_paid=Decimal("1000.00"))
    invoice.amount_credited = Decimal("200.00")
    assert money.reopen_if_owed(invoice) is False
    assert invoice.status == "paid"
