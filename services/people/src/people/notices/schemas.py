"""Response models of approval notices."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from people.models import ApprovalNotice

NoticeKind = Literal["request", "decision"]
NoticeStatus = Literal["pending", "sent", "failed", "skipped", "cancelled"]


class ApprovalNoticeOut(BaseModel):
    id: UUID = Field(description="Also the email's Message-ID (<id@sender's domain>).")
    approval_id: UUID
    kind: NoticeKind = Field(description="request: to an approver when asked; decision: to the requester.")
    user_id: UUID
    username: str
    recipient: str | None = Field(description="The address written to; null: the user has none (skipped).")
    language: str
    subject: str
    status: NoticeStatus = Field(
        description="pending (queued or being retried), sent, failed (gave up), skipped (no address, or the "
        "account disabled), cancelled (decided or expired before it was sent)."
    )
    attempts: int
    last_error: str | None = Field(description="Why the last attempt failed, or why it was skipped or cancelled.")
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None


class ApprovalNoticeDetailOut(ApprovalNoticeOut):
    body_text: str = Field(description="The plain-text part as sent (Chinese, English below).")
    body_html: str


def notice_out(notice: ApprovalNotice) -> ApprovalNoticeOut:
    return ApprovalNoticeOut.model_validate(notice, from_attributes=True)


def notice_detail_out(notice: ApprovalNotice) -> ApprovalNoticeDetailOut:
    return ApprovalNoticeDetailOut.model_validate(notice, from_attributes=True)
