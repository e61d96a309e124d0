"""All SQL of the credit-scoring service."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams
from credit_scoring.models import Customer, PaymentApplication, PaymentExperience

# --- customers -------------------------------------------------------------------


async def touch_customer(session: AsyncSession, customer_id: UUID, *, seen_at: datetime, now: datetime) -> None:
    """Make sure the customer exists; first_seen_at only ever moves earlier."""
    insert = pg_insert(Customer).values(id=customer_id, first_seen_at=seen_at, updated_at=now)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[Customer.id],
            set_={"first_seen_at": func.least(Customer.first_seen_at, insert.excluded.first_seen_at)},
        )
    )


async def apply_customer_revision(
    session: AsyncSession, customer_id: UUID, *, revision: int, legal_name: str, time_zone: str, now: datetime
) -> bool:
    """Take a customer revision if it is newer than the one held; False when it is stale."""
    result = await session.execute(
        update(Customer)
        .where(Customer.id == customer_id, Customer.revision < revision)
        .values(revision=revision, legal_name=legal_name, time_zone=time_zone, updated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def get_customer(session: AsyncSession, customer_id: UUID) -> Customer | None:
    return await session.get(Customer, customer_id)


async def list_customers(session: AsyncSession, page: PageParams) -> list[Customer]:
    """Up to limit+1 customers, newest id first, after the cursor."""
    query = select(Customer).order_by(Customer.id.desc()).limit(page.limit + 1)
    if page.starting_after:
        query = query.where(Customer.id < page.starting_after)
    return list((await session.execute(query)).scalars())


# --- payment experiences ----------------------------------------------------------


async def merge_experience(
    session: AsyncSession,
    values: dict[str, Any],
    *,
    now: datetime,
    replace: Iterable[str] = (),
    fill: Iterable[str] = (),
    latest: Iterable[str] = (),
) -> None:
    """Insert an invoice's experience or merge a fact into it.

    `replace` columns take the new value (the fact is authoritative for them),
    `fill` columns are only set while still empty, `latest` keep the greater value.
    """
    insert = pg_insert(PaymentExperience).values(**values, created_at=now, updated_at=now)
    new, current = insert.excluded, PaymentExperience.__table__.c
    set_: dict[str, Any] = {"updated_at": new.updated_at}
    set_.update({name: new[name] for name in replace})
    set_.update({name: func.coalesce(current[name], new[name]) for name in fill})
    set_.update({name: func.greatest(current[name], new[name]) for name in latest})
    await session.execute(insert.on_conflict_do_update(index_elements=[PaymentExperience.invoice_id], set_=set_))


async def merge_overdue_notice(
    session: AsyncSession, values: dict[str, Any], *, now: datetime, fill: Iterable[str]
) -> None:
    """Merge an overdue notice: the days, bucket and date move together, and only upwards."""
    insert = pg_insert(PaymentExperience).values(**values, created_at=now, updated_at=now)
    new, current = insert.excluded, PaymentExperience.__table__.c
    higher = new.max_days_overdue > func.coalesce(current.max_days_overdue, -1)
    set_: dict[str, Any] = {"updated_at": new.updated_at}
    set_.update({name: func.coalesce(current[name], new[name]) for name in fill})
    set_.update(
        {
            name: case((higher, new[name]), else_=current[name])
            for name in ("max_days_overdue", "last_overdue_bucket", "overdue_noted_on")
        }
    )
    await session.execute(insert.on_conflict_do_update(index_elements=[PaymentExperience.invoice_id], set_=set_))


async def add_application(session: AsyncSession, values: dict[str, Any], *, now: datetime) -> bool:
    """Record a payment application once; False when its id was already recorded."""
    inserted = await session.scalar(
        pg_insert(PaymentApplication)
        .values(**values, created_at=now)
        .on_conflict_do_nothing(index_elements=[PaymentApplication.application_id])
        .returning(PaymentApplication.application_id)
    )
    return inserted is not None


async def experiences_of(session: AsyncSession, customer_ids: list[UUID]) -> list[PaymentExperience]:
    query = select(PaymentExperience).where(PaymentExperience.customer_id.in_(customer_ids))
    return list((await session.execute(query)).scalars())


async def applications_of(session: AsyncSession, customer_ids: list[UUID]) -> list[PaymentApplication]:
    query = select(PaymentApplication).where(PaymentApplication.customer_id.in_(customer_ids))
    return list((await session.execute(query)).scalars())
