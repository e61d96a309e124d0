"""Onboarding endpoint: a pure assessment, nothing is stored."""

from __future__ import annotations

from fastapi import APIRouter

from arflow.money import to_minor_units
from credit_scoring import policy
from credit_scoring.deps import Reader
from credit_scoring.onboarding.schemas import OnboardingIn, OnboardingOut, OnboardingReasonOut

router = APIRouter()


@router.post(
    "/onboarding-assessments",
    response_model=OnboardingOut,
    tags=["onboarding"],
    summary="Cold start: an initial tier, limit and terms for a prospective client, with reasons",
)
async def assess_onboarding(body: OnboardingIn, _: Reader) -> OnboardingOut:
    found = policy.assess_onboarding(
        years_in_business=body.years_in_business,
        registered_capital=body.registered_capital,
        industry=body.industry.strip().lower(),
        tax_credit_rating=body.tax_credit_rating,
        requested_net_days=body.requested_net_days,
        monthly_billing=body.monthly_billing,
    )
    return OnboardingOut(
        tier=found.tier,
        points=found.points,
        limit=to_minor_units(found.limit, "CNY"),
        recommended_net_days=found.recommended_net_days,
        reasons=[OnboardingReasonOut(code=c, text_zh=zh, text_en=en, points=p) for c, zh, en, p in found.reasons],
    )
