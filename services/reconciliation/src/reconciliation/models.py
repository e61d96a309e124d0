"""Tables of the reconciliation database: payments, their allocations, and the projection of invoicing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import NotRequired, TypedDict
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arflow.db import Amount, new_metadata
from arflow.events.catalog import PaymentSource
from reconciliation.domain import ItemStatus

metadata = new_metadata()


class Base(DeclarativeBase):
    metadata = metadata


class Customer(Base):
    """Invoicing's customer as last told by CustomerUpserted (the highest revision wins)."""

    __tablename__ = "customer"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    legal_name: Mapped[str] = mapped_column(Text)
    short_name: Mapped[str | None] = mapped_column(Text)
    external_reference: Mapped[str | None] = mapped_column(Text)
    time_zone: Mapped[str] = mapped_column(Text, server_default="Asia/Shanghai")
    archived: Mapped[bool] = mapped_column(Boolean, server_default="false")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The names as the matching engine compares them (matching.normalise_name), looked up by index.
    name_key: Mapped[str | None] = mapped_column(Text, index=True)
    short_name_key: Mapped[str | None] = mapped_column(Text, index=True)


class CustomerNameBigram(Base):
    """A bigram of a non-archived customer's name key (matching.name_bigrams): names similar to a payer's by index.

    The primary key leads with `gram`, so it is the lookup's index; `customer_id` is indexed for replacing
    a renamed or archived customer's bigrams.
    """

    __tablename__ = "customer_name_bigram"

    gram: Mapped[str] = mapped_column(Text, primary_key=True)
    name_key: Mapped[str] = mapped_column(Text, primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(primary_key=True, index=True)


class OpenItem(Base):
    """One invoice as invoicing's events describe it; a row may exist before its InvoiceIssued arrives.

    No foreign key to customer: invoice facts may arrive before the customer's.
    """

    __tablename__ = "open_item"
    __table_args__ = (
        CheckConstraint("status IN ('open','written_off','paid','void')", name="status"),
        # A payment that names nobody is looked up by its amount.
        Index("ix_open_item_currency_balance", "currency", "balance"),
    )

    invoice_id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(index=True)
    invoice_number: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[ItemStatus] = mapped_column(String(16))
    total: Mapped[Decimal | None] = mapped_column(Amount)
    balance: Mapped[Decimal] = mapped_column(Amount)
    invoice_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    payment_reference: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Invoicing's ledger version of `balance` (None until a versioned balance event arrives).
    ledger_version: Mapped[int | None] = mapped_column(Integer)
    # Ever written off: a versioned balance back above zero makes it written_off again, not open.
    written_off: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # The invoice number and payment reference as the matching engine compares them
    # (matching.reference_key): a remittance text's keys find the invoice by index.
    number_key: Mapped[str | None] = mapped_column(Text, index=True)
    reference_key: Mapped[str | None] = mapped_column(Text, index=True)


class SuggestedAllocation(TypedDict):
    invoice_id: str
    invoice_number: str
    amount: str  # a decimal string


class StoredSuggestion(TypedDict):
    """One of the engine's suggestions as `payment.suggestions` holds it (JSON)."""

    customer_id: str
    confidence: float
    shape: str
    reasons: list[str]
    reasons_zh: NotRequired[list[str]]  # absent from suggestions stored before migration 0009
    allocations: list[SuggestedAllocation]


class Payment(Base):
    """Money received: entered by hand, read from a statement line, or told by a gateway.

    `status`: matched (PaymentReceived published), unmatched (in the review
    queue; `customer_id` is the best candidate, if any), reversed (a
    PaymentReversed was published: refunded, bounced, or undone by a person),
    split (a person divided it into payments that supersede it).
    """

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "source IN ('manual','bank_statement','alipay','wechat_pay','stripe','webhook')", name="source"
        ),
        CheckConstraint("status IN ('matched','unmatched','reversed','split')", name="status"),
        UniqueConstraint("source", "external_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID | None] = mapped_column(ForeignKey("customer.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    received_on: Mapped[date] = mapped_column(Date, index=True)
    source: Mapped[PaymentSource] = mapped_column(String(16))
    payer_name: Mapped[str | None] = mapped_column(Text)
    payer_account: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(Text)
    match_confidence: Mapped[Decimal] = mapped_column(Numeric(4, 3))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), server_default="matched", index=True)
    # The provider's id (statement line key, Stripe payment intent, Alipay trade_no…): one payment per id.
    external_id: Mapped[str | None] = mapped_column(Text)
    match_shape: Mapped[str | None] = mapped_column(String(16))
    match_reasons: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    match_reasons_zh: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    suggestions: Mapped[list[StoredSuggestion]] = mapped_column(JSONB, server_default="[]")
    statement_line_id: Mapped[UUID | None] = mapped_column(ForeignKey("statement_line.id"))
    supersedes_payment_id: Mapped[UUID | None] = mapped_column(ForeignKey("payment.id"))
    reversed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reversal_reason: Mapped[str | None] = mapped_column(String(20))
    # What gateways have refunded of it so far (their refund notices may be cumulative).
    refunded_amount: Mapped[Decimal] = mapped_column(Amount, server_default="0")
    decided_by: Mapped[str | None] = mapped_column(Text)


class Allocation(Base):
    """Part of a payment proposed against one invoice; pending until invoicing's PaymentApplied."""

    __tablename__ = "allocation"
    __table_args__ = (
        UniqueConstraint("payment_id", "invoice_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("basis IN ('given','reference','oldest_due','matched','confirmed')", name="basis"),
    )
    # `recovery` is the database's (a trigger): read back by the INSERT's RETURNING, not loaded later.
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[UUID] = mapped_column(primary_key=True)
    payment_id: Mapped[UUID] = mapped_column(ForeignKey("payment.id"), index=True)
    invoice_id: Mapped[UUID] = mapped_column(ForeignKey("open_item.invoice_id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    invoice_number: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Amount)
    basis: Mapped[str] = mapped_column(String(16))
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when the payment was reversed: the allocation no longer holds the invoice's balance.
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Money on an invoice written off when the allocation was made (坏账收回). Set by the database on insert
    # (trigger allocation_recovery, migration 0016) from the open item's status, whichever path inserts the row.
    recovery: Mapped[bool] = mapped_column(Boolean, server_default="false")


class StatementImport(Base):
    """One uploaded statement file, processed as a job: progress, then a summary."""

    __tablename__ = "statement_import"
    __table_args__ = (
        CheckConstraint("status IN ('queued','processing','succeeded','failed')", name="status"),
        UniqueConstraint("file_sha256"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    file_sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(32))
    profile: Mapped[str | None] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), index=True)
    lines_total: Mapped[int] = mapped_column(Integer)
    lines_read: Mapped[int] = mapped_column(Integer, server_default="0")
    summary: Mapped[dict[str, object]] = mapped_column(JSONB, server_default="{}")
    warnings: Mapped[list[dict[str, object]]] = mapped_column(JSONB, server_default="[]")
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StatementFileContent(Base):
    """The raw bytes of an imported file, kept for audit and for the worker to read."""

    __tablename__ = "statement_file"

    import_id: Mapped[UUID] = mapped_column(ForeignKey("statement_import.id"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Statement(Base):
    """One account statement of an import; the same statement (account, id, sequence) is imported once."""

    __tablename__ = "statement"
    __table_args__ = (UniqueConstraint("statement_key"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    import_id: Mapped[UUID] = mapped_column(ForeignKey("statement_import.id"), index=True)
    statement_key: Mapped[str] = mapped_column(Text)
    account: Mapped[str | None] = mapped_column(Text, index=True)
    statement_ref: Mapped[str | None] = mapped_column(Text)
    sequence: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(String(3))
    opening_balance: Mapped[Decimal | None] = mapped_column(Amount)
    closing_balance: Mapped[Decimal | None] = mapped_column(Amount)
    opening_date: Mapped[date | None] = mapped_column(Date)
    closing_date: Mapped[date | None] = mapped_column(Date)
    line_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StatementLine(Base):
    """One movement on the account; `dedup_key` keeps a line from being imported twice."""

    __tablename__ = "statement_line"
    __table_args__ = (
        UniqueConstraint("dedup_key"),
        CheckConstraint("direction IN ('credit','debit')", name="direction"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    import_id: Mapped[UUID] = mapped_column(ForeignKey("statement_import.id"), index=True)
    statement_id: Mapped[UUID | None] = mapped_column(ForeignKey("statement.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    dedup_key: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    direction: Mapped[str] = mapped_column(String(6))
    booking_date: Mapped[date | None] = mapped_column(Date)
    value_date: Mapped[date | None] = mapped_column(Date)
    entry_status: Mapped[str] = mapped_column(String(16))
    reversal: Mapped[bool] = mapped_column(Boolean)
    bank_reference: Mapped[str | None] = mapped_column(Text, index=True)
    end_to_end_id: Mapped[str | None] = mapped_column(Text)
    remittance: Mapped[str | None] = mapped_column(Text)
    counterparty_name: Mapped[str | None] = mapped_column(Text)
    counterparty_account: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(24))
    payment_id: Mapped[UUID | None] = mapped_column(Uuid)


class PayerMapping(Base):
    """A payer account learned to belong to a customer from a person's confirmed match."""

    __tablename__ = "payer_mapping"

    account_key: Mapped[str] = mapped_column(Text, primary_key=True)
    # The cursor of the list (UUIDv7: newest first is id order); the account stays the key.
    id: Mapped[UUID] = mapped_column(Uuid, unique=True, index=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    payer_name: Mapped[str | None] = mapped_column(Text)
    confirmations: Mapped[int] = mapped_column(Integer, server_default="1")
    learned_from_payment_id: Mapped[UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Dispute(Base):
    """A client contests an invoice's balance (对账有异议); chasing pauses until it is resolved."""

    __tablename__ = "dispute"
    __table_args__ = (
        CheckConstraint("status IN ('open','resolved')", name="status"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    invoice_id: Mapped[UUID] = mapped_column(ForeignKey("open_item.invoice_id"), index=True)
    customer_id: Mapped[UUID] = mapped_column(index=True)
    invoice_number: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    resolution: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    opened_by: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GatewayNotification(Base):
    """A gateway's webhook call, stored raw for audit; one row per provider and provider id."""

    __tablename__ = "gateway_notification"
    __table_args__ = (UniqueConstraint("provider", "provider_id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[str] = mapped_column(Text)
    event_type: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, str]] = mapped_column(JSONB)
    body: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(24))
    payment_id: Mapped[UUID | None] = mapped_column(Uuid)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentAttempt(Base):
    """A gateway order made for one invoice (its `out_trade_no`, PaymentIntent or order id): what the gateway's
    callback for that order pays, an exact reference whatever the remittance says."""

    __tablename__ = "payment_attempt"
    __table_args__ = (
        UniqueConstraint("provider", "order_key"),
        CheckConstraint("status IN ('open','paid','closed')", name="status"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[str] = mapped_column(Text)
    # The order id as compared (keys.reference_key), unique per provider.
    order_key: Mapped[str] = mapped_column(Text)
    invoice_id: Mapped[UUID] = mapped_column(Uuid, index=True)
    customer_id: Mapped[UUID] = mapped_column(Uuid)
    invoice_number: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    payment_id: Mapped[UUID | None] = mapped_column(Uuid)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # An order arflow made at the gateway itself (reconciliation.checkout): how, what the customer pays with
    # (a QR code's text, or the page to go to), the gateway's id of it, and when the gateway was last asked.
    checkout: Mapped[str | None] = mapped_column(String(24))
    pay_url: Mapped[str | None] = mapped_column(Text)
    gateway_ref: Mapped[str | None] = mapped_column(Text)
    queried_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CsvProfile(Base):
    """A saved column mapping for one bank's CSV export (see parsers.tabular.CsvProfile)."""

    __tablename__ = "csv_profile"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    definition: Mapped[dict[str, object]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
