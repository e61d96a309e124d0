"""Tables of the credit-scoring database: what it has learned of customers' paying behaviour.

Every table is a projection of invoicing's facts, written by event handlers.
Events from one topic arrive in order per customer, but a replay, a dead-letter
replay or a consumer restart can still bring them late or twice, so most
columns are nullable and filled by whichever event brings them first.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arflow.db import Amount, new_metadata

metadata = new_metadata()
# The customer row that portfolio-wide alerts (PSI drift) hang on; never listed as a customer.
PORTFOLIO_SUBJECT = UUID(int=0)


class Base(DeclarativeBase):
    metadata = metadata


class Customer(Base):
    """A customer whose credit file we keep; created by the first event that names it."""

    __tablename__ = "customer"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    # Null until CustomerUpserted arrives (an invoice event may come first).
    legal_name: Mapped[str | None] = mapped_column(Text)
    time_zone: Mapped[str] = mapped_column(Text, server_default="Asia/Shanghai")
    # 0 = known only from invoice events; CustomerUpserted revisions start at 1.
    revision: Mapped[int] = mapped_column(Integer, server_default="0")
    # The earliest occurrence time of any fact about the customer: the start of tenure.
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentExperience(Base):
    """How one invoice was paid (or not): the unit a credit file is built from."""

    __tablename__ = "payment_experience"

    invoice_id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    invoice_number: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(String(3))
    total: Mapped[Decimal | None] = mapped_column(Amount)
    invoice_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    net_days: Mapped[int | None] = mapped_column(Integer)
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_on: Mapped[date | None] = mapped_column(Date)
    max_days_overdue: Mapped[int | None] = mapped_column(Integer)
    last_overdue_bucket: Mapped[str | None] = mapped_column(String(8))
    # The as-of date of the notice that reported max_days_overdue (for point-in-time reads).
    overdue_noted_on: Mapped[date | None] = mapped_column(Date)
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    written_off_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentApplication(Base):
    """One application of a payment to an invoice; keyed by its id so it counts once."""

    __tablename__ = "payment_application"

    application_id: Mapped[UUID] = mapped_column(primary_key=True)
    invoice_id: Mapped[UUID] = mapped_column(ForeignKey("payment_experience.invoice_id"), index=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    payment_id: Mapped[UUID] = mapped_column()
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    applied_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentReversal(Base):
    """A payment application undone (refund, chargeback, bounce), keyed by the application it undoes."""

    __tablename__ = "payment_reversal"

    application_id: Mapped[UUID] = mapped_column(primary_key=True)
    invoice_id: Mapped[UUID] = mapped_column(ForeignKey("payment_experience.invoice_id"), index=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    payment_id: Mapped[UUID] = mapped_column()
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    reversed_on: Mapped[date] = mapped_column(Date)
    # The invoice was paid and is open again from reversed_on.
    invoice_reopened: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CreditNote(Base):
    """A credit note against one of the customer's invoices: it lowers what is owed from its date."""

    __tablename__ = "credit_note"

    credit_note_id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    invoice_id: Mapped[UUID] = mapped_column(index=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    issued_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DunningEscalation(Base):
    """A level a dunning case reached (legal handover is the top level); one row per case and level."""

    __tablename__ = "dunning_escalation"

    case_id: Mapped[UUID] = mapped_column(primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    legal_handover: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    escalated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Dispute(Base):
    """A dispute over an invoice; opened and resolved may arrive in either order."""

    __tablename__ = "dispute"

    dispute_id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    invoice_id: Mapped[UUID | None] = mapped_column()
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StatementAnswer(Base):
    """A customer's answer to a statement of account (对账确认): confirmed as correct, or disputed.

    One per statement (a customer answers a statement once); kept whether or not the customer is known yet, so
    no foreign key: the answer may come (on arflow.statements) before the customer does (on arflow.invoicing).
    """

    __tablename__ = "statement_answer"
    __table_args__ = (CheckConstraint("answer IN ('confirmed','disputed')", name="answer"),)

    statement_id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(index=True)
    statement_number: Mapped[str] = mapped_column(Text)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    answer: Mapped[str] = mapped_column(String(9))
    answered_on: Mapped[date] = mapped_column(Date)  # the customer's local date of the answer
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    responder_name: Mapped[str] = mapped_column(Text)
    responder_title: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    closing_balance: Mapped[Decimal] = mapped_column(Amount)
    # Disputed only: the balance the customer sees instead, and whether the balance itself is disputed.
    balance_customer_sees: Mapped[Decimal | None] = mapped_column(Amount)
    balance_disputed: Mapped[bool | None] = mapped_column(Boolean)
    # Confirmed: every currency's figures agreed. Disputed: the invoices and lines it concerns (the event's JSON).
    balances: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    disputed_invoices: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    disputed_lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    comment: Mapped[str | None] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(Text)
    reply_sha256: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PromiseOutcome(Base):
    """Whether a promise to pay was kept or broken; a broken report wins over a kept one."""

    __tablename__ = "promise_outcome"

    promise_id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    case_id: Mapped[UUID] = mapped_column()
    kept: Mapped[bool] = mapped_column(Boolean)
    outcome_on: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CreditScore(Base):
    """A score given to a customer, kept whenever score, index, tier or credit hold changed."""

    __tablename__ = "credit_score"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(1))
    payment_index: Mapped[int | None] = mapped_column(Integer)
    probability_bad: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    points: Mapped[dict[str, int]] = mapped_column(JSONB)
    credit_hold: Mapped[bool] = mapped_column(Boolean)
    model_version: Mapped[str] = mapped_column(Text)
    as_of: Mapped[date] = mapped_column(Date)
    trigger: Mapped[str] = mapped_column(Text)
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CreditLimit(Base):
    """A customer's credit limit: the recommended one, a manual override while it lasts, the exposure."""

    __tablename__ = "credit_limit"

    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    recommended: Mapped[Decimal] = mapped_column(Amount)
    effective: Mapped[Decimal] = mapped_column(Amount)
    override_amount: Mapped[Decimal | None] = mapped_column(Amount)
    override_reason: Mapped[str | None] = mapped_column(Text)
    override_expires_on: Mapped[date | None] = mapped_column(Date)
    override_by: Mapped[str | None] = mapped_column(Text)
    exposure: Mapped[Decimal] = mapped_column(Amount)
    utilisation: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    # Where the recommended limit comes from (policy.limit_basis): behaviour, the onboarding assessment, a blend.
    basis: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CreditAlert(Base):
    """An early warning (预警); `dedupe_key` makes each warning fire once."""

    __tablename__ = "credit_alert"
    __table_args__ = (Index("ix_credit_alert_customer_id_raised_on", "customer_id", "raised_on"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    message_zh: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB)
    dedupe_key: Mapped[str] = mapped_column(Text, unique=True)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    raised_on: Mapped[date] = mapped_column(Date)  # the business date: the raising rescore's as-of date
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(Text)
    acknowledgement_note: Mapped[str | None] = mapped_column(Text)


class ModelVersion(Base):
    """A model fitted by the retrain job on this service's own data (the shipped defaults are in the package)."""

    __tablename__ = "model_version"

    version: Mapped[str] = mapped_column(Text, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONB)
    trained_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CreditReview(Base):
    """One periodic credit review (定期审查) of a customer: what was found and when the next is due."""

    __tablename__ = "credit_review"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    reviewed_on: Mapped[date] = mapped_column(Date)
    tier: Mapped[str] = mapped_column(String(1))
    score: Mapped[int] = mapped_column(Integer)
    previous_tier: Mapped[str | None] = mapped_column(String(1))
    limit_amount: Mapped[Decimal | None] = mapped_column(Amount)
    currency: Mapped[str | None] = mapped_column(String(3))
    next_review_on: Mapped[date] = mapped_column(Date, index=True)
    findings: Mapped[list[str]] = mapped_column(JSONB)
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CreditWatch(Base):
    """What the early warnings remember of a customer between rescorings (policy.WatchState as JSON)."""

    __tablename__ = "credit_watch"

    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OnboardingAssessment(Base):
    """One revision of a customer's onboarding assessment (准入评估): what was known, what it found, when.

    Every change is a new revision (the audit trail); the current one as of a date is the latest revision
    assessed on or before it. No foreign key: a prospect is assessed before any fact about it arrives.
    """

    __tablename__ = "onboarding_assessment"

    customer_id: Mapped[UUID] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessed_on: Mapped[date] = mapped_column(Date)  # the business date of the assessment
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB)  # the request as given (amounts as strings)
    tier: Mapped[str] = mapped_column(String(1))
    points: Mapped[int] = mapped_column(Integer)
    limit_amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    monthly_billing: Mapped[Decimal] = mapped_column(Amount)
    recommended_net_days: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    assessed_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CustomerContract(Base):
    """A recurring service contract as invoicing last told it (ContractStarted / ContractChanged).

    The state with the latest `changed_at` wins, so a duplicate or a late older one changes nothing.
    """

    __tablename__ = "customer_contract"

    contract_id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    cycle: Mapped[str] = mapped_column(String(16))
    monthly_amount: Mapped[Decimal] = mapped_column(Amount)
    net_days: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    effective_on: Mapped[date] = mapped_column(Date)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
