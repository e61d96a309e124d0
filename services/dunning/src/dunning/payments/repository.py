"""SQL of the unmatched payments that hold the chase of their probable customer."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.db import rows_changed
from dunning.lookups import among
from dunning.models import UnmatchedPayment

Hold = tuple[datetime, datetime, datetime | None]


async def remember_unmatched(
    session: AsyncSession,
    *,
    payment_id: UUID,
    customer_id: UUID,
    amount: Decimal,
    currency: str,
    received_on: date,
    reported_at: datetime,
    hold_until: datetime,
) -> bool:
    """Record the unmatched payment; False when it was known already (reported, or resolved first)."""
    insert = pg_insert(UnmatchedPayment).values(
        payment_id=payment_id,
        customer_id=customer_id,
        amount=amount,
        currency=currency,
        received_on=received_on,
        reported_at=reported_at,
        hold_until=hold_until,
    )
    result = await session.execute(insert.on_conflict_do_nothing(index_elements=[UnmatchedPayment.payment_id]))
    return rows_changed(result) == 1


async def resolve_unmatched(
    session: AsyncSession, *, payment_ids: Collection[UUID], by_payment_id: UUID, at: datetime
) -> None:
    """Mark the payments resolved (the first resolution counts); remember them even when not reported yet.

    One statement: the row is inserted resolved, or an unresolved one is resolved where it stands.
    """
    if not payment_ids:
        return
    insert = pg_insert(UnmatchedPayment).values(
        [{"payment_id": p, "resolved_at": at, "resolved_by_payment_id": by_payment_id} for p in payment_ids]
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[UnmatchedPayment.payment_id],
            set_={
                "resolved_at": insert.excluded.resolved_at,
                "resolved_by_payment_id": insert.excluded.resolved_by_payment_id,
            },
            where=UnmatchedPayment.resolved_at.is_(None),
        )
    )


async def holds_of(session: AsyncSession, customer_ids: Sequence[UUID]) -> dict[UUID, list[Hold]]:
    """Each customer's unmatched payments as (reported_at, hold_until, resolved_at)."""
    query = select(
        UnmatchedPayment.customer_id,
        UnmatchedPayment.reported_at,
        UnmatchedPayment.hold_until,
        UnmatchedPayment.resolved_at,
    ).where(
        among(UnmatchedPayment.customer_id, customer_ids),
        UnmatchedPayment.reported_at.is_not(None),
        UnmatchedPayment.hold_until.is_not(None),
    )
    holds: dict[UUID, list[Hold]] = {}
    for customer_id, reported_at, hold_until, resolved_at in (await session.execute(query)).all():
        if customer_id is not None and reported_at is not None and hold_until is not None:  # as the query says
            holds.setdefault(customer_id, []).append((reported_at, hold_until, resolved_at))
    return holds
