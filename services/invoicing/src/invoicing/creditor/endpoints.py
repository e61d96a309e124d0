"""Creditor endpoints (thin: parse, call the service, shape)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.service import ClockDep, SessionDep
from invoicing.config import InvoicingSettings
from invoicing.creditor import service
from invoicing.creditor.schemas import CreditorIn, CreditorOut
from invoicing.deps import Admin, Reader
from invoicing.models import CreditorRecord

router = APIRouter()


def creditor_out(record: CreditorRecord | None, settings: InvoicingSettings) -> CreditorOut:
    creditor = settings.creditor(service.as_creditor(record))  # 409 while neither is set nor the demo allowed
    source: Literal["api", "settings", "demo"] = (
        "api" if record is not None else "demo" if creditor.demo else "settings"
    )
    return CreditorOut(
        **{name: getattr(creditor, name) for name in service.FIELDS},
        hosted_partial_payment_minimum=service.minimum_of(record),
        demo=creditor.demo,
        source=source,
        revision=record.revision if record else None,
        updated_at=record.updated_at if record else None,
        updated_by=record.updated_by if record else None,
    )


@router.get(
    "/creditor",
    response_model=CreditorOut,
    tags=["creditor"],
    summary="The creditor every invoice, statement and letter is from, and where customers pay",
)
async def get_creditor(request: Request, session: SessionDep, _: Reader) -> CreditorOut:
    return creditor_out(await service.stored_record(session), request.app.state.settings)


@router.put(
    "/creditor",
    dependencies=[IDEMPOTENT],
    response_model=CreditorOut,
    tags=["creditor"],
    summary="Set the creditor (all of it); dunning's letters follow (CreditorUpdated)",
)
async def put_creditor(
    body: CreditorIn, request: Request, session: SessionDep, clock: ClockDep, who: Admin
) -> JSONResponse:
    async def put() -> CreditorOut:
        record = await service.set_creditor(session, actor=who, clock=clock, data=body)
        return creditor_out(record, request.app.state.settings)

    return await idempotent(request, session, who, body, put, status_code=200)
