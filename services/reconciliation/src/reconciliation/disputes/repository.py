"""SQL of disputes."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from reconciliation.models import Dispute


async def get_dispute(session: AsyncSession, dispute_id: UUID, *, for_update: bool = False) -> Dispute | None:
    query = select(Dispute).where(Dispute.id == dispute_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def open_dispute_of(session: AsyncSession, invoice_id: UUID) -> Dispute | None:
    query = select(Dispute).where(Dispute.invoice_id == invoice_id, Dispute.status == "open")
    return (await session.execute(query)).scalar_one_or_none()


async def list_disputes(
    session: AsyncSession,
    page: PageParams,
    *,
    customer_id: UUID | None,
    invoice_id: UUID | None,
    status: str | None,
) -> list[Dispute]:
    query = paginate(select(Dispute), Dispute.id, page, customer_id=customer_id, invoice_id=invoice_id, status=status)
    return list((await session.execute(query)).scalars())
