"""Request and response models of the deliveries of issued invoices."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from dunning.fields import Strict

DeliveryStatus = Literal["queued", "sent", "failed", "cancelled", "skipped"]
DeliveryPurpose = Literal["issue", "link_renewal"]


class DeliveryOut(BaseModel):
    """What every delivery of an issued document says (the document's own id and number in the subclasses)."""

    id: UUID
    customer_id: UUID
    purpose: DeliveryPurpose = Field(
        description="issue: the document sent when issued (once); link_renewal: a new link the customer asked for on "
        "the dead page, emailed to the address on file that asked (one per request, at most one an hour per link)."
    )
    channel: Literal["email", "sms"] = Field(description="email: the PDF attached and the link; sms: the link.")
    recipient: str | None = Field(description="The email address or phone it goes (went) to; null: none known yet.")
    language: str | None
    status: DeliveryStatus = Field(
        description="queued (waiting, or retrying: see attempts and last_error), sent, failed (gave up after the "
        "channel's attempts), cancelled (an invoice settled before it went), skipped (nobody to send it to)."
    )
    attempts: int
    last_error: str | None = Field(description="Why the last attempt failed, or why it waits (no creditor yet …).")
    next_attempt_at: datetime | None
    subject: str | None = Field(description="The email's subject (the SMS's text) as sent.")
    resends: int = Field(description="How many times it was queued again by hand.")
    issued_at: datetime = Field(description="When the document was issued (a renewal: when its link was renewed).")
    issued_on: date = Field(description="The customer's business date of issued_at.")
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None


class InvoiceDeliveryOut(DeliveryOut):
    invoice_id: UUID
    invoice_number: str


class StatementDeliveryOut(DeliveryOut):
    statement_id: UUID
    statement_number: str


class ResendIn(Strict):
    reason: str | None = Field(None, max_length=500, description="Why it is sent again (kept in the audit trail).")
