"""Tables of the people database: roles, users, their sign-in sessions, and the approval notices sent them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arflow.db import new_metadata

metadata = new_metadata()


class Base(DeclarativeBase):
    metadata = metadata


class Role(Base):
    """A role and the scopes it grants; the defaults are seeded, an admin may change them."""

    __tablename__ = "role"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    title_zh: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(Text)


class UserAccount(Base):
    """A person who works in arflow. Never deleted: disabled, so what they did keeps its author."""

    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint("status IN ('active','disabled')", name="status"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    # Lower case, compared as given: the name people sign in with and the one audit trails show.
    username: Mapped[str] = mapped_column(Text, unique=True)
    display_name: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text))
    status: Mapped[str] = mapped_column(String(8))
    password_hash: Mapped[str] = mapped_column(Text)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A password someone else chose or generated (an admin, `make run`): changed at first sign-in.
    must_change_password: Mapped[bool] = mapped_column(Boolean)
    failed_attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(Text)


class SignInSession(Base):
    """One sign-in: its current refresh token (only its SHA-256) and, to catch a stolen one, the previous."""

    __tablename__ = "sign_in_session"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    refresh_hash: Mapped[str] = mapped_column(Text, unique=True)
    previous_refresh_hash: Mapped[str | None] = mapped_column(Text, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(Text)


class ApprovalHeard(Base):
    """An approval of any service as arflow.approvals told it: what was asked, by whom, and how it was decided.

    Kept because ApprovalDecided names neither the requester nor what was asked: the decision's notice needs both.
    The request's columns are empty while only its decision has been heard (a replayed dead letter, out of order).
    """

    __tablename__ = "approval_heard"
    __table_args__ = (CheckConstraint("status IN ('pending','approved','rejected')", name="status"),)

    approval_id: Mapped[UUID] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    title_zh: Mapped[str | None] = mapped_column(Text)
    title_en: Mapped[str | None] = mapped_column(Text)
    subject_type: Mapped[str | None] = mapped_column(Text)
    subject_id: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(19, 4))
    currency: Mapped[str | None] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(Text)
    approver_scope: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(8))
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    heard_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApprovalNotice(Base):
    """One email about an approval to one person: to each approver when asked, to the requester when decided.

    One per (approval, kind, user) whatever how often the event comes. Written when the event is heard (subject and
    both parts as the person reads them) and sent by the notice sender; its id is the email's Message-ID.
    """

    __tablename__ = "approval_notice"
    __table_args__ = (
        CheckConstraint("kind IN ('request','decision')", name="kind"),
        CheckConstraint("status IN ('pending','sent','failed','skipped','cancelled')", name="status"),
        UniqueConstraint("approval_id", "kind", "user_id"),
        Index(None, "next_attempt_at", postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    approval_id: Mapped[UUID] = mapped_column(ForeignKey("approval_heard.approval_id"))
    kind: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id"))
    username: Mapped[str] = mapped_column(Text)
    recipient: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(9))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
