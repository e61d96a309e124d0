"""SQL of the statement cycle."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Date, DateTime, Row, and_, cast, extract, func, literal, not_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from invoicing.models import Customer, Invoice
from invoicing.statements.models import (
    Statement,
    StatementLink,
    StatementLinkRenewal,
    StatementReply,
    StatementResponse,
    StatementSchedule,
)


async def schedule_of(session: AsyncSession, customer_id: UUID) -> StatementSchedule | None:
    return await session.get(StatementSchedule, customer_id)


async def get_statement(session: AsyncSession, statement_id: UUID, *, for_update: bool = False) -> Statement | None:
    query = select(Statement).where(Statement.id == statement_id)
    if for_update:
        # populate_existing: a row this session read before the lock is read again under it (the answer
        # checks the status another transaction may just have changed).
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def statement_for_period(session: AsyncSession, customer_id: UUID, start: date, end: date) -> Statement | None:
    query = select(Statement).where(
        Statement.customer_id == customer_id, Statement.period_start == start, Statement.period_end == end
    )
    return (await session.execute(query)).scalar_one_or_none()


async def insert_statement(session: AsyncSession, values: dict[str, Any]) -> UUID | None:
    """Insert a statement unless its customer and period have one: its id, or None when one was there."""
    inserted = await session.scalar(
        insert(Statement)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["customer_id", "period_start", "period_end"])
        .returning(Statement.id)
    )
    return inserted


async def list_statements(
    session: AsyncSession,
    page: PageParams,
    *,
    customer_id: UUID | None,
    status: str | None,
    period_month: tuple[int, int] | None,
    unanswered: bool | None,
    now: datetime,
    answer_days: int,
) -> list[Statement]:
    query = paginate(select(Statement), Statement.id, page, customer_id=customer_id, status=status)
    if unanswered is not None:
        # domain.is_unanswered in SQL: still issued, and the customer's today past business_date + answer_days
        today = cast(func.timezone(Customer.time_zone, literal(now, DateTime(timezone=True))), Date)
        late = and_(Statement.status == "issued", Statement.business_date + answer_days < today)
        query = query.join(Customer, Customer.id == Statement.customer_id).where(late if unanswered else not_(late))
    if period_month is not None:
        query = query.where(
            extract("year", Statement.period_end) == period_month[0],
            extract("month", Statement.period_end) == period_month[1],
        )
    return list((await session.execute(query)).scalars())


async def links_of(session: AsyncSession, statement_ids: list[UUID]) -> dict[UUID, StatementLink]:
    if not statement_ids:
        return {}
    rows = await session.execute(select(StatementLink).where(StatementLink.statement_id.in_(statement_ids)))
    return {link.statement_id: link for link in rows.scalars()}


async def pending_renewals(session: AsyncSession, statement_ids: list[UUID]) -> dict[UUID, int]:
    """How many renewals, asked with an address on file, wait for delivery, by statement."""
    if not statement_ids:
        return {}
    rows = await session.execute(
        select(StatementLinkRenewal.statement_id, func.count())
        .where(StatementLinkRenewal.statement_id.in_(statement_ids), StatementLinkRenewal.status == "pending_delivery")
        .group_by(StatementLinkRenewal.statement_id)
    )
    return {statement_id: count for statement_id, count in rows if statement_id is not None}


async def response_of(session: AsyncSession, statement_id: UUID) -> StatementResponse | None:
    query = select(StatementResponse).where(StatementResponse.statement_id == statement_id)
    return (await session.execute(query)).scalar_one_or_none()


async def reply_meta(session: AsyncSession, reply_id: UUID) -> Row[UUID, str, str, int, bytes, datetime] | None:
    """A reply's name, type, size and hash, without its bytes."""
    query = select(
        StatementReply.id,
        StatementReply.filename,
        StatementReply.media_type,
        StatementReply.size,
        StatementReply.sha256,
        StatementReply.uploaded_at,
    ).where(StatementReply.id == reply_id)
    return (await session.execute(query)).first()


async def reply_of(session: AsyncSession, statement_id: UUID) -> StatementReply | None:
    query = (
        select(StatementReply)
        .join(StatementResponse, StatementResponse.reply_id == StatementReply.id)
        .where(StatementResponse.statement_id == statement_id)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def invoice_ids_by_number(session: AsyncSession, customer_id: UUID, numbers: list[str]) -> dict[str, UUID]:
    if not numbers:
        return {}
    rows = await session.execute(
        select(Invoice.number, Invoice.id).where(Invoice.customer_id == customer_id, Invoice.number.in_(numbers))
    )
    return {row.number: row.id for row in rows if row.number is not None}


async def scheduled_customers(session: AsyncSession) -> Sequence[Row[UUID, str, str, int]]:
    """Every customer not archived, with its schedule (null cycle and day: the default)."""
    rows = await session.execute(
        select(Customer.id, Customer.time_zone, StatementSchedule.cycle, StatementSchedule.day)
        .outerjoin(StatementSchedule, StatementSchedule.customer_id == Customer.id)
        .where(Customer.archived_at.is_(None))
        .order_by(Customer.id)
    )
    return rows.all()


async def issued_periods(session: AsyncSession, wanted: list[tuple[UUID, date, date]]) -> set[tuple[UUID, date, date]]:
    """Which of (customer, period start, period end) already have their statement."""
    found: set[tuple[UUID, date, date]] = set()
    key = tuple_(Statement.customer_id, Statement.period_start, Statement.period_end)
    for offset in range(0, len(wanted), 1000):
        rows = await session.execute(
            select(Statement.customer_id, Statement.period_start, Statement.period_end).where(
                key.in_(wanted[offset : offset + 1000])
            )
        )
        found |= {(r.customer_id, r.period_start, r.period_end) for r in rows}
    return found
