"""Pure cold-start rules: the onboarding assessment (准入评估) and a new client's initial credit limit (no I/O).

Onboarding points (`assess_onboarding`) give a tier, terms and a limit for a prospect. Once stored for a
customer (`PUT /credit-files/{id}/onboarding`), the assessment standing on a date (its latest revision
assessed on or before it) and the client's expected billing give its initial limit (`initial_limit`):

    expected monthly billing = Σ monthly_amount of its contracts in force in the limit's currency (not
      ended before the date, not paused from a day on or before it), else the assessment's monthly billing
      (CNY);
    terms = the contracts' net days weighted by their monthly amounts, else the assessment's terms;
    initial limit = `onboarding_limit`(expected monthly billing, terms, the assessment's tier).

policy.recommended_limit blends it with the behavioural limit until 3 invoices are paid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from credit_scoring.policy import COLD_START_PAID, LIMIT_CAPS, LIMIT_MULTIPLIERS, InitialLimit
from credit_scoring.scoring import Tier


def onboarding_limit(
    monthly_billing: Decimal, terms_days: Decimal, tier: str, caps: Mapping[str, Decimal] = LIMIT_CAPS
) -> Decimal:
    """monthly × max(1, terms / 30) × multiplier[tier], capped, down to a whole 100; tier D 0 (prepayment)."""
    if tier == "D":
        return Decimal(0)
    # Multiplied before dividing, so that 40 days' terms on 6,000 come to 24,000.00, not 23,999.99…
    raw = monthly_billing * max(Decimal(30), terms_days) * LIMIT_MULTIPLIERS[tier] / 30
    return (min(raw, caps[tier]) / 100).to_integral_value(rounding=ROUND_FLOOR) * 100


TAX_RATING_POINTS = {"A": 30, "B": 20, "M": 10, "C": -10, "D": -40}
RISKY_INDUSTRIES = frozenset({"construction", "real_estate", "catering", "retail", "logistics"})
STEADY_INDUSTRIES = frozenset({"professional_services", "software", "manufacturing", "healthcare", "education"})


@dataclass(frozen=True)
class Onboarding:
    tier: Tier
    points: int
    limit: Decimal
    recommended_net_days: int
    reasons: list[tuple[str, str, str, int]]  # (code, zh, en, points)


def assess_onboarding(
    *,
    years_in_business: Decimal,
    registered_capital: Decimal,
    industry: str,
    tax_credit_rating: str,
    requested_net_days: int,
    monthly_billing: Decimal,
) -> Onboarding:
    """A cold-start assessment: points from what is known of a prospect → tier, limit and terms.

    points = 50 + years (≥10: +25, ≥5: +15, ≥2: +5, <1: −15) + tax rating (A +30, B +20, M +10,
    C −10, D −40) + capital (≥ ¥5m +10, < ¥100k −10) + industry (steady +5, risky −10)
    + requested terms (> 60 days −10) − billing (> ¥100k a month: −5).
    Tier: A ≥ 100, B ≥ 80, C ≥ 60, else D. Terms: A the requested (max 60), B min(requested, 30),
    C min(requested, 15), D 0 (prepayment). Limit: `onboarding_limit` of the monthly billing and those terms.
    """
    reasons: list[tuple[str, str, str, int]] = []

    def add(code: str, zh: str, en: str, points: int) -> None:
        reasons.append((code, zh, en, points))

    if years_in_business >= 10:
        add("YEARS_IN_BUSINESS", f"经营年限 {years_in_business} 年", f"{years_in_business} years in business", 25)
    elif years_in_business >= 5:
        add("YEARS_IN_BUSINESS", f"经营年限 {years_in_business} 年", f"{years_in_business} years in business", 15)
    elif years_in_business >= 2:
        add("YEARS_IN_BUSINESS", f"经营年限 {years_in_business} 年", f"{years_in_business} years in business", 5)
    elif years_in_business < 1:
        add("YEARS_IN_BUSINESS", "成立不足一年", "Less than a year in business", -15)
    rating_points = TAX_RATING_POINTS[tax_credit_rating]
    add(
        "TAX_CREDIT_RATING",
        f"纳税信用等级 {tax_credit_rating}",
        f"Tax credit rating {tax_credit_rating}",
        rating_points,
    )
    if registered_capital >= 5_000_000:
        add("REGISTERED_CAPITAL", "注册资本不低于500万元", "Registered capital ≥ ¥5m", 10)
    elif registered_capital < 100_000:
        add("REGISTERED_CAPITAL", "注册资本低于10万元", "Registered capital < ¥100k", -10)
    if industry in STEADY_INDUSTRIES:
        add("INDUSTRY", f"行业回款稳定（{industry}）", f"Industry pays steadily ({industry})", 5)
    elif industry in RISKY_INDUSTRIES:
        add("INDUSTRY", f"行业回款风险较高（{industry}）", f"Industry with slow payers ({industry})", -10)
    if requested_net_days > 60:
        add(
            "REQUESTED_TERMS",
            f"申请账期 {requested_net_days} 天过长",
            f"Requested terms of {requested_net_days} days",
            -10,
        )
    if monthly_billing > 100_000:
        add("MONTHLY_BILLING", "月度账单金额较高", "High monthly billing", -5)
    points = 50 + sum(r[3] for r in reasons)
    tier: Tier = "A" if points >= 100 else "B" if points >= 80 else "C" if points >= 60 else "D"
    terms = {
        "A": min(requested_net_days, 60),
        "B": min(requested_net_days, 30),
        "C": min(requested_net_days, 15),
        "D": 0,
    }[tier]
    limit = onboarding_limit(monthly_billing, Decimal(terms), tier)
    reasons.sort(key=lambda r: r[3])
    return Onboarding(tier=tier, points=points, limit=limit, recommended_net_days=terms, reasons=reasons)


@dataclass(frozen=True)
class StoredAssessment:
    """An onboarding assessment revision as the cold-start rules read it."""

    revision: int
    assessed_on: date
    tier: str
    currency: str
    monthly_billing: Decimal
    recommended_net_days: int


@dataclass(frozen=True)
class ContractFact:
    """A contract as invoicing last told it."""

    currency: str
    monthly_amount: Decimal
    net_days: int
    start_date: date
    end_date: date | None
    status: str
    effective_on: date


def assessment_of(row: Mapping[str, Any]) -> StoredAssessment:
    """A stored revision (ORM attributes or JSON) read as the rules take it."""
    return StoredAssessment(
        revision=int(row["revision"]),
        assessed_on=_day(row["assessed_on"]),
        tier=row["tier"],
        currency=row["currency"],
        monthly_billing=Decimal(str(row["monthly_billing"])),
        recommended_net_days=int(row["recommended_net_days"]),
    )


def contract_of(row: Mapping[str, Any]) -> ContractFact:
    """A stored contract (JSON) read as the rules take it."""
    return ContractFact(
        currency=row["currency"],
        monthly_amount=Decimal(str(row["monthly_amount"])),
        net_days=int(row["net_days"]),
        start_date=_day(row["start_date"]),
        end_date=_day(row["end_date"]) if row["end_date"] else None,
        status=row["status"],
        effective_on=_day(row["effective_on"]),
    )


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def standing_assessment(assessments: Sequence[StoredAssessment], as_of: date) -> StoredAssessment | None:
    """The assessment standing on a date: the latest revision assessed on or before it."""
    known = [a for a in assessments if a.assessed_on <= as_of]
    return max(known, key=lambda a: a.revision) if known else None


def in_force(contract: ContractFact, as_of: date) -> bool:
    """Billing on or after the date: not ended before it, not paused (or cancelled) from a day on or before it."""
    if contract.end_date is not None and contract.end_date < as_of:
        return False
    return not (contract.status == "paused" and contract.effective_on <= as_of)


def initial_limit(
    assessments: Sequence[StoredAssessment],
    contracts: Sequence[ContractFact],
    *,
    as_of: date,
    currency: str,
    caps: Mapping[str, Decimal] = LIMIT_CAPS,
) -> InitialLimit | None:
    """The initial limit in `currency` of the module docstring (None: no assessment, or none in that currency)."""
    assessment = standing_assessment(assessments, as_of)
    if assessment is None:
        return None
    billing = [c for c in contracts if c.currency == currency and in_force(c, as_of)]
    monthly = sum((c.monthly_amount for c in billing), Decimal(0))
    if billing and monthly > 0:
        terms = sum((c.monthly_amount * c.net_days for c in billing), Decimal(0)) / monthly
        source = "contracts"
    elif assessment.currency == currency:
        monthly, terms, source = assessment.monthly_billing, Decimal(assessment.recommended_net_days), "assessment"
    else:
        return None
    return InitialLimit(
        currency=currency,
        tier=assessment.tier,
        limit=onboarding_limit(monthly, terms, assessment.tier, caps),
        assessed_on=assessment.assessed_on,
        monthly_billing=monthly.quantize(Decimal("0.01")),
        terms_days=terms.quantize(Decimal("0.01")),
        billing_source=source,  # type: ignore[arg-type]
        contracts=len(billing) if source == "contracts" else 0,
    )


def limit_reasons(basis: Mapping[str, Any] | None, currency: str) -> list[tuple[str, str, str]]:
    """Why the recommended limit is what it is, from the credit_limit row's basis: (code, zh-CN, en)."""
    if not basis:
        return []
    paid, behavioural = basis["paid_invoices"], basis["behavioural_limit"]
    cold = basis.get("initial")
    if cold is None or basis["basis"] == "behaviour":
        history = (
            f"已付款账单 {paid} 张（不少于 {COLD_START_PAID} 张）",
            f"{paid} invoices paid (at least {COLD_START_PAID})",
        )
        if cold is None:
            history = ("无准入评估", "No onboarding assessment")
        return [
            (
                "LIMIT_FROM_BEHAVIOUR",
                f"{history[0]}：额度按付款行为计算，{behavioural} {currency}",
                f"{history[1]}: the limit follows payment behaviour, {behavioural} {currency}",
            )
        ]
    reasons = [
        (
            "LIMIT_FROM_ONBOARDING",
            f"初始额度来自 {cold['assessed_on']} 的准入评估（等级 {cold['tier']}）：{cold['limit']} {currency}",
            f"Initial limit from the onboarding assessment of {cold['assessed_on']} (tier {cold['tier']}): "
            f"{cold['limit']} {currency}",
        ),
        (
            "EXPECTED_BILLING_FROM_CONTRACTS"
            if cold["billing_source"] == "contracts"
            else "EXPECTED_BILLING_FROM_ASSESSMENT",
            f"预计月度账单 {cold['monthly_billing']} {currency}，账期 {cold['terms_days']} 天，"
            + (f"来自 {cold['contracts']} 份服务合同" if cold["billing_source"] == "contracts" else "来自准入评估"),
            f"Expected monthly billing {cold['monthly_billing']} {currency} on {cold['terms_days']} days' terms, "
            + (
                f"from {cold['contracts']} service contract(s)"
                if cold["billing_source"] == "contracts"
                else "from the assessment"
            ),
        ),
    ]
    if basis["basis"] == "blend":
        reasons.append(
            (
                "LIMIT_BLENDED_WITH_HISTORY",
                f"已付款账单 {paid} 张（少于 {COLD_START_PAID} 张）："
                f"额度 = 初始额度 × {COLD_START_PAID - paid}/{COLD_START_PAID}"
                f" + 行为额度 {behavioural} × {paid}/{COLD_START_PAID}",
                f"{paid} invoice(s) paid (fewer than {COLD_START_PAID}): limit = initial × "
                f"{COLD_START_PAID - paid}/{COLD_START_PAID} + behavioural {behavioural} × {paid}/{COLD_START_PAID}",
            )
        )
    return reasons
