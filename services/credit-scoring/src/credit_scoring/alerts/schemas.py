"""Request and response models of the alerts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class AlertOut(BaseModel):
    id: UUID
    customer_id: UUID
    kind: str
    severity: str
    message_zh: str
    message_en: str
    details: dict[str, Any]
    raised_at: datetime = Field(description="When the warning was raised (the instant it was recorded).")
    raised_on: date = Field(description="The business date it is about: the as-of date of the rescore that raised it.")
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledgement_note: str | None


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(None, max_length=1000)
