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
    await _name_subjects(backend, session, lang, items)
    return render(request, "approvals.html", items=items, unreachable=unreachable)


def _subject_reads(items: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """The one read that names each distinct subject: (service, path) -> its id (an invoice, a dunning case)."""
    reads: dict[tuple[str, str], str] = {}
    for item in items:
        invoice_id = (item.get("request") or {}).get("invoice_id")
        if item["subject_type"] == "invoice" and (invoice_id or item["subject_id"]):
            reads[("invoicing", f"/invoices/{invoice_id or item['subject_id']}")] = str(
                invoice_id or item["subject_id"]
            )
        elif item["subject_type"] == "dunning_case" and item["subject_id"]:
            reads[("dunning", f"/cases/{item['subject_id']}")] = str(item["subject_id"])
    return reads


async def _name_subjects(backend: Backend, session: Session, lang: str, items: list[dict[str, Any]]) -> None:
    """What each approval is about, in words: its invoice's number and customer, the case's customer, the step.

    One read per distinct invoice or case (invoicing and dunning list neither by id), all at once, then every
    customer's name in one call; a subject that cannot be read leaves its row as the approval says it.
    """
    reads = _subject_reads(items)
    readings = await asyncio.gather(*(backend.read(session, service, path, language=lang) for service, path in reads))
    found = {
        (service, reads[(service, path)]): reading.body
        for (service, path), reading in zip(reads, readings, strict=True)
        if reading.ok
    }
    for item in items:
        request = item.get("request") or {}
        subject: dict[str, Any] = {"step": request.get("step")}
        if item["subject_type"] == "invoice":
            invoice = found.get(("invoicing", str(request.get("invoice_id") or item["subject_id"]))) or {}
            subject.update(invoice_number=invoice.get("number"), customer_id=invoice.get("customer_id"))
        elif item["subject_type"] == "dunning_case":
            case = found.get(("dunning", str(item["subject_id"]))) or {}
            subject.update(customer_id=case.get("customer_id"))
        elif item["subject_type"] == "credit_limit":
            subject.update(customer_id=request.get("customer_id") or item["subject_id"])
        item["subject"] = subject
    ids = [str(i["subject"]["customer_id"]) for i in items if i["subject"].get("customer_id")]
    names = await backend.customer_names(session, ids, language=lang)
    for item in items:
        customer_id = item["subject"].get("customer_id")
        item["subject"]["customer_name"] = names.get(str(customer_id)) if customer_id else None


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
