"""Response models of the credit files (amounts and ratios are decimal strings)."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from arflow.money import DecimalString
from credit_scoring.domain import ExperienceStatus


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


class LimitReasonOut(BaseModel):
    code: str = Field(
        description="LIMIT_FROM_ONBOARDING, EXPECTED_BILLING_FROM_CONTRACTS / _FROM_ASSESSMENT, "
        "LIMIT_BLENDED_WITH_HISTORY or LIMIT_FROM_BEHAVIOUR."
    )
    text_zh: str
    text_en: str


class LimitBasisOut(BaseModel):
    """Where the customer's recommended limit comes from (the latest rescore's)."""

    basis: str = Field(description="behaviour, onboarding (no invoice paid yet) or blend (1–2 paid).")
    paid_invoices: int
    behavioural_limit: DecimalString
    initial_limit: DecimalString | None = Field(description="From the onboarding assessment and expected billing.")
    initial_tier: str | None = Field(description="The onboarding assessment's tier.")
    reasons: list[LimitReasonOut]


class StatementResponderOut(BaseModel):
    name: str = Field(description="Who answered on the statement's page, as they named themselves.")
    title: str | None


class DisputedInvoiceOut(BaseModel):
    invoice_id: UUID
    invoice_number: str | None
    open_amount: DecimalString = Field(description="What the statement showed open on it at the period's end.")
    currency: str


class StatementAnswerOut(BaseModel):
    """A customer's answer to a statement of account (对账确认): confirmed (确认无误) or disputed (有差异)."""

    statement_id: UUID
    statement_number: str
    period_start: date
    period_end: date
    answer: Literal["confirmed", "disputed"]
    answered_on: date = Field(description="The customer's local date of the answer.")
    responder: StatementResponderOut
    currency: str
    closing_balance: DecimalString = Field(description="The balance the statement showed at the period's end.")
    balance_customer_sees: DecimalString | None = Field(
        description="Disputed only: the balance the customer says it should be, if they gave one."
    )
    balance_disputed: bool | None = Field(description="Disputed only: the balance itself is disputed.")
    disputed_invoices: list[DisputedInvoiceOut] = Field(description="Disputed only: the invoices it concerns.")
    comment: str | None = Field(description="Disputed only: the customer's reasons.")
    open: bool | None = Field(
        description="Disputed only: no later statement was confirmed, on the day of the dispute or after it, by "
        "as_of (a statement dispute has no resolution of its own)."
    )


class StatementsOut(BaseModel):
    """The customer's answers to statements of account, as of the file's date. Not a scoring input."""

    confirmed: int
    disputed: int
    disputed_open: int
    last_confirmed_on: date | None = Field(description="When the balance of the latest confirmed period was agreed.")
    last_confirmed_period_end: date | None
    last_confirmed_balance: DecimalString | None
    last_confirmed_currency: str | None
    answers: list[StatementAnswerOut] = Field(description="Newest answer first.")


class CreditFileOut(CreditFileSummaryOut):
    """The credit file with the payment experiences it was built from."""

    payment_experiences: list[PaymentExperienceOut]
    statements: StatementsOut = Field(description="Confirmations and disputes of statements (对账确认).")
    limit_basis: LimitBasisOut | None = Field(
        None,
        description="Where the current limit comes from, with reasons (zh-CN, en); only for today's file (no as_of).",
    )
