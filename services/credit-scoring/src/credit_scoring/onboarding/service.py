"""Stored onboarding assessments: assess, keep every revision, rescore the customer. Never commits."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock
from credit_scoring import cold_start
from credit_scoring.files.service import resolve_as_of
from credit_scoring.models import OnboardingAssessment
from credit_scoring.onboarding import repository
from credit_scoring.onboarding.errors import OnboardingNotFound
from credit_scoring.onboarding.schemas import OnboardingIn
from credit_scoring.scores.service import rescore

log = structlog.get_logger("credit-scoring")


def assess(body: OnboardingIn) -> cold_start.Onboarding:
    """The pure assessment of a request body."""
    return cold_start.assess_onboarding(
        years_in_business=body.years_in_business,
        registered_capital=body.registered_capital,
        industry=body.industry.strip().lower(),
        tax_credit_rating=body.tax_credit_rating,
        requested_net_days=body.requested_net_days,
        monthly_billing=body.monthly_billing,
    )


async def store_assessment(
    session: AsyncSession,
    *,
    clock: Clock,
    customer_id: UUID,
    body: OnboardingIn,
    assessed_on: date | None,
    actor: Principal,
) -> tuple[OnboardingAssessment, bool]:
    """Assess and keep the customer's onboarding (a new revision only when something changed); True if new.

    The customer is rescored as of the assessment's date, so a client already invoiced gets its initial
    limit at once; one not yet known gets it with its first invoice.
    """
    day = resolve_as_of(clock, assessed_on)
    await repository.lock_customer_assessments(session, customer_id)
    inputs = body.model_dump(mode="json")
    latest = await repository.latest_revision(session, customer_id)
    if latest is not None and latest.inputs == inputs and latest.assessed_on == day:
        return latest, False  # the same assessment again: nothing to record
    found = assess(body)
    row = OnboardingAssessment(
        customer_id=customer_id,
        revision=latest.revision + 1 if latest is not None else 1,
        assessed_on=day,
        inputs=inputs,
        tier=found.tier,
        points=found.points,
        limit_amount=found.limit,
        currency="CNY",
        monthly_billing=body.monthly_billing,
        recommended_net_days=found.recommended_net_days,
        reasons=[{"code": c, "text_zh": zh, "text_en": en, "points": p} for c, zh, en, p in found.reasons],
        assessed_by=actor.name,
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    log.info(
        "onboarding.assessed",
        customer_id=str(customer_id),
        revision=row.revision,
        tier=row.tier,
        assessed_on=day.isoformat(),
        by=actor.name,
    )
    await rescore(session, clock=clock, customer_id=customer_id, trigger="onboarding", event_on=day, actor=actor)
    return row, True


async def assessment_as_of(
    session: AsyncSession, *, clock: Clock, customer_id: UUID, as_of: date | None
) -> OnboardingAssessment:
    """The assessment standing on a date (OnboardingNotFound when there is none)."""
    day = resolve_as_of(clock, as_of)
    found = await repository.standing_on(session, customer_id, day)
    if found is None:
        raise OnboardingNotFound(
            f"Customer {customer_id} has no onboarding assessment on {day.isoformat()}.",
            detail_zh=f"客户 {customer_id} 在 {day.isoformat()} 没有准入评估。",
        )
    return found
