"""All SQL of the invoicing service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams
from invoicing.models import Customer, Invoice, InvoiceLine, InvoiceNumberSeries


async def get_customer(session: AsyncSession, customer_id: UUID, *, for_update: bool = False) -> Customer | None:
    query = select(Customer).where(Customer.id == customer_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def customer_by_external_reference(session: AsyncSession, reference: str) -> Customer | None:
    return (
        await session.execute(select(Customer).where(Customer.external_reference == reference))
    ).scalar_one_or_none()


async def list_customers(
    session: AsyncSession, page: PageParams, *, tag: str | None, search: str | None, include_archived: bool
) -> list[Customer]:
    query = select(Customer).order_by(Customer.id.desc()).limit(page.limit + 1)
    if page.starting_after:
        query = query.where(Customer.id < page.starting_after)
    if tag:
        query = query.where(Customer.tags.any(tag))
    if search:
        pattern = f"%{search}%"
        query = query.where(Customer.legal_name.ilike(pattern) | Customer.short_name.ilike(pattern))
    if not include_archived:
        query = query.where(Customer.archived_at.is_(None))
    return list((await session.execute(query)).scalars())


async def get_invoice(session: AsyncSession, invoice_id: UUID, *, for_update: bool = False) -> Invoice | None:
    query = select(Invoice).where(Invoice.id == invoice_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def invoice_lines(session: AsyncSession, invoice_id: UUID) -> list[InvoiceLine]:
    query = select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id).order_by(InvoiceLine.position)
    return list((await session.execute(query)).scalars())


async def list_invoices(
    session: AsyncSession,
    page: PageParams,
    *,
    customer_id: UUID | None,
    status: str | None,
    currency: str | None,
    due_before: date | None,
    due_after: date | None,
) -> list[Invoice]:
    query = select(Invoice).order_by(Invoice.id.desc()).limit(page.limit + 1)
    if page.starting_after:
        query = query.where(Invoice.id < page.starting_after)
    if customer_id:
        query = query.where(Invoice.customer_id == customer_id)
    if status:
        query = query.where(Invoice.status == status)
    if currency:
        query = query.where(Invoice.currency == currency)
    if due_before:
        query = query.where(Invoice.due_date < due_before)
    if due_after:
        query = query.where(Invoice.due_date > due_after)
    return list((await session.execute(query)).scalars())


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


async def next_invoice_number(session: AsyncSession, series: str, year: int) -> int:
    """Take the next number of a series; the row lock serialises concurrent issuers (gapless)."""
    await session.execute(
        pg_insert(InvoiceNumberSeries).values(series=series, year=year, next_value=1).on_conflict_do_nothing()
    )
    value = await session.scalar(
        update(InvoiceNumberSeries)
        .where(InvoiceNumberSeries.series == series, InvoiceNumberSeries.year == year)
        .values(next_value=InvoiceNumberSeries.next_value + 1)
        .returning(InvoiceNumberSeries.next_value - 1)
    )
    assert value is not None
    return int(value)


_RECORD_OVERDUE_NOTICES = text(
    """
    WITH candidate AS (
        SELECT i.id AS invoice_id, t.name AS threshold,
               (timezone(c.time_zone, :as_of))::date AS local_today
        FROM invoice i
        JOIN customer c ON c.id = i.customer_id
        CROSS JOIN (VALUES ('overdue', 1), ('31-60', 31), ('61-90', 61), ('90+', 91)) AS t(name, start_day)
        WHERE i.status IN ('open', 'uncollectible')
          AND (timezone(c.time_zone, :as_of))::date - i.due_date > i.grace_days
          AND (timezone(c.time_zone, :as_of))::date - i.due_date >= t.start_day
    ), inserted AS (
        INSERT INTO overdue_notice (invoice_id, threshold, as_of)
        SELECT invoice_id, threshold, local_today FROM candidate
        ON CONFLICT DO NOTHING
        RETURNING invoice_id, threshold, as_of
    )
    SELECT n.threshold, n.as_of, i.id, i.customer_id, i.number, i.invoice_date, i.due_date, i.currency, i.total,
           i.total - i.amount_paid - i.amount_credited AS amount_due, i.payment_reference
    FROM inserted n JOIN invoice i ON i.id = n.invoice_id
    ORDER BY i.customer_id, i.due_date, i.id, n.as_of
    """
)


async def record_overdue_notices(session: AsyncSession, as_of: datetime) -> list[Row[Any]]:
    """Mark, in one statement, every (invoice, threshold) newly reached as of an instant.

    Days past due are counted on the customer's local calendar. Only rows newly
    inserted are returned, so each threshold is published exactly once, across
    re-runs and replicas.
    """
    return list((await session.execute(_RECORD_OVERDUE_NOTICES, {"as_of": as_of})).all())
