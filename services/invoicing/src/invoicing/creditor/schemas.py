"""Request and response models of the creditor."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from stdnum.cn import uscc as stdnum_uscc

from arflow.i18n import Invalid
from arflow.money import DecimalString
from invoicing.domain import uscc_fault

USCC_FAULTS = {
    "length": ("must be 18 characters", "须为 18 位"),
    "format": ("has a character not allowed at its position", "有字符不符合其所在位置的规则"),
    "checksum": ("fails its check character", "校验码（第 18 位）不正确"),
}


class CreditorIn(BaseModel):
    """The firm's legal identity and payee account, all of it: a document never shows half a creditor."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "legal_name": "上海澄账代理记账有限公司",
                "uscc": "91310101MA1FPX1X30",
                "address": "上海市黄浦区南京东路 100 号 8 楼",
                "phone": "021-6321 0000",
                "bank_name": "招商银行上海分行营业部",
                "bank_account_name": "上海澄账代理记账有限公司",
                "bank_account_number": "1219 0880 1510 001",
                "hosted_partial_payment_minimum": "500.00",
            }
        },
    )

    legal_name: str = Field(min_length=1, max_length=300)
    uscc: str = Field(description="The creditor's 统一社会信用代码 (GB 32100).")
    address: str = Field(min_length=1, max_length=500)
    phone: str = Field(min_length=3, max_length=50)
    bank_name: str = Field(min_length=1, max_length=200)
    bank_account_name: str = Field(min_length=1, max_length=300)
    bank_account_number: str = Field(
        min_length=6, max_length=64, pattern=r"^[0-9A-Za-z][0-9A-Za-z \-]*$", description="As printed: digits, spaces."
    )

    hosted_partial_payment_minimum: DecimalString | None = Field(
        default=None,
        description="The least a customer may pay at a time on the hosted invoice page, to the cent, in the "
        'invoice\'s currency (a decimal string, e.g. "500.00"). Left out or null: the page asks for the whole '
        "open balance. A balance no larger than it is always paid whole.",
    )

    @field_validator("hosted_partial_payment_minimum")
    @classmethod
    def _minimum(cls, value: Decimal | None) -> Decimal | None:
        if value is None:
            return None
        if value <= 0:
            raise Invalid(
                f"must be more than zero (null allows no part payments), not {value}",
                f"须大于零（不允许部分付款请填 null），而不是 {value}",
            )
        if value != value.quantize(Decimal("0.01")):
            raise Invalid(f"must be to the cent (two decimals), not {value}", f"须精确到分（两位小数），而不是 {value}")
        return value.quantize(Decimal("0.01"))

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, value: str) -> str:
        code = stdnum_uscc.compact(value)
        fault = uscc_fault(code)
        if fault is not None:
            english, chinese = USCC_FAULTS.get(fault, (fault, fault))
            raise Invalid(f"is not a valid 统一社会信用代码: it {english}", f"不是有效的统一社会信用代码：{chinese}")
        return code


class CreditorOut(BaseModel):
    legal_name: str
    uscc: str
    address: str
    phone: str
    bank_name: str
    bank_account_name: str
    bank_account_number: str
    hosted_partial_payment_minimum: DecimalString | None = Field(
        description="The least a part payment on the hosted page may be; null: the whole balance only."
    )
    demo: bool = Field(description="The marked demo creditor: documents say so on every page.")
    source: Literal["api", "settings", "demo"] = Field(
        description="Where it comes from: set through this API, the ARFLOW_CREDITOR_* settings, or the demo one."
    )
    revision: int | None = Field(description="Counts the changes made through this API (None before the first).")
    updated_at: datetime | None
    updated_by: str | None
