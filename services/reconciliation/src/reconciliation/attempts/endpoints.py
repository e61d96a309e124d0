"""REST endpoints of payment attempts (thin: parse, call the service, shape)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from reconciliation.attempts import repository, service
from reconciliation.attempts.schemas import AttemptStatus, PaymentAttemptIn, PaymentAttemptOut, attempt_out
from reconciliation.deps import Paging, Reader, Writer

router = APIRouter()


@router.post(
    "/payment-attempts",
    dependencies=[IDEMPOTENT],
    status_code=201,
    response_model=PaymentAttemptOut,
    tags=["payment attempts"],
    summary="Record a gateway order made for an invoice: its callback then pays that invoice",
)
async def create_attempt(
    body: PaymentAttemptIn, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def create() -> PaymentAttemptOut:
        attempt = await service.create_attempt(
            session, clock=clock, data=body, actor=principal, settings=request.app.state.settings
        )
        return attempt_out(attempt)

    return await idempotent(request, session, principal, body, create)


@router.get("/payment-attempts/{attempt_id}", response_model=PaymentAttemptOut, tags=["payment attempts"])
async def get_attempt(attempt_id: UUID, session: SessionDep, _: Reader) -> PaymentAttemptOut:
    return attempt_out(await service.require_attempt(session, attempt_id))


@router.get(
    "/payment-attempts",
    response_model=Page[PaymentAttemptOut],
    tags=["payment attempts"],
    summary="Payment attempts, newest first",
)
async def list_attempts(
    session: SessionDep, _: Reader, page: Paging, invoice_id: UUID | None = None, status: AttemptStatus | None = None
) -> Page[PaymentAttemptOut]:
    attempts = await repository.list_attempts(session, page, invoice_id=invoice_id, status=status)
    return make_page([attempt_out(a) for a in attempts], page)


@router.post(
    "/payment-attempts/{attempt_id}/close",
    response_model=PaymentAttemptOut,
    tags=["payment attempts"],
    summary="Close an open attempt (its order was closed at the gateway)",
)
async def close_attempt(attempt_id: UUID, session: SessionDep, clock: ClockDep, principal: Writer) -> PaymentAttemptOut:
    return attempt_out(await service.close_attempt(session, clock=clock, attempt_id=attempt_id, actor=principal))
