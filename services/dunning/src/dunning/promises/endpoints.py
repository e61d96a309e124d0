"""REST endpoints of promises to pay."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.money import to_minor_units
from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from dunning.deps import Paging, Reader, Writer
from dunning.lookups import lock_case
from dunning.models import PromiseToPay
from dunning.promises import repository, service
from dunning.promises.schemas import PromiseIn, PromiseOut, PromiseStatus

router = APIRouter()


def promise_out(promise: PromiseToPay) -> PromiseOut:
    fields = {c.key: getattr(promise, c.key) for c in PromiseToPay.__table__.columns}
    for money in ("amount", "owed_at_promise", "amount_received"):
        if fields[money] is not None:
            fields[money] = to_minor_units(fields[money], promise.currency)
    return PromiseOut.model_validate(fields)


@router.post(
    "/cases/{case_id}/promises",
    dependencies=[IDEMPOTENT],
    status_code=201,
    response_model=PromiseOut,
    tags=["pauses"],
    summary="Record a promise to pay (pauses the case until its date)",
)
async def make_promise(
    case_id: UUID, body: PromiseIn, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def create() -> PromiseOut:
        case = await lock_case(session, case_id)
        promise = await service.make_promise(
            session,
            actor=principal,
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
