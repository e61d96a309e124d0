"""SQL of gateway notifications, and the payment a gateway bill's line became."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import literal, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from reconciliation.models import GatewayNotification, Payment, StatementLine


async def insert_notification(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Store a notification; False when this provider id was received before (a retry)."""
    inserted = await session.scalar(
        pg_insert(GatewayNotification).values(**values).on_conflict_do_nothing().returning(GatewayNotification.id)
    )
    return inserted is not None


async def notification(session: AsyncSession, provider: str, provider_id: str) -> GatewayNotification | None:
    query = select(GatewayNotification).where(
        GatewayNotification.provider == provider, GatewayNotification.provider_id == provider_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def list_notifications(
    session: AsyncSession, page: PageParams, *, provider: str | None
) -> list[GatewayNotification]:
    query = paginate(select(GatewayNotification), GatewayNotification.id, page, provider=provider)
    return list((await session.execute(query)).scalars())


async def payment_of_trade(session: AsyncSession, source: str, transaction_id: str) -> UUID | None:
    """The payment already booked for a gateway's transaction: the one its notification made (external_id), else
    the one a gateway bill's line for it (the line's bank_reference) became; one query, each half by index."""
    notified = select(Payment.id, literal(0).label("rank")).where(
        Payment.source == source, Payment.external_id == transaction_id
    )
    billed = (
        select(Payment.id, literal(1).label("rank"))
        .join(StatementLine, StatementLine.payment_id == Payment.id)
        .where(
            StatementLine.bank_reference == transaction_id,
            StatementLine.direction == "credit",
            StatementLine.reversal.is_(False),
            Payment.source == source,
        )
    )
    both = union_all(notified, billed).subquery()
    return await session.scalar(select(both.c.id).order_by(both.c.rank, both.c.id).limit(1))


async def set_outcome(session: AsyncSession, notification_id: UUID, outcome: str, payment_id: UUID | None) -> None:
    await session.execute(
        update(GatewayNotification)
        .where(GatewayNotification.id == notification_id)
        .values(outcome=outcome, payment_id=payment_id)
    )
