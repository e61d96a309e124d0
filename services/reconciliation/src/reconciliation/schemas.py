"""Request and response models of the reconciliation API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from arflow.money import Currency, DecimalString, minor_unit_exponent

# NUMERIC(19, 4) leaves 15 digits before the point.
MAX_AMOUNT = Decimal("1e15")


def _positive_amount(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError("must be greater than zero")
    if value >= MAX_AMOUNT:
        raise ValueError("is too large")
    return value


def _exact(value: Decimal, currency: str | None, *, name: str = "the amount") -> None:
    if currency is not None and value != value.quantize(minor_unit_exponent(currency)):
        raise ValueError(f"{name} {value} has more decimals than {currency} allows")


class AllocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_id: UUID
    amount: DecimalString

    _amount = field_validator("amount")(_positive_amount)


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: UUID
    # Declared before the amounts so their validators can check them against it.
    currency: Currency
    amount: DecimalString = Field(description="Exact to the currency's minor unit, e.g. '1060.00'.")
    received_on: date = Field(description="The local date the money arrived.")
    payer_name: str | None = Field(None, max_length=300)
    payer_account: str | None = Field(None, max_length=100)
    reference: str | None = Field(
        None, max_length=500, description="Remittance text; an invoice number or RF reference in it is matched."
    )
    allocations: list[AllocationIn] | None = Field(
        None,
        max_length=100,
        description="How to allocate the payment. Omitted: proposed from the reference, else oldest due first. "
        "An empty list: leave the payment unallocated (on account).",
    )

    @field_validator("amount")
    @classmethod
    def _amount(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        _positive_amount(value)
        _exact(value, info.data.get("currency"))
        return value

    @field_validator("allocations")
    @classmethod
    def _allocations(cls, value: list[AllocationIn] | None, info: ValidationInfo) -> list[AllocationIn] | None:
        for n, allocation in enumerate(value or []):
            _exact(allocation.amount, info.data.get("currency"), name=f"allocations[{n}].amount")
        return value


class AllocationOut(BaseModel):
    invoice_id: UUID
    invoice_number: str
    amount: DecimalString
    basis: str = Field(description="given (by the person), reference (named in it), or oldest_due.")
    applied: bool = Field(description="Invoicing has applied it (PaymentApplied received).")


class PaymentOut(BaseModel):
    id: UUID
    customer_id: UUID
    amount: DecimalString
    currency: str
    received_on: date
    source: str
    payer_name: str | None
    payer_account: str | None
    reference: str | None
    match_confidence: float
    allocations: list[AllocationOut]
    unallocated: DecimalString
    created_at: datetime


class OpenItemOut(BaseModel):
    invoice_id: UUID
    customer_id: UUID
    invoice_number: str
    currency: str
    status: str
    issued: bool = Field(description="False while only later facts (paid, applied…) have arrived.")
    total: DecimalString | None
    balance: DecimalString = Field(description="The balance invoicing last reported.")
    pending_allocations: DecimalString = Field(description="Allocated by payments invoicing has not applied yet.")
    available: DecimalString = Field(description="What a new payment may still be allocated.")
    invoice_date: date | None
    due_date: date | None
    payment_reference: str | None
    updated_at: datetime
