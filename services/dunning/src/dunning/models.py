"""Tables of the dunning database: the customer projection, cases, their items and the action log."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ARRAY,
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
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arflow.db import Amount, new_metadata

metadata = new_metadata()


class Base(DeclarativeBase):
    metadata = metadata


class Customer(Base):
    """Invoicing's customer as dunning needs it, kept from CustomerUpserted (highest revision wins)."""

    __tablename__ = "customer"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    legal_name: Mapped[str] = mapped_column(Text)
    preferred_language: Mapped[str] = mapped_column(String(8))
    time_zone: Mapped[str] = mapped_column(Text)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    dunning_excluded: Mapped[bool] = mapped_column(Boolean, server_default="false")
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    account_manager_email: Mapped[str | None] = mapped_column(Text)
    # 统一社会信用代码: characters 3-8 give the region the collectors' rules read.
    unified_social_credit_code: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DunningCase(Base):
    """One customer's overdue debt in one currency, chased as a whole until nothing is open."""

    __tablename__ = "dunning_case"
    __table_args__ = (
        CheckConstraint("status IN ('open','resolved')", name="status"),
        CheckConstraint(
            "resolution IS NULL OR resolution IN ('paid','voided','written_off','credited','closed')",
            name="resolution",
        ),
        # At most one open case per customer and currency; resolved cases pile up as history.
        Index(
            "uq_dunning_case_open_customer_currency",
            "customer_id",
            "currency",
            unique=True,
            postgresql_where=text("status = 'open'"),
        ),
        # A collector's load and worklist: their open cases.
        Index("ix_dunning_case_open_collector", "collector", postgresql_where=text("status = 'open'")),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(index=True)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer, server_default="0")
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(String(16))
    # The ladder the case follows (re-chosen on every tick: a tier change moves the case).
    policy_code: Mapped[str | None] = mapped_column(Text)
    policy_version: Mapped[int | None] = mapped_column(Integer)
    # The date step offsets count from: the first due date, moved later by partial payments.
    anchor_date: Mapped[date | None] = mapped_column(Date)
    hold_reason: Mapped[str | None] = mapped_column(Text)
    held_until: Mapped[date | None] = mapped_column(Date)
    # Set by the legal handover: the case is frozen, no further automatic step is taken.
    frozen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_contact_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    collector: Mapped[str | None] = mapped_column(Text)
    # The latest assignment (its history is dunning_case_assignment): when, by whom, why.
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    assigned_by: Mapped[str | None] = mapped_column(Text)
    assignment_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Collector(Base):
    """A person who chases cases, keyed by the username the people service gives them, and the rules of
    the cases they take (an empty list or a missing bound matches every case)."""

    __tablename__ = "collector"
    __table_args__ = (
        CheckConstraint("max_open_cases IS NULL OR max_open_cases >= 0", name="max_open_cases_non_negative"),
        CheckConstraint("min_amount IS NULL OR max_amount IS NULL OR min_amount <= max_amount", name="amount_band"),
    )

    # For the cursor of GET /collectors (newest first, like every list); the username is the key.
    id: Mapped[UUID] = mapped_column(unique=True)
    username: Mapped[str] = mapped_column(Text, primary_key=True)
    display_name: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    tiers: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    # Administrative division prefixes (44 广东, 4403 深圳); empty: every region.
    regions: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    min_amount: Mapped[Decimal | None] = mapped_column(Amount)
    max_amount: Mapped[Decimal | None] = mapped_column(Amount)
    max_open_cases: Mapped[int | None] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DunningCaseAssignment(Base):
    """Every change of a case's collector, appended and never changed: the case's assignment history.

    `collector` None records that the rules found nobody (the case waits unassigned).
    """

    __tablename__ = "dunning_case_assignment"
    __table_args__ = (
        CheckConstraint("basis IN ('rules','manual','reassigned')", name="basis"),
        Index("ix_dunning_case_assignment_case_at", "case_id", "assigned_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    case_id: Mapped[UUID] = mapped_column(ForeignKey("dunning_case.id"))
    collector: Mapped[str | None] = mapped_column(Text)
    previous_collector: Mapped[str | None] = mapped_column(Text)
    basis: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    assigned_by: Mapped[str] = mapped_column(Text)
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The business date of the assignment in the customer's time zone.
    assigned_on: Mapped[date] = mapped_column(Date)


class CasePayment(Base):
    """A payment applied to an invoice of a case (PaymentApplied), for the collectors' results.

    `collector` is who held the case when the application was recorded; a reversal
    (PaymentApplicationReversed) marks it, and a reversed application collected nothing.
    """

    __tablename__ = "case_payment"

    application_id: Mapped[UUID] = mapped_column(primary_key=True)
    case_id: Mapped[UUID] = mapped_column(ForeignKey("dunning_case.id"), index=True)
    invoice_id: Mapped[UUID] = mapped_column(index=True)
    customer_id: Mapped[UUID] = mapped_column()
    collector: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    applied_on: Mapped[date] = mapped_column(Date)
    reversed_on: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CustomerTier(Base):
    """The latest credit tier of a customer, kept from CreditScoreChanged (latest scored_at wins)."""

    __tablename__ = "customer_tier"

    customer_id: Mapped[UUID] = mapped_column(primary_key=True)
    tier: Mapped[str] = mapped_column(String(1))
    score: Mapped[int] = mapped_column(Integer)
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DunningPolicy(Base):
    """One immutable version of a ladder; the highest active version of a code is in force."""

    __tablename__ = "dunning_policy"
    __table_args__ = (
        Index("uq_dunning_policy_code_version", "code", "version", unique=True),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    tiers: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    min_amount: Mapped[Decimal | None] = mapped_column(Amount)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    priority: Mapped[int] = mapped_column(Integer, server_default="0")
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DunningTask(Base):
    """Work for a collector (call, visit, registered mail), completed with an outcome that drives the case."""

    __tablename__ = "dunning_task"
    __table_args__ = (
        CheckConstraint("kind IN ('phone_call','visit','registered_mail')", name="kind"),
        CheckConstraint("status IN ('open','done','cancelled')", name="status"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    case_id: Mapped[UUID] = mapped_column(ForeignKey("dunning_case.id"), index=True)
    customer_id: Mapped[UUID] = mapped_column(index=True)
    action_id: Mapped[UUID] = mapped_column(ForeignKey("dunning_action.id"))
    kind: Mapped[str] = mapped_column(String(16))
    due_date: Mapped[date] = mapped_column(Date)
    assignee: Mapped[str | None] = mapped_column(Text, index=True)
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    completed_by: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PromiseToPay(Base):
    """A customer's promise to pay an amount by a date; it pauses the case until then."""

    __tablename__ = "promise_to_pay"
    __table_args__ = (CheckConstraint("status IN ('open','kept','broken','cancelled')", name="status"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    case_id: Mapped[UUID] = mapped_column(ForeignKey("dunning_case.id"), index=True)
    customer_id: Mapped[UUID] = mapped_column(index=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    promised_date: Mapped[date] = mapped_column(Date)
    # What was still owed when the promise was made: the promise is kept once it fell by `amount`.
    owed_at_promise: Mapped[Decimal] = mapped_column(Amount)
    status: Mapped[str] = mapped_column(String(16))
    amount_received: Mapped[Decimal | None] = mapped_column(Amount)
    settled_on: Mapped[date | None] = mapped_column(Date)
    made_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # An instalment of a payment plan (its promise is kept once the debt fell by the instalments up to it).
    payment_plan_id: Mapped[UUID | None] = mapped_column(ForeignKey("payment_plan.id"), index=True)


class PaymentPlan(Base):
    """A payment plan (分期还款协议) agreed on a case: its instalments are promises to pay, which pause the
    case until the last one; a broken instalment ends the plan and the chasing resumes."""

    __tablename__ = "payment_plan"
    __table_args__ = (CheckConstraint("status IN ('active','broken','completed')", name="status"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    case_id: Mapped[UUID] = mapped_column(ForeignKey("dunning_case.id"), index=True)
    customer_id: Mapped[UUID] = mapped_column(index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount_covered: Mapped[Decimal] = mapped_column(Amount)
    owed_at_agreement: Mapped[Decimal] = mapped_column(Amount)
    instalment_count: Mapped[int] = mapped_column(Integer)
    last_due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    agreed_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    made_by: Mapped[str] = mapped_column(Text)
    # The approval it was agreed under, when it waited for a second person.
    approval_id: Mapped[UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SettlementOffer(Base):
    """A settlement (和解折让): the customer pays `amount` by `pay_by` for the whole balance, the rest to be
    written off by invoicing (SettlementPaid). Its payment is a promise to pay, which pauses the case."""

    __tablename__ = "settlement_offer"
    __table_args__ = (CheckConstraint("status IN ('open','paid','lapsed')", name="status"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    case_id: Mapped[UUID] = mapped_column(ForeignKey("dunning_case.id"), index=True)
    customer_id: Mapped[UUID] = mapped_column(index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Amount)
    owed_at_offer: Mapped[Decimal] = mapped_column(Amount)
    pay_by: Mapped[date] = mapped_column(Date)
    promise_id: Mapped[UUID] = mapped_column(ForeignKey("promise_to_pay.id"))
    status: Mapped[str] = mapped_column(String(16))
    approved: Mapped[bool] = mapped_column(Boolean, server_default="false")
    note: Mapped[str | None] = mapped_column(Text)
    agreed_on: Mapped[date] = mapped_column(Date)
    settled_on: Mapped[date | None] = mapped_column(Date)
    written_off: Mapped[Decimal | None] = mapped_column(Amount)
    made_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DunningDocument(Base):
    """A generated document (催账函 PDF, evidence pack), stored for download and as evidence."""

    __tablename__ = "dunning_document"
    __table_args__ = (Index("uq_dunning_document_creditor_uscc_number", "creditor_uscc", "number", unique=True),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    case_id: Mapped[UUID] = mapped_column(ForeignKey("dunning_case.id"), index=True)
    action_id: Mapped[UUID | None] = mapped_column(ForeignKey("dunning_action.id"))
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A letter's number, 催字〔2026〕第0001号, unique for the creditor (USCC) it is from; None for packs.
    number: Mapped[str | None] = mapped_column(Text)
    creditor_uscc: Mapped[str | None] = mapped_column(Text)


class DunningLetterNumber(Base):
    """The last letter number given, per creditor and year of the letters' business date (gapless)."""

    __tablename__ = "dunning_letter_number"

    creditor_uscc: Mapped[str] = mapped_column(Text, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class DunningCaseItem(Base):
    """One overdue invoice inside a case; an invoice belongs to one case only."""

    __tablename__ = "dunning_case_item"
    __table_args__ = (
        CheckConstraint("status IN ('open','closed')", name="status"),
        CheckConstraint("closure IS NULL OR closure IN ('paid','voided','written_off')", name="closure"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    case_id: Mapped[UUID] = mapped_column(ForeignKey("dunning_case.id"), index=True)
    invoice_id: Mapped[UUID] = mapped_column(unique=True)
    invoice_number: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    amount_due: Mapped[Decimal] = mapped_column(Amount)
    # From InvoiceOverdue (InvoiceDueSoon does not carry it: None until the invoice goes overdue).
    invoice_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    days_overdue: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[str] = mapped_column(String(8))
    payment_reference: Mapped[str | None] = mapped_column(Text)
    # False while the invoice is only due soon (a pre-due reminder); true once InvoiceOverdue said so.
    overdue: Mapped[bool] = mapped_column(Boolean, server_default="true")
    # A disputed invoice is not chased (DisputeOpened) until the dispute is resolved; the rest still is.
    disputed: Mapped[bool] = mapped_column(Boolean, server_default="false")
    status: Mapped[str] = mapped_column(String(16))
    closure: Mapped[str | None] = mapped_column(String(16))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When invoicing observed the amount due we hold: an older fact never overwrites a newer one.
    balance_observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Invoicing's ledger version of that balance, when the fact carried one: a higher version wins.
    balance_ledger_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ClosedInvoice(Base):
    """Invoices known to be settled, so a late InvoiceOverdue cannot open a case that never closes."""

    __tablename__ = "closed_invoice"

    invoice_id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID] = mapped_column()
    closure: Mapped[str] = mapped_column(String(16))
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InvoiceDispute(Base):
    """A dispute on an invoice, kept whether or not the invoice is in a case yet.

    Reconciliation opens most (DisputeOpened); a collector's task ending in `dispute` opens dunning's own; a
    customer's answer to a statement (StatementDisputed) opens one per invoice it concerns.

    An invoice is disputed while one of its disputes is not resolved; a resolution that arrives
    before its opening still counts (the row is kept with both dates).
    """

    __tablename__ = "invoice_dispute"
    __table_args__ = (
        CheckConstraint("source IN ('reconciliation','dunning','statement')", name="source"),
        Index(
            "ix_invoice_dispute_open_statement",
            "customer_id",
            "statement_period_end",
            postgresql_where=text("source = 'statement' AND resolved_at IS NULL"),
        ),
    )

    dispute_id: Mapped[UUID] = mapped_column(primary_key=True)
    invoice_id: Mapped[UUID] = mapped_column(index=True)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who owns it: reconciliation (DisputeOpened, resolved there), dunning (a collector heard it, resolved here) or
    # statement (the customer answered a statement: resolved here, or by a later statement confirmed).
    source: Mapped[str] = mapped_column(String(16), server_default="reconciliation")
    reason: Mapped[str | None] = mapped_column(Text)
    # Dunning's own disputes: the case the collector worked and the customer's business dates.
    case_id: Mapped[UUID | None] = mapped_column(index=True)
    opened_on: Mapped[date | None] = mapped_column(Date)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    resolved_by: Mapped[str | None] = mapped_column(Text)
    # A statement's (StatementDisputed): the customer, the statement and its period's end (a later statement
    # the customer confirms settles it).
    customer_id: Mapped[UUID | None] = mapped_column()
    statement_id: Mapped[UUID | None] = mapped_column()
    statement_period_end: Mapped[date | None] = mapped_column(Date)


class CustomerDelivery(Base):
    """A document sent to the customer when it is issued (an invoice on InvoiceIssued): one row per document
    and channel, its status (queued, sent, failed, cancelled, skipped), attempts and last error (deliveries/);
    and each new link a customer asked for on a dead page (`purpose` link_renewal), emailed to the address that
    asked, one row per request."""

    __tablename__ = "customer_delivery"
    __table_args__ = (
        CheckConstraint("kind IN ('invoice','statement')", name="kind"),
        CheckConstraint("purpose IN ('issue','link_renewal')", name="purpose"),
        CheckConstraint("channel IN ('email','sms')", name="channel"),
        CheckConstraint("status IN ('queued','sent','failed','cancelled','skipped')", name="status"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        # A document is sent once on issue; its renewed links as often as invoicing renews them.
        Index(
            "uq_customer_delivery_kind_document_id_channel",
            "kind",
            "document_id",
            "channel",
            unique=True,
            postgresql_where=text("purpose = 'issue'"),
        ),
        Index("ix_customer_delivery_due", "channel", "next_attempt_at", postgresql_where=text("status = 'queued'")),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16), server_default="issue")
    document_id: Mapped[UUID] = mapped_column()
    document_number: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[UUID] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(16))
    # None while the customer is not known yet: the sender chooses when it takes the row.
    recipient: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    # What the message says of the document, fixed from its event (the archived record of what was sent).
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    subject: Mapped[str | None] = mapped_column(Text)
    resends: Mapped[int] = mapped_column(Integer, server_default="0")
    # The document's own instant and the customer's business date of it.
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UnmatchedPayment(Base):
    """A payment reconciliation could not match (PaymentUnmatched), and whether it has been resolved since.

    While one whose best candidate is a customer awaits review, that customer is not chased, up to
    `hold_until`. A PaymentReceived of the payment, or superseding it, resolves it; one arriving
    first is kept (no customer, resolved) so a late PaymentUnmatched pauses nothing.
    """

    __tablename__ = "unmatched_payment"

    payment_id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID | None] = mapped_column(index=True)
    amount: Mapped[Decimal | None] = mapped_column(Amount)
    currency: Mapped[str | None] = mapped_column(String(3))
    received_on: Mapped[date | None] = mapped_column(Date)
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hold_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by_payment_id: Mapped[UUID | None] = mapped_column()


class DunningAction(Base):
    """The action log (催收记录): one row per step taken on a case; rows are never deleted.

    A row is appended when a step is decided; for channels that deliver later
    (email) its delivery status, attempts and outcome are filled in as they happen.
    """

    __tablename__ = "dunning_action"
    __table_args__ = (
        CheckConstraint("status IN ('pending','sent','failed','skipped','cancelled','completed')", name="status"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index("ix_dunning_action_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    case_id: Mapped[UUID] = mapped_column(ForeignKey("dunning_case.id"), index=True)
    customer_id: Mapped[UUID] = mapped_column(index=True)
    step: Mapped[str] = mapped_column(Text)
    level: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    template: Mapped[str | None] = mapped_column(Text)
    invoice_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid))
    amount_overdue: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    # What the message says, fixed when the step was decided (the archived record of the notice).
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    recipient: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    subject: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CollectionPlan(Base):
    """The monthly collection plan (每月催账计划): every customer to chase that month, prioritised."""

    __tablename__ = "collection_plan"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, unique=True)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    collectors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CreditorCopy(Base):
    """Invoicing's creditor (CreditorUpdated), the latest revision: what letters and emails are from."""

    __tablename__ = "creditor"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    legal_name: Mapped[str] = mapped_column(Text)
    uscc: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(Text)
    bank_name: Mapped[str] = mapped_column(Text)
    bank_account_name: Mapped[str] = mapped_column(Text)
    bank_account_number: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# invoice_link is declared beside its only writer and reader; imported here so Alembic and the schema check
# see it wherever this metadata is (the check run alone found it missing).
from dunning import invoice_links as _invoice_link_table  # noqa: E402,F401
