"""Request and response models of customers."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from stdnum.cn import uscc as stdnum_uscc

from arflow.clock import DEFAULT_TIME_ZONE, is_time_zone
from arflow.events.catalog import Language
from arflow.i18n import Invalid

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_uscc(value: str) -> str:
    """The code as stored: without spaces or hyphens, in capitals. Whether it is valid the service says
    (a typed `uscc_invalid` with a Chinese detail, which a validator's message cannot carry)."""
    return stdnum_uscc.compact(value)


def check_time_zone(value: str) -> str:
    if not is_time_zone(value):
        raise Invalid(f"{value!r} is not an IANA time zone", f"{value!r} 不是 IANA 时区")
    return value


def check_email(value: str | None) -> str | None:
    if value is not None and not EMAIL.match(value):
        raise Invalid("is not an email address", "不是有效的电子邮箱地址")
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
        return check_email(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and not E164.match(value):
            raise Invalid("must be in E.164 form, e.g. +8613812345678", "须为 E.164 格式，例如 +8613812345678")
        return value


class CustomerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legal_name: str = Field(min_length=1, max_length=300)
    short_name: str | None = Field(default=None, max_length=100)
    unified_social_credit_code: str | None = Field(
        default=None, description="统一社会信用代码 (GB 32100); optional for foreign customers"
    )
    external_reference: str | None = Field(default=None, max_length=200)
    time_zone: str = DEFAULT_TIME_ZONE
    preferred_language: Language = "zh-CN"
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)
    tags: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(default_factory=list, max_length=50)
    payment_terms_code: str | None = Field(default=None, max_length=50, description="Default terms for new invoices.")
    dunning_excluded: bool = False
    dunning_exclusion_reason: str | None = Field(default=None, max_length=500)
    account_manager_email: str | None = Field(
        default=None,
        max_length=320,
        description="The firm's account manager for this client: dunning's internal alerts (and Reply-To) go there.",
    )

    @field_validator("account_manager_email")
    @classmethod
    def _manager_email(cls, value: str | None) -> str | None:
        return check_email(value)

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
            raise Invalid(
                "dunning_exclusion_reason is required when dunning_excluded is true",
                "dunning_excluded 为 true 时须填写 dunning_exclusion_reason（免催原因）",
            )
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
    account_manager_email: str | None = Field(
        default=None,
        max_length=320,
        description="The firm's account manager for this client: dunning's internal alerts (and Reply-To) go there.",
    )

    @field_validator("account_manager_email")
    @classmethod
    def _manager_email(cls, value: str | None) -> str | None:
        return check_email(value)

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
                raise Invalid(f"{name} cannot be null", f"{name} 不能为 null")
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
    account_manager_email: str | None = None
    credit_hold: bool
    credit_hold_reason: str | None = Field(
        default=None, description="What credit-scoring gave for the hold: tier, score and its first reason."
    )
    archived_at: datetime | None
    revision: int
    created_at: datetime
    updated_at: datetime
