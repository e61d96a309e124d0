"""Response models of gateway notifications."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel


class NotificationOut(BaseModel):
    id: UUID
    provider: str
    provider_id: str
    event_type: str | None
    outcome: str
    payment_id: UUID | None
    received_at: datetime
    headers: dict[str, str]
    body: str
