"""The statement cycle's pure rules: which period is due, the one serialisation hashed, what a dispute concerns."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing.statements import domain


@pytest.mark.parametrize(
    ("cycle", "day", "today", "period"),
    [
        ("monthly", 1, date(2026, 3, 1), (date(2026, 2, 1), date(2026, 2, 28))),
        ("monthly", 1, date(2026, 3, 31), (date(2026, 2, 1), date(2026, 2, 28))),
        ("monthly", 5, date(2026, 3, 4), (date(2026, 1, 1), date(2026, 1, 31))),  # February's day not come
        ("monthly", 5, date(2026, 3, 5), (date(2026, 2, 1), date(2026, 2, 28))),
        ("monthly", 1, date(2026, 1, 1), (date(2025, 12, 1), date(2025, 12, 31))),
        ("monthly", 28, date(2024, 3, 28), (date(2024, 2, 1), date(2024, 2, 29))),  # a leap February
        ("quarterly", 1, date(2026, 4, 1), (date(2026, 1, 1), date(2026, 3, 31))),
        ("quarterly", 10, date(2026, 4, 9), (date(2025, 10, 1), date(2025, 12, 31))),
        ("quarterly", 10, date(2026, 6, 30), (date(2026, 1, 1), date(2026, 3, 31))),
        ("quarterly", 1, date(2026, 1, 1), (date(2025, 10, 1), date(2025, 12, 31))),
    ],
)
def test_the_latest_period_due(cycle: domain.Cycle, day: int, today: date, period: tuple[date, date]) -> None:
    assert domain.due_period(cycle, day, today) == period


def test_no_cycle_has_no_period() -> None:
    assert domain.due_period("none", 1, date(2026, 3, 2)) is None


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(1, 28))
def test_a_due_period_is_whole_over_and_its_day_has_come(today: date, day: int) -> None:
    for cycle in ("monthly", "quarterly"):
        period = domain.due_period(cycle, day, today)
        assert period is not None
        start, end = period
        assert start.day == 1 and (end + timedelta(days=1)).day == 1
        assert start.month % 3 == 1 or cycle == "monthly"
        assert end < today and end + timedelta(days=day) <= today
        # and it is the latest: the next period's day is still to come
        following = domain.period_starting(cycle, end + timedelta(days=1))
        assert following[1] >= today or following[1] + timedelta(days=day) > today


def test_canonical_bytes_do_not_depend_on_key_order() -> None:
    one = domain.canonical_bytes({"b": "1.00", "a": {"y": 1, "x": "人民币"}})
    other = domain.canonical_bytes({"a": {"x": "人民币", "y": 1}, "b": "1.00"})
    assert one == other == '{"a":{"x":"人民币","y":1},"b":"1.00"}'.encode()
    assert domain.sha256_hex(one) == hashlib.sha256(one).hexdigest()


def test_a_float_cannot_be_frozen() -> None:
    with pytest.raises(ValueError, match="Out of range float values"):
        domain.canonical_bytes({"a": float("nan")})


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n...", "application/pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"GIF89a", None),
        (b"<svg xmlns=", None),
        (b"MZ\x90\x00", None),
        (b"", None),
    ],
)
def test_a_reply_is_known_by_its_bytes(data: bytes, kind: str | None) -> None:
    assert domain.reply_type(data) == kind


A, B, C = (uuid.uuid4() for _ in range(3))


def content(*currencies: dict[str, Any]) -> dict[str, Any]:
    return {
        "statement": {"currencies": list(currencies)},
        "invoice_ids": {"INV-1": str(A), "INV-2": str(B), "INV-3": str(C)},
        "open_invoices": [
            {"invoice_id": str(A), "invoice_number": "INV-1", "currency": "CNY", "open_amount": "400.00"},
            {"invoice_id": str(B), "invoice_number": "INV-2", "currency": "CNY", "open_amount": "500.00"},
            {"invoice_id": str(C), "invoice_number": "INV-3", "currency": "USD", "open_amount": "20.00"},
        ],
    }


def part(currency: str, *entries: tuple[str, str, str, str]) -> dict[str, Any]:
    return {
        "currency": currency,
        "opening_balance": "1000.00",
        "invoiced": "0.00",
        "credited": "0.00",
        "paid": "0.00",
        "closing_balance": "900.00",
        "entries": [
            {"entry_date": "2026-02-03", "kind": kind, "invoice_number": number, "debit": debit, "credit": credit}
            for kind, number, debit, credit in entries
        ],
    }


FEBRUARY = content(
    part("USD", ("invoice", "INV-3", "20.00", "0.00")),
    part("CNY", ("invoice", "INV-2", "500.00", "0.00"), ("payment", "INV-1", "0.00", "600.00")),
)


def test_lines_are_numbered_within_their_currency() -> None:
    lines = domain.lines(FEBRUARY)
    assert [(line.key, line.invoice_id, line.amount) for line in lines] == [
        ("USD:1", C, Decimal("20.00")),
        ("CNY:1", B, Decimal("500.00")),
        ("CNY:2", A, Decimal("-600.00")),
    ]


def test_balances_put_cny_first() -> None:
    assert [b.currency for b in domain.balances(FEBRUARY)] == ["CNY", "USD"]
    assert domain.balances(content())[0].closing_balance == 0  # nothing at all: zero in CNY


def test_a_disputed_line_concerns_its_invoice_with_what_was_open_on_it() -> None:
    [payment] = [line for line in domain.lines(FEBRUARY) if line.key == "CNY:2"]
    [concerned] = domain.disputed_invoices(FEBRUARY, [payment], None)
    assert (concerned.invoice_id, concerned.open_amount) == (A, Decimal("400.00"))


def test_a_disputed_balance_concerns_every_open_invoice_of_its_currency() -> None:
    assert {i.invoice_id for i in domain.disputed_invoices(FEBRUARY, [], "CNY")} == {A, B}
    assert {i.invoice_id for i in domain.disputed_invoices(FEBRUARY, [], None)} == {A, B, C}


def test_nothing_to_confirm() -> None:
    quiet = content({**part("CNY"), "opening_balance": "0.00", "closing_balance": "0.00"})
    assert domain.is_empty(quiet) and domain.is_empty(content())
    assert not domain.is_empty(FEBRUARY)


@pytest.mark.parametrize(
    ("status", "today", "unanswered"),
    [
        ("issued", date(2026, 3, 16), False),  # the 15th day after 1 March: still in time
        ("issued", date(2026, 3, 17), True),
        ("confirmed", date(2027, 1, 1), False),
        ("disputed", date(2027, 1, 1), False),
    ],
)
def test_a_statement_is_unanswered_after_its_days(status: str, today: date, unanswered: bool) -> None:
    assert domain.answer_due_on(date(2026, 3, 1), 15) == date(2026, 3, 16)
    assert domain.is_unanswered(status, date(2026, 3, 1), today, 15) is unanswered
