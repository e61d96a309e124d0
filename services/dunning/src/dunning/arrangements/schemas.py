"""Request and response models of payment plans."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from arflow.money import DecimalString
from dunning.arrangements.instalments import MAX_INSTALMENTS, PlanStatus
from dunning.fields import Strict, check_amount


class InstalmentIn(Strict):
    due_date: date = Field(examples=["2026-04-15"])
    amount: DecimalString = Field(description="In the case's currency.", examples=["20000.00"])

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        return check_amount(value, positive=True)


class PaymentPlanIn(Strict):
    amount_covered: DecimalString = Field(
        description="What the plan covers, in the case's currency: the instalments add up to it, at most the "
        "case's open balance."
    )
    instalments: list[InstalmentIn] = Field(min_length=1, max_length=MAX_INSTALMENTS)
    note: str | None = Field(None, max_length=2000, examples=["客户资金周转困难，同意分三期还款"])

    @field_validator("amount_covered")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        return check_amount(value, positive=True)

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "example": {
                "amount_covered": "60000.00",
                "instalments": [
                    {"due_date": "2026-04-15", "amount": "20000.00"},
                    {"due_date": "2026-05-15", "amount": "20000.00"},
                    {"due_date": "2026-06-15", "amount": "20000.00"},
                ],
                "note": "客户资金周转困难，同意分三期还款",
            }
        },
    }


class InstalmentOut(BaseModel):
    promise_id: UUID
    due_date: date
    amount: DecimalString
    status: Literal["open", "kept", "broken", "cancelled"]
    settled_on: date | None


class PaymentPlanOut(BaseModel):
    id: UUID
    case_id: UUID
    customer_id: UUID
    currency: str
    amount_covered: DecimalString
    owed_at_agreement: DecimalString
    status: PlanStatus
    note: str | None
    agreed_on: date
    ended_on: date | None
    made_by: str
    instalments: list[InstalmentOut]
    created_at: datetime


class SettlementOfferIn(Strict):
    amount: DecimalString = Field(
        description="Paid by `pay_by` for the whole open balance, in the case's currency: less than it owes.",
        examples=["45000.00"],
    )
    pay_by: date = Field(examples=["2026-03-31"])
    note: str | None = Field(None, max_length=2000, examples=["客户一次性付清，免除剩余款项"])

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        return check_amount(value, positive=True)


class SettlementOfferOut(BaseModel):
    id: UUID
    case_id: UUID
    customer_id: UUID
    currency: str
    amount: DecimalString
    owed_at_offer: DecimalString
    discount: DecimalString = Field(description="owed_at_offer - amount: what is to be written off.")
    pay_by: date
    promise_id: UUID
    status: Literal["open", "paid", "lapsed"]
    approved: bool
    note: str | None
    agreed_on: date
    settled_on: date | None
    written_off: DecimalString | None = Field(description="What SettlementPaid asked invoicing to write off.")
    made_by: str
    created_at: datetime
