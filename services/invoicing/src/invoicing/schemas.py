"""Request and response models of the invoicing API."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, field_validator, model_validator

from arflow.money import Currency, DecimalString, parse_decimal
from invoicing.domain import is_valid_uscc

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
Language = Literal["zh-CN", "en"]


def check_uscc(value: str) -> str:
    value = value.strip().upper()
    if not is_valid_uscc(value):
        raise ValueError("is not a valid unified social credit code (GB 32100 check failed)")
    return value


def check_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"{value!r} is not an IANA time zone") from None
    return value


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: Literal["billing", "finance_manager", "legal_representative", "other"] = "billing"
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, description="E.164, e.g. +8613812345678")
    postal_address: str | None = Field(default=None, max_length=500)
    language: Language = "zh-CN"
    preferred_channel: Literal["email", "sms", "letter", "phone", "wechat"] = "email"

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL.match(value):
            raise ValueError("is not an email address")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and not E164.match(value):
            raise ValueError("must be in E.164 form, e.g. +8613812345678")
        return value


class CustomerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legal_name: str = Field(min_length=1, max_length=300)
    short_name: str | None = Field(default=None, max_length=100)
    unified_social_credit_code: str | None = Field(
        default=None, description="统一社会信用代码 (GB 32100); optional for foreign customers"
    )
    external_reference: str | None = Field(default=None, max_length=200)
    time_zone: str = "Asia/Shanghai"
    preferred_language: Language = "zh-CN"
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)
    tags: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(default_factory=list, max_length=50)
    payment_terms_code: str | None = Field(default=None, max_length=50, description="Default terms for new invoices.")
    dunning_excluded: bool = False
    dunning_exclusion_reason: str | None = Field(default=None, max_length=500)

    @field_validator("unified_social_credit_code")
    @classmethod
    def _uscc(cls, value: str | None) -> str | None:
        return None if value is None else check_uscc(value)

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        return check_time_zone(value)

    @model_validator(mode="after")
    def _exclusion_has_reason(self) -> CustomerCreate:
        if self.dunning_excluded and not self.dunning_exclusion_reason:
            raise ValueError("dunning_exclusion_reason is required when dunning_excluded is true")
        return self


class CustomerUpdate(BaseModel):
    """A partial update: only the fields sent change (null clears an optional field)."""

    model_config = ConfigDict(extra="forbid")

    legal_name: str | None = Field(default=None, min_length=1, max_length=300)
    short_name: str | None = Field(default=None, max_length=100)
    unified_social_credit_code: str | None = None
    external_reference: str | None = Field(default=None, max_length=200)
    time_zone: str | None = None
    preferred_language: Language | None = None
    contacts: list[ContactIn] | None = Field(default=None, max_length=50)
    tags: list[Annotated[str, Field(min_length=1, max_length=50)]] | None = Field(default=None, max_length=50)
    payment_terms_code: str | None = Field(default=None, max_length=50)
    dunning_excluded: bool | None = None
    dunning_exclusion_reason: str | None = Field(default=None, max_length=500)

    @field_validator("unified_social_credit_code")
    @classmethod
    def _uscc(cls, value: str | None) -> str | None:
        return None if value is None else check_uscc(value)

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str | None) -> str | None:
        return None if value is None else check_time_zone(value)

    @model_validator(mode="after")
    def _required_stay_set(self) -> CustomerUpdate:
        for name in ("legal_name", "time_zone", "preferred_language", "contacts", "tags", "dunning_excluded"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class ContactOut(ContactIn):
    pass


class CustomerOut(BaseModel):
    id: UUID
    legal_name: str
    short_name: str | None
    unified_social_credit_code: str | None
    external_reference: str | None
    time_zone: str
    preferred_language: str
    contacts: list[ContactOut]
    tags: list[str]
    payment_terms_code: str | None
    dunning_excluded: bool
    dunning_exclusion_reason: str | None
    credit_hold: bool
    archived_at: datetime | None
    revision: int
    created_at: datetime
    updated_at: datetime


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
            raise ValueError("must be greater than zero (and below 10^9)")
        return value

    @field_validator("unit_price")
    @classmethod
    def _unit_price(cls, value: Decimal) -> Decimal:
        if value < 0:
            raise ValueError("must not be negative (correct an issued invoice with a credit note)")
        if value >= Decimal("1e12"):
            raise ValueError("must be below 10^12")
        return value

    @field_validator("tax_rate")
    @classmethod
    def _tax_rate(cls, value: Decimal) -> Decimal:
        if not 0 <= value < 1:
            raise ValueError("must be a fraction between 0 and 1, e.g. 0.06")
        return value


Rate = Annotated[
    Decimal,
    BeforeValidator(parse_decimal),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
]
TermsCode = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")]
Basis = Literal["invoice_date", "end_of_month"]
InterestKind = Literal["none", "daily", "annual"]


class PaymentTermsFields(BaseModel):
    """The rules of a terms template; every one is checked for a sensible range."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    net_days: int = Field(ge=0, le=365)
    basis: Basis = Field(default="invoice_date", description="invoice_date, or end_of_month (月结)")
    grace_days: int = Field(default=0, ge=0, le=90)
    interest_kind: InterestKind = Field(default="none", description="none, daily (e.g. 0.0005 = 0.05%/day) or annual")
    interest_rate: Rate = Field(default=Decimal(0), description="A fraction: per day (daily) or per year (annual).")
    interest_cap_ratio: Rate | None = Field(
        default=None, description="Interest never exceeds this fraction of the balance."
    )
    late_fee: DecimalString | None = Field(default=None, description="A fixed fee, in the invoice's currency.")
    discount_rate: Rate | None = Field(default=None, description="Early-payment discount, e.g. 0.02")
    discount_days: int | None = Field(
        default=None, ge=0, le=365, description="Paid within this many days of the invoice date."
    )

    @model_validator(mode="after")
    def _ranges(self) -> PaymentTermsFields:
        check_terms(self)
        return self


def check_terms(terms: Any) -> None:
    if not 0 <= terms.interest_rate < 1:
        raise ValueError("interest_rate must be a fraction between 0 and 1")
    if terms.interest_kind == "none" and terms.interest_rate != 0:
        raise ValueError("interest_rate needs interest_kind daily or annual")
    if terms.interest_kind != "none" and terms.interest_rate == 0:
        raise ValueError(f"interest_kind {terms.interest_kind} needs an interest_rate above 0")
    if terms.interest_cap_ratio is not None and not 0 < terms.interest_cap_ratio <= 10:
        raise ValueError("interest_cap_ratio must be above 0 (and at most 10)")
    if terms.late_fee is not None and not 0 <= terms.late_fee < Decimal("1e12"):
        raise ValueError("late_fee must not be negative")
    if (terms.discount_rate is None) != (terms.discount_days is None):
        raise ValueError("discount_rate and discount_days go together")
    if terms.discount_rate is not None and not 0 < terms.discount_rate < 1:
        raise ValueError("discount_rate must be a fraction between 0 and 1")


class PaymentTermsCreate(PaymentTermsFields):
    code: TermsCode


class PaymentTermsUpdate(BaseModel):
    """A partial update of a template; invoices already made keep their copy."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    net_days: int | None = Field(default=None, ge=0, le=365)
    basis: Basis | None = None
    grace_days: int | None = Field(default=None, ge=0, le=90)
    interest_kind: InterestKind | None = None
    interest_rate: Rate | None = None
    interest_cap_ratio: Rate | None = None
    late_fee: DecimalString | None = None
    discount_rate: Rate | None = None
    discount_days: int | None = Field(default=None, ge=0, le=365)


class PaymentTermsOut(BaseModel):
    id: UUID
    code: str
    name: str
    net_days: int
    basis: str
    grace_days: int
    interest_kind: str
    interest_rate: Rate
    interest_cap_ratio: Rate | None
    late_fee: DecimalString | None
    discount_rate: Rate | None
    discount_days: int | None
    revision: int
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


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
        raise ValueError("must be a date between 2000 and 2199")
    return value


MAX_INVOICE_TOTAL = Decimal("1e13")


def check_lines_total(lines: list[InvoiceLineIn]) -> list[InvoiceLineIn]:
    if sum(line.quantity * line.unit_price * (1 + line.tax_rate) for line in lines) >= MAX_INVOICE_TOTAL:
        raise ValueError("the invoice would total more than the ledger holds (10^13)")
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


class LateFeeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date | None = Field(
        default=None, description="Charge interest up to this day (default: today, customer's time)."
    )

    @field_validator("as_of")
    @classmethod
    def _plausible(cls, value: date | None) -> date | None:
        return check_invoice_date(value)


class CreditNoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: DecimalString | None = Field(default=None, description="Omit for a full credit of the open balance.")
    reason: str = Field(min_length=1, max_length=500)

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and not 0 < value < Decimal("1e15"):
            raise ValueError("must be greater than zero")
        return value


class CreditNoteOut(BaseModel):
    id: UUID
    number: str
    invoice_id: UUID
    customer_id: UUID
    amount: DecimalString
    currency: str
    reason: str
    kind: Literal["manual", "early_payment_discount", "contract_cancellation"] = Field(
        description="Issued by hand, an early-payment discount granted, or a cancelled contract's unused days."
    )
    issued_on: date
    created_at: datetime


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
    issued_at: datetime | None
    paid_on: date | None
    voided_at: datetime | None
    void_reason: str | None
    written_off_on: date | None
    amount_written_off: DecimalString
    write_off_reason: str | None
    late_interest: DecimalString = Field(description="Interest accrued to today per the invoice's terms.")
    early_payment_discount: DecimalString | None = Field(
        default=None, description="Offered for paying by discount_until."
    )
    discount_until: date | None = None
    lines: list[InvoiceLineOut]
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


class StatementEntry(BaseModel):
    entry_date: date
    kind: Literal["invoice", "void", "credit_note", "payment", "payment_reversal"]
    document: str | None = Field(description="Invoice or credit note number, or the payment id.")
    invoice_number: str | None
    debit: DecimalString
    credit: DecimalString
    balance: DecimalString


class AgingBuckets(BaseModel):
    current: DecimalString
    d1_30: DecimalString = Field(alias="1-30")
    d31_60: DecimalString = Field(alias="31-60")
    d61_90: DecimalString = Field(alias="61-90")
    d90_plus: DecimalString = Field(alias="90+")
    total: DecimalString

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class StatementCurrency(BaseModel):
    currency: str
    opening_balance: DecimalString
    invoiced: DecimalString
    credited: DecimalString
    paid: DecimalString
    closing_balance: DecimalString
    late_interest: DecimalString = Field(description="Interest accrued on what is open at the period's end.")
    aging: AgingBuckets = Field(description="What is open at the period's end, by days past due.")
    entries: list[StatementEntry]


class StatementOut(BaseModel):
    customer_id: UUID
    legal_name: str
    period_start: date
    period_end: date
    language: Language
    currencies: list[StatementCurrency]


class AgingRow(BaseModel):
    customer_id: UUID | None = Field(description="None on the total rows.")
    legal_name: str | None
    currency: str
    buckets: AgingBuckets
    invoices: int


class AgingReportOut(BaseModel):
    as_of: date
    customers: list[AgingRow]
    totals: list[AgingRow] = Field(description="One row per currency over every customer.")


class KpiOut(BaseModel):
    currency: str
    period_start: date
    period_end: date
    days: int
    opening_receivables: DecimalString
    closing_receivables: DecimalString
    closing_current: DecimalString
    credit_sales: DecimalString
    collected: DecimalString
    written_off: DecimalString
    dso: DecimalString | None
    best_possible_dso: DecimalString | None
    average_days_delinquent: DecimalString | None
    cei: DecimalString | None = Field(description="Collection effectiveness index, percent.")
    bad_debt_rate: DecimalString | None = Field(description="Percent of credit sales.")
    collection_rate: DecimalString | None = Field(description="Percent of opening receivables + credit sales.")


class KpiReportOut(BaseModel):
    data: list[KpiOut]


class ContractCreate(BaseModel):
    """A recurring service contract: its lines are billed each calendar period from start_date."""

    model_config = ConfigDict(extra="forbid")

    customer_id: UUID
    currency: Currency = "CNY"
    cycle: Literal["monthly", "quarterly", "annual"] = "monthly"
    start_date: date
    end_date: date | None = None
    auto_issue: bool = Field(default=True, description="Issue each period's invoice at once; false leaves a draft.")
    payment_terms_code: TermsCode | None = None
    lines: list[InvoiceLineIn] = Field(min_length=1, max_length=50)
    memo: str | None = Field(default=None, max_length=2000)

    @field_validator("start_date", "end_date")
    @classmethod
    def _plausible(cls, value: date | None) -> date | None:
        return check_invoice_date(value)

    @field_validator("lines")
    @classmethod
    def _not_too_large(cls, value: list[InvoiceLineIn]) -> list[InvoiceLineIn]:
        return check_lines_total(value)

    @model_validator(mode="after")
    def _ends_after_start(self) -> ContractCreate:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


class ContractCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cancelled_on: date = Field(
        description="The last day of service: its period is billed up to this day, or, when already invoiced, "
        "the days after it are credited."
    )

    @field_validator("cancelled_on")
    @classmethod
    def _plausible(cls, value: date) -> date:
        check_invoice_date(value)
        return value


class ContractOut(BaseModel):
    id: UUID
    customer_id: UUID
    currency: str
    cycle: str
    start_date: date
    end_date: date | None
    bill_from: date
    auto_issue: bool
    payment_terms_code: str | None
    lines: list[InvoiceLineIn]
    memo: str | None
    status: str
    paused_on: date | None
    cancelled_on: date | None
    created_at: datetime
    updated_at: datetime
