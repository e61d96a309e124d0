"""SQL of service contracts and their billed periods."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from invoicing.models import ContractPeriod, ServiceContract


async def list_contracts(
    session: AsyncSession, page: PageParams, *, customer_id: UUID | None, status: str | None
) -> list[ServiceContract]:
    query = paginate(select(ServiceContract), ServiceContract.id, page, customer_id=customer_id, status=status)
    return list((await session.execute(query)).scalars())


async def billable_contracts(session: AsyncSession) -> list[ServiceContract]:
    """Contracts that may have a period to bill: active, or cancelled (their last, partial period)."""
    query = (
        select(ServiceContract).where(ServiceContract.status.in_(("active", "cancelled"))).order_by(ServiceContract.id)
    )
    return list((await session.execute(query)).scalars())


async def claim_period(
    session: AsyncSession, contract_id: UUID, period_start: date, period_end: date, now: datetime
) -> bool:
    """Record a contract period as billed; False when it already was (by this run, another, or a replica)."""
    claimed = await session.scalar(
        pg_insert(ContractPeriod)
        .values(contract_id=contract_id, period_start=period_start, period_end=period_end, created_at=now)
        .on_conflict_do_nothing()
        .returning(ContractPeriod.period_start)
    )
    return claimed is not None


async def set_period_invoice(session: AsyncSession, contract_id: UUID, period_start: date, invoice_id: UUID) -> None:
    await session.execute(
        update(ContractPeriod)
        .where(ContractPeriod.contract_id == contract_id, ContractPeriod.period_start == period_start)
        .values(invoice_id=invoice_id)
    )


async def billed_periods_ending_after(session: AsyncSession, contract_id: UUID, day: date) -> list[ContractPeriod]:
    """A contract's periods already invoiced whose billed days run past `day`, oldest first."""
    query = (
        select(ContractPeriod)
        .where(
            ContractPeriod.contract_id == contract_id,
            ContractPeriod.period_end > day,
            ContractPeriod.invoice_id.is_not(None),
        )
        .order_by(ContractPeriod.period_start)
    )
    return list((await session.execute(query)).scalars())
