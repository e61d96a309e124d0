"""Alert endpoints (thin: parse, call the service, shape)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from credit_scoring.alerts import service
from credit_scoring.alerts.schemas import AcknowledgeIn, AlertOut
from credit_scoring.deps import AsOf, Paging, Reader, Writer
from credit_scoring.policy import AlertKind

router = APIRouter()


@router.get("/alerts", response_model=Page[AlertOut], tags=["alerts"], summary="Early warnings (预警), newest first")
async def list_alerts(
    session: SessionDep,
    _: Reader,
    page: Paging,
    customer_id: UUID | None = None,
    acknowledged: bool | None = None,
    kind: AlertKind | None = None,
    as_of: AsOf = None,
) -> Page[AlertOut]:
    rows = await service.list_alerts(
        session, page=page, customer_id=customer_id, acknowledged=acknowledged, kind=kind, as_of=as_of
    )
    return make_page([AlertOut.model_validate(r, from_attributes=True) for r in rows], page)


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response_model=AlertOut,
    tags=["alerts"],
    summary="Acknowledge an alert (a repeat keeps the first acknowledgement)",
)
async def acknowledge_alert(
    alert_id: UUID, body: AcknowledgeIn, session: SessionDep, clock: ClockDep, who: Writer
) -> AlertOut:
    row = await service.acknowledge_alert(session, clock=clock, alert_id=alert_id, note=body.note, actor=who)
    return AlertOut.model_validate(row, from_attributes=True)
