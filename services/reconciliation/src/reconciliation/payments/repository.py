"""SQL of payments and their allocations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from reconciliation.models import Allocation, Payment, StatementLine


async def get_payment(session: AsyncSession, payment_id: UUID, *, for_update: bool = False) -> Payment | None:
    query = select(Payment).where(Payment.id == payment_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def payment_by_external_id(session: AsyncSession, source: str, external_id: str) -> Payment | None:
    query = select(Payment).where(Payment.source == source, Payment.external_id == external_id)
    return (await session.execute(query)).scalar_one_or_none()


async def payments_by_external_ids(session: AsyncSession, source: str, external_ids: Sequence[str]) -> dict[str, UUID]:
    """The payments of `source` with these provider ids, by id."""
    if not external_ids:
        return {}
    query = select(Payment.external_id, Payment.id).where(
        Payment.source == source, Payment.external_id.in_(external_ids)
    )
    return {external_id: payment_id for external_id, payment_id in (await session.execute(query)).all() if external_id}


async def bank_references_of_lines(session: AsyncSession, line_ids: Sequence[UUID]) -> dict[UUID, str]:
    """The bank (or gateway) reference of each of these statement lines that has one."""
    if not line_ids:
        return {}
    query = select(StatementLine.id, StatementLine.bank_reference).where(
        StatementLine.id.in_(line_ids), StatementLine.bank_reference.is_not(None)
    )
    return {line_id: reference for line_id, reference in (await session.execute(query)).all() if reference}


async def list_payments(
    session: AsyncSession,
    page: PageParams,
    *,
    customer_id: UUID | None,
    received_from: date | None,
    received_to: date | None,
    status: str | None = None,
    source: str | None = None,
) -> list[Payment]:
    query = paginate(select(Payment), Payment.id, page, status=status, source=source, customer_id=customer_id)
    if received_from:
        query = query.where(Payment.received_on >= received_from)
    if received_to:
        query = query.where(Payment.received_on <= received_to)
    return list((await session.execute(query)).scalars())


async def insert_payments(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert many payments in one multi-row statement (a statement chunk's)."""
    if rows:
        await session.execute(insert(cast(Table, Payment.__table__)), rows)


async def insert_allocations(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(cast(Table, Allocation.__table__)), rows)


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


async def release_allocations(session: AsyncSession, payment_id: UUID, at: datetime) -> None:
    """A reversed payment's allocations no longer hold their invoices' balances."""
    await session.execute(
        update(Allocation)
        .where(Allocation.payment_id == payment_id, Allocation.released_at.is_(None))
        .values(released_at=at)
    )
