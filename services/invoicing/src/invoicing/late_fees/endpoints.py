"""Late-fee endpoints."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.service import ClockDep, SessionDep
from invoicing.deps import Writer
from invoicing.invoices.endpoints import invoice_out
from invoicing.invoices.schemas import InvoiceOut
from invoicing.late_fees import service
from invoicing.late_fees.schemas import LateFeeRequest

router = APIRouter()


@router.post(
    "/invoices/{invoice_id}/late-fees",
    dependencies=[IDEMPOTENT],
    status_code=201,
    response_model=InvoiceOut,
    tags=["invoices"],
    summary="Charge late interest (and the fixed fee) of an overdue invoice as a fee invoice (LateFeeAssessed)",
)
async def assess_late_fee(
    invoice_id: UUID,
    body: LateFeeRequest,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    principal: Writer,
) -> JSONResponse:
    apply_credit = request.app.state.settings.auto_apply_credit

    async def create() -> InvoiceOut:
        fee_invoice = await service.assess_late_fee(
            session, actor=principal, clock=clock, invoice_id=invoice_id, as_of=body.as_of, apply_credit=apply_credit
        )
        return await invoice_out(session, fee_invoice, clock)

    return await idempotent(request, session, principal, body, create)
