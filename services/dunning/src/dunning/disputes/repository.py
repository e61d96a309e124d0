"""SQL of the disputes dunning keeps (its own, reconciliation's and those raised on statements)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from dunning.lookups import among
from dunning.models import DunningCaseItem, InvoiceDispute


async def add_dispute(session: AsyncSession, dispute: InvoiceDispute) -> None:
    session.add(dispute)
    await session.flush()


async def case_disputes(session: AsyncSession, case_id: UUID, page: PageParams) -> list[InvoiceDispute]:
    """One page of the disputes on the case's invoices (or opened on the case), by id newest first."""
    invoices = select(DunningCaseItem.invoice_id).where(DunningCaseItem.case_id == case_id)
    query = paginate(select(InvoiceDispute), InvoiceDispute.dispute_id, page).where(
        or_(InvoiceDispute.case_id == case_id, InvoiceDispute.invoice_id.in_(invoices))
    )
    return list((await session.execute(query)).scalars())


async def get_case_dispute(
    session: AsyncSession, case_id: UUID, dispute_id: UUID, *, for_update: bool = False
) -> InvoiceDispute | None:
    """The dispute when it is on the case or on one of its invoices."""
    invoices = select(DunningCaseItem.invoice_id).where(DunningCaseItem.case_id == case_id)
    query = select(InvoiceDispute).where(
        InvoiceDispute.dispute_id == dispute_id,
        or_(InvoiceDispute.case_id == case_id, InvoiceDispute.invoice_id.in_(invoices)),
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def is_invoice_disputed(session: AsyncSession, invoice_id: UUID) -> bool:
    """True while a dispute of the invoice is open (opened and not resolved)."""
    query = select(InvoiceDispute.dispute_id).where(
        InvoiceDispute.invoice_id == invoice_id,
        InvoiceDispute.opened_at.is_not(None),
        InvoiceDispute.resolved_at.is_(None),
    )
    return await session.scalar(query.limit(1)) is not None


async def open_statement_disputes(session: AsyncSession, rows: list[dict[str, Any]]) -> list[UUID]:
    """Insert a statement's disputes not kept yet (by id); the invoices of those inserted."""
    if not rows:
        return []
    inserted = await session.execute(
        pg_insert(InvoiceDispute).values(rows).on_conflict_do_nothing().returning(InvoiceDispute.invoice_id)
    )
    return list(inserted.scalars())


async def open_items_of(session: AsyncSession, invoice_ids: list[UUID]) -> list[DunningCaseItem]:
    """The open case items of these invoices, locked, by case."""
    query = (
        select(DunningCaseItem)
        .where(among(DunningCaseItem.invoice_id, invoice_ids), DunningCaseItem.status == "open")
        .order_by(DunningCaseItem.case_id, DunningCaseItem.invoice_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(query)).scalars())


async def open_statement_disputes_before(
    session: AsyncSession, customer_id: UUID, period_end: date
) -> list[InvoiceDispute]:
    """The customer's statement disputes still open on statements of periods ending before `period_end`, locked."""
    query = (
        select(InvoiceDispute)
        .where(
            InvoiceDispute.source == "statement",
            InvoiceDispute.resolved_at.is_(None),
            InvoiceDispute.customer_id == customer_id,
            InvoiceDispute.statement_period_end < period_end,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(query)).scalars())
