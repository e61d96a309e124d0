"""What the API says of an invoice's hosted link."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field


class HostedLinkOut(BaseModel):
    invoice_id: UUID
    hosted_invoice_url: str | None = Field(
        description="The link, in the answer of the call that made it (POST); null otherwise: only the token's "
        "SHA-256 is kept."
    )
    status: str = Field(description="active, expired or revoked.")
    expires_on: date = Field(
        description="The last day it works (the customer's calendar): due date + 30 days, at least 30 days from "
        "when it was made, carried on by each overdue notice to 30 days after it (at most due date + 120 days)."
    )
    created_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None
    view_count: int = Field(description="Views of the page; PDF downloads do not count (dunning fetches them too).")
    last_viewed_at: datetime | None
    renewals_pending: int = Field(
        description="Renewals asked before they were sent (before migration 0020): a matched renewal is now sent at "
        "once, its new link emailed by dunning."
    )
