"""Pure invoicing rules: due dates, interest, terms resolution, allocation, references."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import TypedDict, Unpack

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing import domain


@pytest.mark.parametrize(
    ("invoice_date", "basis", "net_days", "expected"),
    [
        (date(2026, 1, 5), "invoice_date", 30, date(2026, 2, 4)),
        (date(2026, 1, 5), "end_of_month", 30, date(2026, 3, 2)),  # 月结30天
        (date(2026, 2, 10), "end_of_month", 0, date(2026, 2, 28)),
        (date(2028, 2, 10), "end_of_month", 15, date(2028, 3, 15)),  # leap year: 29 Feb + 15
    ],
)
def test_due_date_counts_from_the_invoice_date_or_the_month_end(
    invoice_date: date, basis: str, net_days: int, expected: date
) -> None:
    assert domain.due_date(invoice_date, domain.Terms(net_days=net_days, basis=basis)) == expected


def test_explicit_fields_override_the_template_which_overrides_net_30() -> None:
    template = domain.Terms(
        net_days=10, grace_days=3, code="N10", interest_kind="daily", interest_rate=Decimal("0.001")
    )
    assert domain.resolve_terms(None, {"net_days": None}).net_days == 30
    resolved = domain.resolve_terms(template, {"net_days": 45, "grace_days": None})
    assert (resolved.net_days, resolved.grace_days, resolved.code, resolved.interest_kind) == (45, 3, "N10", "daily")


class InterestTerms(TypedDict):
    """The terms `domain.late_interest` takes by keyword, but for `since`."""

    kind: str
    rate: Decimal
    grace_days: int
    cap_ratio: Decimal | None
    currency: str


class InterestOptions(TypedDict, total=False):
    """Any of `domain.late_interest`'s keyword arguments, a test overriding some."""

    kind: str
    rate: Decimal
    grace_days: int
    cap_ratio: Decimal | None
    currency: str
    since: date


def interest(balance: str, as_of: date, **kw: Unpack[InterestOptions]) -> Decimal:
    """Interest on an invoice of `balance` dated 5 Jan, due 4 Feb 2026, never paid."""
    options: InterestOptions = {
        "kind": "daily",
        "rate": Decimal("0.0005"),
        "grace_days": 0,
        "cap_ratio": None,
        "currency": "CNY",
    }
    options.update(kw)
    charged: Decimal = domain.late_interest([(date(2026, 1, 5), Decimal(balance))], date(2026, 2, 4), as_of, **options)
    return charged


DAILY: InterestTerms = {
    "kind": "daily",
    "rate": Decimal("0.0005"),
    "grace_days": 0,
    "cap_ratio": None,
    "currency": "CNY",
}


def test_interest_runs_day_by_day_on_what_is_still_owed_each_day() -> None:
    # 1,000.00 due 1 March 2026, 400.00 paid on 11 March, 0.05%/day (每日万分之五), as of 31 March.
    # A day's balance counts the entries dated on or before it: the payment stops interest from 11 March.
    #   2–10 March:   9 days × 1,000.00 × 0.0005 = 4.50
    #   11–31 March: 21 days ×   600.00 × 0.0005 = 6.30
    #   total                                     = 10.80   (today's balance × all 30 days would say 9.00)
    entries = [(date(2026, 2, 1), Decimal("1000.00")), (date(2026, 3, 11), Decimal("-400.00"))]
    assert domain.late_interest(entries, date(2026, 3, 1), date(2026, 3, 31), **DAILY) == Decimal("10.80")


def test_a_reversal_puts_the_balance_back_up_for_the_days_after_it() -> None:
    # 1,000.00 due 1 March; 1,000.00 paid 6 March, bounced 16 March; as of 20 March.
    #   2–5 March:   4 days × 1,000.00 × 0.0005 = 2.00
    #   6–15 March: nothing owed                = 0.00
    #   16–20 March: 5 days × 1,000.00 × 0.0005 = 2.50
    entries = [
        (date(2026, 2, 1), Decimal("1000.00")),
        (date(2026, 3, 6), Decimal("-1000.00")),
        (date(2026, 3, 16), Decimal("1000.00")),
    ]
    assert domain.late_interest(entries, date(2026, 3, 1), date(2026, 3, 20), **DAILY) == Decimal("4.50")


def test_changes_before_the_due_date_only_set_the_opening_balance() -> None:
    # credit note of 200.00 on 20 Feb and 300.00 paid on 1 March (the due date): 500.00 from 2 to 11 March
    entries = [
        (date(2026, 2, 1), Decimal("1000.00")),
        (date(2026, 2, 20), Decimal("-200.00")),
        (date(2026, 3, 1), Decimal("-300.00")),
        (date(2026, 3, 20), Decimal("-500.00")),  # after as_of: not counted
    ]
    assert domain.late_interest(entries, date(2026, 3, 1), date(2026, 3, 11), **DAILY) == Decimal("2.50")


def test_interest_since_the_last_charge_uses_the_balance_of_that_day() -> None:
    # charged to 10 March; 400.00 paid on 11 March: 21 days × 600.00 × 0.0005 = 6.30
    entries = [(date(2026, 2, 1), Decimal("1000.00")), (date(2026, 3, 11), Decimal("-400.00"))]
    since = date(2026, 3, 10)
    assert domain.late_interest(entries, date(2026, 3, 1), date(2026, 3, 31), since=since, **DAILY) == Decimal("6.30")


def test_the_cap_is_a_share_of_the_highest_balance_interest_ran_on() -> None:
    entries = [(date(2026, 2, 1), Decimal("1000.00")), (date(2026, 3, 11), Decimal("-900.00"))]
    # 4.50 + 21 × 100.00 × 0.0005 = 5.55, capped at 4.00
    capped: InterestTerms = {**DAILY, "cap_ratio": Decimal("0.004")}
    assert domain.late_interest(entries, date(2026, 3, 1), date(2026, 3, 31), **capped) == Decimal("4.00")


def test_the_cap_holds_for_all_the_interest_charged_month_by_month() -> None:
    # 1,000.00 due 31 Jan 2026 at 0.1%/day capped at 5%: 50.00 in all, at once or month by month (not 364.00)
    entries = [(date(2026, 1, 1), Decimal("1000.00"))]
    terms: InterestTerms = {**DAILY, "rate": Decimal("0.001"), "cap_ratio": Decimal("0.05")}
    due = date(2026, 1, 31)
    at_once = domain.late_interest(entries, due, date(2027, 1, 31), **terms)
    charged, since, charges = Decimal(0), None, []
    for month_end in (date(2026 + m // 12, m % 12 + 1, 1) - date.resolution for m in range(2, 14)):  # Feb..Jan
        interest = domain.late_interest(entries, due, month_end, since=since, charged=charged, **terms)
        charges.append(interest)
        charged, since = charged + interest, month_end
    assert (at_once, charged) == (Decimal("50.00"), Decimal("50.00"))
    assert charges[:2] == [Decimal("28.00"), Decimal("22.00")] and set(charges[2:]) == {Decimal(0)}


def test_no_interest_on_or_before_the_due_date() -> None:
    assert interest("1000.00", date(2026, 2, 4)) == 0


def test_interest_runs_from_the_day_after_due() -> None:
    assert interest("1000.00", date(2026, 2, 5)) == Decimal("0.50")
    assert interest("1000.00", date(2026, 3, 6)) == Decimal("15.00")  # 30 days × 0.05%


def test_no_interest_within_grace_then_all_days_count() -> None:
    assert interest("1000.00", date(2026, 2, 9), grace_days=5) == 0
    assert interest("1000.00", date(2026, 2, 10), grace_days=5) == Decimal("3.00")


def test_an_annual_rate_is_divided_over_365_days() -> None:
    assert interest("36500.00", date(2026, 2, 14), kind="annual", rate=Decimal("0.10")) == Decimal("100.00")


def test_the_cap_limits_interest_to_a_share_of_the_balance() -> None:
    assert interest("1000.00", date(2027, 2, 4), cap_ratio=Decimal("0.05")) == Decimal("50.00")


def test_interest_already_charged_is_not_charged_again() -> None:
    assert interest("1000.00", date(2026, 3, 6), since=date(2026, 2, 24)) == Decimal("5.00")


def test_interest_rounds_half_up_to_the_minor_unit() -> None:
    assert interest("1001.00", date(2026, 2, 5)) == Decimal("0.50")  # 0.5005
    assert interest("1003.00", date(2026, 2, 5)) == Decimal("0.50")  # 0.5015 → 0.50
    assert interest("1010.00", date(2026, 2, 5)) == Decimal("0.51")  # 0.505 half-up


def test_line_amounts_round_half_up_per_line() -> None:
    amounts = domain.line_amounts(Decimal(3), Decimal("33.335"), Decimal("0.06"), "CNY")
    assert (amounts.net, amounts.tax, amounts.gross) == (Decimal("100.01"), Decimal("6.00"), Decimal("106.01"))
    assert domain.line_amounts(Decimal(1), Decimal("1000.5"), Decimal(0), "JPY").net == Decimal(1001)


def test_rf_reference_round_trips_and_catches_a_typo() -> None:
    reference = domain.rf_creditor_reference("INV-2026-000123")
    assert domain.is_valid_rf_reference(reference)
    assert not domain.is_valid_rf_reference(reference[:-1] + ("4" if reference[-1] != "4" else "5"))


def test_uscc_check_character() -> None:
    assert domain.is_valid_uscc("91350100M000100Y43")
    assert not domain.is_valid_uscc("91350100M000100Y44")


@pytest.mark.parametrize(
    ("days", "bucket"), [(0, "current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (61, "61-90"), (91, "90+")]
)
def test_aging_buckets(days: int, bucket: str) -> None:
    assert domain.aging_bucket(days) == bucket


money = st.integers(min_value=0, max_value=1_000_000).map(lambda cents: Decimal(cents) / 100)


@given(
    amount=money,
    balances=st.lists(money, min_size=0, max_size=6),
    proposals=st.lists(st.tuples(st.integers(0, 5), money), max_size=4),
)
def test_allocation_never_over_applies_and_keeps_every_cent(
    amount: Decimal, balances: list[Decimal], proposals: list[tuple[int, Decimal]]
) -> None:
    items = [domain.OpenItem(uuid.uuid4(), date(2026, 1, 1 + n), b) for n, b in enumerate(balances)]
    proposed = [domain.Application(items[i % len(items)].invoice_id, a) for i, a in proposals] if items else []
    applications, leftover = domain.allocate(amount, proposed, items)
    assert sum(a.amount for a in applications) + leftover == amount
    assert leftover >= 0
    by_invoice = {item.invoice_id: item.balance for item in items}
    for application in applications:
        assert 0 < application.amount <= by_invoice[application.invoice_id]
    if not proposed and leftover > 0:
        assert sum(a.amount for a in applications) == sum(balances)  # only what nothing could take is left


@given(balances=st.lists(money.filter(lambda m: m > 0), min_size=2, max_size=5), amount=money)
def test_without_proposals_the_oldest_due_is_paid_first(balances: list[Decimal], amount: Decimal) -> None:
    items = [domain.OpenItem(uuid.uuid4(), date(2026, 1, 1 + n), b) for n, b in enumerate(balances)]
    applications, _ = domain.allocate(amount, [], items)
    paid = {a.invoice_id: a.amount for a in applications}
    seen_partial = False
    for item in items:  # once one is short, every later one gets nothing
        got = paid.get(item.invoice_id, Decimal(0))
        if seen_partial:
            assert got == 0
        if got < item.balance:
            seen_partial = True


def test_kpis_from_hand_worked_figures() -> None:
    figures = domain.KpiInputs(
        days=90,
        opening=Decimal("2000"),
        closing=Decimal("3000"),
        closing_current=Decimal("1800"),
        sales=Decimal("9000"),
        collected=Decimal("7500"),
        written_off=Decimal("500"),
    )
    result = domain.kpis(figures)
    assert result["dso"] == Decimal("30.00")  # 3000 / 9000 × 90
    assert result["best_possible_dso"] == Decimal("18.00")  # 1800 / 9000 × 90
    assert result["average_days_delinquent"] == Decimal("12.00")
    assert result["cei"] == Decimal("86.96")  # (2000 + 9000 − 3000) / (2000 + 9000 − 1800) = 8000 / 9200
    assert result["bad_debt_rate"] == Decimal("5.56")  # 500 / 9000
    assert result["collection_rate"] == Decimal("68.18")  # 7500 / 11000


def test_kpis_without_sales_are_undefined_not_a_division_by_zero() -> None:
    zero = Decimal(0)
    result = domain.kpis(domain.KpiInputs(30, zero, zero, zero, zero, zero, zero))
    assert set(result.values()) == {None}


def test_the_early_payment_discount_and_its_last_day() -> None:
    offer = domain.early_payment_discount(Decimal("318.00"), date(2026, 1, 5), Decimal("0.02"), 10, "CNY")
    assert offer == (Decimal("6.36"), date(2026, 1, 15))
    assert domain.early_payment_discount(Decimal("318.00"), date(2026, 1, 5), None, None, "CNY") is None


def discount_due(balance: str, paid_on: date) -> Decimal | None:
    """1,000.00 dated 5 Jan 2026, 2% off until 15 Jan (20.00)."""
    due: Decimal | None = domain.early_payment_discount_due(
        total=Decimal("1000.00"),
        balance=Decimal(balance),
        invoice_date=date(2026, 1, 5),
        paid_on=paid_on,
        rate=Decimal("0.02"),
        days=10,
        currency="CNY",
    )
    return due


def test_the_discount_is_due_when_no_more_than_it_is_left_by_its_last_day() -> None:
    assert discount_due("20.00", date(2026, 1, 15)) == Decimal("20.00")
    assert discount_due("20.01", date(2026, 1, 15)) == Decimal("20.01")  # a payer who rounded the other way
    assert discount_due("12.00", date(2026, 1, 6)) == Decimal("12.00")  # paid a bit more: what is left closes it


def test_no_discount_after_its_last_day_or_with_more_than_it_left_or_nothing_left() -> None:
    assert discount_due("20.00", date(2026, 1, 16)) is None
    assert discount_due("20.02", date(2026, 1, 10)) is None
    assert discount_due("0.00", date(2026, 1, 10)) is None


def test_unused_days_after_a_cancellation_are_prorated_like_a_partial_period() -> None:
    march = domain.unused_days("monthly", date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 10))
    assert march == domain.UnusedDays(date(2026, 3, 11), date(2026, 3, 31), Decimal("0.677419"))  # 21/31
    whole = domain.unused_days("quarterly", date(2026, 4, 1), date(2026, 6, 30), date(2026, 3, 31))
    assert whole is not None and whole.factor == 1
    assert domain.unused_days("monthly", date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 31)) is None
    lines = [(Decimal(1), Decimal("300.00"), Decimal("0.06"))]
    assert domain.prorated_gross(lines, march.factor, "CNY") == Decimal("215.42")  # 203.23 + 12.19


def test_a_written_off_invoice_takes_only_money_allocated_to_it() -> None:
    """坏账收回 is a person's or an exact reference's decision: by age, money passes a written-off invoice by."""
    written_off = domain.OpenItem(uuid.uuid4(), date(2025, 6, 30), Decimal("500.00"), written_off=True)
    current = domain.OpenItem(uuid.uuid4(), date(2026, 1, 31), Decimal("300.00"))
    applications, leftover = domain.allocate(Decimal("900.00"), [], [written_off, current])
    assert applications == [domain.Application(current.invoice_id, Decimal("300.00"))]
    assert leftover == Decimal("600.00")
    named = [domain.Application(written_off.invoice_id, Decimal("200.00"))]
    applications, leftover = domain.allocate(Decimal("200.00"), named, [written_off, current])
    assert applications == named and leftover == 0
