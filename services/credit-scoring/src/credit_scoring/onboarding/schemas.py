"""Request and response models of the onboarding assessment."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from arflow.money import DecimalString
from credit_scoring.scoring import Tier

TaxCreditRating = Literal["A", "B", "M", "C", "D"]


class OnboardingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legal_name: str | None = Field(None, max_length=200)
    years_in_business: DecimalString = Field(ge=0, le=300)
    registered_capital: DecimalString = Field(ge=0, lt=Decimal("1e15"), description="In CNY.")
    industry: str = Field(min_length=1, max_length=64, description="e.g. software, construction, retail.")
    tax_credit_rating: TaxCreditRating = Field(description="纳税信用等级 A/B/M/C/D.")
    requested_net_days: int = Field(ge=0, le=365)
    monthly_billing: DecimalString = Field(ge=0, lt=Decimal("1e15"), description="Expected monthly billing, CNY.")


class OnboardingReasonOut(BaseModel):
    code: str
    points: int
    text_zh: str
    text_en: str


class OnboardingOut(BaseModel):
    tier: Tier
    points: int
    limit: DecimalString
    currency: str = "CNY"
    recommended_net_days: int
    reasons: list[OnboardingReasonOut]


class StoredOnboardingIn(OnboardingIn):
    assessed_on: date | None = Field(
        None, description="The business date of the assessment (default today in Asia/Shanghai; never in the future)."
    )


class StoredOnboardingOut(OnboardingOut):
    customer_id: UUID
    revision: int = Field(description="Counts the changes of the customer's assessment; each is kept.")
    assessed_on: date
    assessed_by: str
    monthly_billing: DecimalString
    created_at: datetime
