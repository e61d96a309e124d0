"""Request and response models of the invoicing API."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from arflow.money import Currency, DecimalString
from invoicing.domain import is_valid_uscc

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
Language = Literal["zh-CN", "en"]


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: Literal["billing", "finance_manager", "legal_representative", "other"] = "billing"
    email: str | None = Field(None, max_length=320)
    phone: str | None = Field(None, description="E.164, e.g. +8613812345678")
    postal_address: str | None = Field(None, max_length=500)
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
    short_name: str | None = Field(None, max_length=100)
    unified_social_credit_code: str | None = Field(
        None, description="统一社会信用代码 (GB 32100); optional for foreign customers"
    )
    external_reference: str | None = Field(None, max_length=200)
    time_zone: str = "Asia/Shanghai"
    preferred_language: Language = "zh-CN"
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)
    tags: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(default_factory=list, max_length=50)
    payment_terms_code: str | None = None
    dunning_excluded: bool = False
    dunning_exclusion_reason: str | None = None

    @field_validator("unified_social_credit_code")
    @classmethod
    def _uscc(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().upper()
        if not is_valid_uscc(value):
            raise ValueError("is not a valid unified social credit code (GB 32100 check failed)")
        return value

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone") from None
        return value

    @model_validator(mode="after")
    def _exclusion_has_reason(self) -> CustomerCreate:
        if self.dunning_excluded and not self.dunning_exclusion_reason:
            raise ValueError("dunning_exclusion_reason is required when dunning_excluded is true")
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
    tax_rate: DecimalString = Field(Decimal(0), description="e.g. 0.06 for 6% VAT")

    @field_validator("quantity")
    @classmethod
    def _quantity(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise ValueError("must be greater than zero")
        return value

    @field_validator("unit_price")
    @classmethod
    def _unit_price(cls, value: Decimal) -> Decimal:
        if value < 0:
            raise ValueError("must not be negative (correct an issued invoice with a credit note)")
        return value

    @field_validator("tax_rate")
    @classmethod
    def _tax_rate(cls, value: Decimal) -> Decimal:
        if not 0 <= value < 1:
            raise ValueError("must be a fraction between 0 and 1, e.g. 0.06")
        return value


class InvoiceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: UUID
    currency: Currency = "CNY"
    invoice_date: date | None = Field(None, description="Defaults to today in the customer's time zone.")
    net_days: int = Field(30, ge=0, le=365)
    due_date_basis: Literal["invoice_date", "end_of_month"] = "invoice_date"
    grace_days: int = Field(0, ge=0, le=90)
    memo: str | None = Field(None, max_length=2000)
    lines: list[InvoiceLineIn] = Field(min_length=1, max_length=500)
    issue: bool = Field(False, description="Issue at once instead of leaving a draft.")


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
    payment_reference: str | None
    memo: str | None
    issued_at: datetime | None
    paid_on: date | None
    lines: list[InvoiceLineOut]
    created_at: datetime
