"""REST endpoints of cases: list, read with the timeline, hold, release, assign and reassign, send the next step now."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock
from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.money import to_minor_units
from arflow.pagination import Page, make_page
from arflow.problems import PROBLEM_JSON
from arflow.service import ClockDep, SessionDep
from dunning.actions.endpoints import action_out
from dunning.actions.repository import case_actions
from dunning.cases import repository, service
from dunning.cases.next_step import take_next_step_now
from dunning.cases.schemas import (
    AssignIn,
    CaseDetailOut,
    CaseItemOut,
    CaseOut,
    CaseStatus,
    CaseStepOut,
    HandoverApprovalOut,
    HoldIn,
    NextStepIn,
)
from dunning.collectors.repository import case_assignments
from dunning.collectors.schemas import AssignmentIn
from dunning.collectors.service import assign_by_hand, require_collector
from dunning.deps import Paging, Reader, Settings, Writer
from dunning.ladder.planning import ASK_AGAIN_AFTER_REJECTION
from dunning.ladder.repository import latest_handover_request
from dunning.lookups import case_items, lock_case, require_case
from dunning.models import DunningCase, DunningCaseAssignment, DunningCaseItem
from dunning.promises.endpoints import promise_out
from dunning.promises.repository import case_promises
from dunning.tasks.endpoints import task_out
from dunning.tasks.repository import case_tasks

router = APIRouter()


def case_out(case: DunningCase, amount_overdue: Decimal) -> CaseOut:
    fields = {c.key: getattr(case, c.key) for c in DunningCase.__table__.columns}
    return CaseOut.model_validate({**fields, "amount_overdue": to_minor_units(amount_overdue, case.currency)})


def item_out(item: DunningCaseItem) -> CaseItemOut:
    fields = {c.key: getattr(item, c.key) for c in DunningCaseItem.__table__.columns}
    return CaseItemOut.model_validate({**fields, "amount_due": to_minor_units(item.amount_due, item.currency)})


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
    unassigned: Annotated[bool, Query(description="Only the cases no collector holds.")] = False,
) -> Page[CaseOut]:
    cases = await repository.list_cases(
        session,
        page,
        customer_id=customer_id,
        status=status,
        level=level,
        collector=collector,
        min_amount=min_amount,
        unassigned=unassigned,
    )
    amounts = await repository.amounts_overdue(session, [c.id for c in cases])
    return make_page([case_out(c, amounts.get(c.id, Decimal(0))) for c in cases], page)


@router.get(
    "/cases/{case_id}", response_model=CaseDetailOut, tags=["cases"], summary="A case with its items and action log"
)
async def get_case(case_id: UUID, session: SessionDep, clock: ClockDep, _: Reader) -> CaseDetailOut:
    case = await require_case(session, case_id)
    items = await case_items(session, case.id)
    actions = await case_actions(session, case.id)
    amount = sum((i.amount_due for i in items if i.status == "open"), Decimal(0))
    handover = await _handover_approval(session, case.id, clock)
    return CaseDetailOut.model_validate(
        {
            **case_out(case, amount).model_dump(),
            "items": [item_out(i) for i in items],
            "actions": [action_out(a) for a in actions],
            "tasks": [task_out(t) for t in await case_tasks(session, case.id)],
            "promises": [promise_out(p) for p in await case_promises(session, case.id)],
            "assignments": [
                {c.key: getattr(a, c.key) for c in DunningCaseAssignment.__table__.columns}
                for a in await case_assignments(session, case.id)
            ],
            "awaiting_approval": handover is not None and handover.status == "pending",
            "handover_approval": handover,
        }
    )


async def _handover_approval(session: AsyncSession, case_id: UUID, clock: Clock) -> HandoverApprovalOut | None:
    """The case's latest legal handover asked of a second person, expired once past its expiry (as /approvals)."""
    row = await latest_handover_request(session, case_id)
    if row is None:
        return None
    found: dict[str, Any] = dict(row._mapping)
    status = found["status"]
    if status == "pending" and found["expires_at"] <= clock.now():
        status = "expired"
    rejected_at = found["decided_at"] if status == "rejected" else None
    return HandoverApprovalOut.model_validate(
        {
            **found,
            "step": found["request"].get("step", ""),
            "status": status,
            "amount": to_minor_units(found["amount"], found["currency"]) if found["amount"] is not None else None,
            "ask_again_after": rejected_at + ASK_AGAIN_AFTER_REJECTION if rejected_at else None,
        }
    )


async def _case_out(session: AsyncSession, case: DunningCase) -> CaseOut:
    amounts = await repository.amounts_overdue(session, [case.id])
    return case_out(case, amounts.get(case.id, Decimal(0)))


@router.post("/cases/{case_id}/hold", response_model=CaseOut, tags=["pauses"], summary="Put a case on manual hold")
async def hold_case(case_id: UUID, body: HoldIn, session: SessionDep, clock: ClockDep, principal: Writer) -> CaseOut:
    case = await lock_case(session, case_id)
    await service.hold_case(session, actor=principal, clock=clock, case=case, reason=body.reason, until=body.until)
    return await _case_out(session, case)


@router.delete("/cases/{case_id}/hold", response_model=CaseOut, tags=["pauses"], summary="Release a manual hold")
async def release_case(case_id: UUID, session: SessionDep, clock: ClockDep, principal: Writer) -> CaseOut:
    case = await lock_case(session, case_id)
    await service.release_case(session, actor=principal, clock=clock, case=case)
    return await _case_out(session, case)


@router.post(
    "/cases/{case_id}/assignment",
    response_model=CaseOut,
    tags=["cases"],
    summary="Reassign a case to a collector by hand, with the reason",
    description="The collector must exist and be active; the case's open tasks that were its previous collector's "
    "(or nobody's) go along. The change is appended to the case's assignment history (`GET /cases/{id}`).",
)
async def reassign_case(
    case_id: UUID, body: AssignmentIn, session: SessionDep, clock: ClockDep, principal: Writer
) -> CaseOut:
    case = await lock_case(session, case_id)
    collector = await require_collector(session, body.collector)
    await assign_by_hand(session, actor=principal, clock=clock, case=case, collector=collector, reason=body.reason)
    return await _case_out(session, case)


@router.post(
    "/cases/{case_id}/assign",
    response_model=CaseOut,
    tags=["cases"],
    summary="Give a case to a collector by name (older; prefer /assignment)",
    deprecated=True,
)
async def assign_case(
    case_id: UUID, body: AssignIn, session: SessionDep, clock: ClockDep, principal: Writer
) -> CaseOut:
    case = await lock_case(session, case_id)
    await service.assign_case(session, actor=principal, clock=clock, case=case, collector=body.collector)
    return await _case_out(session, case)


NEXT_STEP = (
    "Takes the case's next ladder step (the first not yet taken, due or still to come) now instead of on its "
    "day, exactly as the tick takes it: the same action log entry, templates, channel, sender, letter, "
    "collector's task, escalation and events. The step then counts as taken, so no tick sends it again; the "
    "later steps keep their own days (the minimum gap between contacts counts from now). Every rule of the "
    "tick but the step's day still applies: 409 `case_not_open` (resolved), `case_paused` (`reason`: "
    "`manual_hold`, `dispute`, `payment_plan`, `promise_to_pay`, `unmatched_payment`, `legal_handover`, "
    "`customer_excluded`), `no_next_step` (ladder done, or none applies), `step_needs_approval` (a legal "
    "handover a second person approves: it goes through `/approvals`), `contact_not_allowed` (`reason`: "
    "`minimum_gap`, `quiet_hours`, `weekend`; `not_before` when known), `step_blocked` (`below_minimum_amount`, "
    "`creditor_not_configured`), `next_step_changed` (the `step` named is no longer the next). Audited as the "
    "caller's, reason code `step_now` with the reason as comment."
)


@router.post(
    "/cases/{case_id}/steps/next",
    dependencies=[IDEMPOTENT],
    response_model=CaseStepOut,
    tags=["cases"],
    summary="Send the case's next ladder step now, instead of waiting for its day",
    description=NEXT_STEP,
    responses={
        409: {
            "description": "`case_not_open`, `case_paused`, `no_next_step`, `step_needs_approval`, "
            "`contact_not_allowed`, `step_blocked` or `next_step_changed`: nothing was sent",
            "content": {PROBLEM_JSON: {}},
        }
    },
)
async def take_next_step(
    case_id: UUID,
    body: NextStepIn,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: Settings,
    principal: Writer,
) -> JSONResponse:
    async def take() -> CaseStepOut:
        case = await lock_case(session, case_id)
        action, _ = await take_next_step_now(
            session,
            actor=principal,
            clock=clock,
            case=case,
            settings=settings,
            reason=body.reason,
            expected_step=body.step,
        )
        await session.flush()
        shown = await _case_out(session, case)
        due_on = date.fromisoformat(action.details["taken_now"]["due_on"])
        return CaseStepOut.model_validate({**shown.model_dump(), "step_taken": action_out(action), "due_on": due_on})

    response: JSONResponse = await idempotent(request, session, principal, body, take, status_code=200)
    return response
