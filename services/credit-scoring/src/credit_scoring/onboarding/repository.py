"""SQL of stored onboarding assessments (every revision kept)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from credit_scoring.models import OnboardingAssessment


async def lock_customer_assessments(session: AsyncSession, customer_id: UUID) -> None:
    """Serialise writers of one customer's assessments until the transaction ends (a revision is counted once)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"onboarding:{customer_id}"}
    )


async def latest_revision(session: AsyncSession, customer_id: UUID) -> OnboardingAssessment | None:
    query = (
        select(OnboardingAssessment)
        .where(OnboardingAssessment.customer_id == customer_id)
        .order_by(OnboardingAssessment.revision.desc())
        .limit(1)
    )
    found: OnboardingAssessment | None = await session.scalar(query)
    return found


async def standing_on(session: AsyncSession, customer_id: UUID, day: date) -> OnboardingAssessment | None:
    """The latest revision assessed on or before `day`."""
    query = (
        select(OnboardingAssessment)
        .where(OnboardingAssessment.customer_id == customer_id, OnboardingAssessment.assessed_on <= day)
        .order_by(OnboardingAssessment.revision.desc())
        .limit(1)
    )
    found: OnboardingAssessment | None = await session.scalar(query)
    return found
