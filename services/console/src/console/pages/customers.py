"""客户全景 (customer 360): one customer as every service sees them, and their documents opened through the console.

Nothing is stored here: the page asks invoicing, reconciliation, dunning and
credit-scoring at once, as the signed-in person, and what depends on the customer's
cases (each one's ladder by dunning's dry run, its letters when its actions made
any) as soon as the cases are in. A service that does not answer leaves its sections
marked unavailable; the rest is shown.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from arflow.clock import DEFAULT_TIME_ZONE, local_date
from console import charts, timeline
from console.backend import Backend, Reading
from console.pages.plan import collector_names
from console.session import Session
from console.web import backend_of, language, render, session_of, signed_in

router = APIRouter()
LIST_LIMIT = 100  # each list shows the newest hundred; the page says when there are more
LEDGER_DAYS = 365  # the ledger's period (its opening balance carries what came before)
# A published policy version never changes (dunning: "versions are immutable"), so this process keeps the
# ones it has read; each page still reads the case and its dry run, which need the same dunning:read scope.
POLICY_VERSIONS: dict[tuple[str, int], dict[str, Any]] = {}
POLICY_CACHE_SIZE = 256


def _calls(customer_id: UUID, today: date) -> dict[str, tuple[str, str, dict[str, Any] | None]]:
    by_customer = {"customer_id": str(customer_id), "limit": LIST_LIMIT}
    ledger = {"from": str(today - timedelta(days=LEDGER_DAYS)), "to": str(today)}
    return {
        "statement": ("invoicing", f"/customers/{customer_id}/statement", ledger),
        "customer": ("invoicing", f"/customers/{customer_id}", None),
        "balance": ("invoicing", f"/customers/{customer_id}/balance", None),
        "invoices": ("invoicing", "/invoices", by_customer),
        "credit_notes": ("invoicing", "/credit-notes", by_customer),
        "payments": ("reconciliation", "/payments", by_customer),
        "disputes": ("reconciliation", "/disputes", by_customer),
        "cases": ("dunning", "/cases", by_customer),
        "actions": ("dunning", "/actions", by_customer),
        "promises": ("dunning", "/promises", by_customer),
        "tasks": ("dunning", "/tasks", by_customer),
        "credit_file": ("credit-scoring", f"/credit-files/{customer_id}", None),
        "scores": ("credit-scoring", f"/credit-files/{customer_id}/scores", {"limit": LIST_LIMIT}),
        "limit": ("credit-scoring", f"/credit-files/{customer_id}/limit", None),
        "alerts": ("credit-scoring", "/alerts", by_customer),
        "collectors": ("dunning", "/collectors", {"limit": LIST_LIMIT}),
        # the statements of account (对账单) sent to confirm, and every document sent on issue
        "statements": ("invoicing", "/statements", by_customer),
        "invoice_deliveries": ("dunning", "/invoice-deliveries", by_customer),
        "statement_deliveries": ("dunning", "/statement-deliveries", by_customer),
    }


async def _read_all(
    backend: Backend, session: Session, lang: str, calls: dict[str, tuple[str, str, dict[str, Any] | None]]
) -> dict[str, Reading]:
    readings = await asyncio.gather(
        *(
            backend.read(session, service, path, language=lang, params=params)
            for service, path, params in calls.values()
        )
    )
    return dict(zip(calls, readings, strict=True))


# dunning makes a document only on these channels: a letter step's 催账函, the legal handover's notice and pack.
DOCUMENT_CHANNELS = frozenset({"letter", "legal_handover"})


def _cases_with_documents(cases: list[dict[str, Any]], actions: Reading) -> set[str]:
    """The cases whose letters to read: those with an action on a document channel, or every case when the
    customer's action log was not read whole (unavailable, or more than one page)."""
    if not actions.ok or actions.body.get("has_more"):
        return {case["id"] for case in cases}
    return {a["case_id"] for a in actions.body["data"] if a["channel"] in DOCUMENT_CHANNELS}


def _data(reading: Reading) -> list[dict[str, Any]]:
    return list(reading.body["data"]) if reading.ok else []


def _more(reading: Reading) -> bool:
    return bool(reading.ok and reading.body.get("has_more"))


def ladder_of(case: dict[str, Any], policy: dict[str, Any] | None, plan: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The case's policy steps, each marked done or next: by dunning's dry run when it has one, else by level."""
    if not policy:
        return []
    done_steps = set(plan["done_steps"]) if plan else None
    upcoming = plan.get("step") if plan else None
    steps = []
    for step in policy.get("steps", []):
        done = step["name"] in done_steps if done_steps is not None else step["level"] <= case["level"]
        is_next = case["status"] == "open" and step["name"] == upcoming and not done
        steps.append({**step, "done": done, "next": is_next})
    return steps


@router.get("/customers/{customer_id}", include_in_schema=False)
async def customer_360(customer_id: UUID, request: Request) -> Response:
    signed_in(request)
    backend, session, lang = backend_of(request), session_of(request), language(request)
    await backend.fresh(session)
    today = local_date(backend.clock.now(), DEFAULT_TIME_ZONE)
    calls = _calls(customer_id, today)
    # Every first read at once; each case's own reads start as soon as the cases (and their actions) are in,
    # while the other services are still answering, not after the slowest of them.
    pending = {
        key: asyncio.create_task(backend.read(session, service, path, language=lang, params=params))
        for key, (service, path, params) in calls.items()
    }
    try:
        cases = _data(await pending["cases"])
        lettered = _cases_with_documents(cases, await pending["actions"])
        second: dict[str, tuple[str, str, dict[str, Any] | None]] = {}
        for case in cases:
            if case["id"] in lettered:
                second[f"documents:{case['id']}"] = ("dunning", f"/cases/{case['id']}/documents", {"limit": LIST_LIMIT})
            if case["status"] == "open":
                second[f"plan:{case['id']}"] = ("dunning", "/dry-run", {"case_id": case["id"]})
            if case.get("policy_code"):
                second.update(_policy_call(case, case["policy_code"], case.get("policy_version")))
        then = await _read_all(backend, session, lang, second)
        # A case the tick has not acted on yet has no policy of its own: the dry run says which one it follows.
        third: dict[str, tuple[str, str, dict[str, Any] | None]] = {}
        for case in cases:
            plan = then.get(f"plan:{case['id']}")
            case["plan"] = plan.body["data"][0] if plan and plan.ok and plan.body["data"] else None
            if not case.get("policy_code") and case["plan"] and case["plan"].get("policy"):
                third.update(_policy_call(case, case["plan"]["policy"], case["plan"].get("policy_version")))
        then.update(await _read_all(backend, session, lang, third) if third else {})
        first = {key: await task for key, task in pending.items()}
    finally:
        for task in pending.values():
            task.cancel()  # a read that raised (the session ended) leaves no other running
    if first["customer"].missing:
        raise HTTPException(status_code=404)
    if first["customer"].failed:
        raise HTTPException(status_code=502)
    invoices = _data(first["invoices"])
    letters = [then[f"documents:{case['id']}"] for case in cases if f"documents:{case['id']}" in then]
    documents = [d for reading in letters for d in _data(reading)]
    documents.sort(key=lambda d: d["created_at"], reverse=True)
    for case in cases:
        case["ladder"] = ladder_of(case, _policy_of(case, then), case["plan"])
    numbers = {i["id"]: i.get("number") for i in invoices}
    payments, disputes = _data(first["payments"]), _data(first["disputes"])
    promises, actions, tasks = _data(first["promises"]), _data(first["actions"]), _data(first["tasks"])
    scores, alerts = _data(first["scores"]), _data(first["alerts"])
    events = timeline.merged(
        timeline.invoice_events(invoices),
        timeline.credit_note_events(_data(first["credit_notes"])),
        timeline.payment_events(payments),
        timeline.dispute_events(disputes),
        timeline.case_events(cases),
        timeline.action_events(actions),
        timeline.promise_events(promises),
        timeline.task_events(tasks),
        timeline.document_events(documents),
        timeline.score_events(scores),
        timeline.alert_events(alerts),
    )
    unavailable = sorted({service for key, (service, _, _) in calls.items() if first[key].failed})
    credit_limit = first["limit"].body if first["limit"].ok else None
    return render(
        request,
        "customer.html",
        customer=first["customer"].body,
        balances=first["balance"].body["balances"] if first["balance"].ok else [],
        invoices=invoices,
        more_invoices=_more(first["invoices"]),
        numbers=numbers,
        credit_notes=_data(first["credit_notes"]),
        payments=payments,
        disputes=disputes,
        cases=cases,
        promises=promises,
        tasks=[t for t in tasks if t["status"] == "open"],
        documents=documents,
        statement=first["statement"].body if first["statement"].ok else None,
        credit_file=first["credit_file"].body if first["credit_file"].ok else None,
        # The latest published score is the one the services acted on (a hold, a tier); asking for one as of
        # today would score the customer again on every page view.
        score=scores[0] if scores else None,
        scores=scores,
        credit_limit=credit_limit,
        limit_is_zero=bool(credit_limit and _is_zero(credit_limit.get("limit"))),
        names=collector_names(first["collectors"]),
        statements=_data(first["statements"]),
        more_statements=_more(first["statements"]),
        deliveries=deliveries_of(first["invoice_deliveries"], first["statement_deliveries"]),
        alerts=alerts,
        events=events,
        score_chart=_score_chart(scores, lang),
        unavailable=unavailable,
        today=today,
    )


def _is_zero(amount: str | None) -> bool:
    """A limit of nought: its utilisation (exposure over nothing) says nothing a person can use."""
    try:
        return amount is not None and Decimal(amount) == 0
    except ArithmeticError:
        return False


def deliveries_of(invoices: Reading, statements: Reading) -> list[dict[str, Any]]:
    """Every invoice and statement sent to the customer on issue, newest first, each naming its document."""
    sent = [{**d, "document": "invoice", "number": d["invoice_number"]} for d in _data(invoices)]
    sent += [{**d, "document": "statement", "number": d["statement_number"]} for d in _data(statements)]
    sent.sort(key=lambda d: d["created_at"], reverse=True)
    return sent


def _policy_call(case: dict[str, Any], code: str, version: int | None) -> dict[str, tuple[str, str, Any]]:
    """The read of the case's policy, unless this process already holds that version."""
    case["policy_key"] = (code, version) if version else None
    if case["policy_key"] in POLICY_VERSIONS:
        return {}
    return {f"policy:{case['id']}": ("dunning", f"/policies/{code}", {"version": version} if version else None)}


def _policy_of(case: dict[str, Any], readings: dict[str, Reading]) -> dict[str, Any] | None:
    key, reading = case.get("policy_key"), readings.get(f"policy:{case['id']}")
    if reading is not None and reading.ok:
        if key and len(POLICY_VERSIONS) < POLICY_CACHE_SIZE:
            POLICY_VERSIONS[key] = reading.body
        return dict(reading.body)
    return POLICY_VERSIONS.get(key) if key else None


def _score_chart(scores: list[dict[str, Any]], lang: str) -> str:
    """The score over its history, oldest first (the API lists newest first)."""
    if len(scores) < 2:
        return ""
    oldest_first = list(reversed(scores))
    name = "评分" if lang == "zh-CN" else "Score"
    return charts.line_chart(
        [s["as_of"][5:] for s in oldest_first],
        [charts.Series(name, [Decimal(s["score"]) for s in oldest_first])],
        label=name,
        width=360,
        height=160,
    )


async def _pdf(request: Request, service: str, path: str, filename: str) -> Response:
    """The service's PDF passed through as the person (their token), shown in the browser's viewer."""
    signed_in(request)
    response = await backend_of(request).call(session_of(request), "GET", service, path, language=language(request))
    if response.status_code in (403, 404):
        raise HTTPException(status_code=404)
    if response.status_code != 200:
        raise HTTPException(status_code=502)
    return Response(
        response.content,
        media_type=response.headers.get("content-type", "application/pdf"),
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.get("/invoices/{invoice_id}/pdf", include_in_schema=False)
async def invoice_pdf(invoice_id: UUID, request: Request) -> Response:
    return await _pdf(request, "invoicing", f"/invoices/{invoice_id}/pdf", f"invoice-{invoice_id}.pdf")


@router.get("/statements/{statement_id}/pdf", include_in_schema=False)
async def statement_pdf(statement_id: UUID, request: Request) -> Response:
    """The statement of account as invoicing froze it, with its confirmation slip."""
    return await _pdf(request, "invoicing", f"/statements/{statement_id}/pdf", f"statement-{statement_id}.pdf")


@router.get("/documents/{document_id}", include_in_schema=False)
async def dunning_document(document_id: UUID, request: Request) -> Response:
    return await _pdf(request, "dunning", f"/documents/{document_id}", f"document-{document_id}.pdf")
