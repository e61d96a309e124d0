"""A new client's initial limit: from its onboarding assessment and contracts, handed over to its history."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from credit_scoring.cold_start import (
    ContractFact,
    StoredAssessment,
    initial_limit,
    limit_reasons,
    onboarding_limit,
)
from credit_scoring.domain import PaymentExperience, build_credit_file
from credit_scoring.policy import limit_basis, recommended_limit

AS_OF = date(2026, 6, 30)
ASSESSED = StoredAssessment(
    revision=1,
    assessed_on=date(2026, 5, 20),
    tier="A",
    currency="CNY",
    monthly_billing=Decimal(3000),
    recommended_net_days=45,
)


def contract(monthly: str, net_days: int, **fields: object) -> ContractFact:
    values: dict[str, object] = {
        "currency": "CNY",
        "monthly_amount": Decimal(monthly),
        "net_days": net_days,
        "start_date": date(2026, 6, 1),
        "end_date": None,
        "status": "active",
        "effective_on": date(2026, 6, 1),
        **fields,
    }
    return ContractFact(**values)  # type: ignore[arg-type]


def invoice(invoice_date: date, *, paid_after: int | None) -> PaymentExperience:
    due = invoice_date + timedelta(days=30)
    return PaymentExperience(
        invoice_id=uuid.uuid4(),
        invoice_number=None,
        currency="CNY",
        total=Decimal(1000),
        invoice_date=invoice_date,
        due_date=due,
        issued_on=invoice_date,
        paid_on=invoice_date + timedelta(days=paid_after) if paid_after is not None else None,
    )


def test_expected_billing_comes_from_the_contracts_in_force() -> None:
    contracts = [
        contract("4000.00", 30),
        contract("2000.00", 60),
        contract("9000.00", 30, end_date=date(2026, 5, 31), status="cancelled"),  # ended before: not billing
        contract("7000.00", 30, status="paused", effective_on=date(2026, 6, 10)),  # paused: not billing
    ]
    found = initial_limit([ASSESSED], contracts, as_of=AS_OF, currency="CNY")
    assert found is not None
    # 6,000 a month on (4000 × 30 + 2000 × 60) / 6000 = 40 days; tier A: 6000 × 40/30 × 3.0 = 24,000.
    assert (found.billing_source, found.contracts, found.monthly_billing, found.terms_days) == (
        "contracts",
        2,
        Decimal("6000.00"),
        Decimal("40.00"),
    )
    assert found.limit == Decimal(24000)


def test_without_contracts_the_assessments_own_billing_is_used() -> None:
    found = initial_limit([ASSESSED], [], as_of=AS_OF, currency="CNY")
    assert found is not None
    # 3,000 × 45/30 × 3.0 = 13,500.
    assert (found.billing_source, found.limit) == ("assessment", Decimal(13500))


def test_no_assessment_standing_yet_gives_no_initial_limit() -> None:
    assert initial_limit([ASSESSED], [], as_of=date(2026, 5, 19), currency="CNY") is None
    assert initial_limit([ASSESSED], [], as_of=AS_OF, currency="USD") is None  # the assessment is in CNY


def test_the_latest_revision_by_the_date_stands() -> None:
    later = StoredAssessment(2, date(2026, 6, 15), "C", "CNY", Decimal(3000), 15)
    assert (found := initial_limit([ASSESSED, later], [], as_of=AS_OF, currency="CNY")) is not None
    assert (found.tier, found.limit) == ("C", Decimal(6000))  # 3000 × max(1, 15/30) × 2.0
    assert (earlier := initial_limit([ASSESSED, later], [], as_of=date(2026, 6, 1), currency="CNY")) is not None
    assert earlier.tier == "A"


def test_a_d_assessment_asks_for_prepayment() -> None:
    assert onboarding_limit(Decimal(50000), Decimal(30), "D") == Decimal(0)


def test_the_behavioural_limit_takes_over_paid_invoice_by_paid_invoice() -> None:
    initial = initial_limit([ASSESSED], [], as_of=AS_OF, currency="CNY")
    days = [date(2026, 6, 1), date(2026, 6, 5), date(2026, 6, 8), date(2026, 6, 12)]
    limits, bases = [], []
    for paid in range(4):
        experiences = [invoice(d, paid_after=1 if i < paid else None) for i, d in enumerate(days)]
        file = build_credit_file(experiences, as_of=AS_OF, first_seen_on=date(2026, 6, 1))
        behavioural = recommended_limit(file, "C").limit
        found = recommended_limit(file, "C", initial=initial)
        assert found.behavioural_limit == behavioural
        limits.append((found.limit, behavioural))
        bases.append(found.basis)
    assert bases == ["onboarding", "blend", "blend", "behaviour"]
    # 4,000 billed in the month → behavioural 4000 × 1 × 2.0 = 8,000; initial 13,500.
    assert limits == [
        (Decimal(13500), Decimal(8000)),
        (Decimal(11600), Decimal(8000)),  # (13500 × 2 + 8000) / 3 = 11,666.67 → 11,600
        (Decimal(9800), Decimal(8000)),  # (13500 + 8000 × 2) / 3 = 9,833.33 → 9,800
        (Decimal(8000), Decimal(8000)),
    ]


def test_the_reasons_say_where_the_limit_comes_from_in_both_languages() -> None:
    initial = initial_limit([ASSESSED], [contract("4000.00", 30)], as_of=AS_OF, currency="CNY")
    file = build_credit_file(
        [invoice(date(2026, 6, 1), paid_after=1), invoice(date(2026, 6, 20), paid_after=None)],
        as_of=AS_OF,
        first_seen_on=date(2026, 6, 1),
    )
    reasons = limit_reasons(limit_basis(recommended_limit(file, "C", initial=initial)), "CNY")
    assert [code for code, _, _ in reasons] == [
        "LIMIT_FROM_ONBOARDING",
        "EXPECTED_BILLING_FROM_CONTRACTS",
        "LIMIT_BLENDED_WITH_HISTORY",
    ]
    assert "2026-05-20" in reasons[0][1] and "准入评估" in reasons[0][1]
    assert "onboarding assessment" in reasons[0][2]
    assert "4000.00" in reasons[1][1] and "1 份服务合同" in reasons[1][1]
    alone = limit_reasons(limit_basis(recommended_limit(file, "C")), "CNY")
    assert [code for code, _, _ in alone] == ["LIMIT_FROM_BEHAVIOUR"] and "无准入评估" in alone[0][1]
