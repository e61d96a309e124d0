"""Limits, credit hold, warnings, review cadence and onboarding, against hand-worked figures."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from credit_scoring.cold_start import assess_onboarding
from credit_scoring.domain import PaymentExperience, build_credit_file
from credit_scoring.policy import (
    credit_hold,
    effective_limit,
    next_review_on,
    recommended_limit,
    utilisation,
)

AS_OF = date(2026, 6, 30)


def invoice(total: str, invoice_date: date, net_days: int, dbt: int | None) -> PaymentExperience:
    due = invoice_date + timedelta(days=net_days)
    return PaymentExperience(
        invoice_id=uuid.uuid4(),
        invoice_number=None,
        currency="CNY",
        total=Decimal(total),
        invoice_date=invoice_date,
        due_date=due,
        issued_on=invoice_date,
        paid_on=due + timedelta(days=dbt) if dbt is not None else None,
    )


def test_hand_worked_recommended_limit() -> None:
    # Sales in (04-01, 06-30]: 3 × 10,000 → monthly 10,000; terms 30; amount-weighted DBT (0+10+5)/3 = 5.
    # 10,000 × max(1, (30 + 5) / 30) × 2.5 (tier B) = 29,166.67 → 29,100.
    file = build_credit_file(
        [
            invoice("10000", date(2026, 4, 2), 30, 0),
            invoice("10000", date(2026, 5, 1), 30, 10),
            invoice("10000", date(2026, 5, 15), 30, 5),
        ],
        as_of=AS_OF,
        first_seen_on=date(2026, 1, 5),
    )
    found = recommended_limit(file, "B")
    assert (found.monthly_billing, found.terms_days, found.expected_dbt) == (
        Decimal("10000.00"),
        Decimal("30.00"),
        Decimal("5.00"),
    )
    assert found.limit == Decimal(29100)


def test_limit_is_capped_by_tier_and_rounded_down_to_a_hundred() -> None:
    file = build_credit_file([invoice("3000000", date(2026, 6, 1), 30, None)], as_of=AS_OF, first_seen_on=None)
    assert recommended_limit(file, "D").limit == Decimal(20000)
    small = build_credit_file(
        [invoice("1234", date(2026, 6, 1), 30, None)], as_of=AS_OF, first_seen_on=date(2026, 1, 5)
    )
    # 1234 / 3 × max(1, 30 / 30) × 2.0 = 822.67 → 800.
    assert recommended_limit(small, "C").limit == Decimal(800)


def test_a_new_client_is_billed_by_the_month_it_has_been_here_and_its_first_invoice_fits() -> None:
    # Seen 29 days: its 1,000 is one month's billing, not a third of one. Net 15 is still one invoice
    # open at a time: 1,000 × max(1, 15 / 30) × 2.0 (tier C) = 2,000.
    first = build_credit_file([invoice("1000", date(2026, 6, 1), 15, None)], as_of=AS_OF, first_seen_on=None)
    found = recommended_limit(first, "C")
    assert found.monthly_billing == Decimal("1000.00")
    assert found.limit == Decimal(2000) and found.exposure == Decimal(1000)


def test_short_terms_never_size_a_limit_below_the_invoice_just_issued() -> None:
    file = build_credit_file(
        [invoice("9000", date(2026, m, 2), 10, 0) for m in (4, 5, 6)], as_of=AS_OF, first_seen_on=date(2026, 1, 1)
    )
    # 9,000 a month on net 10 paid on time: 9,000 × max(1, 10/30) × 1.0 (tier D) = 9,000, not 3,000.
    assert recommended_limit(file, "D").limit == Decimal(9000)


def test_an_override_stands_through_its_expiry_date_only() -> None:
    assert effective_limit(Decimal(100), Decimal(500), date(2026, 6, 30), date(2026, 6, 30)) == Decimal(500)
    assert effective_limit(Decimal(100), Decimal(500), date(2026, 6, 30), date(2026, 7, 1)) == Decimal(100)
    assert effective_limit(Decimal(100), None, None, date(2026, 7, 1)) == Decimal(100)


def test_utilisation_and_credit_hold() -> None:
    assert utilisation(Decimal(850), Decimal(1000)) == Decimal("0.8500")
    assert utilisation(Decimal(0), Decimal(0)) is None
    assert credit_hold("D", Decimal(0), Decimal(1000), paying_late=False, manual=False) is True
    assert credit_hold("B", Decimal(1001), Decimal(1000), paying_late=True, manual=False) is True
    assert credit_hold("B", Decimal(1000), Decimal(1000), paying_late=True, manual=False) is False


def test_a_client_paying_on_time_is_not_held_for_owing_more_than_the_formula() -> None:
    # Growth is for a credit manager to review (the utilisation warnings), not a hold.
    assert credit_hold("A", Decimal(5000), Decimal(1000), paying_late=False, manual=False) is False
    assert credit_hold("C", Decimal(5000), Decimal(1000), paying_late=False, manual=False) is False
    assert credit_hold("C", Decimal(5000), Decimal(1000), paying_late=True, manual=False) is True


def test_a_manual_limit_of_zero_holds_any_tier_that_owes() -> None:
    # Tier A was exempt, so a manual limit of 0 never stopped an A customer's credit.
    assert credit_hold("A", Decimal("0.01"), Decimal(0), paying_late=False, manual=True) is True
    assert credit_hold("B", Decimal("0.01"), Decimal(0), paying_late=False, manual=True) is True
    assert credit_hold("A", Decimal(0), Decimal(0), paying_late=False, manual=True) is False


def test_review_cadence_by_tier() -> None:
    day = date(2026, 1, 31)
    assert [next_review_on(t, day) for t in "ABCD"] == [
        date(2027, 1, 31),
        date(2026, 7, 31),
        date(2026, 4, 30),
        date(2026, 2, 28),
    ]


def test_onboarding_of_an_established_a_rated_firm() -> None:
    found = assess_onboarding(
        years_in_business=Decimal(12),
        registered_capital=Decimal(10_000_000),
        industry="software",
        tax_credit_rating="A",
        requested_net_days=45,
        monthly_billing=Decimal(3000),
    )
    # 50 + 25 + 30 + 10 + 5 = 120 → A; terms 45; limit 3000 × 45 / 30 × 3.0 = 13,500.
    assert (found.tier, found.points, found.recommended_net_days, found.limit) == ("A", 120, 45, Decimal(13500))
    assert {code for code, *_ in found.reasons} == {
        "YEARS_IN_BUSINESS",
        "TAX_CREDIT_RATING",
        "REGISTERED_CAPITAL",
        "INDUSTRY",
    }


def test_onboarding_of_a_new_d_rated_firm_asks_for_prepayment() -> None:
    found = assess_onboarding(
        years_in_business=Decimal("0.5"),
        registered_capital=Decimal(50_000),
        industry="construction",
        tax_credit_rating="D",
        requested_net_days=90,
        monthly_billing=Decimal(2000),
    )
    # 50 − 15 − 40 − 10 − 10 − 10 = −35 → D, prepayment, no credit.
    assert (found.tier, found.points, found.recommended_net_days, found.limit) == ("D", -35, 0, Decimal(0))
    assert found.reasons[0][0] == "TAX_CREDIT_RATING"  # the heaviest reason first
