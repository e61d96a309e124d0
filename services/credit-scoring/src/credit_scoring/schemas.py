"""Response models of the credit-scoring API (amounts and ratios are decimal strings)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from arflow.money import Currency, DecimalString
from credit_scoring.domain import ExperienceStatus
from credit_scoring.scoring import Tier


class PaymentExperienceOut(BaseModel):
    invoice_id: UUID
    invoice_number: str | None
    currency: str
    total: DecimalString
    invoice_date: date | None
    due_date: date
    status: ExperienceStatus
    paid_on: date | None
    days_beyond_terms: int | None = Field(description="DBT: max(0, paid_on − due_date); only for paid invoices.")
    amount_paid: DecimalString
    amount_outstanding: DecimalString
    days_past_due: int | None = Field(description="as_of − due_date for an open invoice (0 before it is due).")
    max_days_overdue_noticed: int | None = Field(description="The most days past due invoicing had reported.")
    amount_credited: DecimalString = Field(description="Σ credit notes against the invoice issued by as_of.")
    disputed: bool = Field(description="A dispute over the invoice was open on as_of.")


class CurrencyMeasuresOut(BaseModel):
    currency: str
    paid_amount: DecimalString
    paid_late_amount: DecimalString
    ratio_late_by_amount: DecimalString | None
    amount_weighted_dbt: DecimalString | None = Field(description="Σ total × DBT / Σ total over paid invoices.")
    outstanding: DecimalString
    overdue: DecimalString
    credit_sales_90d: DecimalString = Field(description="Σ total of invoices dated in (as_of − 90 days, as_of].")
    dso: DecimalString | None = Field(description="Days sales outstanding: outstanding / credit_sales_90d × 90.")
    best_possible_dso: DecimalString | None = Field(description="Not-yet-due outstanding / credit_sales_90d × 90.")
    average_days_delinquent: DecimalString | None = Field(description="ADD = dso − best_possible_dso.")


class CreditFileSummaryOut(BaseModel):
    """The measures of a customer's credit file (信用档案) as of a date."""

    customer_id: UUID
    legal_name: str | None = Field(description="Null until the customer's own record has arrived.")
    as_of: date
    tenure_days: int
    invoices_issued: int
    invoices_open: int
    invoices_paid: int
    invoices_paid_on_time: int
    invoices_paid_late: int
    invoices_written_off: int
    ratio_late_by_count: DecimalString | None
    average_dbt: DecimalString | None
    max_dbt_12m: int | None
    max_days_past_due: int | None
    invoices_open_late: int = Field(description="Open invoices past their due date.")
    average_dbt_90d: DecimalString | None = Field(description="Average DBT of invoices paid in the last 90 days.")
    dbt_trend: DecimalString | None = Field(
        description="average_dbt_90d − average DBT of invoices paid 91–180 days ago (positive: paying later)."
    )
    max_dunning_level: int = Field(description="Highest dunning level reached (letter 3, legal 6; 0 = none).")
    dunning_escalations: int
    legal_handovers: int
    disputes_opened: int
    disputes_open: int
    promises_kept: int
    promises_broken: int
    by_currency: list[CurrencyMeasuresOut]


class CreditFileOut(CreditFileSummaryOut):
    """The credit file with the payment experiences it was built from."""

    payment_experiences: list[PaymentExperienceOut]


# --- scores, predictions, limits, alerts, models ------------------------------------------


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


class LimitOut(BaseModel):
    customer_id: UUID
    currency: str
    limit: DecimalString = Field(description="The effective limit: the override while it lasts, else recommended.")
    recommended: DecimalString
    override_amount: DecimalString | None
    override_reason: str | None
    override_expires_on: date | None
    override_by: str | None
    exposure: DecimalString = Field(description="What the customer owes (outstanding) in the limit's currency.")
    utilisation: DecimalString | None = Field(description="exposure / limit.")
    updated_at: datetime


class LimitOverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: DecimalString = Field(ge=0)
    currency: Currency = "CNY"
    reason: str = Field(min_length=1, max_length=500)
    expires_on: date | None = Field(None, description="Last day the override stands (none: until lifted).")

    @field_validator("amount")
    @classmethod
    def _bounded(cls, value: Decimal) -> Decimal:
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int), "DecimalString refuses NaN and the infinities"
        if value >= Decimal("1e15") or exponent < -4:
            raise ValueError("amount must be below 10^15 with at most 4 decimals")
        return value


class AlertOut(BaseModel):
    id: UUID
    customer_id: UUID
    kind: str
    severity: str
    message_zh: str
    message_en: str
    details: dict[str, Any]
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledgement_note: str | None


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(None, max_length=1000)


class ModelOut(BaseModel):
    kind: str
    version: str
    source: Literal["shipped_default", "retrained"]
    trained_on: dict[str, Any]
    metrics: dict[str, Any]
    details: dict[str, Any]


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


class TierOut(BaseModel):
    tier: Tier
    clients: int
    on_hold: int
    exposure: dict[str, DecimalString] = Field(description="Outstanding per currency.")
    limits: dict[str, DecimalString] = Field(description="Sum of effective limits per currency.")


class PortfolioOut(BaseModel):
    scored_clients: int
    tiers: list[TierOut]
    score_bands: list[float] = Field(description="Share of clients per band: <500, 500–529, …, ≥620.")
    expected_score_bands: list[float] = Field(description="The same shares in the model's training data.")
    psi: float = Field(description="Population stability index Σ (a − e) ln(a / e).")
    psi_alert: bool
    model_version: str


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
