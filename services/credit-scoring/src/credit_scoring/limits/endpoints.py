"""Credit-limit endpoints (thin: parse, call the service, shape)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arflow.approvals.api import ApprovalOut
from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.money import to_minor_units
from arflow.service import ClockDep, SessionDep
from credit_scoring.deps import Reader, Writer
from credit_scoring.files.endpoints import limit_basis_out
from credit_scoring.limits import service
from credit_scoring.limits.approvals import awaiting_approval
from credit_scoring.limits.schemas import LimitOut, LimitOverrideIn
from credit_scoring.models import CreditLimit

router = APIRouter()


def limit_out(row: CreditLimit) -> LimitOut:
    currency = row.currency
    return LimitOut(
        customer_id=row.customer_id,
        currency=currency,
        limit=to_minor_units(row.effective, currency),
        recommended=to_minor_units(row.recommended, currency),
        override_amount=to_minor_units(row.override_amount, currency) if row.override_amount is not None else None,
        override_reason=row.override_reason,
        override_expires_on=row.override_expires_on,
        override_by=row.override_by,
        exposure=to_minor_units(row.exposure, currency),
        utilisation=row.utilisation,
        basis=limit_basis_out(row.basis, currency),
        updated_at=row.updated_at,
    )


@router.get(
    "/credit-files/{customer_id}/limit",
    response_model=LimitOut,
    tags=["limits"],
    summary="The customer's credit limit, recommended and effective, with exposure and utilisation",
)
async def get_limit(customer_id: UUID, session: SessionDep, _: Reader) -> LimitOut:
    return limit_out(await service.credit_limit(session, customer_id=customer_id))


@router.post(
    "/credit-files/{customer_id}/limit/override",
    dependencies=[IDEMPOTENT],
    response_model=LimitOut,
    status_code=201,
    tags=["limits"],
    summary="Set a manual credit limit with a reason and an expiry (Idempotency-Key honoured)",
    responses={
        202: {
            "model": ApprovalOut,
            "description": "Over the credit_limit.override policy's threshold above the recommended limit: "
            "the manual limit waits for a second person.",
        }
    },
)
async def override_limit(
    customer_id: UUID, body: LimitOverrideIn, request: Request, session: SessionDep, clock: ClockDep, who: Writer
) -> JSONResponse:
    pending = await awaiting_approval(request, session, clock=clock, principal=who, customer_id=customer_id, body=body)
    if pending is not None:
        return pending

    async def create() -> LimitOut:
        row = await service.override_limit(
            session,
            clock=clock,
            customer_id=customer_id,
            amount=body.amount,
            currency=body.currency,
            reason=body.reason,
            expires_on=body.expires_on,
            actor=who,
        )
        return limit_out(row)

    response: JSONResponse = await idempotent(request, session, who, body, create)
    return response


@router.delete(
    "/credit-files/{customer_id}/limit/override",
    dependencies=[IDEMPOTENT],
    response_model=LimitOut,
    tags=["limits"],
    summary="Lift the manual credit limit now; the recommended limit stands again (Idempotency-Key honoured)",
)
async def lift_override(
    customer_id: UUID, request: Request, session: SessionDep, clock: ClockDep, who: Writer
) -> JSONResponse:
    async def lift() -> LimitOut:
        return limit_out(await service.lift_override(session, clock=clock, customer_id=customer_id, actor=who))

    # A retried lift answers as the first did instead of 404 override_not_found.
    response: JSONResponse = await idempotent(request, session, who, None, lift, status_code=200)
    return response
