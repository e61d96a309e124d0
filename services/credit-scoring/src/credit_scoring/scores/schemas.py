"""Response models of the scores and predictions."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from arflow.money import DecimalString
from credit_scoring.scoring import Tier


class ReasonOut(BaseModel):
    code: str
    characteristic: str
    points_lost: int = Field(description="Moving this characteristic to its best bin raises the score by this much.")
    text_zh: str
    text_en: str


class ScoreOut(BaseModel):
    customer_id: UUID
    as_of: date
    score: int = Field(description="Scorecard points: 600 at 50:1 good:bad odds, 20 points to double the odds.")
    tier: Tier
    probability_bad: float = Field(description="P(an invoice goes 30+ days beyond terms within 180 days).")
    payment_index: int | None = Field(description="PAYDEX-style 1–100; null with fewer than 3 experiences.")
    reasons: list[ReasonOut]
    points: dict[str, int] = Field(description="Points per characteristic; they sum to the score.")
    model_version: str


class ScoreHistoryOut(BaseModel):
    id: UUID
    customer_id: UUID
    as_of: date
    score: int
    tier: Tier
    payment_index: int | None
    credit_hold: bool
    reasons: list[ReasonOut]
    model_version: str
    trigger: str = Field(description="The event (or action) that moved the score.")
    scored_at: datetime


class PredictionOut(BaseModel):
    invoice_id: UUID
    invoice_number: str | None
    currency: str
    amount_outstanding: DecimalString
    due_date: date
    days_past_due: int
    probability_late: float = Field(description="P(paid more than `days_late` days beyond terms).")
    days_late: int
    model_version: str
