"""Request and response models of the credit limits."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from arflow.i18n import Invalid
from arflow.money import Currency, DecimalString
from credit_scoring.files.schemas import LimitBasisOut


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
    basis: LimitBasisOut | None = Field(None, description="Where the recommended limit comes from, with reasons.")
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
            raise Invalid("amount must be below 10^15 with at most 4 decimals", "金额须小于 10^15，且最多 4 位小数")
        return value
