"""待核对: the payments reconciliation could not place, with its ranked suggestions; confirming one in one key press.

The queue and the suggestions are reconciliation's (GET /review-queue); the console
adds only the customers' names (one read per customer suggested, at once) and the
keys: each suggestion's button answers Alt+1..3 (the browser's accesskey), the first
payment's best suggestion has the focus, Tab walks the rest in order.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from console.backend import Problem
from console.web import backend_of, form_with_csrf, is_htmx, language, redirect, render, session_of, signed_in

router = APIRouter()
PAGE_SIZE = 20


@router.get("/review", include_in_schema=False)
async def review_queue(
    request: Request, after: UUID | None = Query(None), limit: int = Query(PAGE_SIZE, ge=1, le=100)
) -> Response:
    signed_in(request)
    backend, session, lang = backend_of(request), session_of(request), language(request)
    params: dict[str, Any] = {"limit": limit}
    if after:
        params["starting_after"] = str(after)
    reading = await backend.read(session, "reconciliation", "/review-queue", language=lang, params=params)
    if not reading.ok:
        return render(request, "review.html", status_code=502, payments=[], names={}, failed=True, after=after)
    payments = reading.body["data"]
    suggested = sorted({s["customer_id"] for p in payments for s in p["suggestions"]})
    await backend.fresh(session)
    found = await asyncio.gather(
        *(backend.read(session, "invoicing", f"/customers/{c}", language=lang) for c in suggested)
    )
    names = {c: r.body["legal_name"] for c, r in zip(suggested, found, strict=True) if r.ok}
    return render(
        request,
        "review.html",
        payments=payments,
        names=names,
        next_cursor=reading.body.get("next_cursor") if reading.body.get("has_more") else None,
        after=after,
        limit=limit if limit != PAGE_SIZE else None,
    )


@router.post("/review/{payment_id}/confirm", include_in_schema=False)
async def confirm(payment_id: UUID, request: Request) -> Response:
    """Reconciliation applies the suggestion of that rank (and learns the payer's account)."""
    form = await form_with_csrf(request)
    signed_in(request)
    try:
        rank = int(form.get("rank", ""))
    except ValueError:
        rank = 0
    response = await backend_of(request).call(
        session_of(request),
        "POST",
        "reconciliation",
        f"/payments/{payment_id}/confirm",
        language=language(request),
        json={"rank": rank},
        idempotent=True,
    )
    error = None if response.status_code == 200 else Problem.of(response).detail
    if is_htmx(request):
        return render(request, "_review_result.html", error=error, payment=response.json() if not error else None)
    if error:
        return render(request, "review.html", status_code=422, payments=[], names={}, error=error, after=None)
    return redirect(request, "/review")


@router.post("/review/{payment_id}/undo", include_in_schema=False)
async def undo(payment_id: UUID, request: Request) -> Response:
    """Reconciliation reverses the match; the money comes back to the queue as a new payment."""
    await form_with_csrf(request)
    signed_in(request)
    response = await backend_of(request).call(
        session_of(request),
        "POST",
        "reconciliation",
        f"/payments/{payment_id}/undo",
        language=language(request),
        idempotent=True,
    )
    error = None if response.status_code == 201 else Problem.of(response).detail
    if is_htmx(request):
        return render(request, "_review_result.html", error=error, undone=response.json() if not error else None)
    if error:
        return render(request, "review.html", status_code=422, payments=[], names={}, error=error, after=None)
    return redirect(request, "/review")
