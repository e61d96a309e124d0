"""Tables of the invoicing database (the receivables ledger of record)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import (
    ARRAY,
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
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arflow.db import Amount, new_metadata

metadata = new_metadata()
# Rates and ratios (tax, interest, discount): six decimals hold 0.05%/day exactly.
Rate = Numeric(9, 6)


class Base(DeclarativeBase):
    metadata = metadata


# One customer per 统一社会信用代码 for the creditor (one per installation): a unique index, so two
# concurrent creates cannot both win. Migration 0009 leaves out codes already duplicated when it ran.
USCC_UNIQUE_INDEX = "uq_customer_unified_social_credit_code"


class Customer(Base):
    __tablename__ = "customer"
    __table_args__ = (
        Index(
            USCC_UNIQUE_INDEX,
            "unified_social_credit_code",
            unique=True,
            postgresql_where=text("unified_social_credit_code IS NOT NULL"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(Text)
    short_name: Mapped[str | None] = mapped_column(Text)
    unified_social_credit_code: Mapped[str | None] = mapped_column(String(18))
    external_reference: Mapped[str | None] = mapped_column(Text, unique=True)
    time_zone: Mapped[str] = mapped_column(Text, server_default="Asia/Shanghai")
    preferred_language: Mapped[str] = mapped_column(String(8), server_default="zh-CN")
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    contacts: Mapped[list[dict[str, object]]] = mapped_column(JSONB, server_default="[]")
    payment_terms_code: Mapped[str | None] = mapped_column(Text)
    dunning_excluded: Mapped[bool] = mapped_column(Boolean, server_default="false")
    dunning_exclusion_reason: Mapped[str | None] = mapped_column(Text)
    # The firm's own person for this client: dunning's internal alerts go to them.
    account_manager_email: Mapped[str | None] = mapped_column(Text)
    credit_hold: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # When credit-scoring decided the hold: an older CreditScoreChanged never undoes a newer one.
    credit_hold_scored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What credit-scoring said when it put the hold on: "tier D, score 420", and its first reason.
    credit_hold_reason: Mapped[str | None] = mapped_column(Text)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revision: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentTerms(Base):
    """A named payment terms template (账期); invoices keep a copy, never a link."""

    __tablename__ = "payment_terms"
    __table_args__ = (
        CheckConstraint("basis IN ('invoice_date','end_of_month')", name="basis"),
        CheckConstraint("interest_kind IN ('none','daily','annual')", name="interest_kind"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    net_days: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(16), server_default="invoice_date")
    grace_days: Mapped[int] = mapped_column(Integer, server_default="0")
    interest_kind: Mapped[str] = mapped_column(String(8), server_default="none")
    interest_rate: Mapped[Decimal] = mapped_column(Rate, server_default="0")
    interest_cap_ratio: Mapped[Decimal | None] = mapped_column(Rate)
    late_fee: Mapped[Decimal | None] = mapped_column(Amount)
    discount_rate: Mapped[Decimal | None] = mapped_column(Rate)
    discount_days: Mapped[int | None] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, server_default="1")
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Invoice(Base):
    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint("status IN ('draft','open','paid','void','uncollectible')", name="status"),
        CheckConstraint("amount_paid >= 0 AND amount_credited >= 0", name="non_negative_settlements"),
        # The aging's receivables, read from the index alone (migration 0021, reports/repository.py).
        Index(
            "ix_invoice_receivable",
            "currency",
            "due_date",
            postgresql_include=[
                "id",
                "customer_id",
                "invoice_date",
                "total",
                "amount_paid",
                "amount_credited",
                "amount_written_off",
                "written_off_on",
            ],
            postgresql_where=text("status IN ('open', 'uncollectible')"),
        ),
        Index("ix_invoice_voided_at", "voided_at", postgresql_where=text("voided_at IS NOT NULL")),
        Index("ix_invoice_written_off_on", "written_off_on", postgresql_where=text("written_off_on IS NOT NULL")),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    number: Mapped[str | None] = mapped_column(Text, unique=True)
    status: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    invoice_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    net_days: Mapped[int] = mapped_column(Integer)
    grace_days: Mapped[int] = mapped_column(Integer, server_default="0")
    subtotal: Mapped[Decimal] = mapped_column(Amount)
    tax_total: Mapped[Decimal] = mapped_column(Amount)
    total: Mapped[Decimal] = mapped_column(Amount, index=True)
    amount_paid: Mapped[Decimal] = mapped_column(Amount, server_default="0")
    amount_credited: Mapped[Decimal] = mapped_column(Amount, server_default="0")
    # +1 on every change of the balance (application, its reversal, credit note), carried
    # on the events so a projection keeps the newest balance even when one goes up again.
    ledger_version: Mapped[int] = mapped_column(Integer, server_default="0")
    payment_reference: Mapped[str | None] = mapped_column(Text, unique=True)
    memo: Mapped[str | None] = mapped_column(Text)
    # The terms as they were when the invoice was made (a snapshot, never a live template).
    terms_code: Mapped[str | None] = mapped_column(Text)
    due_date_basis: Mapped[str] = mapped_column(String(16), server_default="invoice_date")
    interest_kind: Mapped[str] = mapped_column(String(8), server_default="none")
    interest_rate: Mapped[Decimal] = mapped_column(Rate, server_default="0")
    interest_cap_ratio: Mapped[Decimal | None] = mapped_column(Rate)
    late_fee: Mapped[Decimal | None] = mapped_column(Amount)
    discount_rate: Mapped[Decimal | None] = mapped_column(Rate)
    discount_days: Mapped[int | None] = mapped_column(Integer)
    # What the invoice is for: ordinary charges, or a late fee / interest on another invoice.
    kind: Mapped[str] = mapped_column(String(16), server_default="standard")
    related_invoice_id: Mapped[UUID | None] = mapped_column(ForeignKey("invoice.id"))
    contract_id: Mapped[UUID | None] = mapped_column(Uuid, index=True)
    interest_charged_to: Mapped[date | None] = mapped_column(Date)
    # All the late interest charged on this invoice as fees so far: the cap holds for this total.
    interest_charged: Mapped[Decimal] = mapped_column(Amount, server_default="0")
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    void_reason: Mapped[str | None] = mapped_column(Text)
    written_off_on: Mapped[date | None] = mapped_column(Date)
    amount_written_off: Mapped[Decimal] = mapped_column(Amount, server_default="0")
    write_off_reason: Mapped[str | None] = mapped_column(Text)
    # Issued while the customer was on credit hold: by a credit manager's override, or flagged by policy.
    credit_hold_at_issue: Mapped[bool] = mapped_column(Boolean, server_default="false")
    credit_hold_override_by: Mapped[str | None] = mapped_column(Text)
    credit_hold_override_reason: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    @property
    def balance(self) -> Decimal:
        return self.total - self.amount_paid - self.amount_credited


class InvoiceLine(Base):
    __tablename__ = "invoice_line"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    invoice_id: Mapped[UUID] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Numeric(19, 6))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(19, 6))
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(7, 6))
    net_amount: Mapped[Decimal] = mapped_column(Amount)
    tax_amount: Mapped[Decimal] = mapped_column(Amount)
    gross_amount: Mapped[Decimal] = mapped_column(Amount)


class InvoiceNumberSeries(Base):
    """The next number per series and year; a row lock makes numbering gapless."""

    __tablename__ = "invoice_number_series"

    series: Mapped[str] = mapped_column(Text, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    next_value: Mapped[int] = mapped_column(BigInteger)


class PaymentApplication(Base):
    """Part of a received payment applied to one invoice (the ledger's credit side).

    Rows are never deleted: a reversed payment marks its applications reversed.
    `source` says whether the money came straight from the payment or later from
    the customer's unapplied credit of that payment.
    """

    __tablename__ = "payment_application"
    __table_args__ = (
        Index("ix_payment_application_reversed_on", "reversed_on", postgresql_where=text("reversed_on IS NOT NULL")),
        Index("ix_payment_application_recovery", "invoice_id", postgresql_where=text("recovery")),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    payment_id: Mapped[UUID] = mapped_column(index=True)
    invoice_id: Mapped[UUID] = mapped_column(ForeignKey("invoice.id"), index=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    applied_on: Mapped[date] = mapped_column(Date, index=True)
    source: Mapped[str] = mapped_column(String(16), server_default="payment")
    # Applied to a written-off invoice (坏账收回): the management figures count it back against the write-off.
    recovery: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    reversed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UnappliedCredit(Base):
    """Money received that no open invoice could take: the customer's credit."""

    __tablename__ = "unapplied_credit"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    payment_id: Mapped[UUID] = mapped_column(index=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    received_on: Mapped[date] = mapped_column(Date)
    # What is still free to apply; reduced as it is applied to later invoices.
    remaining: Mapped[Decimal] = mapped_column(Amount, server_default="0")
    reversed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CreditNote(Base):
    """A credit note (红字/贷项通知单) against one issued invoice: it reduces the balance."""

    __tablename__ = "credit_note"
    __table_args__ = (
        CheckConstraint("amount > 0", name="positive"),
        CheckConstraint(
            "kind IN ('manual','early_payment_discount','contract_cancellation','settlement_discount')", name="kind"
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(Text, unique=True)
    invoice_id: Mapped[UUID] = mapped_column(ForeignKey("invoice.id"), index=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(Text)
    # Why it was issued: by hand, an early-payment discount granted, or the unused days of a cancelled contract.
    kind: Mapped[str] = mapped_column(String(32), server_default="manual")
    issued_on: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OverdueNotice(Base):
    """One row per invoice and threshold crossed: the sweep publishes each exactly once.

    No foreign key to invoice: the sweep, the only writer, reads the invoice in the same statement, and
    the key's per-row check locked every swept invoice (migration 0006 says what it cost).
    """

    __tablename__ = "overdue_notice"

    invoice_id: Mapped[UUID] = mapped_column(primary_key=True)
    threshold: Mapped[str] = mapped_column(String(16), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ServiceContract(Base):
    """A recurring service contract (服务合同): plan lines billed every cycle from a start date."""

    __tablename__ = "service_contract"
    __table_args__ = (
        CheckConstraint("cycle IN ('monthly','quarterly','annual')", name="cycle"),
        CheckConstraint("status IN ('active','paused','cancelled')", name="status"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    cycle: Mapped[str] = mapped_column(String(16))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    # Periods that start before this day are never billed (moved on by a resume).
    bill_from: Mapped[date] = mapped_column(Date)
    auto_issue: Mapped[bool] = mapped_column(Boolean, server_default="true")
    payment_terms_code: Mapped[str | None] = mapped_column(Text)
    lines: Mapped[list[dict[str, object]]] = mapped_column(JSONB)
    memo: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), server_default="active")
    # Started while the customer was on credit hold, by a credit manager's override.
    credit_hold_override_by: Mapped[str | None] = mapped_column(Text)
    credit_hold_override_reason: Mapped[str | None] = mapped_column(Text)
    paused_on: Mapped[date | None] = mapped_column(Date)
    cancelled_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ContractPeriod(Base):
    """One billed period of a contract; the primary key makes each period's invoice happen once."""

    __tablename__ = "contract_period"

    contract_id: Mapped[UUID] = mapped_column(ForeignKey("service_contract.id"), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    period_end: Mapped[date] = mapped_column(Date)
    invoice_id: Mapped[UUID | None] = mapped_column(ForeignKey("invoice.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CreditorRecord(Base):
    """The creditor as set through the API: one row (id 1) for the installation's one creditor."""

    __tablename__ = "creditor"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint(
            "hosted_partial_payment_minimum IS NULL OR (hosted_partial_payment_minimum > 0 "
            "AND hosted_partial_payment_minimum = round(hosted_partial_payment_minimum, 2))",
            name="partial_payment_minimum",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    legal_name: Mapped[str] = mapped_column(Text)
    uscc: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(Text)
    bank_name: Mapped[str] = mapped_column(Text)
    bank_account_name: Mapped[str] = mapped_column(Text)
    bank_account_number: Mapped[str] = mapped_column(Text)
    # The least a part payment on the hosted page may be (in the invoice's currency); None: the whole balance only.
    hosted_partial_payment_minimum: Mapped[Decimal | None] = mapped_column(Amount, nullable=True)
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(Text)


class HostedInvoiceLink(Base):
    """The link to an issued invoice's public page: the SHA-256 of its token, never the token (hosted/links.py)."""

    __tablename__ = "hosted_invoice_link"
    __table_args__ = (CheckConstraint("octet_length(token_sha256) = 32", name="sha256"),)

    invoice_id: Mapped[UUID] = mapped_column(ForeignKey("invoice.id"), primary_key=True)
    token_sha256: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    # 30 days after the due date (Stripe's rule for its hosted invoice page); a rotation starts anew.
    expires_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    view_count: Mapped[int] = mapped_column(Integer, server_default="0")
    last_viewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class HostedLinkRenewal(Base):
    """A renewal asked for on the page of a link that no longer works: kept whether or not the email matched."""

    __tablename__ = "hosted_link_renewal"
    __table_args__ = (CheckConstraint("status IN ('pending_delivery','refused','renewed','throttled')", name="status"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    token_sha256: Mapped[bytes] = mapped_column(LargeBinary)
    invoice_id: Mapped[UUID | None] = mapped_column(Uuid, index=True)
    email_matched: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# The statement cycle's tables share this metadata; imported here so Alembic and the schema check see them.
from invoicing.statements import models as _statement_tables  # noqa: E402,F401
