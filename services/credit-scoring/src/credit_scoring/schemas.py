"""Response models of the credit-scoring API (amounts and ratios are decimal strings)."""

from __future__ import annotations

from datetime import date
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


class CurrencyMeasuresOut(BaseModel):
    currency: str
    paid_amount: DecimalString
    paid_late_amount: DecimalString
    ratio_late_by_amount: DecimalString | None
    amount_weighted_dbt: DecimalString | None = Field(description="Σ total × DBT / Σ total over paid invoices.")
    outstanding: DecimalString
    overdue: DecimalString


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
    by_currency: list[CurrencyMeasuresOut]


class CreditFileOut(CreditFileSummaryOut):
    """The credit file with the payment experiences it was built from."""

    payment_experiences: list[PaymentExperienceOut]
