"""今日工作: the signed-in collector's ranked worklist from dunning, holding a case from it (sending its next step
now is casework.py's)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from console.backend import Problem
from console.i18n import Translator
from console.web import backend_of, form_with_csrf, is_htmx, language, redirect, render, session_of, signed_in
from console.wording import reason_step

router = APIRouter()
PAGE_SIZE = 20


@router.get("/worklist", include_in_schema=False)
async def worklist(
    request: Request, after: UUID | None = Query(None), limit: int = Query(PAGE_SIZE, ge=1, le=100)
) -> Response:
    signed_in(request)
    params: dict[str, Any] = {"limit": limit}
    if after:
        params["starting_after"] = str(after)
    response = await backend_of(request).call(
        session_of(request), "GET", "dunning", "/worklist", language=language(request), params=params
    )
    t = Translator(language(request))
    if response.status_code == 404:  # collector_not_found: this person is no collector (yet)
        return render(request, "worklist.html", items=[], notice=t("not_a_collector"), after=after)
    if response.status_code != 200:
        problem = Problem.of(response)
        return render(request, "worklist.html", status_code=502, items=[], error=problem.detail, after=after)
    page = response.json()
    for item in page["data"]:  # the step a one-click "send now" names (dunning refuses it if it has changed)
        item["next_step"] = next((found for r in item["reasons"] if (found := reason_step(r))), None)
    return render(
        request,
        "worklist.html",
        items=page["data"],
        next_cursor=page.get("next_cursor") if page.get("has_more") else None,
        after=after,
        limit=limit if limit != PAGE_SIZE else None,
    )


@router.post("/worklist/{case_id}/hold", include_in_schema=False)
async def hold_case(case_id: UUID, request: Request) -> Response:
    """One click: dunning puts the case on manual hold, the reason in the person's language."""
    await form_with_csrf(request)
    signed_in(request)
    t = Translator(language(request))
    response = await backend_of(request).call(
        session_of(request),
        "POST",
        "dunning",
        f"/cases/{case_id}/hold",
        language=language(request),
        json={"reason": t("hold_reason")},
    )
    error = None if response.status_code == 200 else Problem.of(response).detail
    if is_htmx(request):
        return render(request, "_hold_result.html", status_code=200, case_id=case_id, error=error)
    if error:
        return render(request, "worklist.html", status_code=response.status_code, items=[], error=error, after=None)
    return redirect(request, "/worklist")
