"""Request and response models of service contracts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from arflow.i18n import Invalid
from arflow.money import Currency
from invoicing.customers.credit_hold import CreditHoldOverrideIn
from invoicing.invoices.schemas import InvoiceLineIn, check_invoice_date, check_lines_total
from invoicing.terms.schemas import TermsCode


class ContractCreate(BaseModel):
    """A recurring service contract: its lines are billed each calendar period from start_date."""

    model_config = ConfigDict(extra="forbid")

    customer_id: UUID
    currency: Currency = "CNY"
    cycle: Literal["monthly", "quarterly", "annual"] = "monthly"
    start_date: date
    end_date: date | None = None
    auto_issue: bool = Field(default=True, description="Issue each period's invoice at once; false leaves a draft.")
    payment_terms_code: TermsCode | None = None
    lines: list[InvoiceLineIn] = Field(min_length=1, max_length=50)
    memo: str | None = Field(default=None, max_length=2000)

    credit_hold_override: CreditHoldOverrideIn | None = Field(
        default=None,
        description="Start although the customer is on credit hold (needs the invoicing:credit-override scope); "
        "its periods are then billed despite the hold.",
    )

    @field_validator("start_date", "end_date")
    @classmethod
    def _plausible(cls, value: date | None) -> date | None:
        return check_invoice_date(value)

    @field_validator("lines")
    @classmethod
    def _not_too_large(cls, value: list[InvoiceLineIn]) -> list[InvoiceLineIn]:
        return check_lines_total(value)

    @model_validator(mode="after")
    def _ends_after_start(self) -> ContractCreate:
        if self.end_date is not None and self.end_date < self.start_date:
            raise Invalid("end_date is before start_date", "end_date（结束日期）早于 start_date（开始日期）")
        return self


class ContractCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cancelled_on: date = Field(
        description="The last day of service: its period is billed up to this day, or, when already invoiced, "
        "the days after it are credited."
    )

    @field_validator("cancelled_on")
    @classmethod
    def _plausible(cls, value: date) -> date:
        check_invoice_date(value)
        return value


class ContractOut(BaseModel):
    id: UUID
    customer_id: UUID
    currency: str
    cycle: str
    start_date: date
    end_date: date | None
    bill_from: date
    auto_issue: bool
    payment_terms_code: str | None
    lines: list[InvoiceLineIn]
    memo: str | None
    status: str
    credit_hold_override_by: str | None = Field(default=None, description="Who started it despite a credit hold.")
    credit_hold_override_reason: str | None = None
    paused_on: date | None
    cancelled_on: date | None
    created_at: datetime
    updated_at: datetime
