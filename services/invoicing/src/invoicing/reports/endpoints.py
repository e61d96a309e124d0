"""Statement, aging and KPI endpoints."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import DEFAULT_TIME_ZONE, local_date
from arflow.events.catalog import Language
from arflow.money import Currency
from arflow.negotiation import chosen_format
from arflow.problems import PROBLEM_JSON
from arflow.service import ClockDep, SessionDep
from invoicing.config import InvoicingSettings
from invoicing.creditor.service import creditor_in_force
from invoicing.deps import Reader
from invoicing.lookups import require_customer
from invoicing.reports import documents, service
from invoicing.reports.schemas import AgingReportOut, KpiReportOut, StatementOut

router = APIRouter()

STATEMENT_FORMATS = {"application/json": "json", "text/csv": "csv", "application/pdf": "pdf"}


@router.get(
    "/customers/{customer_id}/statement",
    response_model=StatementOut,
    tags=["reports"],
    summary="Statement of account (对账单) for a period: JSON, CSV or PDF",
    description="The format is `?format=` when given, otherwise what the `Accept` header prefers (JSON by default). "
    "The PDF is the document sent to the customer, under the creditor's letterhead and with a confirmation slip "
    "(对账确认函) to return; it is refused (409 `creditor_not_configured`) while the creditor is not set. JSON and "
    "CSV are data for the operator's own tools and carry no creditor or payee details.",
    responses={
        200: {"content": {"text/csv": {}, "application/pdf": {}}},
        406: {"description": "`not_acceptable`: Accept names none of JSON, CSV, PDF", "content": {PROBLEM_JSON: {}}},
        **documents.CREDITOR_NOT_CONFIGURED,
    },
)
async def customer_statement(
    customer_id: UUID,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    _: Reader,
    period_start: Annotated[date, Query(alias="from")],
    period_end: Annotated[date, Query(alias="to")],
    format: Literal["json", "csv", "pdf"] | None = None,
    language: Language | None = None,
) -> Any:
    wanted = format or chosen_format(request.headers.get("accept"), STATEMENT_FORMATS, default="json")
    settings: InvoicingSettings = request.app.state.settings
    # Before any work: a statement that would go out without the creditor's payee details is refused.
    creditor = await creditor_in_force(session, settings) if wanted == "pdf" else None
    result = await service.statement(
        session, clock=clock, customer_id=customer_id, start=period_start, end=period_end, language=language
    )
    name = f"statement-{period_start}-{period_end}"
    if wanted == "csv":
        return Response(
            documents.statement_csv(result),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if creditor is not None:  # the PDF was asked for
        customer = await require_customer(session, customer_id)
        pdf = await asyncio.to_thread(
            documents.statement_pdf,
            result,
            creditor=creditor,
            customer_uscc=customer.unified_social_credit_code,
        )
        return Response(
            pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}.pdf"'}
        )
    return result


@router.get(
    "/reports/aging",
    response_model=AgingReportOut,
    tags=["reports"],
    summary="AR aging as of a day: per customer and in total, per currency (current, 1-30, 31-60, 61-90, 90+)",
    description="`detail=totals` answers the totals only (`customers` empty): what a dashboard needs, without a row "
    "per customer.",
)
async def aging_report(
    session: SessionDep,
    clock: ClockDep,
    _: Reader,
    as_of: date | None = None,
    customer_id: UUID | None = None,
    currency: Currency | None = None,
    detail: Literal["customers", "totals"] = "customers",
) -> AgingReportOut:
    day = as_of or local_date(clock.now(), DEFAULT_TIME_ZONE)
    await _without_jit(session)
    return await service.aging_report(
        session, as_of=day, customer_id=customer_id, currency=currency, per_customer=detail == "customers"
    )


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


@router.get(
    "/reports/kpis/monthly",
    response_model=KpiReportOut,
    tags=["reports"],
    summary="The KPIs of /reports/kpis for each calendar month from `from` to `to`, in one call",
    description="One entry per month and currency, oldest first; the first month starts at `from`, the last ends at "
    "`to` (at most 60 months). Each month's figures are those `/reports/kpis` gives for it.",
)
async def monthly_kpi_report(
    session: SessionDep,
    _: Reader,
    period_start: Annotated[date, Query(alias="from")],
    period_end: Annotated[date, Query(alias="to")],
    customer_id: UUID | None = None,
    currency: Currency | None = None,
) -> KpiReportOut:
    await _without_jit(session)
    return await service.monthly_kpi_report(
        session, start=period_start, end=period_end, customer_id=customer_id, currency=currency
    )


async def _without_jit(session: AsyncSession) -> None:
    """No JIT for this request's report: at 100,000 invoices the plans' cost estimates pass jit_above_cost (the
    void's date is a subquery per row, the ledger a UNION ALL), and compiling took longer (0.6 s) than running.

    And a plan made for this request's own values, never the prepared statement's generic one: the customer
    and currency filters are `NULL or equal`, which only a plan that knows the values can drop, and the
    generic plan PostgreSQL settles on after five runs of the statement on a connection took twice the CPU
    (the monthly KPIs at 100,000 invoices: 350 ms against 150 ms; planning again costs a few ms)."""
    await session.execute(
        text("SELECT set_config('jit', 'off', true), set_config('plan_cache_mode', 'force_custom_plan', true)")
    )
