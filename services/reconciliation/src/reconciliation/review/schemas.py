"""Request models of the review queue's decisions."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from arflow.money import DecimalString
from reconciliation.payments.schemas import AllocationIn, positive_amount


class ConfirmSuggestion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rank: int = Field(0, ge=0, le=20, description="Which suggestion (0 = the best).")


class AllocateManually(BaseModel):
    """A person's decision: whose the money is and how it is split across that customer's invoices."""

    model_config = ConfigDict(extra="forbid")

    customer_id: UUID
    allocations: list[AllocationIn] = Field(default_factory=list, max_length=100)


class SplitPart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: UUID
    amount: DecimalString
    allocations: list[AllocationIn] = Field(default_factory=list, max_length=100)

    _amount = field_validator("amount")(positive_amount)


class SplitPayment(BaseModel):
    """One transfer that paid for several customers (e.g. a group paying its companies' bills)."""

    model_config = ConfigDict(extra="forbid")

    parts: list[SplitPart] = Field(min_length=2, max_length=20)
