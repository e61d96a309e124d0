"""Tables of the statement cycle (对账确认): schedules, issued statements, their links, answers and stamped replies.

They share invoicing's metadata (one schema for Alembic, migrations 0016 and on); invoicing.models imports this
module at its end so that every reader of the metadata sees them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from arflow.db import Amount
from invoicing.models import Base


class StatementSchedule(Base):
    """How often a customer gets a statement (none: never by the job), and on which day of the month after."""

    __tablename__ = "statement_schedule"
    __table_args__ = (
        CheckConstraint("cycle IN ('monthly','quarterly','none')", name="cycle"),
        CheckConstraint("day BETWEEN 1 AND 28", name="day"),
    )

    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), primary_key=True)
    cycle: Mapped[str] = mapped_column(Text)
    day: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(Text)


class Statement(Base):
    """A statement issued for a customer and a period: what it shows frozen, byte for byte, with its SHA-256."""

    __tablename__ = "statement"
    __table_args__ = (
        UniqueConstraint("customer_id", "period_start", "period_end"),
        CheckConstraint("status IN ('issued','confirmed','disputed')", name="status"),
        CheckConstraint("cycle IN ('monthly','quarterly','on_demand')", name="cycle"),
        CheckConstraint("octet_length(content_sha256) = 32", name="sha256"),
        Index("ix_statement_customer_id_period_end", "customer_id", "period_end"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    cycle: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="issued")
    language: Mapped[str] = mapped_column(String(8))
    # The customer's local date it was issued on (the business date its events carry).
    business_date: Mapped[date] = mapped_column(Date)
    # Exactly the bytes the page, the PDF and the API show (canonical JSON): hashing them again proves the hash.
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_sha256: Mapped[bytes] = mapped_column(LargeBinary)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_by: Mapped[str] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StatementLink(Base):
    """The link to a statement's public page: the SHA-256 of its token (never the token), as for invoices.

    `form_key` is the secret the page's form token is an HMAC with: a form posted without the token of
    this very link (a page of another site, an old page after a rotation) is refused.
    """

    __tablename__ = "statement_link"
    __table_args__ = (
        CheckConstraint("octet_length(token_sha256) = 32", name="sha256"),
        CheckConstraint("octet_length(form_key) = 32", name="form_key"),
    )

    statement_id: Mapped[UUID] = mapped_column(ForeignKey("statement.id"), primary_key=True)
    token_sha256: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    form_key: Mapped[bytes] = mapped_column(LargeBinary)
    expires_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    view_count: Mapped[int] = mapped_column(Integer, server_default="0")
    last_viewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StatementLinkRenewal(Base):
    """A new link asked for on the page of a statement link that no longer works, with the email on file.

    Kept whether or not the address matched, never the address itself (the invoice page's hosted_link_renewal).
    """

    __tablename__ = "statement_link_renewal"
    __table_args__ = (CheckConstraint("status IN ('pending_delivery','refused','renewed','throttled')", name="status"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    token_sha256: Mapped[bytes] = mapped_column(LargeBinary)
    # Only when the address matched one on file (a refused request names no statement).
    statement_id: Mapped[UUID | None] = mapped_column(ForeignKey("statement.id"), index=True)
    email_matched: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StatementReply(Base):
    """A stamped reply (盖章回函) uploaded with an answer: the file's bytes as received, and their SHA-256."""

    __tablename__ = "statement_reply"
    __table_args__ = (
        CheckConstraint("media_type IN ('application/pdf','image/jpeg','image/png')", name="media_type"),
        CheckConstraint("octet_length(sha256) = 32", name="sha256"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    statement_id: Mapped[UUID] = mapped_column(ForeignKey("statement.id"), index=True)
    filename: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[bytes] = mapped_column(LargeBinary)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StatementResponse(Base):
    """The customer's one answer to a statement, with the evidence: what was shown (its hash), when, from where, who."""

    __tablename__ = "statement_response"
    __table_args__ = (
        CheckConstraint("kind IN ('confirmed','disputed')", name="kind"),
        CheckConstraint("octet_length(shown_sha256) = 32", name="sha256"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    # Unique: a statement is answered once (the second answer meets this even if two race past the row lock).
    statement_id: Mapped[UUID] = mapped_column(ForeignKey("statement.id"), unique=True)
    kind: Mapped[str] = mapped_column(Text)
    responder_name: Mapped[str] = mapped_column(Text)
    responder_title: Mapped[str | None] = mapped_column(Text)
    shown_sha256: Mapped[bytes] = mapped_column(LargeBinary)
    responded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    business_date: Mapped[date] = mapped_column(Date)
    ip: Mapped[str | None] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    balance_disputed: Mapped[bool] = mapped_column(Boolean, server_default="false")
    balance_currency: Mapped[str | None] = mapped_column(String(3))
    balance_customer_sees: Mapped[Decimal | None] = mapped_column(Amount)
    # [{currency, line_no, amount_customer_sees}]: the lines themselves are in the statement's content.
    disputed_lines: Mapped[list[dict[str, object]]] = mapped_column(JSONB, server_default="[]")
    reply_id: Mapped[UUID | None] = mapped_column(ForeignKey("statement_reply.id"))
