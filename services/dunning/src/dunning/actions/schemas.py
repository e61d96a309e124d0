"""Response models of the action log and its documents."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from arflow.money import DecimalString

ActionStatus = Literal["pending", "sent", "failed", "skipped", "cancelled", "completed"]


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


class DocumentOut(BaseModel):
    id: UUID
    case_id: UUID
    action_id: UUID | None
    kind: str
    number: str | None = Field(
        default=None, description="A letter's number, e.g. 催字〔2026〕第0001号; null for an evidence pack."
    )
    filename: str
    media_type: str
    created_at: datetime
