"""All SQL of the reconciliation service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Select, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams
from reconciliation.models import Allocation, Customer, OpenItem, Payment

# --- the projection of invoicing ---------------------------------------------------


async def upsert_customer(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert or update a customer unless a revision as high is already stored; True when written."""
    statement = pg_insert(Customer).values(**values)
    written = await session.scalar(
        statement.on_conflict_do_update(
            index_elements=[Customer.id],
            set_={k: statement.excluded[k] for k in values if k != "id"},
            where=Customer.revision < statement.excluded.revision,
        ).returning(Customer.id)
    )
    return written is not None


async def get_customer(session: AsyncSession, customer_id: UUID, *, for_update: bool = False) -> Customer | None:
    query = select(Customer).where(Customer.id == customer_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_open_item(session: AsyncSession, invoice_id: UUID, *, for_update: bool = False) -> OpenItem | None:
    query = select(OpenItem).where(OpenItem.invoice_id == invoice_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def insert_open_item(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert an invoice's first known state; False when another transaction inserted it first."""
    inserted = await session.scalar(
        pg_insert(OpenItem).values(**values).on_conflict_do_nothing().returning(OpenItem.invoice_id)
    )
    return inserted is not None


def _pending() -> Any:
    """Per invoice, what allocations invoicing has not applied yet add up to."""
    return (
        select(Allocation.invoice_id, func.sum(Allocation.amount).label("pending"))
        .where(Allocation.applied_at.is_(None))
        .group_by(Allocation.invoice_id)
        .subquery("pending")
    )


def _with_pending() -> Select[OpenItem, Decimal]:
    pending = _pending()
    return select(OpenItem, func.coalesce(pending.c.pending, 0)).outerjoin(
        pending, pending.c.invoice_id == OpenItem.invoice_id
    )


async def allocatable_items(session: AsyncSession, customer_id: UUID) -> Sequence[Row[OpenItem, Decimal]]:
    """The customer's issued open items (every currency), each with its pending allocations."""
    query = _with_pending().where(
        OpenItem.customer_id == customer_id, OpenItem.status == "open", OpenItem.issued_at.is_not(None)
    )
    return (await session.execute(query)).all()


async def list_open_items(
    session: AsyncSession,
    page: PageParams,
    *,
    customer_id: UUID | None,
    status: str | None,
    currency: str | None,
) -> Sequence[Row[OpenItem, Decimal]]:
    query = _with_pending().order_by(OpenItem.invoice_id.desc()).limit(page.limit + 1)
    if page.starting_after:
        query = query.where(OpenItem.invoice_id < page.starting_after)
    if customer_id:
        query = query.where(OpenItem.customer_id == customer_id)
    if status:
        query = query.where(OpenItem.status == status)
    if currency:
        query = query.where(OpenItem.currency == currency)
    return (await session.execute(query)).all()


async def mark_allocation_applied(session: AsyncSession, payment_id: UUID, invoice_id: UUID, at: datetime) -> bool:
    """Record that invoicing applied a payment to an invoice; True when a pending allocation was released."""
    result = await session.execute(
        update(Allocation)
        .where(
            Allocation.payment_id == payment_id,
            Allocation.invoice_id == invoice_id,
            Allocation.applied_at.is_(None),
        )
        .values(applied_at=at)
        .returning(Allocation.id)
    )
    return result.first() is not None


# --- payments -------------------------------------------------------------------------


async def get_payment(session: AsyncSession, payment_id: UUID) -> Payment | None:
    return (await session.execute(select(Payment).where(Payment.id == payment_id))).scalar_one_or_none()


async def list_payments(
    session: AsyncSession,
    page: PageParams,
    *,
    customer_id: UUID | None,
    received_from: date | None,
    received_to: date | None,
) -> list[Payment]:
    query = select(Payment).order_by(Payment.id.desc()).limit(page.limit + 1)
    if page.starting_after:
        query = query.where(Payment.id < page.starting_after)
    if customer_id:
        query = query.where(Payment.customer_id == customer_id)
    if received_from:
        query = query.where(Payment.received_on >= received_from)
    if received_to:
        query = query.where(Payment.received_on <= received_to)
    return list((await session.execute(query)).scalars())


async def allocations_of(session: AsyncSession, payment_ids: Sequence[UUID]) -> dict[UUID, list[Allocation]]:
    """The allocations of each payment, in the order they were made."""
    found: dict[UUID, list[Allocation]] = {payment_id: [] for payment_id in payment_ids}
    if not payment_ids:
        return found
    query = (
        select(Allocation)
        .where(Allocation.payment_id.in_(payment_ids))
        .order_by(Allocation.payment_id, Allocation.position)
    )
    for allocation in (await session.execute(query)).scalars():
        found[allocation.payment_id].append(allocation)
    return found
