"""REST endpoints of disputes: a case's disputes, and resolving one dunning recorded."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from dunning.deps import Paging, Reader, Writer
from dunning.disputes import repository, service
from dunning.disputes.schemas import DisputeOut, DisputeResolveIn
from dunning.lookups import lock_case, require_case
from dunning.models import InvoiceDispute

router = APIRouter()


def dispute_out(dispute: InvoiceDispute) -> DisputeOut:
    return DisputeOut.model_validate({c.key: getattr(dispute, c.key) for c in InvoiceDispute.__table__.columns})


@router.get(
    "/cases/{case_id}/disputes",
    response_model=Page[DisputeOut],
    tags=["disputes"],
    summary="Disputes on a case's invoices, newest first",
)
async def list_case_disputes(case_id: UUID, session: SessionDep, _: Reader, page: Paging) -> Page[DisputeOut]:
    case = await require_case(session, case_id)
    disputes = await repository.case_disputes(session, case.id, page)
    return make_page([dispute_out(d) for d in disputes], page, lambda d: d.dispute_id)


@router.post(
    "/cases/{case_id}/disputes/{dispute_id}/resolve",
    response_model=DisputeOut,
    tags=["disputes"],
    summary="Resolve a dispute a collector recorded; its invoice is chased again",
)
async def resolve_dispute(
    case_id: UUID,
    dispute_id: UUID,
    session: SessionDep,
    clock: ClockDep,
    principal: Writer,
    body: DisputeResolveIn | None = None,
) -> DisputeOut:
    case = await lock_case(session, case_id)
    dispute = await service.resolve_dispute(
        session,
        actor=principal,
        clock=clock,
        case=case,
        dispute_id=dispute_id,
        operator=(body.operator if body else None) or principal.name,
    )
    return dispute_out(dispute)
