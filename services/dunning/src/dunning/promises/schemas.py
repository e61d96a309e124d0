"""Request and response models of promises to pay."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from arflow.money import DecimalString
from dunning.fields import Strict, check_amount

PromiseStatus = Literal["open", "kept", "broken", "cancelled"]


class PromiseIn(Strict):
    amount: DecimalString
    promised_date: date
    made_by: str | None = Field(None, max_length=200)

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        return check_amount(value, positive=True)


class PromiseOut(BaseModel):
    id: UUID
    case_id: UUID
    customer_id: UUID
    amount: DecimalString
    currency: str
    promised_date: date
    owed_at_promise: DecimalString
    status: PromiseStatus
    amount_received: DecimalString | None
    settled_on: date | None
    made_by: str | None
    created_at: datetime
