from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import TypedDict, Unpack

from hypothesis import given
from hypothesis import strategies as st

from credit_scoring.domain import (
    Application,
    PaymentExperience,
    build_credit_file,
    days_beyond_terms,
    ratio,
    status_as_of,
    twelve_months_before,
)

AS_OF = date(2026, 4, 15)
DUE = date(2026, 3, 1)


class LaterFacts(TypedDict, total=False):
    """The facts of an invoice that arrive after it is issued (the optional fields of a PaymentExperience)."""

    voided_on: date | None
    written_off_on: date | None
    max_days_overdue: int | None
    overdue_noted_on: date | None
    applications: tuple[Application, ...]
    credits: tuple[Application, ...]


def experience(
    total: str = "1000.00",
    *,
    due_date: date = DUE,
    issued_on: date | None = date(2026, 1, 30),
    invoice_date: date | None = date(2026, 1, 30),
    paid_on: date | None = None,
    currency: str = "CNY",
    number: str | None = None,
    **facts: Unpack[LaterFacts],
) -> PaymentExperience:
    return PaymentExperience(
        invoice_id=uuid.uuid4(),
        invoice_number=number or f"INV-2026-{uuid.uuid4().hex[:6]}",
        currency=currency,
        total=Decimal(total),
        invoice_date=invoice_date,
        due_date=due_date,
        issued_on=issued_on,
        paid_on=paid_on,
        **facts,
    )


def paid_late(total: str, days: int) -> PaymentExperience:
    return experience(total, paid_on=DUE + timedelta(days=days))


# --- the hand-worked fixture: 1000 / 2000 / 3000 paid 0 / 10 / 20 days late ----------------

HAND_WORKED = [paid_late("1000.00", 0), paid_late("2000.00", 10), paid_late("3000.00", 20)]


def test_hand_worked_counts() -> None:
    file = build_credit_file(HAND_WORKED, as_of=AS_OF, first_seen_on=date(2026, 1, 1))
    assert (file.invoices_issued, file.invoices_paid, file.invoices_open) == (3, 3, 0)
    assert (file.invoices_paid_on_time, file.invoices_paid_late) == (1, 2)


def test_hand_worked_ratio_late_by_count_is_two_thirds() -> None:
    file = build_credit_file(HAND_WORKED, as_of=AS_OF, first_seen_on=None)
    assert file.ratio_late_by_count == Decimal("0.6667")


def test_hand_worked_ratio_late_by_amount_is_five_sixths() -> None:
    (cny,) = build_credit_file(HAND_WORKED, as_of=AS_OF, first_seen_on=None).by_currency
    assert cny.paid_amount == Decimal("6000.00")
    assert cny.paid_late_amount == Decimal("5000.00")
    assert cny.ratio_late_by_amount == Decimal("0.8333")


def test_hand_worked_average_dbt_is_ten() -> None:
    file = build_credit_file(HAND_WORKED, as_of=AS_OF, first_seen_on=None)
    assert file.average_dbt == Decimal("10.00")


def test_hand_worked_amount_weighted_dbt() -> None:
    # (0·1000 + 10·2000 + 20·3000) / 6000 = 80000 / 6000 = 13.333…
    (cny,) = build_credit_file(HAND_WORKED, as_of=AS_OF, first_seen_on=None).by_currency
    assert cny.amount_weighted_dbt == Decimal("13.33")


def test_hand_worked_max_dbt_12m_and_nothing_outstanding() -> None:
    file = build_credit_file(HAND_WORKED, as_of=AS_OF, first_seen_on=None)
    assert file.max_dbt_12m == 20
    assert file.max_days_past_due is None
    (cny,) = file.by_currency
    assert cny.outstanding == cny.overdue == Decimal(0)


def test_experiences_report_dbt_per_invoice_in_due_date_order() -> None:
    early = experience("10.00", due_date=date(2026, 2, 1), paid_on=date(2026, 2, 3))
    later = experience("20.00", due_date=date(2026, 3, 1), paid_on=date(2026, 2, 20))
    file = build_credit_file([later, early], as_of=AS_OF, first_seen_on=None)
    assert [(e.invoice_id, e.days_beyond_terms, e.status) for e in file.experiences] == [
        (early.invoice_id, 2, "paid"),
        (later.invoice_id, 0, "paid"),
    ]


# --- formulas in isolation ----------------------------------------------------------


def test_dbt_is_zero_when_paid_before_due() -> None:
    assert days_beyond_terms(DUE, DUE - timedelta(days=3)) == 0


def test_dbt_is_zero_when_paid_on_the_due_date() -> None:
    assert days_beyond_terms(DUE, DUE) == 0


def test_dbt_counts_calendar_days_after_due() -> None:
    assert days_beyond_terms(date(2026, 2, 26), date(2026, 3, 3)) == 5


def test_ratio_rounds_half_up_to_four_decimals() -> None:
    assert ratio(1, 3) == Decimal("0.3333")
    assert ratio(2, 3) == Decimal("0.6667")
    assert ratio(Decimal("1"), Decimal("80000")) == Decimal("0.0000")
    assert ratio(Decimal("1"), Decimal("20000")) == Decimal("0.0001")  # 0.00005 → half-up


def test_ratio_of_nothing_is_none() -> None:
    assert ratio(0, 0) is None


def test_twelve_months_before_is_the_same_day_a_year_earlier() -> None:
    assert twelve_months_before(date(2026, 4, 15)) == date(2025, 4, 15)


def test_twelve_months_before_a_leap_day_is_28_february() -> None:
    assert twelve_months_before(date(2028, 2, 29)) == date(2027, 2, 28)


# --- the empty file -------------------------------------------------------------------


def test_empty_file_has_zero_counts_and_no_ratios() -> None:
    file = build_credit_file([], as_of=AS_OF, first_seen_on=date(2026, 4, 1))
    assert (file.invoices_issued, file.invoices_paid, file.invoices_paid_late) == (0, 0, 0)
    assert file.ratio_late_by_count is None
    assert file.average_dbt is None
    assert file.max_dbt_12m is None
    assert file.max_days_past_due is None
    assert file.by_currency == ()
    assert file.experiences == ()
    assert file.tenure_days == 14


def test_tenure_is_zero_before_the_customer_was_first_seen() -> None:
    assert build_credit_file([], as_of=date(2026, 1, 1), first_seen_on=date(2026, 4, 1)).tenure_days == 0


# --- point in time ----------------------------------------------------------------------


def test_invoice_dated_after_as_of_is_excluded() -> None:
    before = experience(invoice_date=date(2026, 4, 1), issued_on=date(2026, 4, 1))
    after = experience(invoice_date=date(2026, 4, 16), issued_on=date(2026, 4, 16))
    file = build_credit_file([before, after], as_of=AS_OF, first_seen_on=None)
    assert file.invoices_issued == 1
    assert [e.invoice_id for e in file.experiences] == [before.invoice_id]


def test_backdated_invoice_counts_from_its_invoice_date_not_from_when_it_was_recorded() -> None:
    # A firm loading its history: dated 1 April, entered on 20 April. As of 15 April it was owed.
    backdated = experience(invoice_date=date(2026, 4, 1), issued_on=date(2026, 4, 20))
    assert status_as_of(backdated, date(2026, 3, 31)) is None
    assert status_as_of(backdated, AS_OF) == "open"


def test_the_issue_day_stands_in_only_while_no_invoice_date_is_known() -> None:
    undated = experience(invoice_date=None, issued_on=date(2026, 4, 20))
    assert status_as_of(undated, AS_OF) is None
    assert status_as_of(undated, date(2026, 4, 20)) == "open"


def test_invoice_date_stands_in_until_the_issue_fact_arrives() -> None:
    paid_first = experience(issued_on=None, invoice_date=date(2026, 2, 1), paid_on=DUE)
    assert status_as_of(paid_first, date(2026, 1, 31)) is None
    assert status_as_of(paid_first, AS_OF) == "paid"


def test_payment_after_as_of_counts_as_unpaid_and_overdue() -> None:
    late = experience("500.00", paid_on=date(2026, 4, 20), applications=(Application(date(2026, 4, 20), Decimal(500)),))
    file = build_credit_file([late], as_of=AS_OF, first_seen_on=None)
    assert (file.invoices_paid, file.invoices_open) == (0, 1)
    (shown,) = file.experiences
    assert (shown.status, shown.paid_on, shown.days_beyond_terms) == ("open", None, None)
    assert shown.amount_paid == Decimal(0)
    assert shown.days_past_due == (AS_OF - DUE).days
    (cny,) = file.by_currency
    assert cny.outstanding == cny.overdue == Decimal("500.00")


def test_the_same_payment_counts_once_its_date_has_come() -> None:
    late = experience("500.00", paid_on=date(2026, 4, 20))
    (shown,) = build_credit_file([late], as_of=date(2026, 4, 20), first_seen_on=None).experiences
    assert (shown.status, shown.days_beyond_terms) == ("paid", (date(2026, 4, 20) - DUE).days)


def test_overdue_notice_after_as_of_is_not_shown() -> None:
    noticed = experience(max_days_overdue=31, overdue_noted_on=date(2026, 4, 1))
    (before,) = build_credit_file([noticed], as_of=date(2026, 3, 31), first_seen_on=None).experiences
    (after,) = build_credit_file([noticed], as_of=date(2026, 4, 1), first_seen_on=None).experiences
    assert before.max_days_overdue_noticed is None
    assert after.max_days_overdue_noticed == 31


def test_max_dbt_12m_ignores_payments_a_year_or_more_before() -> None:
    old = experience(
        due_date=date(2025, 3, 1), paid_on=date(2025, 4, 15), issued_on=date(2025, 2, 1), invoice_date=None
    )
    recent = experience(
        due_date=date(2025, 4, 1), paid_on=date(2025, 4, 16), issued_on=date(2025, 3, 1), invoice_date=None
    )
    file = build_credit_file([old, recent], as_of=AS_OF, first_seen_on=None)
    assert file.max_dbt_12m == 15  # the 45 days of the payment on 2025-04-15 are out of the window
    assert file.average_dbt == Decimal("30.00")  # but every paid invoice still counts in the average


# --- outstanding and overdue ------------------------------------------------------------


def test_partial_payment_leaves_the_rest_outstanding() -> None:
    partly = experience("1000.00", applications=(Application(date(2026, 3, 10), Decimal("400.00")),))
    (cny,) = build_credit_file([partly], as_of=AS_OF, first_seen_on=None).by_currency
    assert cny.outstanding == cny.overdue == Decimal("600.00")


def test_application_after_as_of_does_not_reduce_outstanding() -> None:
    partly = experience("1000.00", applications=(Application(date(2026, 4, 16), Decimal("400.00")),))
    (cny,) = build_credit_file([partly], as_of=AS_OF, first_seen_on=None).by_currency
    assert cny.outstanding == Decimal("1000.00")


def test_invoice_due_on_as_of_is_outstanding_but_not_overdue() -> None:
    due_today = experience("300.00", due_date=AS_OF)
    file = build_credit_file([due_today], as_of=AS_OF, first_seen_on=None)
    (cny,) = file.by_currency
    assert (cny.outstanding, cny.overdue) == (Decimal("300.00"), Decimal(0))
    assert file.max_days_past_due == 0


def test_amounts_are_kept_per_currency() -> None:
    cny = experience("100.00", currency="CNY")
    usd = experience("7.00", currency="USD", due_date=date(2026, 5, 1))
    measures = {m.currency: m for m in build_credit_file([cny, usd], as_of=AS_OF, first_seen_on=None).by_currency}
    assert (measures["CNY"].outstanding, measures["CNY"].overdue) == (Decimal("100.00"), Decimal("100.00"))
    assert (measures["USD"].outstanding, measures["USD"].overdue) == (Decimal("7.00"), Decimal(0))


def test_max_days_past_due_is_the_oldest_open_invoice() -> None:
    older = experience(due_date=date(2026, 2, 14))
    newer = experience(due_date=date(2026, 4, 5))
    assert build_credit_file([older, newer], as_of=AS_OF, first_seen_on=None).max_days_past_due == 60


# --- void, written off, incomplete -------------------------------------------------------


def test_void_invoice_is_listed_but_not_measured() -> None:
    void = experience("900.00", voided_on=date(2026, 2, 2))
    file = build_credit_file([void], as_of=AS_OF, first_seen_on=None)
    assert file.invoices_issued == 0
    assert file.by_currency == ()
    assert [e.status for e in file.experiences] == ["void"]


def test_void_after_as_of_is_still_open_then() -> None:
    void = experience("900.00", voided_on=date(2026, 4, 20))
    assert status_as_of(void, AS_OF) == "open"


def test_written_off_invoice_counts_but_is_no_longer_outstanding() -> None:
    lost = experience("800.00", written_off_on=date(2026, 4, 1))
    file = build_credit_file([lost], as_of=AS_OF, first_seen_on=None)
    assert (file.invoices_issued, file.invoices_written_off, file.invoices_open) == (1, 1, 0)
    (cny,) = file.by_currency
    assert cny.outstanding == Decimal(0)


def test_payment_after_write_off_makes_it_paid() -> None:
    recovered = experience(written_off_on=date(2026, 3, 20), paid_on=date(2026, 4, 10))
    assert status_as_of(recovered, date(2026, 4, 1)) == "written_off"
    assert status_as_of(recovered, AS_OF) == "paid"


def test_experience_without_a_total_yet_is_not_counted() -> None:
    # Only PaymentApplied has arrived: no total, no invoice date.
    partial = PaymentExperience(
        invoice_id=uuid.uuid4(),
        invoice_number="INV-2026-000009",
        currency="CNY",
        total=None,
        invoice_date=None,
        due_date=DUE,
        issued_on=None,
        applications=(Application(DUE, Decimal(100)),),
    )
    file = build_credit_file([partial], as_of=AS_OF, first_seen_on=None)
    assert file.invoices_issued == 0
    assert file.experiences == ()


# --- properties ---------------------------------------------------------------------------


@given(
    st.lists(
        st.tuples(st.integers(min_value=1, max_value=10**7), st.integers(min_value=-30, max_value=400)),
        min_size=1,
        max_size=20,
    )
)
def test_paid_invoices_split_into_on_time_and_late_and_weighted_dbt_is_within_range(
    invoices: list[tuple[int, int]],
) -> None:
    experiences = [
        experience(str(Decimal(cents).scaleb(-2)), paid_on=DUE + timedelta(days=days)) for cents, days in invoices
    ]
    file = build_credit_file(experiences, as_of=date(2027, 6, 1), first_seen_on=None)
    assert file.invoices_paid_on_time + file.invoices_paid_late == file.invoices_paid == len(invoices)
    dbts = [max(0, days) for _, days in invoices]
    (cny,) = file.by_currency
    assert cny.amount_weighted_dbt is not None
    assert min(dbts) <= cny.amount_weighted_dbt <= max(dbts)
    assert cny.ratio_late_by_amount is not None and 0 <= cny.ratio_late_by_amount <= 1
