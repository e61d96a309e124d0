"""SQL of promises to pay."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from dunning.models import PromiseToPay


async def open_promises(session: AsyncSession, case_id: UUID, *, for_update: bool = False) -> list[PromiseToPay]:
    query = (
        select(PromiseToPay)
        .where(PromiseToPay.case_id == case_id, PromiseToPay.status == "open")
        .order_by(PromiseToPay.promised_date, PromiseToPay.id)
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def list_promises(
    session: AsyncSession, page: PageParams, *, case_id: UUID | None, customer_id: UUID | None, status: str | None
) -> list[PromiseToPay]:
    query = paginate(
        select(PromiseToPay), PromiseToPay.id, page, case_id=case_id, customer_id=customer_id, status=status
    )
    return list((await session.execute(query)).scalars())


async def case_promises(session: AsyncSession, case_id: UUID) -> list[PromiseToPay]:
    query = select(PromiseToPay).where(PromiseToPay.case_id == case_id).order_by(PromiseToPay.id)
    return list((await session.execute(query)).scalars())
