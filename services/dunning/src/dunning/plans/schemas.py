"""Request and response models of the monthly collection plan."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from arflow.i18n import Invalid
from arflow.money import DecimalString
from dunning.fields import Strict

# Years 2000-2999: a month of year 0000 is no date, and December 9999 has no month after it.
MONTH_PATTERN = r"^2\d{3}-(0[1-9]|1[0-2])$"


class PlanIn(Strict):
    month: str = Field(pattern=MONTH_PATTERN, description="YYYY-MM, 2000-01 to 2999-12")
    as_of: datetime | None = Field(None, description="Plan as of this instant (default: now).")

    @field_validator("as_of")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise Invalid("must carry a time zone", "须带时区")
        return value


class PlannedStep(BaseModel):
    step: str
    channel: str
    level: int
    date: date


class PlanLine(BaseModel):
    rank: int
    case_id: UUID
    customer_id: UUID
    customer_name: str | None
    tier: str
    policy: str
    level: int
    collector: str | None
    currency: str
    amount_overdue: DecimalString
    priority: DecimalString
    paused: str | None
    planned_steps: list[PlannedStep]


class CollectorTotal(BaseModel):
    collector: str | None
    currency: str
    cases: int
    amount_overdue: DecimalString
    planned_steps: int


class PlanOut(BaseModel):
    id: UUID
    month: date
    as_of: datetime
    lines: list[PlanLine]
    collectors: list[CollectorTotal]
    created_at: datetime
