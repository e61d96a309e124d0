"""每月催账计划: dunning's collection plan of a month — each case's planned steps and each collector's load."""

from __future__ import annotations

import asyncio
import re

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from arflow.clock import DEFAULT_TIME_ZONE, local_date
from console.backend import Problem, Reading
from console.web import backend_of, form_with_csrf, language, redirect, render, session_of, signed_in

router = APIRouter()
MONTH = re.compile(r"^2\d{3}-(0[1-9]|1[0-2])$")


def _month(request: Request, month: str | None) -> str:
    if month is None:
        return local_date(backend_of(request).clock.now(), DEFAULT_TIME_ZONE).strftime("%Y-%m")
    if not MONTH.match(month):
        raise HTTPException(status_code=404)
    return month


@router.get("/plan", include_in_schema=False)
async def plan_page(request: Request, month: str | None = Query(None, max_length=7)) -> Response:
    signed_in(request)
    chosen = _month(request, month)
    backend, session, lang = backend_of(request), session_of(request), language(request)
    await backend.fresh(session)
    reading, collectors = await asyncio.gather(
        backend.read(session, "dunning", f"/plans/{chosen}", language=lang),
        backend.read(session, "dunning", "/collectors", language=lang, params={"limit": 100}),
    )
    if reading.failed:
        return render(request, "plan.html", status_code=502, month=chosen, plan=None, failed=True)
    names = collector_names(collectors)
    return render(request, "plan.html", month=chosen, plan=reading.body if reading.ok else None, names=names)


def collector_names(reading: Reading) -> dict[str, str]:
    """Each collector's name as dunning has it (李娜), by username: a page names people, not their accounts."""
    if not reading.ok:
        return {}
    return {c["username"]: c["display_name"] for c in reading.body["data"] if c.get("display_name")}


@router.post("/plan", include_in_schema=False)
async def draw_up(request: Request) -> Response:
    """Dunning draws up the month's plan now (a person with dunning:write)."""
    form = await form_with_csrf(request)
    signed_in(request)
    chosen = _month(request, form.get("month"))
    response = await backend_of(request).call(
        session_of(request), "POST", "dunning", "/plans", language=language(request), json={"month": chosen}
    )
    if response.status_code != 201:
        detail = Problem.of(response).detail
        return render(request, "plan.html", status_code=response.status_code, month=chosen, plan=None, error=detail)
    return redirect(request, f"/plan?month={chosen}")


@router.get("/plan/{month}.csv", include_in_schema=False)
async def plan_csv(month: str, request: Request) -> Response:
    signed_in(request)
    chosen = _month(request, month)
    response = await backend_of(request).call(
        session_of(request), "GET", "dunning", f"/plans/{chosen}/csv", language=language(request)
    )
    if response.status_code in (403, 404):
        raise HTTPException(status_code=404)
    if response.status_code != 200:
        raise HTTPException(status_code=502)
    return Response(
        response.content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="collection-plan-{chosen}.csv"'},
    )
