"""One case worked from 今日工作: its panel and the one-click actions on it, each the owning service's own endpoint.

- a call's or a visit's outcome: dunning POST /tasks/{id}/complete (reached, no answer, wrong number, a promise
  to pay with its date and amount, a dispute naming the invoices, refused), for the case's open tasks;
- a promise to pay: dunning POST /cases/{id}/promises;
- a dispute of one invoice: reconciliation POST /disputes, for a person who may write there (dunning stops
  chasing the invoice when told); a collector records one as a call's outcome instead;
- hold the case, release it: dunning POST and DELETE /cases/{id}/hold;
- send the ladder's next step now instead of on its day: dunning POST /cases/{id}/steps/next, naming the step the
  page showed (a stale page gets 409 next_step_changed and sends nothing); also one click from the worklist's row.

The panel reads dunning's case (its items, tasks, promises, hold) and its dry run (the step the ladder takes
next, and when); unless sent now, dunning's hourly tick takes that step on its day.
Each form answers with the panel again (htmx swaps it in place), or, without htmx, goes back to the case page.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from console.backend import Problem
from console.i18n import Translator
from console.web import backend_of, form_with_csrf, is_htmx, language, redirect, render, session_of, signed_in
from console.wording import refusal_text

router = APIRouter()
OUTCOMES = ("reached", "no_answer", "wrong_number", "promise_to_pay", "dispute", "refused")
DONE = ("outcome_logged", "promise_recorded", "dispute_recorded", "held", "released", "step_sent")


async def _panel(
    request: Request,
    case_id: UUID,
    *,
    done: str | None = None,
    error: str | None = None,
    sent: dict[str, Any] | None = None,
) -> Response:
    """The case's panel: a fragment for htmx, else a page of its own."""
    signed_in(request)
    backend, session, lang = backend_of(request), session_of(request), language(request)
    await backend.fresh(session)
    case, plan = await asyncio.gather(
        backend.read(session, "dunning", f"/cases/{case_id}", language=lang),
        backend.read(session, "dunning", "/dry-run", language=lang, params={"case_id": str(case_id)}),
    )
    if case.missing:
        raise HTTPException(status_code=404)
    if not case.ok:
        raise HTTPException(status_code=502)
    body: dict[str, Any] = case.body
    name = None
    if not is_htmx(request):  # inside the worklist the row already names the customer
        customer = await backend.read(session, "invoicing", f"/customers/{body['customer_id']}", language=lang)
        name = customer.body["legal_name"] if customer.ok else None
    scopes = session.user.scopes if session.user else []
    context = {
        "case": body,
        "customer_name": name,
        "items": [i for i in body["items"] if i["status"] == "open"],
        "tasks": [t for t in body["tasks"] if t["status"] == "open"],
        "promises": [p for p in body["promises"] if p["status"] == "open"],
        "plan": plan.body["data"][0] if plan.ok and plan.body["data"] else None,
        "outcomes": OUTCOMES,
        "may_dispute": "reconciliation:write" in scopes,
        "done": done if done in DONE else None,
        "error": error,
        "sent": sent,
    }
    status = 422 if error else 200
    if is_htmx(request):
        return render(request, "_case_panel.html", status_code=200, **context)
    return render(request, "case.html", status_code=status, **context)


@router.get("/worklist/{case_id}", include_in_schema=False)
async def case_panel(case_id: UUID, request: Request, done: str | None = Query(None, max_length=32)) -> Response:
    return await _panel(request, case_id, done=done)


async def _act(
    request: Request,
    case_id: UUID,
    what: str,
    method: str,
    service: str,
    path: str,
    *,
    json: Any = None,
    idempotent: bool = False,
) -> Response:
    """The action at its service as the signed-in person, then the panel with what came of it."""
    response = await backend_of(request).call(
        session_of(request), method, service, path, language=language(request), json=json, idempotent=idempotent
    )
    if response.status_code >= 400:
        return await _panel(request, case_id, error=Problem.of(response).detail)
    if is_htmx(request):
        return await _panel(request, case_id, done=what)
    return redirect(request, f"/worklist/{case_id}?done={what}")


def _blank_is_none(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


@router.post("/worklist/{case_id}/tasks/{task_id}", include_in_schema=False)
async def log_outcome(case_id: UUID, task_id: UUID, request: Request) -> Response:
    """A call's or a visit's outcome; a promise or a dispute it ends in is recorded by dunning with it."""
    fields = await form_with_csrf(request)
    signed_in(request)
    outcome = fields.get("outcome", "")
    body: dict[str, Any] = {"outcome": outcome, "note": _blank_is_none(fields.get("note"))}
    if outcome == "promise_to_pay":
        body["promised_date"] = _blank_is_none(fields.get("promised_date"))
        body["promised_amount"] = _blank_is_none(fields.get("promised_amount"))
    if outcome == "dispute":
        body["disputed_invoice_ids"] = (await request.form()).getlist("invoice_id")
    return await _act(request, case_id, "outcome_logged", "POST", "dunning", f"/tasks/{task_id}/complete", json=body)


@router.post("/worklist/{case_id}/promise", include_in_schema=False)
async def record_promise(case_id: UUID, request: Request) -> Response:
    fields = await form_with_csrf(request)
    signed_in(request)
    body = {
        "amount": fields.get("amount", "").strip().replace(",", ""),
        "promised_date": fields.get("promised_date", ""),
        "made_by": _blank_is_none(fields.get("made_by")),
    }
    path = f"/cases/{case_id}/promises"
    return await _act(request, case_id, "promise_recorded", "POST", "dunning", path, json=body, idempotent=True)


@router.post("/worklist/{case_id}/dispute", include_in_schema=False)
async def record_dispute(case_id: UUID, request: Request) -> Response:
    fields = await form_with_csrf(request)
    signed_in(request)
    body = {"invoice_id": fields.get("invoice_id", ""), "reason": fields.get("reason", "").strip()}
    return await _act(
        request, case_id, "dispute_recorded", "POST", "reconciliation", "/disputes", json=body, idempotent=True
    )


@router.post("/worklist/{case_id}/release", include_in_schema=False)
async def release_case(case_id: UUID, request: Request) -> Response:
    await form_with_csrf(request)
    signed_in(request)
    if is_htmx(request) and request.headers.get("hx-target", "").startswith("hold-"):
        # The one-click release in the worklist's row: answers with the row's hold button again.
        response = await backend_of(request).call(
            session_of(request), "DELETE", "dunning", f"/cases/{case_id}/hold", language=language(request)
        )
        error = None if response.status_code == 200 else Problem.of(response).detail
        return render(request, "_hold_result.html", case_id=case_id, error=error, released=error is None)
    return await _act(request, case_id, "released", "DELETE", "dunning", f"/cases/{case_id}/hold")


@router.post("/worklist/{case_id}/panel-hold", include_in_schema=False)
async def hold_from_panel(case_id: UUID, request: Request) -> Response:
    fields = await form_with_csrf(request)
    signed_in(request)
    reason = fields.get("reason", "").strip() or Translator(language(request))("hold_reason")
    body = {"reason": reason, "until": _blank_is_none(fields.get("until"))}
    return await _act(request, case_id, "held", "POST", "dunning", f"/cases/{case_id}/hold", json=body)


@router.post("/worklist/{case_id}/next-step", include_in_schema=False)
async def send_next_step(case_id: UUID, request: Request) -> Response:
    """The ladder's next step now, the step the page showed named (a stale page is refused, nothing sent); from the
    worklist's row it answers with what was sent in the row, from the panel with the panel."""
    fields = await form_with_csrf(request)
    signed_in(request)
    lang = language(request)
    step = _blank_is_none(fields.get("step"))
    reason = _blank_is_none(fields.get("reason")) or Translator(lang)("step_now_reason")
    response = await backend_of(request).call(
        session_of(request),
        "POST",
        "dunning",
        f"/cases/{case_id}/steps/next",
        language=lang,
        json={"reason": reason[:500], "step": step},
        idempotent=True,
    )
    sent, error = None, None
    if response.status_code == 200:
        body = response.json()
        taken = body["step_taken"]
        sent = {
            "step": taken["step"],
            "channel": taken["channel"],
            "status": taken["status"],
            "recipient": taken.get("recipient"),
            "due_on": body.get("due_on"),
        }
    else:
        error = refusal_text(Problem.of(response).fields, lang, sent_step=step)
    if is_htmx(request) and request.headers.get("hx-target", "").startswith("step-"):
        return render(request, "_step_result.html", case_id=case_id, sent=sent, error=error)
    return await _panel(request, case_id, done="step_sent" if sent else None, error=error, sent=sent)
