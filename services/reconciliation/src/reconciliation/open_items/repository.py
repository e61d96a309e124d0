"""SQL of the customer and open-item projection."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Select, Uuid, delete, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from reconciliation.domain import ALLOCATABLE_STATUSES
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


_ITEM = OpenItem.__table__.c  # (Core: a batch's items are merged as rows, never as ORM objects)


async def open_items_for_update(session: AsyncSession, invoice_ids: Sequence[UUID]) -> dict[UUID, Row[Any]]:
    """These invoices' open items that exist, locked (in id order, as every batch locks them), by invoice id."""
    if not invoice_ids:
        return {}
    query = select(*_ITEM).where(_ITEM.invoice_id.in_(list(invoice_ids))).order_by(_ITEM.invoice_id)
    return {row.invoice_id: row for row in (await session.execute(query.with_for_update())).all()}


# The columns a merged state writes, with their types for unnest (the open items of a batch in one statement).
_STATE_COLUMNS = {
    "invoice_id": "uuid",
    "customer_id": "uuid",
    "invoice_number": "text",
    "currency": "text",
    "status": "text",
    "total": "numeric",
    "balance": "numeric",
    "invoice_date": "date",
    "due_date": "date",
    "payment_reference": "text",
    "issued_at": "timestamptz",
    "updated_at": "timestamptz",
    "ledger_version": "int",
    "written_off": "bool",
    "number_key": "text",
    "reference_key": "text",
}
_UNNEST = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _STATE_COLUMNS.items())
_NAMES = ", ".join(_STATE_COLUMNS)
_INSERT_ITEMS = text(
    f"""
    INSERT INTO open_item ({_NAMES})
    SELECT * FROM unnest({_UNNEST}) AS v({_NAMES})
    ON CONFLICT DO NOTHING
    RETURNING invoice_id
    """
).columns(invoice_id=Uuid)
_UPDATE_ITEMS = text(
    f"""
    UPDATE open_item SET {", ".join(f"{name} = v.{name}" for name in _STATE_COLUMNS if name != "invoice_id")}
    FROM unnest({_UNNEST}) AS v({_NAMES})
    WHERE open_item.invoice_id = v.invoice_id
    """
)


def _columns(rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    return {name: [row[name] for row in rows] for name in _STATE_COLUMNS}


async def insert_open_items(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[UUID]:
    """Insert invoices' first known states (one statement); the ids inserted (not those another transaction
    inserted first)."""
    if not rows:
        return set()
    return set((await session.execute(_INSERT_ITEMS, _columns(rows))).scalars())


async def update_open_items(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Write merged states over known open items (one statement)."""
    if rows:
        await session.execute(_UPDATE_ITEMS, _columns(rows))


_APPLIED = text(
    """
    UPDATE allocation SET applied_at = CAST(:at AS timestamptz)
    FROM unnest(CAST(:payment_ids AS uuid[]), CAST(:invoice_ids AS uuid[])) AS v(payment_id, invoice_id)
    WHERE allocation.payment_id = v.payment_id AND allocation.invoice_id = v.invoice_id
      AND allocation.applied_at IS NULL
    """
)


async def mark_allocations_applied(session: AsyncSession, applied: Sequence[tuple[UUID, UUID]], at: datetime) -> None:
    """Record that invoicing applied these (payment, invoice) pairs: their pending allocations no longer hold the
    invoices' balances (one statement)."""
    if applied:
        params = {"at": at, "payment_ids": [p for p, _ in applied], "invoice_ids": [i for _, i in applied]}
        await session.execute(_APPLIED, params)


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
    """The customer's issued items that take money (open or written off; every currency), with pending allocations."""
    query = with_pending().where(
        OpenItem.customer_id == customer_id,
        OpenItem.status.in_(ALLOCATABLE_STATUSES),
        OpenItem.issued_at.is_not(None),
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
