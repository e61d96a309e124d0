"""Request and response models of payments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from arflow.i18n import Invalid
from arflow.money import Currency, DecimalString, minor_unit_exponent, to_minor_units
from reconciliation.matching.notes import notes
from reconciliation.models import Allocation, Payment

# NUMERIC(19, 4) leaves 15 digits before the point.
MAX_AMOUNT = Decimal("1e15")


def positive_amount(value: Decimal) -> Decimal:
    """Refuse an amount that is not positive or does not fit NUMERIC(19, 4)."""
    if value <= 0:
        raise Invalid("must be greater than zero", "必须大于零")
    if value >= MAX_AMOUNT:
        raise Invalid("is too large", "金额过大（小数点前最多 15 位）")
    return value


# The fields exact_to_minor_unit names, as a Chinese sentence calls them (others are named as given).
NAMES_ZH = {"the amount": "金额"}


def exact_to_minor_unit(value: Decimal, currency: str | None, *, name: str = "the amount") -> None:
    """Refuse an amount finer than the currency's minor unit."""
    if currency is not None and value != value.quantize(minor_unit_exponent(currency)):
        raise Invalid(
            f"{name} {value} has more decimals than {currency} allows",
            f"{NAMES_ZH.get(name, name)} {value} 的小数位数超过了 {currency} 允许的位数",
        )


class AllocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_id: UUID
    amount: DecimalString

    _amount = field_validator("amount")(positive_amount)


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
        positive_amount(value)
        exact_to_minor_unit(value, info.data.get("currency"))
        return value

    @field_validator("allocations")
    @classmethod
    def _allocations(cls, value: list[AllocationIn] | None, info: ValidationInfo) -> list[AllocationIn] | None:
        for n, allocation in enumerate(value or []):
            exact_to_minor_unit(allocation.amount, info.data.get("currency"), name=f"allocations[{n}].amount")
        return value


class AllocationOut(BaseModel):
    invoice_id: UUID
    invoice_number: str
    amount: DecimalString
    basis: str = Field(description="given (by the person), reference (named in it), or oldest_due.")
    applied: bool = Field(description="Invoicing has applied it (PaymentApplied received).")
    recovery: bool = Field(
        False,
        description="Money on an invoice that was written off as a bad debt when it was allocated (坏账收回): "
        "at most what the invoice still owes of the amount written off.",
    )


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
    notes: list[dict[str, Any]] = Field(
        default_factory=list,
        description="The reasons as notes a program reads: each a stable `code` (matching/notes.py), its figures as "
        "fields (amounts as decimal strings), `text` (English) and `text_zh` (Chinese), in the order of `reasons`.",
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
    match_notes: list[dict[str, Any]] = Field(
        description="`match_reasons` as notes: each a stable `code`, its figures as fields, `text` and `text_zh`."
    )
    suggestions: list[SuggestionOut]
    external_id: str | None
    supersedes_payment_id: UUID | None
    decided_by: str | None
    allocations: list[AllocationOut]
    unallocated: DecimalString
    recovered: DecimalString = Field(
        description="What of the payment is allocated to written-off invoices (坏账收回, the allocations with "
        "`recovery`); 0.00 when none."
    )
    created_at: datetime


def payment_out(payment: Payment, allocations: list[Allocation]) -> PaymentOut:
    """A payment and its allocations as the API shows them."""
    currency = payment.currency
    allocated = sum((a.amount for a in allocations), Decimal(0))
    return PaymentOut(
        id=payment.id,
        customer_id=payment.customer_id,
        status=payment.status,
        match_shape=payment.match_shape,
        match_reasons=list(payment.match_reasons or []),
        match_reasons_zh=list(payment.match_reasons_zh or []),
        match_notes=notes(list(payment.match_reasons or []), list(payment.match_reasons_zh or [])),
        suggestions=[
            SuggestionOut.model_validate({**s, "rank": n, "notes": notes(s["reasons"], s.get("reasons_zh"))})
            for n, s in enumerate(payment.suggestions or [])
        ],
        external_id=payment.external_id,
        supersedes_payment_id=payment.supersedes_payment_id,
        decided_by=payment.decided_by,
        amount=to_minor_units(payment.amount, currency),
        currency=currency,
        received_on=payment.received_on,
        source=payment.source,
        payer_name=payment.payer_name,
        payer_account=payment.payer_account,
        reference=payment.reference,
        match_confidence=float(payment.match_confidence),
        allocations=[
            AllocationOut(
                invoice_id=a.invoice_id,
                invoice_number=a.invoice_number,
                amount=to_minor_units(a.amount, currency),
                basis=a.basis,
                applied=a.applied_at is not None,
                recovery=bool(a.recovery),
            )
            for a in allocations
        ],
        unallocated=to_minor_units(payment.amount - allocated, currency),
        recovered=to_minor_units(sum((a.amount for a in allocations if a.recovery), Decimal(0)), currency),
        created_at=payment.created_at,
    )
