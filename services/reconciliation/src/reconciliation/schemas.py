"""Request and response models of the reconciliation API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
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


class SuggestionOut(BaseModel):
    rank: int
    customer_id: UUID
    confidence: float
    shape: str
    reasons: list[str] = Field(description="Why the engine suggests it, in English: a sentence per piece of evidence.")
    reasons_zh: list[str] = Field(
        default_factory=list,
        description="The same sentences in Chinese, in the same order; empty for a suggestion stored before they were.",
    )
    allocations: list[dict[str, Any]]


class PaymentOut(BaseModel):
    id: UUID
    customer_id: UUID | None = Field(description="None while nobody knows whose the money is.")
    status: str = Field(description="matched, unmatched (in the review queue) or reversed.")
    amount: DecimalString
    currency: str
    received_on: date
    source: str
    payer_name: str | None
    payer_account: str | None
    reference: str | None
    match_confidence: float
    match_shape: str | None
    match_reasons: list[str] = Field(
        description="Why it is matched or queued as it is, in English: the engine's evidence, or what a person did"
        " to the payment it continues (split, undo); empty for a payment entered by hand."
    )
    match_reasons_zh: list[str] = Field(
        description="The same sentences in Chinese, in the same order; empty for a payment stored before they were."
    )
    suggestions: list[SuggestionOut]
    external_id: str | None
    supersedes_payment_id: UUID | None
    decided_by: str | None
    allocations: list[AllocationOut]
    unallocated: DecimalString
    created_at: datetime


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

    _amount = field_validator("amount")(_positive_amount)


class SplitPayment(BaseModel):
    """One transfer that paid for several customers (e.g. a group paying its companies' bills)."""

    model_config = ConfigDict(extra="forbid")

    parts: list[SplitPart] = Field(min_length=2, max_length=20)


class StatementImportOut(BaseModel):
    id: UUID
    status: str = Field(description="queued, processing, succeeded or failed.")
    format: str
    profile: str | None
    filename: str | None
    file_sha256: str
    size_bytes: int
    lines_total: int
    lines_read: int
    progress: float
    summary: dict[str, Any]
    warnings: list[dict[str, Any]]
    error: str | None
    created_at: datetime
    finished_at: datetime | None


class StatementLineOut(BaseModel):
    id: UUID
    position: int
    amount: DecimalString
    currency: str
    direction: str
    booking_date: date | None
    value_date: date | None
    entry_status: str
    reversal: bool
    bank_reference: str | None
    end_to_end_id: str | None
    remittance: str | None
    counterparty_name: str | None
    counterparty_account: str | None
    outcome: str = Field(
        description="payment, reversal, duplicate, ignored_debit, ignored_zero_amount, not_booked, reversal_unlinked."
    )
    payment_id: UUID | None


class StatementOut(BaseModel):
    id: UUID
    import_id: UUID
    account: str | None
    statement_ref: str | None
    sequence: str | None
    currency: str | None
    opening_balance: DecimalString | None
    closing_balance: DecimalString | None
    opening_date: date | None
    closing_date: date | None
    line_count: int
    created_at: datetime


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
            _positive_amount(value)
            _exact(value, info.data.get("currency"))
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


class NotificationOut(BaseModel):
    id: UUID
    provider: str
    provider_id: str
    event_type: str | None
    outcome: str
    payment_id: UUID | None
    received_at: datetime
    headers: dict[str, str]
    body: str


class CsvProfileIn(BaseModel):
    """A bank's CSV export mapped onto statement lines; column names as in the header (compared normalised)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    date_column: str = Field(min_length=1, max_length=100)
    amount_column: str | None = Field(None, max_length=100, description="Signed: positive is money in.")
    credit_column: str | None = Field(None, max_length=100, description="Or separate money-in / money-out columns.")
    debit_column: str | None = Field(None, max_length=100)
    currency_column: str | None = Field(None, max_length=100)
    default_currency: Currency = "CNY"
    reference_column: str | None = Field(None, max_length=100)
    remittance_columns: list[str] = Field(default_factory=list, max_length=10)
    payer_name_column: str | None = Field(None, max_length=100)
    payer_account_column: str | None = Field(None, max_length=100)
    delimiter: str = Field(",", min_length=1, max_length=1)
    date_format: str | None = Field(
        None, max_length=40, description="strptime format; ISO and common ones when omitted."
    )
    decimal_comma: bool = False
    skip_lines: int = Field(0, ge=0, le=100)

    @field_validator("credit_column")
    @classmethod
    def _one_amount(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("amount_column") is None:
            raise ValueError("give amount_column, or credit_column (and debit_column)")
        return value


class CsvProfileOut(CsvProfileIn):
    built_in: bool = False
