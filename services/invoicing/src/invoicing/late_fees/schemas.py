"""Request models of late fees."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

from invoicing.invoices.schemas import check_invoice_date


class LateFeeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date | None = Field(
        default=None, description="Charge interest up to this day (default: today, customer's time)."
    )

    @field_validator("as_of")
    @classmethod
    def _plausible(cls, value: date | None) -> date | None:
        return check_invoice_date(value)
