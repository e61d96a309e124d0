"""SQL of gateway notifications, and the payment a gateway bill's line became."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
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


async def payment_of_bill_trade(session: AsyncSession, source: str, transaction_id: str) -> Payment | None:
    """The payment a gateway bill's line for this transaction (its trade number, the line's bank_reference) became."""
    query = (
        select(Payment)
        .join(StatementLine, StatementLine.payment_id == Payment.id)
        .where(
            StatementLine.bank_reference == transaction_id,
            StatementLine.direction == "credit",
            StatementLine.reversal.is_(False),
            Payment.source == source,
        )
        .order_by(Payment.id)
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()
