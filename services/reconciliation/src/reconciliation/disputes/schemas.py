"""Request and response models of disputes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from arflow.money import Currency, DecimalString
from reconciliation.payments.schemas import exact_to_minor_unit, positive_amount


class DisputeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_id: UUID
    reason: str = Field(min_length=1, max_length=2000, description="What the client contests (对账有异议).")
    currency: Currency | None = None
    amount: DecimalString | None = Field(None, description="The contested amount; the whole balance when omitted.")

    @field_validator("amount")
    @classmethod
    def _amount(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        if value is not None:
            positive_amount(value)
            exact_to_minor_unit(value, info.data.get("currency"))
        return value


class DisputeResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: Literal["customer_right", "customer_wrong", "adjusted", "withdrawn"]
    note: str | None = Field(None, max_length=2000)


class DisputeOut(BaseModel):
    id: UUID
    invoice_id: UUID
    customer_id: UUID
    invoice_number: str
    amount: DecimalString
    currency: str
    reason: str
    status: str
    resolution: str | None
    note: str | None
    opened_by: str | None
    opened_at: datetime
    resolved_at: datetime | None
