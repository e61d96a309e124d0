"""Onboarding endpoints: a pure assessment of a prospect, and the assessment stored for a customer."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from arflow.money import to_minor_units
from arflow.service import ClockDep, SessionDep
from credit_scoring.deps import AsOf, Reader, Writer
from credit_scoring.models import OnboardingAssessment
from credit_scoring.onboarding import service
from credit_scoring.onboarding.schemas import (
    OnboardingIn,
    OnboardingOut,
    OnboardingReasonOut,
    StoredOnboardingIn,
    StoredOnboardingOut,
)

router = APIRouter()


@router.post(
    "/onboarding-assessments",
    response_model=OnboardingOut,
    tags=["onboarding"],
    summary="Cold start: an initial tier, limit and terms for a prospective client, with reasons (nothing stored)",
)
async def assess_onboarding(body: OnboardingIn, _: Reader) -> OnboardingOut:
    found = service.assess(body)
    return OnboardingOut(
        tier=found.tier,
        points=found.points,
        limit=to_minor_units(found.limit, "CNY"),
        recommended_net_days=found.recommended_net_days,
        reasons=[OnboardingReasonOut(code=c, text_zh=zh, text_en=en, points=p) for c, zh, en, p in found.reasons],
    )


def stored_out(row: OnboardingAssessment) -> StoredOnboardingOut:
    return StoredOnboardingOut(
        customer_id=row.customer_id,
        revision=row.revision,
        assessed_on=row.assessed_on,
        assessed_by=row.assessed_by,
        tier=row.tier,  # type: ignore[arg-type]
        points=row.points,
        limit=to_minor_units(row.limit_amount, row.currency),
        currency=row.currency,
        monthly_billing=to_minor_units(row.monthly_billing, row.currency),
        recommended_net_days=row.recommended_net_days,
        reasons=[OnboardingReasonOut.model_validate(r) for r in row.reasons],
        created_at=row.created_at,
    )


@router.put(
    "/credit-files/{customer_id}/onboarding",
    response_model=StoredOnboardingOut,
    responses={201: {"model": StoredOnboardingOut, "description": "A new revision of the assessment was recorded."}},
    tags=["onboarding"],
    summary="Store the customer's onboarding assessment: its initial limit until its own history takes over",
)
async def put_onboarding(
    customer_id: UUID, body: StoredOnboardingIn, response: Response, session: SessionDep, clock: ClockDep, who: Writer
) -> StoredOnboardingOut:
    """Idempotent: the same body (and date) again answers 200 with the revision it made; a change, 201."""
    row, created = await service.store_assessment(
        session,
        clock=clock,
        customer_id=customer_id,
        body=OnboardingIn.model_validate(body.model_dump(exclude={"assessed_on"})),
        assessed_on=body.assessed_on,
        actor=who,
    )
    response.status_code = 201 if created else 200
    return stored_out(row)


@router.get(
    "/credit-files/{customer_id}/onboarding",
    response_model=StoredOnboardingOut,
    tags=["onboarding"],
    summary="The customer's onboarding assessment standing on a date (its latest revision by then)",
)
async def get_onboarding(
    customer_id: UUID, session: SessionDep, clock: ClockDep, _: Reader, as_of: AsOf = None
) -> StoredOnboardingOut:
    return stored_out(await service.assessment_as_of(session, clock=clock, customer_id=customer_id, as_of=as_of))
