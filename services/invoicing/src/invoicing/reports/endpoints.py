"""Statement, aging and KPI endpoints."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import Response

from arflow.clock import DEFAULT_TIME_ZONE, local_date
from arflow.events.catalog import Language
from arflow.money import Currency
from arflow.service import ClockDep, SessionDep
from invoicing.deps import Reader
from invoicing.reports import documents, service
from invoicing.reports.schemas import AgingReportOut, KpiReportOut, StatementOut

router = APIRouter()


@router.get(
    "/customers/{customer_id}/statement",
    response_model=StatementOut,
    tags=["reports"],
    summary="Statement of account (对账单) for a period: JSON, CSV or PDF",
    responses={200: {"content": {"text/csv": {}, "application/pdf": {}}}},
)
async def customer_statement(
    customer_id: UUID,
    session: SessionDep,
    clock: ClockDep,
    _: Reader,
    period_start: Annotated[date, Query(alias="from")],
    period_end: Annotated[date, Query(alias="to")],
    format: Literal["json", "csv", "pdf"] = "json",
    language: Language | None = None,
) -> Any:
    result = await service.statement(
        session, clock=clock, customer_id=customer_id, start=period_start, end=period_end, language=language
    )
    name = f"statement-{period_start}-{period_end}"
    if format == "csv":
        return Response(
            documents.statement_csv(result),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if format == "pdf":
        pdf = await asyncio.to_thread(documents.statement_pdf, result)
        return Response(
            pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}.pdf"'}
        )
    return result


@router.get(
    "/reports/aging",
    response_model=AgingReportOut,
    tags=["reports"],
    summary="AR aging as of a day: per customer and in total, per currency (current, 1-30, 31-60, 61-90, 90+)",
)
async def aging_report(
    session: SessionDep,
    clock: ClockDep,
    _: Reader,
    as_of: date | None = None,
    customer_id: UUID | None = None,
    currency: Currency | None = None,
) -> AgingReportOut:
    day = as_of or local_date(clock.now(), DEFAULT_TIME_ZONE)
    return await service.aging_report(session, as_of=day, customer_id=customer_id, currency=currency)


@router.get(
    "/reports/kpis",
    response_model=KpiReportOut,
    tags=["reports"],
    summary="DSO, best-possible DSO, ADD, CEI, bad-debt and collection rates for a period, per currency",
)
async def kpi_report(
    session: SessionDep,
    _: Reader,
    period_start: Annotated[date, Query(alias="from")],
    period_end: Annotated[date, Query(alias="to")],
    customer_id: UUID | None = None,
    currency: Currency | None = None,
) -> KpiReportOut:
    return await service.kpi_report(
        session, start=period_start, end=period_end, customer_id=customer_id, currency=currency
    )
