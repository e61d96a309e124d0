"""REST endpoints of the reconciliation service (thin: parse, call the service, shape)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from arflow.auth import Principal, require_scope
from arflow.idempotency import idempotent
from arflow.money import to_minor_units
from arflow.pagination import Page, PageParams, make_page, page_params
from arflow.problems import Unprocessable
from arflow.service import ClockDep, SessionDep
from reconciliation import repository, service
from reconciliation.models import Allocation, Payment
from reconciliation.schemas import AllocationOut, PaymentCreate, PaymentOut, SuggestionOut

router = APIRouter()
Reader = Annotated[Principal, Depends(require_scope("reconciliation:read"))]
Writer = Annotated[Principal, Depends(require_scope("reconciliation:write"))]
Paging = Annotated[PageParams, Depends(page_params)]


def payment_out(payment: Payment, allocations: list[Allocation]) -> PaymentOut:
    currency = payment.currency
    allocated = sum((a.amount for a in allocations), Decimal(0))
    return PaymentOut(
        id=payment.id,
        customer_id=payment.customer_id,
        status=payment.status,
        match_shape=payment.match_shape,
        match_reasons=list(payment.match_reasons or []),
        match_reasons_zh=list(payment.match_reasons_zh or []),
        suggestions=[SuggestionOut.model_validate({**s, "rank": n}) for n, s in enumerate(payment.suggestions or [])],
        external_id=payment.external_id,
        supersedes_payment_id=payment.supersedes_payment_id,
        decided_by=payment.decided_by,
        amount=to_minor_units(payment.amount, currency),
        currency=currency,
        received_on=payment.received_on,
        source=payment.source,
        payer_name=payment.payer_name,
        payer_account=payment.payer_account,
        reference=payment.reference,
        match_confidence=float(payment.match_confidence),
        allocations=[
            AllocationOut(
                invoice_id=a.invoice_id,
                invoice_number=a.invoice_number,
                amount=to_minor_units(a.amount, currency),
                basis=a.basis,
                applied=a.applied_at is not None,
            )
            for a in allocations
        ],
        unallocated=to_minor_units(payment.amount - allocated, currency),
        created_at=payment.created_at,
    )


@router.post(
    "/payments",
    status_code=201,
    response_model=PaymentOut,
    tags=["payments"],
    summary="Enter a payment received; allocations are proposed when not given",
)
async def create_payment(
    body: PaymentCreate, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def create() -> PaymentOut:
        record = await service.receive_payment(session, clock=clock, data=body)
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
        raise Unprocessable("received_from is after received_to.", code="invalid_date_range")
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
