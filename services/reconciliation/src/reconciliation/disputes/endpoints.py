"""REST endpoints of disputes (thin)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.money import to_minor_units
from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from reconciliation.deps import Paging, Reader, Writer
from reconciliation.disputes import repository, service
from reconciliation.disputes.schemas import DisputeCreate, DisputeOut, DisputeResolve
from reconciliation.models import Dispute

router = APIRouter()


def dispute_out(dispute: Dispute) -> DisputeOut:
    return DisputeOut(
        id=dispute.id,
        invoice_id=dispute.invoice_id,
        customer_id=dispute.customer_id,
        invoice_number=dispute.invoice_number,
        amount=to_minor_units(dispute.amount, dispute.currency),
        currency=dispute.currency,
        reason=dispute.reason,
        status=dispute.status,
        resolution=dispute.resolution,
        note=dispute.note,
        opened_by=dispute.opened_by,
        opened_at=dispute.opened_at,
        resolved_at=dispute.resolved_at,
    )


@router.post("/disputes", response_model=DisputeOut, status_code=201, tags=["disputes"], dependencies=[IDEMPOTENT])
async def open_dispute(
    body: DisputeCreate, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def create() -> DisputeOut:
        return dispute_out(await service.open_dispute(session, clock=clock, data=body, actor=principal))

    return await idempotent(request, session, principal, body, create)


@router.get("/disputes", response_model=Page[DisputeOut], tags=["disputes"])
async def list_disputes(
    session: SessionDep,
    _: Reader,
    page: Paging,
    customer_id: UUID | None = None,
    invoice_id: UUID | None = None,
    status: Literal["open", "resolved"] | None = None,
) -> Page[DisputeOut]:
    disputes = await repository.list_disputes(
        session, page, customer_id=customer_id, invoice_id=invoice_id, status=status
    )
    return make_page([dispute_out(d) for d in disputes], page)


@router.get("/disputes/{dispute_id}", response_model=DisputeOut, tags=["disputes"])
async def get_dispute(dispute_id: UUID, session: SessionDep, _: Reader) -> DisputeOut:
    return dispute_out(await service.require_dispute(session, dispute_id))


@router.post("/disputes/{dispute_id}/resolve", response_model=DisputeOut, tags=["disputes"])
async def resolve_dispute(
    dispute_id: UUID, body: DisputeResolve, session: SessionDep, clock: ClockDep, principal: Writer
) -> DisputeOut:
    return dispute_out(
        await service.resolve_dispute(session, clock=clock, dispute_id=dispute_id, data=body, actor=principal)
    )
