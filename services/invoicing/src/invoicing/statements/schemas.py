"""Request and response models of the statement cycle."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arflow.events.catalog import Language, StatementCycle
from arflow.money import DecimalString

ScheduleCycle = Literal["monthly", "quarterly", "none"]
StatementStatus = Literal["issued", "confirmed", "disputed"]


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cycle: ScheduleCycle = Field(description="monthly (the default), quarterly (calendar quarters) or none.")
    day: int = Field(
        default=1, ge=1, le=28, description="The day of the month after a period ends on which its statement goes out."
    )


class ScheduleOut(BaseModel):
    customer_id: UUID
    cycle: ScheduleCycle
    day: int
    is_default: bool = Field(description="True while the customer has none of its own (monthly, on the 1st).")
    next_period_start: date | None = Field(description="The first period whose statement is not due yet (null: none).")
    next_period_end: date | None
    next_issue_on: date | None = Field(description="The customer's date that statement goes out on.")
    updated_at: datetime | None
    updated_by: str | None


class StatementIssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: UUID
    period_start: date | None = Field(
        default=None, description="With period_end; both left out: the last whole period of the customer's schedule."
    )
    period_end: date | None = None
    language: Language | None = Field(default=None, description="The customer's preferred language by default.")

    @model_validator(mode="after")
    def _both_or_neither(self) -> Self:
        if (self.period_start is None) != (self.period_end is None):
            raise ValueError("give both period_start and period_end, or neither")
        return self


class BalanceOut(BaseModel):
    currency: str
    opening_balance: DecimalString
    invoiced: DecimalString
    credited: DecimalString
    paid: DecimalString
    closing_balance: DecimalString


class StatementLinkOut(BaseModel):
    status: Literal["active", "expired", "revoked"]
    expires_on: date
    created_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None
    view_count: int
    last_viewed_at: datetime | None
    renewals_pending: int = Field(
        description="New links asked for on the dead page with an email on file before renewals were mailed "
        "(migration 0020); since then a matched renewal mints the link and mails it at once."
    )


class StatementSummaryOut(BaseModel):
    id: UUID
    number: str
    customer_id: UUID
    period_start: date
    period_end: date
    cycle: StatementCycle
    status: StatementStatus
    language: Language
    business_date: date = Field(description="The customer's date it was issued on.")
    issued_at: datetime
    answered_at: datetime | None
    answer_due_on: date = Field(
        description="The last day (the customer's) it is answered in time: its business_date plus "
        "ARFLOW_STATEMENT_ANSWER_DAYS (15 by default)."
    )
    unanswered: bool = Field(
        description="Neither confirmed nor disputed, and answer_due_on is past: one for the finance team to follow up "
        "(status stays issued, and the page still takes an answer while its link works)."
    )
    content_sha256: str = Field(description="SHA-256 (hex) of the content as frozen: GET /statements/{id}/content.")
    balances: list[BalanceOut]
    hosted_statement_url: str | None = Field(
        description="The public page's link: only in the answer that made it (issuing, a rotation); "
        "only its hash is kept."
    )
    link: StatementLinkOut | None


class DisputedLineOut(BaseModel):
    currency: str
    line_no: int
    kind: str
    entry_date: date
    document: str | None
    invoice_id: UUID | None
    invoice_number: str | None
    amount_on_statement: DecimalString
    amount_customer_sees: DecimalString | None


class ReplyOut(BaseModel):
    id: UUID
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    href: str = Field(description="Where the file is, as it was received.")


class ResponseOut(BaseModel):
    """The customer's answer and its evidence."""

    id: UUID
    kind: Literal["confirmed", "disputed"]
    responder_name: str
    responder_title: str | None
    responded_at: datetime
    business_date: date
    ip: str | None
    user_agent: str | None
    shown_sha256: str = Field(description="SHA-256 of what the page showed and the answer was given to.")
    shown_is_content: bool = Field(description="shown_sha256 is the hash of the statement's frozen content.")
    comment: str | None
    balance_disputed: bool
    balance_currency: str | None
    balance_customer_sees: DecimalString | None
    lines: list[DisputedLineOut]
    disputed_invoice_ids: list[UUID]
    reply: ReplyOut | None


class StatementDetailOut(StatementSummaryOut):
    content: dict[str, Any] = Field(description="What the statement shows, as frozen (the bytes are at /content).")
    response: ResponseOut | None


class HostedStatementLinkOut(BaseModel):
    statement_id: UUID
    hosted_statement_url: str | None
    link: StatementLinkOut
