"""Request and response models of collectors, assignments, worklists and results."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints, field_validator

from arflow.money import DecimalString
from dunning.collectors.regions import REGION_PATTERN
from dunning.fields import Strict, check_amount

Tier = Literal["A", "B", "C", "D"]
# The people service's usernames; dunning keys collectors by them (no call to that service).
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$"


class AssignmentRulesIn(Strict):
    """Which new cases the rules give this collector; an empty list or a missing bound takes every case."""

    tiers: list[Tier] = Field(
        default_factory=list, max_length=4, description="The customer's credit tier (unscored: B)."
    )
    regions: list[Annotated[str, StringConstraints(pattern=REGION_PATTERN)]] = Field(
        default_factory=list,
        max_length=50,
        description="Administrative division prefixes (GB/T 2260) of the customer's region, read from characters "
        "3-8 of its unified social credit code (统一社会信用代码): 2 digits for a province (31 上海, 44 广东), "
        "4 for a prefecture (4403 深圳), 6 for a county. A customer without a USCC is in no region.",
        examples=[["31", "3205"]],
    )
    min_amount: DecimalString | None = Field(default=None, description="The case's open balance at least this.")
    max_amount: DecimalString | None = Field(default=None, description="The case's open balance at most this.")
    max_open_cases: int | None = Field(
        default=None, ge=0, le=100_000, description="No new case by the rules past this load."
    )

    @field_validator("min_amount", "max_amount")
    @classmethod
    def _amount(cls, value: Decimal | None) -> Decimal | None:
        return check_amount(value, positive=False)


class CollectorIn(Strict):
    display_name: str = Field(min_length=1, max_length=200, examples=["李娜"])
    email: str | None = Field(
        None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", examples=["li.na@example.cn"]
    )
    active: bool = True
    rules: AssignmentRulesIn = Field(default_factory=lambda: AssignmentRulesIn())

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "example": {
                "display_name": "李娜",
                "email": "li.na@example.cn",
                "active": True,
                "rules": {
                    "tiers": ["C", "D"],
                    "regions": ["31", "3205"],
                    "min_amount": "10000.00",
                    "max_amount": "500000.00",
                    "max_open_cases": 80,
                },
            }
        },
    }


class AssignmentRulesOut(BaseModel):
    tiers: list[str]
    regions: list[str]
    min_amount: DecimalString | None
    max_amount: DecimalString | None
    max_open_cases: int | None


class CollectorOut(BaseModel):
    id: UUID
    username: str = Field(examples=["li.na"])
    display_name: str = Field(examples=["李娜"])
    email: str | None
    active: bool
    rules: AssignmentRulesOut
    open_cases: int = Field(description="Open cases held now: the load the rules balance.")
    revision: int
    created_at: datetime
    updated_at: datetime


class AssignmentIn(Strict):
    collector: str = Field(pattern=USERNAME_PATTERN, examples=["li.na"])
    reason: str = Field(min_length=1, max_length=500, examples=["客户要求由原经办人跟进"])


class ReassignIn(Strict):
    reason: str = Field(min_length=1, max_length=500, examples=["催收员离职，案件按规则重新分配"])


class AssignmentOut(BaseModel):
    id: UUID
    case_id: UUID
    collector: str | None
    previous_collector: str | None
    basis: Literal["rules", "manual", "reassigned"]
    reason: str | None
    assigned_by: str
    assigned_at: datetime
    assigned_on: date


class ReassignOut(BaseModel):
    collector: str
    moved: int = Field(description="Open cases the collector held.")
    unassigned: int = Field(description="Of those, the cases no other collector's rules take: they wait unassigned.")
    assignments: list[AssignmentOut]


class ReasonOut(BaseModel):
    code: Literal[
        "promise_broken",
        "promise_due_today",
        "task_due",
        "dispute_to_answer",
        "step_due",
        "step_soon",
        "task_coming",
        "promise_coming",
        "open_balance",
    ]
    text: str = Field(examples=["The promise to pay 2,000.00 CNY by 2026-03-10 has passed unpaid."])
    text_zh: str = Field(examples=["承诺于2026年3月10日支付 2,000.00 CNY，已逾期未付。"])
    on: date | None = None
    step: str | None = Field(
        None,
        description="`step_due` / `step_soon`: the ladder step's name (as `GET /dry-run` and "
        "`POST /cases/{id}/steps/next` name it); null for the other reasons.",
        examples=["formal_letter"],
    )
    channel: str | None = Field(
        None,
        description="`step_due` / `step_soon`: the step's channel (email, sms, letter, phone_task, visit_task, "
        "legal_handover, internal_alert); null for the other reasons.",
        examples=["letter"],
    )


class WorkItemOut(BaseModel):
    id: UUID = Field(description="The case (the cursor of the next page).")
    rank: int
    customer_id: UUID
    customer_name: str | None
    currency: str
    amount_overdue: DecimalString
    days_overdue: int
    level: int
    urgency: int = Field(description="The most urgent reason's weight (README: the worklist).")
    expected_recovery: DecimalString = Field(description="Open balance × days overdue.")
    reasons: list[ReasonOut]


class MoneyOut(BaseModel):
    amount: DecimalString
    currency: str


class BookOut(BaseModel):
    currency: str
    open_amount: DecimalString
    cases: int
    dso_days: DecimalString | None = Field(description="Open amount-weighted days since invoice date, on `to`.")


class CollectorResultsOut(BaseModel):
    collector: str
    display_name: str | None
    period_from: date
    period_to: date
    cases_worked: int
    contacts_made: int
    actions_sent: int
    calls_logged: int
    promises_made: int
    promises_kept: int
    amount_collected: list[MoneyOut]
    book: list[BookOut]


class ResultsListOut(BaseModel):
    object: Literal["list"] = "list"
    period_from: date
    period_to: date
    data: list[CollectorResultsOut]
