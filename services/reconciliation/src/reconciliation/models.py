"""Tables of the reconciliation database: payments, their allocations, and the projection of invoicing."""

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
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arflow.db import Amount, new_metadata

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


class OpenItem(Base):
    """One invoice as invoicing's events describe it; a row may exist before its InvoiceIssued arrives.

    No foreign key to customer: invoice facts may arrive before the customer's.
    """

    __tablename__ = "open_item"
    __table_args__ = (CheckConstraint("status IN ('open','written_off','paid','void')", name="status"),)

    invoice_id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(index=True)
    invoice_number: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    total: Mapped[Decimal | None] = mapped_column(Amount)
    balance: Mapped[Decimal] = mapped_column(Amount)
    invoice_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    payment_reference: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Payment(Base):
    """Money received from a customer (entered by hand in this slice)."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "source IN ('manual','bank_statement','alipay','wechat_pay','stripe','webhook')", name="source"
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    received_on: Mapped[date] = mapped_column(Date, index=True)
    source: Mapped[str] = mapped_column(String(16))
    payer_name: Mapped[str | None] = mapped_column(Text)
    payer_account: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(Text)
    match_confidence: Mapped[Decimal] = mapped_column(Numeric(4, 3))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Allocation(Base):
    """Part of a payment proposed against one invoice; pending until invoicing's PaymentApplied."""

    __tablename__ = "allocation"
    __table_args__ = (
        UniqueConstraint("payment_id", "invoice_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("basis IN ('given','reference','oldest_due')", name="basis"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    payment_id: Mapped[UUID] = mapped_column(ForeignKey("payment.id"), index=True)
    invoice_id: Mapped[UUID] = mapped_column(ForeignKey("open_item.invoice_id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    invoice_number: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Amount)
    basis: Mapped[str] = mapped_column(String(16))
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
