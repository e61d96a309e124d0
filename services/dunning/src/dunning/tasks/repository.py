"""SQL of collectors' tasks."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.db import rows_changed
from arflow.ids import uuid7
from arflow.pagination import PageParams, paginate
from dunning.models import DunningAction, DunningCase, DunningTask


async def get_task(session: AsyncSession, task_id: UUID, *, for_update: bool = False) -> DunningTask | None:
    query = select(DunningTask).where(DunningTask.id == task_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def list_tasks(
    session: AsyncSession,
    page: PageParams,
    *,
    assignee: str | None,
    due_on: date | None,
    status: str | None,
    case_id: UUID | None,
    customer_id: UUID | None,
) -> list[DunningTask]:
    query = paginate(
        select(DunningTask),
        DunningTask.id,
        page,
        assignee=assignee or None,
        status=status,
        case_id=case_id,
        customer_id=customer_id,
    )
    if due_on:
        query = query.where(DunningTask.due_date <= due_on)
    return list((await session.execute(query)).scalars())


async def cancel_open_tasks(session: AsyncSession, case_id: UUID, *, now: datetime) -> int:
    result = await session.execute(
        update(DunningTask)
        .where(DunningTask.case_id == case_id, DunningTask.status == "open")
        .values(status="cancelled", completed_at=now)
    )
    return rows_changed(result)


async def case_tasks(session: AsyncSession, case_id: UUID) -> list[DunningTask]:
    query = select(DunningTask).where(DunningTask.case_id == case_id).order_by(DunningTask.id)
    return list((await session.execute(query)).scalars())


async def add_task(
    session: AsyncSession, *, case: DunningCase, action: DunningAction, kind: str, due: date, at: datetime
) -> DunningTask:
    """Open a collector's task for an action (assigned to the case's collector)."""
    task = DunningTask(
        id=uuid7(),
        case_id=case.id,
        customer_id=case.customer_id,
        action_id=action.id,
        kind=kind,
        due_date=due,
        assignee=case.collector,
        status="open",
        created_at=at,
    )
    session.add(task)
    await session.flush()
    return task
