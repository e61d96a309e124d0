"""REST endpoints of payments (thin: parse, call the service, shape)."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from reconciliation.deps import Paging, Reader, Writer
from reconciliation.payments import repository, service
from reconciliation.payments.errors import InvalidDateRange
from reconciliation.payments.schemas import PaymentCreate, PaymentOut, payment_out

router = APIRouter()


@router.post(
    "/payments",
    dependencies=[IDEMPOTENT],
    status_code=201,
    response_model=PaymentOut,
    tags=["payments"],
    summary="Enter a payment received; allocations are proposed when not given",
)
async def create_payment(
    body: PaymentCreate, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def create() -> PaymentOut:
        record = await service.receive_payment(session, clock=clock, data=body, actor=principal)
        request.app.state.payments_received.labels("manual").inc()
        return payment_out(record.payment, record.allocations)

    return await idempotent(request, session, principal, body, create)


@router.get("/payments/{payment_id}", response_model=PaymentOut, tags=["payments"])
async def get_payment(payment_id: UUID, session: SessionDep, _: Reader) -> PaymentOut:
    record = await service.require_payment(session, payment_id)
    return payment_out(record.payment, record.allocations)


@router.get("/payments", response_model=Page[PaymentOut], tags=["payments"], summary="List payments, newest first")
async def list_payments(
    session: SessionDep,
    _: Reader,
    page: Paging,
    customer_id: UUID | None = None,
    received_from: date | None = None,
    received_to: date | None = None,
    status: Literal["matched", "unmatched", "reversed", "split"] | None = None,
    source: Literal["manual", "bank_statement", "alipay", "wechat_pay", "stripe", "webhook"] | None = None,
) -> Page[PaymentOut]:
    if received_from and received_to and received_from > received_to:
        raise InvalidDateRange(
            "received_from is after received_to.",
            detail_zh="起始收款日期 received_from 晚于截止日期 received_to。",
        )
    payments = await repository.list_payments(
        session,
        page,
        customer_id=customer_id,
        received_from=received_from,
        received_to=received_to,
        status=status,
        source=source,
    )
    allocations = await repository.allocations_of(session, [p.id for p in payments])
    return make_page([payment_out(p, allocations[p.id]) for p in payments], page)
