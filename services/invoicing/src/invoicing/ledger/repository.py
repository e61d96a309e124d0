"""SQL of the ledger: applications, unapplied credit, credit notes and their numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Row, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from invoicing.models import CreditNote, Invoice, InvoiceNumberSeries, PaymentApplication, UnappliedCredit


async def open_invoices_for_update(session: AsyncSession, customer_id: UUID, currency: str) -> list[Invoice]:
    """The customer's open and uncollectible invoices in a currency, locked, oldest due first."""
    query = (
        select(Invoice)
        .where(
            Invoice.customer_id == customer_id,
            Invoice.currency == currency,
            Invoice.status.in_(("open", "uncollectible")),
        )
        .order_by(Invoice.due_date, Invoice.id)
        .with_for_update()
    )
    return list((await session.execute(query)).scalars())


async def active_applications_of_payment(session: AsyncSession, payment_id: UUID) -> list[PaymentApplication]:
    """The applications of a payment that are not reversed, locked, oldest first."""
    query = (
        select(PaymentApplication)
        .where(PaymentApplication.payment_id == payment_id, PaymentApplication.reversed_on.is_(None))
        .order_by(PaymentApplication.id)
        .with_for_update()
    )
    return list((await session.execute(query)).scalars())


async def credits_of_payment(session: AsyncSession, payment_id: UUID) -> list[UnappliedCredit]:
    query = select(UnappliedCredit).where(UnappliedCredit.payment_id == payment_id).with_for_update()
    return list((await session.execute(query)).scalars())


async def payment_seen(session: AsyncSession, payment_id: UUID) -> bool:
    """True when a payment already left a trace in the ledger (applications or credit)."""
    applied = select(PaymentApplication.id).where(PaymentApplication.payment_id == payment_id).limit(1)
    credited = select(UnappliedCredit.id).where(UnappliedCredit.payment_id == payment_id).limit(1)
    return (await session.scalar(select(applied.exists() | credited.exists()))) or False


async def free_credit_for_update(session: AsyncSession, customer_id: UUID, currency: str) -> list[UnappliedCredit]:
    """The customer's unapplied credit in a currency with something left, oldest first, locked."""
    query = (
        select(UnappliedCredit)
        .where(
            UnappliedCredit.customer_id == customer_id,
            UnappliedCredit.currency == currency,
            UnappliedCredit.remaining > 0,
            UnappliedCredit.reversed_on.is_(None),
        )
        .order_by(UnappliedCredit.received_on, UnappliedCredit.id)
        .with_for_update()
    )
    return list((await session.execute(query)).scalars())


async def has_free_credit(session: AsyncSession, customer_id: UUID, currency: str) -> bool:
    query = select(UnappliedCredit.id).where(
        UnappliedCredit.customer_id == customer_id,
        UnappliedCredit.currency == currency,
        UnappliedCredit.remaining > 0,
        UnappliedCredit.reversed_on.is_(None),
    )
    return (await session.scalar(select(query.exists()))) or False


async def unapplied_credit_totals(session: AsyncSession, customer_id: UUID) -> dict[str, Decimal]:
    query = (
        select(UnappliedCredit.currency, func.sum(UnappliedCredit.remaining))
        .where(UnappliedCredit.customer_id == customer_id, UnappliedCredit.reversed_on.is_(None))
        .group_by(UnappliedCredit.currency)
    )
    return {currency: total for currency, total in (await session.execute(query)).all()}


async def ledger_totals(session: AsyncSession, customer_id: UUID) -> list[Row[Any]]:
    """Per currency: issued invoices, active applications, credit notes, and the sum of invoice balances."""
    return list((await session.execute(_LEDGER_TOTALS, {"customer_id": customer_id})).all())


_LEDGER_TOTALS = text(
    """
    WITH invoiced AS (
        SELECT currency, sum(total) AS invoiced, sum(total - amount_paid - amount_credited) AS balances
        FROM invoice WHERE customer_id = :customer_id AND status IN ('open', 'paid', 'uncollectible')
        GROUP BY currency
    ), applied AS (
        SELECT a.currency, sum(a.amount) AS applied
        FROM payment_application a JOIN invoice i ON i.id = a.invoice_id
        WHERE a.customer_id = :customer_id AND a.reversed_on IS NULL AND i.status <> 'void'
        GROUP BY a.currency
    ), credited AS (
        SELECT currency, sum(amount) AS credited FROM credit_note WHERE customer_id = :customer_id GROUP BY currency
    )
    SELECT coalesce(v.currency, a.currency, c.currency) AS currency,
           coalesce(v.invoiced, 0) AS invoiced, coalesce(a.applied, 0) AS applied,
           coalesce(c.credited, 0) AS credited, coalesce(v.balances, 0) AS balances
    FROM invoiced v
    FULL JOIN applied a ON a.currency = v.currency
    FULL JOIN credited c ON c.currency = coalesce(v.currency, a.currency)
    ORDER BY 1
    """
)


async def list_credit_notes(
    session: AsyncSession, page: PageParams, *, customer_id: UUID | None, invoice_id: UUID | None
) -> list[CreditNote]:
    query = paginate(select(CreditNote), CreditNote.id, page, customer_id=customer_id, invoice_id=invoice_id)
    return list((await session.execute(query)).scalars())


async def has_credit_note_of_kind(session: AsyncSession, invoice_id: UUID, kind: str) -> bool:
    query = select(CreditNote.id).where(CreditNote.invoice_id == invoice_id, CreditNote.kind == kind)
    return (await session.scalar(select(query.exists()))) or False


async def next_invoice_number(session: AsyncSession, series: str, year: int) -> int:
    """Take the next number of a series; the row lock serialises concurrent issuers (gapless).

    One statement when the series exists (every time but the first of a year).
    """
    value = await session.scalar(_TAKE_NUMBER, {"series": series, "year": year})
    if value is None:  # the year's first number: create the series row, then take it like everyone else
        await session.execute(
            pg_insert(InvoiceNumberSeries).values(series=series, year=year, next_value=1).on_conflict_do_nothing()
        )
        value = await session.scalar(_TAKE_NUMBER, {"series": series, "year": year})
    assert value is not None
    return int(value)


_TAKE_NUMBER = text(
    "UPDATE invoice_number_series SET next_value = next_value + 1"
    " WHERE series = :series AND year = :year RETURNING next_value - 1"
)
