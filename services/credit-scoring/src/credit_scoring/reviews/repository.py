"""SQL of the reviews: the log, and who the review run must look at."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from credit_scoring.models import CreditLimit, CreditReview


async def last_reviews(session: AsyncSession) -> dict[UUID, CreditReview]:
    query = (
        select(CreditReview)
        .ext(distinct_on(CreditReview.customer_id))
        .order_by(CreditReview.customer_id, CreditReview.reviewed_on.desc(), CreditReview.id.desc())
    )
    return {r.customer_id: r for r in (await session.execute(query)).scalars()}


async def add_review(session: AsyncSession, values: dict[str, Any]) -> None:
    session.add(CreditReview(**values))
    await session.flush()


async def list_reviews(session: AsyncSession, page: PageParams, *, customer_id: UUID | None) -> list[CreditReview]:
    query = paginate(select(CreditReview), CreditReview.id, page, customer_id=customer_id)
    return list((await session.execute(query)).scalars())


async def expired_overrides(session: AsyncSession, before: date) -> list[UUID]:
    """Customers whose manual limit expired before the date (its last day was earlier)."""
    query = select(CreditLimit.customer_id).where(CreditLimit.override_expires_on < before)
    return list((await session.execute(query)).scalars())


_TO_WATCH = text(
    """
    SELECT customer_id FROM credit_watch
     WHERE state->>'pending_tier' IS NOT NULL OR state->>'fall_since' IS NOT NULL
        OR coalesce(state->'over_since', '{}'::jsonb) <> '{}'::jsonb
    UNION
    SELECT customer_id FROM payment_experience e
     WHERE voided_at IS NULL AND written_off_on IS NULL AND due_date < :today
       AND (paid_on IS NULL OR EXISTS (
             SELECT 1 FROM payment_reversal r
              WHERE r.invoice_id = e.invoice_id AND r.invoice_reopened AND r.reversed_on >= e.paid_on))
    """
)


async def customers_to_watch(session: AsyncSession, today: date) -> list[UUID]:
    """Customers whose warnings wait on time (a pending drop, utilisation held high) or with items past due."""
    return list((await session.scalars(_TO_WATCH, {"today": today})).all())
