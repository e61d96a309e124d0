"""REST endpoints of collectors' tasks."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from dunning.deps import Paging, Reader, Writer
from dunning.models import DunningTask
from dunning.tasks import repository, service
from dunning.tasks.errors import TaskNotFound
from dunning.tasks.schemas import TaskAssignIn, TaskCompleteIn, TaskOut, TaskStatus

router = APIRouter()


def task_out(task: DunningTask) -> TaskOut:
    return TaskOut.model_validate({c.key: getattr(task, c.key) for c in DunningTask.__table__.columns})


@router.get("/tasks", response_model=Page[TaskOut], tags=["tasks"], summary="Collectors' tasks, newest first")
async def list_tasks(
    session: SessionDep,
    principal: Reader,
    page: Paging,
    assignee: Annotated[str | None, Query(description="A collector, or `me` for the caller's API key.")] = None,
    due_on: Annotated[date | None, Query(description="Tasks due on or before this day (a collector's day).")] = None,
    status: TaskStatus | None = None,
    case_id: UUID | None = None,
    customer_id: UUID | None = None,
) -> Page[TaskOut]:
    tasks = await repository.list_tasks(
        session,
        page,
        assignee=principal.name if assignee == "me" else assignee,
        due_on=due_on,
        status=status,
        case_id=case_id,
        customer_id=customer_id,
    )
    return make_page([task_out(t) for t in tasks], page)


async def _locked_task(session: AsyncSession, task_id: UUID) -> DunningTask:
    task = await repository.get_task(session, task_id, for_update=True)
    if task is None:
        raise TaskNotFound(f"There is no task {task_id}.", detail_zh=f"任务 {task_id} 不存在。")
    return task


@router.post("/tasks/{task_id}/assign", response_model=TaskOut, tags=["tasks"], summary="Assign a task")
async def assign_task(task_id: UUID, body: TaskAssignIn, session: SessionDep, principal: Writer) -> TaskOut:
    task = await _locked_task(session, task_id)
    await service.assign_task(session, actor=principal, task=task, assignee=body.assignee)
    return task_out(task)


@router.post(
    "/tasks/{task_id}/complete", response_model=TaskOut, tags=["tasks"], summary="Complete a task with its outcome"
)
async def complete_task(
    task_id: UUID, body: TaskCompleteIn, session: SessionDep, clock: ClockDep, principal: Writer
) -> TaskOut:
    task = await _locked_task(session, task_id)
    await service.complete_task(
        session,
        actor=principal,
        clock=clock,
        task=task,
        outcome=body.outcome,
        operator=body.operator or principal.name,
        note=body.note,
        promised_date=body.promised_date,
        promised_amount=body.promised_amount,
        disputed_invoice_ids=body.disputed_invoice_ids,
    )
    return task_out(task)
