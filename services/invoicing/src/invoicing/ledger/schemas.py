"""Request and response models of the ledger: balances and credit notes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from arflow.i18n import Invalid
from arflow.money import DecimalString


class CreditNoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: DecimalString | None = Field(default=None, description="Omit for a full credit of the open balance.")
    reason: str = Field(min_length=1, max_length=500)

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and not 0 < value < Decimal("1e15"):
            raise Invalid("must be greater than zero", "须大于 0")
        return value


class CreditNoteOut(BaseModel):
    id: UUID
    number: str
    invoice_id: UUID
    customer_id: UUID
    amount: DecimalString
    currency: str
    reason: str
    kind: Literal["manual", "early_payment_discount", "contract_cancellation", "settlement_discount"] = Field(
        description="Issued by hand, an early-payment discount granted, a cancelled contract's unused days, or the "
        "rest of an invoice a settlement agreed at dunning forgave (和解折让)."
    )
    issued_on: date
    created_at: datetime


class CurrencyBalance(BaseModel):
    currency: str
    invoiced: DecimalString = Field(description="Issued invoices (open, paid, uncollectible).")
    applied: DecimalString = Field(description="Payments applied and not reversed.")
    credited: DecimalString = Field(description="Credit notes.")
    balance: DecimalString = Field(description="invoiced − applied − credited.")
    unapplied_credit: DecimalString = Field(description="Money received that no invoice has taken yet.")


class CustomerBalanceOut(BaseModel):
    customer_id: UUID
    balances: list[CurrencyBalance]
