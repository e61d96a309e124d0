"""SQL of payment attempts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from reconciliation.models import PaymentAttempt


async def attempt_by_order(session: AsyncSession, provider: str, order_key: str) -> PaymentAttempt | None:
    query = select(PaymentAttempt).where(PaymentAttempt.provider == provider, PaymentAttempt.order_key == order_key)
    return (await session.execute(query)).scalar_one_or_none()


async def get_attempt(session: AsyncSession, attempt_id: UUID, *, for_update: bool = False) -> PaymentAttempt | None:
    query = select(PaymentAttempt).where(PaymentAttempt.id == attempt_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def list_attempts(
    session: AsyncSession, page: PageParams, *, invoice_id: UUID | None, status: str | None
) -> Sequence[PaymentAttempt]:
    query = paginate(select(PaymentAttempt), PaymentAttempt.id, page, invoice_id=invoice_id, status=status)
    return (await session.execute(query)).scalars().all()


async def open_checkout(
    session: AsyncSession, invoice_id: UUID, checkout: str, *, amount: Decimal, after: datetime
) -> PaymentAttempt | None:
    """An open order of this kind for this invoice and amount that is still open after `after`, the newest."""
    query = (
        select(PaymentAttempt)
        .where(
            PaymentAttempt.invoice_id == invoice_id,
            PaymentAttempt.checkout == checkout,
            PaymentAttempt.status == "open",
            PaymentAttempt.amount == amount,
            PaymentAttempt.expires_at > after,
        )
        .order_by(PaymentAttempt.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()
