"""REST endpoints of the dunning service (thin: parse, call the service, shape)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends

from arflow.auth import Principal, require_scope
from arflow.money import to_minor_units
from arflow.pagination import Page, PageParams, make_page, page_params
from arflow.service import SessionDep
from dunning import repository, service
from dunning.models import DunningAction, DunningCase, DunningCaseItem
from dunning.schemas import ActionOut, ActionStatus, CaseDetailOut, CaseItemOut, CaseOut, CaseStatus

router = APIRouter()
Reader = Annotated[Principal, Depends(require_scope("dunning:read"))]
Paging = Annotated[PageParams, Depends(page_params)]


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
) -> Page[CaseOut]:
    cases = await repository.list_cases(session, page, customer_id=customer_id, status=status)
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
