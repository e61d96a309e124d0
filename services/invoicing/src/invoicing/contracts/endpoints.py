"""Service contract endpoints."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from invoicing.contracts import repository, service
from invoicing.contracts.schemas import ContractCancel, ContractCreate, ContractOut
from invoicing.deps import Paging, Reader, Writer
from invoicing.lookups import require_contract
from invoicing.models import ServiceContract

router = APIRouter()


def contract_out(contract: ServiceContract) -> ContractOut:
    return ContractOut.model_validate(contract, from_attributes=True)


@router.post(
    "/contracts",
    dependencies=[IDEMPOTENT],
    status_code=201,
    response_model=ContractOut,
    tags=["contracts"],
    summary="Create a recurring service contract (monthly, quarterly or annual)",
)
async def create_contract(
    body: ContractCreate, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def create() -> ContractOut:
        created = await service.create_contract(
            session,
            actor=principal,
            clock=clock,
            data=body,
            hold_policy=request.app.state.settings.credit_hold_policy,
        )
        return contract_out(created)

    return await idempotent(request, session, principal, body, create)


@router.get("/contracts/{contract_id}", response_model=ContractOut, tags=["contracts"])
async def get_contract(contract_id: UUID, session: SessionDep, _: Reader) -> ContractOut:
    return contract_out(await require_contract(session, contract_id))


@router.get("/contracts", response_model=Page[ContractOut], tags=["contracts"])
async def list_contracts(
    session: SessionDep,
    _: Reader,
    page: Paging,
    customer_id: UUID | None = None,
    status: Literal["active", "paused", "cancelled"] | None = None,
) -> Page[ContractOut]:
    rows = await repository.list_contracts(session, page, customer_id=customer_id, status=status)
    return make_page([contract_out(c) for c in rows], page)


@router.post("/contracts/{contract_id}/pause", response_model=ContractOut, tags=["contracts"])
async def pause_contract(contract_id: UUID, session: SessionDep, clock: ClockDep, principal: Writer) -> ContractOut:
    return contract_out(
        await service.change_contract(session, actor=principal, clock=clock, contract_id=contract_id, action="pause")
    )


@router.post(
    "/contracts/{contract_id}/resume",
    response_model=ContractOut,
    tags=["contracts"],
    summary="Resume billing from today (periods that started while paused are not billed)",
)
async def resume_contract(contract_id: UUID, session: SessionDep, clock: ClockDep, principal: Writer) -> ContractOut:
    return contract_out(
        await service.change_contract(session, actor=principal, clock=clock, contract_id=contract_id, action="resume")
    )


@router.post(
    "/contracts/{contract_id}/cancel",
    response_model=ContractOut,
    tags=["contracts"],
    summary="Cancel: bill the last period up to cancelled_on, credit days already invoiced after it",
)
async def cancel_contract(
    contract_id: UUID, body: ContractCancel, session: SessionDep, clock: ClockDep, principal: Writer
) -> ContractOut:
    contract = await service.change_contract(
        session, actor=principal, clock=clock, contract_id=contract_id, action="cancel", on=body.cancelled_on
    )
    return contract_out(contract)
