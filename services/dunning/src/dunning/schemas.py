"""Response models of the dunning API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal, overload
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from arflow.money import DecimalString

CaseStatus = Literal["open", "resolved"]
ActionStatus = Literal["pending", "sent", "failed", "skipped", "cancelled", "completed"]
Channel = Literal["email", "sms", "letter", "phone_task", "visit_task", "legal_handover", "internal_alert"]
Tier = Literal["A", "B", "C", "D"]
Language = Literal["zh-CN", "en"]
TaskOutcome = Literal["reached", "no_answer", "wrong_number", "promise_to_pay", "dispute", "refused"]
TaskStatus = Literal["open", "done", "cancelled"]
PromiseStatus = Literal["open", "kept", "broken", "cancelled"]
Code = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Lower-case letters, digits, - and _.")


MAX_AMOUNT = Decimal("1e15")


@overload
def check_amount(value: Decimal, *, positive: bool) -> Decimal: ...
@overload
def check_amount(value: None, *, positive: bool) -> None: ...
def check_amount(value: Decimal | None, *, positive: bool) -> Decimal | None:
    """Amounts fit the database's NUMERIC(19,4): below 10^15, at most four decimals."""
    if value is None:
        return None
    if positive and value <= 0:
        raise ValueError("must be positive")
    if value < 0:
        raise ValueError("must not be negative")
    if value >= MAX_AMOUNT:
        raise ValueError("is too large")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int), "DecimalString refuses NaN and the infinities"
    if exponent < -4:
        raise ValueError("has more than four decimals")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CaseItemOut(BaseModel):
    invoice_id: UUID
    invoice_number: str
    amount_due: DecimalString
    currency: str
    due_date: date
    days_overdue: int
    bucket: str
    payment_reference: str | None
    status: Literal["open", "closed"]
    closure: Literal["paid", "voided", "written_off"] | None
    closed_at: datetime | None
    created_at: datetime


class ActionOut(BaseModel):
    id: UUID
    case_id: UUID
    customer_id: UUID
    step: str
    level: int
    channel: str
    template: str | None
    invoice_ids: list[UUID]
    amount_overdue: DecimalString
    currency: str
    recipient: str | None
    language: str | None
    subject: str | None
    status: ActionStatus
    outcome: str | None
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    sent_at: datetime | None
    completed_at: datetime | None


class CaseOut(BaseModel):
    id: UUID
    customer_id: UUID
    currency: str
    status: CaseStatus
    level: int
    amount_overdue: DecimalString
    opened_at: datetime
    resolved_at: datetime | None
    resolution: str | None
    policy_code: str | None = None
    policy_version: int | None = None
    anchor_date: date | None = None
    hold_reason: str | None = None
    held_until: date | None = None
    frozen_at: datetime | None = None
    last_contact_at: datetime | None = None
    collector: str | None = None


# --- policies ------------------------------------------------------------------------


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


# --- pauses, tasks, promises ----------------------------------------------------------


class HoldIn(Strict):
    reason: str = Field(min_length=1, max_length=500)
    until: date | None = None


class AssignIn(Strict):
    collector: str = Field(min_length=1, max_length=200)


class PromiseIn(Strict):
    amount: DecimalString
    promised_date: date
    made_by: str | None = Field(None, max_length=200)

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        return check_amount(value, positive=True)


class PromiseOut(BaseModel):
    id: UUID
    case_id: UUID
    customer_id: UUID
    amount: DecimalString
    currency: str
    promised_date: date
    owed_at_promise: DecimalString
    status: PromiseStatus
    amount_received: DecimalString | None
    settled_on: date | None
    made_by: str | None
    created_at: datetime


class TaskOut(BaseModel):
    id: UUID
    case_id: UUID
    customer_id: UUID
    action_id: UUID
    kind: str
    due_date: date
    assignee: str | None
    status: TaskStatus
    outcome: str | None
    note: str | None
    completed_by: str | None
    completed_at: datetime | None
    created_at: datetime


class TaskCompleteIn(Strict):
    outcome: TaskOutcome
    note: str | None = Field(None, max_length=2000)
    operator: str | None = Field(None, max_length=200, description="Who did it; defaults to the API key's name.")
    promised_date: date | None = None
    promised_amount: DecimalString | None = None

    @field_validator("promised_amount")
    @classmethod
    def _positive(cls, value: Decimal | None) -> Decimal | None:
        return check_amount(value, positive=True)


class TaskAssignIn(Strict):
    assignee: str = Field(min_length=1, max_length=200)


class DocumentOut(BaseModel):
    id: UUID
    case_id: UUID
    action_id: UUID | None
    kind: str
    filename: str
    media_type: str
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


# --- the monthly collection plan ------------------------------------------------------


class PlanIn(Strict):
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")
    as_of: datetime | None = Field(None, description="Plan as of this instant (default: now).")

    @field_validator("as_of")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must carry a time zone")
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


class CaseDetailOut(CaseOut):
    """A case with its timeline: items, the action log, collectors' tasks and promises."""

    items: list[CaseItemOut]
    actions: list[ActionOut]
    tasks: list[TaskOut] = Field(default_factory=list)
    promises: list[PromiseOut] = Field(default_factory=list)
