"""Request and response models of cases."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from arflow.money import DecimalString
from dunning.actions.schemas import ActionOut
from dunning.collectors.schemas import AssignmentOut
from dunning.fields import Strict
from dunning.promises.schemas import PromiseOut
from dunning.tasks.schemas import TaskOut

CaseStatus = Literal["open", "resolved"]


class CaseItemOut(BaseModel):
    invoice_id: UUID
    invoice_number: str
    amount_due: DecimalString
    currency: str
    due_date: date
    days_overdue: int
    bucket: str
    payment_reference: str | None
    disputed: bool = Field(description="Not chased while a dispute of the invoice is open.")
    status: Literal["open", "closed"]
    closure: Literal["paid", "voided", "written_off"] | None
    closed_at: datetime | None
    created_at: datetime


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
    collector: str | None = Field(None, description="None: no collector's rules took the case (see assignment_reason).")
    assigned_at: datetime | None = None
    assigned_by: str | None = None
    assignment_reason: str | None = None


class HoldIn(Strict):
    reason: str = Field(min_length=1, max_length=500)
    until: date | None = None


class AssignIn(Strict):
    collector: str = Field(min_length=1, max_length=200)


class HandoverApprovalOut(BaseModel):
    """The case's latest legal handover asked of a second person (GET /approvals/{id} has all of it)."""

    id: UUID
    step: str
    status: Literal["pending", "approved", "rejected", "expired"]
    amount: DecimalString | None
    currency: str | None
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_comment: str | None
    ask_again_after: datetime | None = Field(
        None, description="Rejected: when the tick asks again for the handover if the case is still at that rung."
    )


class CaseDetailOut(CaseOut):
    """A case with its timeline: items, the action log, collectors' tasks and promises."""

    items: list[CaseItemOut]
    actions: list[ActionOut]
    tasks: list[TaskOut] = Field(default_factory=list)
    promises: list[PromiseOut] = Field(default_factory=list)
    assignments: list[AssignmentOut] = Field(default_factory=list, description="Who held the case, oldest first.")
    awaiting_approval: bool = Field(
        False, description="The ladder reached the legal handover and waits for a second person to approve it."
    )
    handover_approval: HandoverApprovalOut | None = Field(
        None, description="The latest legal handover asked of a second person, whatever became of it."
    )


class NextStepIn(Strict):
    """Why the case's next ladder step is sent now rather than on its day (kept in the audit trail)."""

    reason: str = Field(min_length=1, max_length=500, examples=["客户来电要求尽快寄出催款函"])
    step: str | None = Field(
        None,
        max_length=100,
        description="The step the caller means to send (as the worklist or dry run showed it): if the case's next "
        "step is another by now, 409 `next_step_changed` and nothing is sent.",
        examples=["formal_letter"],
    )

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"example": {"reason": "客户来电要求尽快寄出催款函", "step": "formal_letter"}},
    }


class CaseStepOut(CaseOut):
    """The case after its next step was taken now, with that step's action (queued for its sender, or done)."""

    step_taken: ActionOut
    due_on: date = Field(description="The day the ladder had set for the step (its anchor + offset).")
