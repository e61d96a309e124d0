"""Request and response models of invoices."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from arflow.i18n import Invalid
from arflow.money import Currency, DecimalString
from invoicing.customers.credit_hold import CreditHoldOverrideIn
from invoicing.terms.schemas import Basis, Rate, TermsCode


class InvoiceLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=500)
    quantity: DecimalString = Decimal(1)
    unit_price: DecimalString
    tax_rate: DecimalString = Field(default=Decimal(0), description="e.g. 0.06 for 6% VAT")

    @field_validator("quantity")
    @classmethod
    def _quantity(cls, value: Decimal) -> Decimal:
        if not 0 < value < Decimal("1e9"):
            raise Invalid("must be greater than zero (and below 10^9)", "须大于 0（且小于 10^9）")
        return value

    @field_validator("unit_price")
    @classmethod
    def _unit_price(cls, value: Decimal) -> Decimal:
        if value < 0:
            raise Invalid(
                "must not be negative (correct an issued invoice with a credit note)",
                "不能为负数（已开具的账单请以贷项通知单更正）",
            )
        if value >= Decimal("1e12"):
            raise Invalid("must be below 10^12", "须小于 10^12")
        return value

    @field_validator("tax_rate")
    @classmethod
    def _tax_rate(cls, value: Decimal) -> Decimal:
        if not 0 <= value < 1:
            raise Invalid(
                "must be a fraction between 0 and 1, e.g. 0.06",
                "须为 0 到 1 之间的小数，例如 0.06",
            )
        return value


class IssueIn(BaseModel):
    """Optional body of the issue call: a credit manager's override of a credit hold."""

    model_config = ConfigDict(extra="forbid")

    credit_hold_override: CreditHoldOverrideIn | None = None


class InvoiceCreate(BaseModel):
    """A new invoice. Terms: the fields sent here win, then the named template
    (`payment_terms_code`, else the customer's default), then net 30."""

    model_config = ConfigDict(extra="forbid")

    customer_id: UUID
    currency: Currency = "CNY"
    invoice_date: date | None = Field(default=None, description="Defaults to today in the customer's time zone.")
    payment_terms_code: TermsCode | None = Field(default=None, description="Overrides the customer's default terms.")
    net_days: int | None = Field(default=None, ge=0, le=365)
    due_date_basis: Basis | None = None
    grace_days: int | None = Field(default=None, ge=0, le=90)
    memo: str | None = Field(default=None, max_length=2000)
    lines: list[InvoiceLineIn] = Field(min_length=1, max_length=500)
    issue: bool = Field(default=False, description="Issue at once instead of leaving a draft.")
    credit_hold_override: CreditHoldOverrideIn | None = Field(
        default=None,
        description="Issue although the customer is on credit hold (needs the invoicing:credit-override scope).",
    )

    @field_validator("invoice_date")
    @classmethod
    def _plausible_date(cls, value: date | None) -> date | None:
        return check_invoice_date(value)

    @field_validator("lines")
    @classmethod
    def _not_too_large(cls, value: list[InvoiceLineIn]) -> list[InvoiceLineIn]:
        return check_lines_total(value)


def check_invoice_date(value: date | None) -> date | None:
    if value is not None and not 2000 <= value.year <= 2199:
        raise Invalid("must be a date between 2000 and 2199", "须为 2000 年至 2199 年之间的日期")
    return value


MAX_INVOICE_TOTAL = Decimal("1e13")


def check_lines_total(lines: list[InvoiceLineIn]) -> list[InvoiceLineIn]:
    if sum(line.quantity * line.unit_price * (1 + line.tax_rate) for line in lines) >= MAX_INVOICE_TOTAL:
        raise Invalid(
            "the invoice would total more than the ledger holds (10^13)",
            "账单合计将超出账簿可记录的上限（10^13）",
        )
    return lines


class InvoiceUpdate(BaseModel):
    """Changes to a draft (issued invoices are corrected with credit notes)."""

    model_config = ConfigDict(extra="forbid")

    currency: Currency | None = None
    invoice_date: date | None = None
    payment_terms_code: TermsCode | None = None
    net_days: int | None = Field(default=None, ge=0, le=365)
    due_date_basis: Basis | None = None
    grace_days: int | None = Field(default=None, ge=0, le=90)
    memo: str | None = Field(default=None, max_length=2000)
    lines: list[InvoiceLineIn] | None = Field(default=None, min_length=1, max_length=500)

    @field_validator("invoice_date")
    @classmethod
    def _plausible_date(cls, value: date | None) -> date | None:
        return check_invoice_date(value)

    @field_validator("lines")
    @classmethod
    def _not_too_large(cls, value: list[InvoiceLineIn] | None) -> list[InvoiceLineIn] | None:
        return None if value is None else check_lines_total(value)


class VoidRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class WriteOffRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)
    written_off_on: date | None = Field(default=None, description="Defaults to today in the customer's time zone.")


class InvoiceLineOut(BaseModel):
    description: str
    quantity: DecimalString
    unit_price: DecimalString
    tax_rate: DecimalString
    net_amount: DecimalString
    tax_amount: DecimalString
    gross_amount: DecimalString


class InvoiceOut(BaseModel):
    id: UUID
    number: str | None
    status: str
    customer_id: UUID
    currency: str
    invoice_date: date
    due_date: date
    net_days: int
    grace_days: int
    subtotal: DecimalString
    tax_total: DecimalString
    total: DecimalString
    amount_paid: DecimalString
    amount_credited: DecimalString
    balance: DecimalString
    ledger_version: int = Field(description="Counts every change of the balance; the balance events carry it.")
    payment_reference: str | None
    memo: str | None
    terms_code: str | None
    due_date_basis: str
    interest_kind: str
    interest_rate: Rate
    interest_cap_ratio: Rate | None
    late_fee: DecimalString | None
    discount_rate: Rate | None
    discount_days: int | None
    kind: str
    related_invoice_id: UUID | None
    contract_id: UUID | None = Field(default=None, description="The service contract whose period it bills.")
    issued_at: datetime | None
    paid_on: date | None
    voided_at: datetime | None
    void_reason: str | None
    written_off_on: date | None
    amount_written_off: DecimalString
    write_off_reason: str | None
    credit_hold_at_issue: bool = Field(
        default=False, description="Issued while the customer was on credit hold (overridden, or flagged by policy)."
    )
    credit_hold_override_by: str | None = Field(default=None, description="Who overrode the hold to issue it.")
    credit_hold_override_reason: str | None = None
    late_interest: DecimalString = Field(description="Interest accrued to today per the invoice's terms.")
    hosted_invoice_url: str | None = Field(
        default=None,
        description="The invoice's public page (no key needed), in the answer of the call that made the link: "
        "issuing it, or POST /invoices/{id}/hosted-link. Only the token's SHA-256 is kept, so other answers "
        "show null (the link is on InvoiceIssued and in dunning's emails).",
    )
    early_payment_discount: DecimalString | None = Field(
        default=None, description="Offered for paying by discount_until."
    )
    discount_until: date | None = None
    lines: list[InvoiceLineOut]
    created_at: datetime
