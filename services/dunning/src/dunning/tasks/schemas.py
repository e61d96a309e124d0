"""Request and response models of collectors' tasks."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from arflow.money import DecimalString
from dunning.fields import Strict, check_amount

TaskOutcome = Literal["reached", "no_answer", "wrong_number", "promise_to_pay", "dispute", "refused"]


TaskStatus = Literal["open", "done", "cancelled"]


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
    disputed_invoice_ids: list[UUID] | None = Field(
        None,
        max_length=500,
        description="With `dispute` (required there): the invoices the customer disputes, open items of the case.",
    )

    @field_validator("promised_amount")
    @classmethod
    def _positive(cls, value: Decimal | None) -> Decimal | None:
        return check_amount(value, positive=True)


class TaskAssignIn(Strict):
    assignee: str = Field(min_length=1, max_length=200)
