"""Response models of the reviews."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel

from arflow.money import DecimalString
from credit_scoring.scoring import Tier


class ReviewOut(BaseModel):
    id: UUID
    customer_id: UUID
    reviewed_on: date
    tier: Tier
    score: int
    previous_tier: Tier | None
    limit_amount: DecimalString | None
    currency: str | None
    next_review_on: date
    findings: list[str]
    reviewed_at: datetime
