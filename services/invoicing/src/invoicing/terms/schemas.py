"""Request and response models of payment terms."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from arflow.i18n import Invalid
from arflow.money import DecimalString, parse_decimal

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
        raise Invalid(
            "interest_rate must be a fraction between 0 and 1",
            "interest_rate（利率）须为 0 到 1 之间的小数",
        )
    if terms.interest_kind == "none" and terms.interest_rate != 0:
        raise Invalid(
            "interest_rate needs interest_kind daily or annual",
            "设置 interest_rate（利率）须同时将 interest_kind 设为 daily 或 annual",
        )
    if terms.interest_kind != "none" and terms.interest_rate == 0:
        raise Invalid(
            f"interest_kind {terms.interest_kind} needs an interest_rate above 0",
            f"interest_kind 为 {terms.interest_kind} 时 interest_rate（利率）须大于 0",
        )
    if terms.interest_cap_ratio is not None and not 0 < terms.interest_cap_ratio <= 10:
        raise Invalid(
            "interest_cap_ratio must be above 0 (and at most 10)",
            "interest_cap_ratio（利息上限倍数）须大于 0 且不超过 10",
        )
    if terms.late_fee is not None and not 0 <= terms.late_fee < Decimal("1e12"):
        raise Invalid("late_fee must not be negative", "late_fee（滞纳金）不能为负数")
    if (terms.discount_rate is None) != (terms.discount_days is None):
        raise Invalid(
            "discount_rate and discount_days go together",
            "discount_rate（折扣率）与 discount_days（折扣天数）须同时提供",
        )
    if terms.discount_rate is not None and not 0 < terms.discount_rate < 1:
        raise Invalid(
            "discount_rate must be a fraction between 0 and 1",
            "discount_rate（折扣率）须为 0 到 1 之间的小数",
        )


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
