"""审批: one inbox of the pending approvals of all five services, approved or rejected where they live."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from console.backend import Backend, Problem
from console.config import SERVICES
from console.i18n import Translator
from console.session import Session
from console.web import backend_of, form_with_csrf, is_htmx, language, redirect, render, session_of, signed_in

router = APIRouter()
# One page of each service's inbox; a finance team with more than this many waiting has a bigger problem.
INBOX_LIMIT = 100


async def _pending(backend: Backend, session: Session, service: str, lang: str) -> list[dict[str, Any]] | None:
    """The service's pending approvals; [] where the person may not read them, None where it did not answer."""
    try:
        response = await backend.call(
            session,
            "GET",
            service,
            "/approvals",
            language=lang,
            params={"status": "pending", "limit": INBOX_LIMIT},
        )
    except Problem:
        return None
    if response.status_code == 403:
        return []
    if response.status_code != 200:
        return None
    return [{**item, "service": service} for item in response.json()["data"]]


@router.get("/approvals", include_in_schema=False)
async def inbox(request: Request) -> Response:
    signed_in(request)
    backend, session, lang = backend_of(request), session_of(request), language(request)
    if session.user and session.user.access_expires_at - backend.clock.now().timestamp() < 60:
        await backend.refresh(session)  # once, before the five calls go out together
    answers = await asyncio.gather(*(_pending(backend, session, service, lang) for service in SERVICES))
    items = [item for answer in answers if answer for item in answer]
    items.sort(key=lambda item: item["requested_at"])
    unreachable = [service for service, answer in zip(SERVICES, answers, strict=True) if answer is None]
    return render(request, "approvals.html", items=items, unreachable=unreachable)


@router.post("/approvals/{service}/{approval_id}/{decision}", include_in_schema=False)
async def decide(service: str, approval_id: UUID, decision: str, request: Request) -> Response:
    if service not in SERVICES or decision not in ("approve", "reject"):
        raise HTTPException(status_code=404)
    form = await form_with_csrf(request)
    signed_in(request)
    t = Translator(language(request))
    comment = form.get("comment", "").strip()
    error = None
    if decision == "reject" and not comment:
        error = t("comment_required")
    else:
        response = await backend_of(request).call(
            session_of(request),
            "POST",
            service,
            f"/approvals/{approval_id}/{decision}",
            language=language(request),
            json={"comment": comment or None},
        )
        if response.status_code != 200:
            error = Problem.of(response).detail
    if is_htmx(request):
        return render(
            request,
            "_decision_result.html",
            approval_id=approval_id,
            decision=decision,
            error=error,
            service=service,
        )
    if error:
        return render(request, "approvals.html", status_code=422, items=[], unreachable=[], error=error)
    return redirect(request, "/approvals")
