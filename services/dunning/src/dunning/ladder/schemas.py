"""Request and response models of policies and the dry run."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from arflow.money import DecimalString
from dunning.fields import Strict, check_amount

Channel = Literal["email", "sms", "letter", "phone_task", "visit_task", "legal_handover", "internal_alert"]


Tier = Literal["A", "B", "C", "D"]


Language = Literal["zh-CN", "en"]


Code = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Lower-case letters, digits, - and _.")


class PolicyStepIn(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    offset_days: int = Field(ge=-60, le=730, description="Days from the due date; negative is before it.")
    channel: Channel
    level: int = Field(ge=0, le=10, description="The rung of the handbook ladder this step stands on.")
    templates: dict[Language, str] = Field(
        default_factory=dict, description="Template per language (email, sms and internal_alert need one)."
    )


class PolicyVersionIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    tiers: list[Tier] = Field(default_factory=list, description="Tiers it applies to; empty: any tier.")
    min_amount: DecimalString | None = Field(None, description="Applies from this overdue amount up (segment).")
    tags: list[str] = Field(default_factory=list, description="Applies to customers with one of these tags.")
    priority: int = Field(0, ge=-1000, le=1000)
    steps: list[PolicyStepIn] = Field(min_length=1, max_length=50)

    @field_validator("min_amount")
    @classmethod
    def _non_negative(cls, value: Decimal | None) -> Decimal | None:
        return check_amount(value, positive=False)


class PolicyIn(PolicyVersionIn):
    code: str = Code


class PolicyOut(BaseModel):
    id: UUID
    code: str
    version: int
    versions: list[int]
    name: str
    tiers: list[str]
    min_amount: DecimalString | None
    tags: list[str]
    priority: int
    steps: list[PolicyStepIn]
    active: bool
    created_at: datetime


class DryRunEntry(BaseModel):
    case_id: UUID
    customer_id: UUID
    tier: str
    policy: str | None
    policy_version: int | None
    level: int
    amount_overdue: DecimalString
    currency: str
    decision: Literal["execute", "wait", "blocked", "done"]
    reason: str | None
    step: str | None
    channel: str | None
    step_level: int | None
    due_on: date | None
    done_steps: list[str]


class DryRunOut(BaseModel):
    as_of: datetime
    data: list[DryRunEntry]
