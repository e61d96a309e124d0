"""报表: aging, DSO and CEI, collection rate, bad debt, portfolio by tier, per-collector results; each as CSV and XLSX.

The figures are the services' report endpoints': invoicing's /reports/aging (its
totals only) and /reports/kpis/monthly (the trend's months in one call), credit-scoring's
/portfolio and dunning's /collector-results, all asked at once as the signed-in person.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from arflow.clock import DEFAULT_TIME_ZONE, local_date
from console import exports, reports
from console.backend import Backend, Reading
from console.i18n import Translator
from console.session import Session
from console.web import backend_of, language, render, session_of, signed_in

router = APIRouter()
MONTHS = 12


async def _tables(
    backend: Backend, session: Session, lang: str, names: tuple[str, ...], as_of: date, months: int
) -> tuple[dict[str, reports.Table], list[str]]:
    """The reports `names` as tables, and the services that did not answer."""
    starts = reports.month_starts(as_of, months)
    calls: dict[str, tuple[str, str, dict[str, Any]]] = {}
    if "aging" in names:
        calls["aging"] = ("invoicing", "/reports/aging", {"as_of": str(as_of), "detail": "totals"})
    if set(names) & set(reports.KPI_COLUMNS):
        calls["kpis"] = ("invoicing", "/reports/kpis/monthly", {"from": str(starts[0]), "to": str(as_of)})
    if "portfolio" in names:
        calls["portfolio"] = ("credit-scoring", "/portfolio", {})
    if "collectors" in names:
        calls["collectors"] = ("dunning", "/collector-results", {"from": str(starts[0]), "to": str(as_of)})
    answers: list[Reading] = await asyncio.gather(
        *(
            backend.read(session, service, path, language=lang, params=params)
            for service, path, params in calls.values()
        )
    )
    read = dict(zip(calls, answers, strict=True))
    failed = sorted({calls[key][0] for key, answer in read.items() if not answer.ok})
    tables: dict[str, reports.Table] = {}
    for name in names:
        if name in reports.KPI_COLUMNS:
            if read["kpis"].ok:
                tables[name] = reports.kpi_table(name, read["kpis"].body)
        elif read[name].ok:
            builder = {
                "aging": reports.aging_table,
                "portfolio": reports.portfolio_table,
                "collectors": reports.collectors_table,
            }[name]
            tables[name] = builder(read[name].body)
    return tables, failed


def _period(request: Request, as_of: date | None) -> date:
    return as_of or local_date(backend_of(request).clock.now(), DEFAULT_TIME_ZONE)


@router.get("/reports", include_in_schema=False)
async def reports_page(
    request: Request, as_of: date | None = Query(None), months: int = Query(MONTHS, ge=1, le=24)
) -> Response:
    signed_in(request)
    backend, session, lang = backend_of(request), session_of(request), language(request)
    day = _period(request, as_of)
    await backend.fresh(session)
    tables, failed = await _tables(backend, session, lang, reports.REPORTS, day, months)
    t = Translator(lang)
    sections = [
        {"name": name, "table": tables[name], "charts": reports.chart_of(tables[name], t)}
        for name in reports.REPORTS
        if name in tables
    ]
    query = f"months={months}" + (f"&as_of={as_of}" if as_of else "")
    return render(request, "reports.html", sections=sections, unavailable=failed, as_of=day, months=months, query=query)


@router.get("/reports/{name}.{kind}", include_in_schema=False)
async def download(
    name: str,
    kind: str,
    request: Request,
    as_of: date | None = Query(None),
    months: int = Query(MONTHS, ge=1, le=24),
) -> Response:
    if name not in reports.REPORTS or kind not in ("csv", "xlsx"):
        raise HTTPException(status_code=404)
    signed_in(request)
    backend, session, lang = backend_of(request), session_of(request), language(request)
    day = _period(request, as_of)
    tables, failed = await _tables(backend, session, lang, (name,), day, months)
    if failed or name not in tables:
        raise HTTPException(status_code=502)
    t = Translator(lang)
    filename = f"{name}-{day}.{kind}"
    if kind == "csv":
        body, media = exports.as_csv(tables[name], t), "text/csv; charset=utf-8"
    else:
        body = exports.as_xlsx(tables[name], t, t(f"report_{name}"))
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
