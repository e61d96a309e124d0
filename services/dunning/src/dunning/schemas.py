"""Response models of the dunning API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel

from arflow.money import DecimalString

CaseStatus = Literal["open", "resolved"]
ActionStatus = Literal["pending", "sent", "failed", "skipped", "cancelled"]


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


class CaseDetailOut(CaseOut):
    items: list[CaseItemOut]
    actions: list[ActionOut]
