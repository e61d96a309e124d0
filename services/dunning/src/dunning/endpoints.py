"""REST endpoints of the dunning service (thin: parse, call the service, shape)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal, require_scope
from arflow.idempotency import idempotent
from arflow.money import to_minor_units
from arflow.pagination import Page, PageParams, make_page, page_params
from arflow.problems import NotFound
from arflow.service import ClockDep, SessionDep, settings_of
from dunning import letters, repository, service
from dunning.config import DunningSettings
from dunning.models import (
    CollectionPlan,
    DunningAction,
    DunningCase,
    DunningCaseItem,
    DunningPolicy,
    DunningTask,
    PromiseToPay,
)
from dunning.schemas import (
    ActionOut,
    ActionStatus,
    AssignIn,
    CaseDetailOut,
    CaseItemOut,
    CaseOut,
    CaseStatus,
    DocumentOut,
    DryRunOut,
    HoldIn,
    PlanIn,
    PlanOut,
    PolicyIn,
    PolicyOut,
    PolicyVersionIn,
    PromiseIn,
    PromiseOut,
    PromiseStatus,
    TaskAssignIn,
    TaskCompleteIn,
    TaskOut,
    TaskStatus,
)

router = APIRouter()
Reader = Annotated[Principal, Depends(require_scope("dunning:read"))]
Writer = Annotated[Principal, Depends(require_scope("dunning:write"))]
Admin = Annotated[Principal, Depends(require_scope("dunning:admin"))]
Paging = Annotated[PageParams, Depends(page_params)]
Settings = Annotated[DunningSettings, Depends(settings_of)]


def case_out(case: DunningCase, amount_overdue: Decimal) -> CaseOut:
    fields = {c.key: getattr(case, c.key) for c in DunningCase.__table__.columns}
    return CaseOut.model_validate({**fields, "amount_overdue": to_minor_units(amount_overdue, case.currency)})


def item_out(item: DunningCaseItem) -> CaseItemOut:
    fields = {c.key: getattr(item, c.key) for c in DunningCaseItem.__table__.columns}
    return CaseItemOut.model_validate({**fields, "amount_due": to_minor_units(item.amount_due, item.currency)})


def action_out(action: DunningAction) -> ActionOut:
    fields = {c.key: getattr(action, c.key) for c in DunningAction.__table__.columns}
    return ActionOut.model_validate(
        {**fields, "amount_overdue": to_minor_units(action.amount_overdue, action.currency)}
    )


@router.get("/cases", response_model=Page[CaseOut], tags=["cases"], summary="List dunning cases, newest first")
async def list_cases(
    session: SessionDep,
    _: Reader,
    page: Paging,
    customer_id: UUID | None = None,
    status: CaseStatus | None = None,
    level: Annotated[int | None, Query(ge=0, le=10)] = None,
    collector: str | None = None,
    min_amount: Annotated[Decimal | None, Query(ge=0, lt=10**15, description="Overdue at least this.")] = None,
) -> Page[CaseOut]:
    cases = await repository.list_cases(
        session, page, customer_id=customer_id, status=status, level=level, collector=collector, min_amount=min_amount
    )
    amounts = await repository.amounts_overdue(session, [c.id for c in cases])
    return make_page([case_out(c, amounts.get(c.id, Decimal(0))) for c in cases], page)


@router.get(
    "/cases/{case_id}", response_model=CaseDetailOut, tags=["cases"], summary="A case with its items and action log"
)
async def get_case(case_id: UUID, session: SessionDep, _: Reader) -> CaseDetailOut:
    case = await service.require_case(session, case_id)
    items = await repository.case_items(session, case.id)
    actions = await repository.case_actions(session, case.id)
    amount = sum((i.amount_due for i in items if i.status == "open"), Decimal(0))
    return CaseDetailOut.model_validate(
        {
            **case_out(case, amount).model_dump(),
            "items": [item_out(i) for i in items],
            "actions": [action_out(a) for a in actions],
            "tasks": [task_out(t) for t in await repository.case_tasks(session, case.id)],
            "promises": [promise_out(p) for p in await repository.case_promises(session, case.id)],
        }
    )


@router.get("/actions", response_model=Page[ActionOut], tags=["actions"], summary="The action log, newest first")
async def list_actions(
    session: SessionDep,
    _: Reader,
    page: Paging,
    customer_id: UUID | None = None,
    case_id: UUID | None = None,
    status: ActionStatus | None = None,
) -> Page[ActionOut]:
    actions = await repository.list_actions(session, page, customer_id=customer_id, case_id=case_id, status=status)
    return make_page([action_out(a) for a in actions], page)


# --- policies --------------------------------------------------------------------------


async def policy_out(session: AsyncSession, policy: DunningPolicy, versions: list[int] | None = None) -> PolicyOut:
    if versions is None:
        versions = [p.version for p in await repository.policy_versions(session, policy.code)]
    fields = {c.key: getattr(policy, c.key) for c in DunningPolicy.__table__.columns}
    if policy.min_amount is not None:
        fields["min_amount"] = policy.min_amount.normalize()  # no currency: shown as entered, "100000"
    return PolicyOut.model_validate({**fields, "versions": versions})


@router.get("/policies", response_model=dict[str, list[PolicyOut]], tags=["policies"], summary="Policies in force")
async def list_policies(session: SessionDep, _: Reader, include_retired: bool = False) -> dict[str, list[PolicyOut]]:
    policies = await repository.latest_policies(session, active_only=not include_retired)
    return {"data": [await policy_out(session, p) for p in policies]}


@router.post("/policies", status_code=201, response_model=PolicyOut, tags=["policies"], summary="Create a policy")
async def create_policy(
    body: PolicyIn, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def create() -> PolicyOut:
        values = body.model_dump(exclude={"code"}, mode="python")
        policy = await service.create_policy_version(session, clock=clock, code=body.code, values=values, new=True)
        return await policy_out(session, policy)

    response: JSONResponse = await idempotent(request, session, principal, body, create)
    return response


@router.post(
    "/policies/{code}/versions",
    status_code=201,
    response_model=PolicyOut,
    tags=["policies"],
    summary="Publish a new version of a policy (versions are immutable)",
)
async def create_policy_version(
    code: str, body: PolicyVersionIn, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def create() -> PolicyOut:
        values = body.model_dump(mode="python")
        policy = await service.create_policy_version(session, clock=clock, code=code, values=values, new=False)
        return await policy_out(session, policy)

    response: JSONResponse = await idempotent(request, session, principal, body, create)
    return response


@router.get("/policies/{code}", response_model=PolicyOut, tags=["policies"], summary="A policy, latest or one version")
async def get_policy(
    code: str, session: SessionDep, _: Reader, version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
) -> PolicyOut:
    policy, versions = await service.require_policy(session, code, version)
    return await policy_out(session, policy, versions)


@router.delete("/policies/{code}", response_model=PolicyOut, tags=["policies"], summary="Retire a policy")
async def retire_policy(code: str, session: SessionDep, _: Writer) -> PolicyOut:
    await service.require_policy(session, code)
    await repository.retire_policy(session, code)
    policy, versions = await service.require_policy(session, code)
    return await policy_out(session, policy, versions)


# --- dry run ---------------------------------------------------------------------------


@router.get("/dry-run", response_model=DryRunOut, tags=["cases"], summary="What the tick would do, changing nothing")
async def dry_run(
    session: SessionDep,
    clock: ClockDep,
    settings: Settings,
    _: Reader,
    as_of: AwareDatetime | None = None,
    case_id: UUID | None = None,
) -> DryRunOut:
    instant = as_of or clock.now()
    entries = await service.dry_run(session, as_of=instant, settings=settings, case_id=case_id)
    return DryRunOut.model_validate({"as_of": instant, "data": entries})


# --- pauses ----------------------------------------------------------------------------


async def _locked_case(session: AsyncSession, case_id: UUID) -> DunningCase:
    await service.require_case(session, case_id)
    case = await repository.get_case(session, case_id, for_update=True)
    assert case is not None
    return case


async def _case_out(session: AsyncSession, case: DunningCase) -> CaseOut:
    amounts = await repository.amounts_overdue(session, [case.id])
    return case_out(case, amounts.get(case.id, Decimal(0)))


@router.post("/cases/{case_id}/hold", response_model=CaseOut, tags=["pauses"], summary="Put a case on manual hold")
async def hold_case(case_id: UUID, body: HoldIn, session: SessionDep, clock: ClockDep, _: Writer) -> CaseOut:
    case = await _locked_case(session, case_id)
    await service.hold_case(session, clock=clock, case=case, reason=body.reason, until=body.until)
    return await _case_out(session, case)


@router.delete("/cases/{case_id}/hold", response_model=CaseOut, tags=["pauses"], summary="Release a manual hold")
async def release_case(case_id: UUID, session: SessionDep, clock: ClockDep, _: Writer) -> CaseOut:
    case = await _locked_case(session, case_id)
    await service.release_case(session, clock=clock, case=case)
    return await _case_out(session, case)


@router.post("/cases/{case_id}/assign", response_model=CaseOut, tags=["cases"], summary="Give a case to a collector")
async def assign_case(case_id: UUID, body: AssignIn, session: SessionDep, clock: ClockDep, _: Writer) -> CaseOut:
    case = await _locked_case(session, case_id)
    await service.assign_case(session, clock=clock, case=case, collector=body.collector)
    return await _case_out(session, case)


def promise_out(promise: PromiseToPay) -> PromiseOut:
    fields = {c.key: getattr(promise, c.key) for c in PromiseToPay.__table__.columns}
    for money in ("amount", "owed_at_promise", "amount_received"):
        if fields[money] is not None:
            fields[money] = to_minor_units(fields[money], promise.currency)
    return PromiseOut.model_validate(fields)


@router.post(
    "/cases/{case_id}/promises",
    status_code=201,
    response_model=PromiseOut,
    tags=["pauses"],
    summary="Record a promise to pay (pauses the case until its date)",
)
async def make_promise(
    case_id: UUID, body: PromiseIn, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def create() -> PromiseOut:
        case = await _locked_case(session, case_id)
        promise = await service.make_promise(
            session,
            clock=clock,
            case=case,
            amount=body.amount,
            promised_date=body.promised_date,
            made_by=body.made_by or principal.name,
        )
        return promise_out(promise)

    response: JSONResponse = await idempotent(request, session, principal, body, create)
    return response


@router.get("/promises", response_model=Page[PromiseOut], tags=["pauses"], summary="Promises to pay, newest first")
async def list_promises(
    session: SessionDep,
    _: Reader,
    page: Paging,
    case_id: UUID | None = None,
    customer_id: UUID | None = None,
    status: PromiseStatus | None = None,
) -> Page[PromiseOut]:
    promises = await repository.list_promises(session, page, case_id=case_id, customer_id=customer_id, status=status)
    return make_page([promise_out(p) for p in promises], page)


# --- tasks -----------------------------------------------------------------------------


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
        raise NotFound(f"There is no task {task_id}.", code="task_not_found")
    return task


@router.post("/tasks/{task_id}/assign", response_model=TaskOut, tags=["tasks"], summary="Assign a task")
async def assign_task(task_id: UUID, body: TaskAssignIn, session: SessionDep, _: Writer) -> TaskOut:
    task = await _locked_task(session, task_id)
    task.assignee = body.assignee
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
        clock=clock,
        task=task,
        outcome=body.outcome,
        operator=body.operator or principal.name,
        note=body.note,
        promised_date=body.promised_date,
        promised_amount=body.promised_amount,
    )
    return task_out(task)


# --- the action log as CSV, documents ----------------------------------------------------


@router.get(
    "/actions/export",
    tags=["actions"],
    summary="The action log as CSV, oldest first",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_actions(
    session: SessionDep, _: Reader, customer_id: UUID | None = None, case_id: UUID | None = None
) -> Response:
    actions = await repository.export_actions(session, customer_id=customer_id, case_id=case_id)
    return Response(
        "\ufeff" + letters.actions_csv(actions),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="dunning-actions.csv"'},
    )


@router.get(
    "/cases/{case_id}/documents",
    response_model=dict[str, list[DocumentOut]],
    tags=["documents"],
    summary="A case's letters",
)
async def case_documents(case_id: UUID, session: SessionDep, _: Reader) -> dict[str, list[DocumentOut]]:
    await service.require_case(session, case_id)
    documents = await repository.case_documents(session, case_id)
    return {"data": [DocumentOut.model_validate(d, from_attributes=True) for d in documents]}


@router.get(
    "/documents/{document_id}",
    tags=["documents"],
    summary="Download a letter (PDF)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def download_document(document_id: UUID, session: SessionDep, _: Reader) -> Response:
    document = await repository.get_document(session, document_id)
    if document is None:
        raise NotFound(f"There is no document {document_id}.", code="document_not_found")
    return Response(
        document.content,
        media_type=document.media_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.filename)}"},
    )


@router.get(
    "/cases/{case_id}/evidence-pack",
    tags=["documents"],
    summary="The evidence pack of a case (zip: statement PDF, invoices, action log, letters)",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
async def evidence_pack(case_id: UUID, session: SessionDep, _: Reader) -> Response:
    case = await service.require_case(session, case_id)
    pack = await service.build_evidence_pack(session, case=case)
    return Response(
        pack,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="evidence-{case.id}.zip"'},
    )


# --- the monthly collection plan ---------------------------------------------------------

Month = Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


def _month(value: str) -> date:
    return date(int(value[:4]), int(value[5:7]), 1)


def plan_out(plan: CollectionPlan) -> PlanOut:
    return PlanOut.model_validate({c.key: getattr(plan, c.key) for c in CollectionPlan.__table__.columns})


@router.post("/plans", status_code=201, response_model=PlanOut, tags=["plans"], summary="Draw up a month's plan now")
async def build_plan(body: PlanIn, session: SessionDep, clock: ClockDep, settings: Settings, _: Writer) -> PlanOut:
    plan = await service.build_plan(
        session, clock=clock, month=_month(body.month), as_of=body.as_of or clock.now(), settings=settings
    )
    return plan_out(plan)


async def _plan(session: AsyncSession, month: str) -> CollectionPlan:
    plan = await repository.get_plan(session, _month(month))
    if plan is None:
        raise NotFound(f"There is no collection plan for {month}.", code="plan_not_found")
    return plan


@router.get("/plans/{month}", response_model=PlanOut, tags=["plans"], summary="A month's collection plan")
async def get_plan(month: Month, session: SessionDep, _: Reader) -> PlanOut:
    return plan_out(await _plan(session, month))


@router.get(
    "/plans/{month}/csv",
    tags=["plans"],
    summary="A month's collection plan as CSV (one row per planned step)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def get_plan_csv(month: Month, session: SessionDep, _: Reader) -> Response:
    plan = await _plan(session, month)
    return Response(
        "\ufeff" + letters.plan_csv(plan.lines, plan.collectors),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="collection-plan-{month}.csv"'},
    )
