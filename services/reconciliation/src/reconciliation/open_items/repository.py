"""SQL of the customer and open-item projection."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Select, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from reconciliation.models import Allocation, Customer, CustomerNameBigram, OpenItem


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


async def replace_customer_name_bigrams(
    session: AsyncSession, customer_id: UUID, bigrams: Iterable[tuple[str, str]]
) -> None:
    """A customer's (gram, name key) pairs become `bigrams`: a renamed or archived customer's old ones go."""
    await session.execute(delete(CustomerNameBigram).where(CustomerNameBigram.customer_id == customer_id))
    rows = [{"gram": gram, "name_key": name_key, "customer_id": customer_id} for gram, name_key in bigrams]
    if rows:
        await session.execute(insert(CustomerNameBigram), rows)


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
        .where(Allocation.applied_at.is_(None), Allocation.released_at.is_(None))
        .group_by(Allocation.invoice_id)
        .subquery("pending")
    )


def with_pending() -> Select[OpenItem, Decimal]:
    """Open items, each with what pending allocations hold of it."""
    pending = _pending()
    return select(OpenItem, func.coalesce(pending.c.pending, 0)).outerjoin(
        pending, pending.c.invoice_id == OpenItem.invoice_id
    )


async def allocatable_items(session: AsyncSession, customer_id: UUID) -> Sequence[Row[OpenItem, Decimal]]:
    """The customer's issued open items (every currency), each with its pending allocations."""
    query = with_pending().where(
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
    query = paginate(
        with_pending(),
        OpenItem.invoice_id,
        page,
        customer_id=customer_id,
        status=status,
        currency=currency,
    )
    rows: Sequence[Row[OpenItem, Decimal]] = (await session.execute(query)).all()
    return rows


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
