"""待核对: the payments reconciliation could not place, with its ranked suggestions; confirm, allocate, split, undo.

The queue and the suggestions are reconciliation's (GET /review-queue); the console
adds only the customers' names (one GET /customers?id=… for all of them) and the
keys: each suggestion's button answers Alt+1..3 (the browser's accesskey), the first
payment's best suggestion has the focus, Tab walks the rest in order; Alt+A and Alt+S
open the first payment's allocation and split forms.

Allocating by hand (POST /payments/{id}/allocate) picks the customer among those
suggested or found by name or USCC, and spreads the money over that customer's open
items as reconciliation projects them (GET /open-items), oldest due first unless a
suggestion for that customer said otherwise; every amount can be changed. Splitting
(POST /payments/{id}/split) gives each part a customer and an amount; invoicing applies
each part to that customer's oldest invoices.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from console.backend import Backend, Problem
from console.i18n import Translator
from console.pages.search import filter_of, kind_of
from console.session import Session
from console.web import backend_of, form_with_csrf, is_htmx, language, redirect, render, session_of, signed_in

router = APIRouter()
PAGE_SIZE = 20
MAX_PARTS = 6
FOUND_CUSTOMERS = 10


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
    names = await backend.customer_names(
        session, [s["customer_id"] for p in payments for s in p["suggestions"]], language=lang
    )
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


async def _names(backend: Backend, session: Session, lang: str, ids: list[str]) -> dict[str, str]:
    return await backend.customer_names(session, ids, language=lang)


async def _candidates(
    backend: Backend, session: Session, lang: str, payment: dict[str, Any], q: str
) -> list[dict[str, str]]:
    """The customers a person may give the money to: those suggested, then those a search by name or USCC found."""
    suggested = list(dict.fromkeys(s["customer_id"] for s in payment["suggestions"]))
    names = await _names(backend, session, lang, suggested)
    out = [{"id": c, "name": names.get(c, c), "suggested": "yes"} for c in suggested]
    if q.strip():
        kind = kind_of(q)
        path, params = filter_of(kind if kind in ("uscc", "name") else "name", q)
        reading = await backend.read(
            session, "invoicing", path, language=lang, params={**params, "limit": FOUND_CUSTOMERS}
        )
        for c in reading.body["data"] if reading.ok else []:
            if c["id"] not in suggested:
                out.append({"id": c["id"], "name": c["legal_name"], "suggested": ""})
    return out


def spread(amount: Decimal, items: list[dict[str, Any]], proposed: dict[str, Decimal]) -> dict[str, Decimal]:
    """What each open item is given: the suggestion's amounts if it made one, else oldest due first until the
    money runs out (each at most what the item may still take)."""
    if proposed:
        return proposed
    given: dict[str, Decimal] = {}
    left = amount
    for item in sorted(items, key=lambda i: (i.get("due_date") or "", i["invoice_number"])):
        take = min(left, Decimal(item["available"]))
        if take <= 0:
            break
        given[item["invoice_id"]] = take
        left -= take
    return given


async def _payment(request: Request, payment_id: UUID) -> dict[str, Any]:
    reading = await backend_of(request).read(
        session_of(request), "reconciliation", f"/payments/{payment_id}", language=language(request)
    )
    if reading.missing:
        raise HTTPException(status_code=404)
    if not reading.ok:
        raise HTTPException(status_code=502)
    payment: dict[str, Any] = reading.body
    return payment


async def _allocation_form(
    request: Request,
    payment_id: UUID,
    customer_id: str | None,
    q: str,
    *,
    error: str | None = None,
    entered: dict[str, str] | None = None,
) -> Response:
    signed_in(request)
    backend, session, lang = backend_of(request), session_of(request), language(request)
    await backend.fresh(session)
    payment = await _payment(request, payment_id)
    candidates = await _candidates(backend, session, lang, payment, q)
    chosen = customer_id or (candidates[0]["id"] if candidates else None)
    if chosen and chosen not in {c["id"] for c in candidates}:
        candidates += [{"id": chosen, "name": (await _names(backend, session, lang, [chosen])).get(chosen, chosen)}]
    items: list[dict[str, Any]] = []
    if chosen:
        reading = await backend.read(
            session,
            "reconciliation",
            "/open-items",
            language=lang,
            params={"customer_id": chosen, "status": "open", "currency": payment["currency"], "limit": 100},
        )
        items = [i for i in (reading.body["data"] if reading.ok else []) if Decimal(i["available"]) > 0]
    suggestion = next((s for s in payment["suggestions"] if s["customer_id"] == chosen), None)
    proposed = {a["invoice_id"]: Decimal(str(a["amount"])) for a in suggestion["allocations"]} if suggestion else {}
    given = spread(Decimal(payment["amount"]), items, proposed)
    values = entered or {i["invoice_id"]: str(given.get(i["invoice_id"], "")) for i in items}
    return render(
        request,
        "_allocate.html" if is_htmx(request) else "allocate.html",
        status_code=422 if error and not is_htmx(request) else 200,
        payment=payment,
        candidates=candidates,
        chosen=chosen,
        q=q,
        items=items,
        values=values,
        error=error,
    )


@router.get("/review/{payment_id}/allocate", include_in_schema=False)
async def allocation_form(
    payment_id: UUID,
    request: Request,
    customer_id: UUID | None = Query(None),
    q: str = Query("", max_length=100),
) -> Response:
    return await _allocation_form(request, payment_id, str(customer_id) if customer_id else None, q)


def _back_to_the_form(form: Response, payment_id: UUID) -> Response:
    """A refused form goes back where it was (htmx had aimed the answer at the suggestions, for a success)."""
    form.headers["HX-Retarget"] = f"#work-{payment_id}"
    form.headers["HX-Reswap"] = "innerHTML"
    return form


def _amount(value: str) -> Decimal | None:
    """A typed amount ('1,200.50'), None when blank or zero; raises InvalidOperation when it is no number."""
    compact = value.strip().replace(",", "")
    if not compact:
        return None
    amount = Decimal(compact)
    return amount if amount != 0 else None


@router.post("/review/{payment_id}/allocate", include_in_schema=False)
async def allocate(payment_id: UUID, request: Request) -> Response:
    """Reconciliation records whose the money is and how it is spread (and learns the payer's account)."""
    fields = await form_with_csrf(request)
    signed_in(request)
    customer_id = fields.get("customer_id", "")
    entered = {key[len("amount:") :]: value for key, value in fields.items() if key.startswith("amount:")}
    t = Translator(language(request))
    try:
        allocations = [
            {"invoice_id": invoice_id, "amount": str(amount)}
            for invoice_id, value in entered.items()
            if (amount := _amount(value)) is not None
        ]
    except InvalidOperation:
        form = await _allocation_form(request, payment_id, customer_id, "", error=t("not_an_amount"), entered=entered)
        return _back_to_the_form(form, payment_id)
    response = await backend_of(request).call(
        session_of(request),
        "POST",
        "reconciliation",
        f"/payments/{payment_id}/allocate",
        language=language(request),
        json={"customer_id": customer_id, "allocations": allocations},
        idempotent=True,
    )
    if response.status_code != 200:
        detail = Problem.of(response).detail
        form = await _allocation_form(request, payment_id, customer_id, "", error=detail, entered=entered)
        return _back_to_the_form(form, payment_id)
    if is_htmx(request):
        return render(request, "_review_result.html", error=None, payment=response.json())
    return redirect(request, "/review")


async def _split_form(
    request: Request,
    payment_id: UUID,
    parts: int,
    q: str,
    *,
    error: str | None = None,
    entered: list[tuple[str, str]] | None = None,
) -> Response:
    signed_in(request)
    backend, session, lang = backend_of(request), session_of(request), language(request)
    await backend.fresh(session)
    payment = await _payment(request, payment_id)
    candidates = await _candidates(backend, session, lang, payment, q)
    rows = entered or []
    rows = rows + [("", "")] * (max(parts, 2) - len(rows))
    return render(
        request,
        "_split.html" if is_htmx(request) else "split.html",
        status_code=422 if error and not is_htmx(request) else 200,
        payment=payment,
        candidates=candidates,
        rows=rows[:MAX_PARTS],
        more=min(len(rows) + 1, MAX_PARTS),
        q=q,
        error=error,
    )


@router.get("/review/{payment_id}/split", include_in_schema=False)
async def split_form(
    payment_id: UUID,
    request: Request,
    parts: int = Query(2, ge=2, le=MAX_PARTS),
    q: str = Query("", max_length=100),
) -> Response:
    return await _split_form(request, payment_id, parts, q)


@router.post("/review/{payment_id}/split", include_in_schema=False)
async def split(payment_id: UUID, request: Request) -> Response:
    """Reconciliation divides the payment: one payment per part, each its customer's."""
    fields = await form_with_csrf(request)
    signed_in(request)
    t = Translator(language(request))
    entered = [(fields.get(f"customer:{n}", ""), fields.get(f"amount:{n}", "")) for n in range(MAX_PARTS)]
    entered = [row for row in entered if row[0] or row[1].strip()]
    try:
        parts = [
            {"customer_id": customer, "amount": str(amount)}
            for customer, value in entered
            if (amount := _amount(value)) is not None and customer
        ]
    except InvalidOperation:
        form = await _split_form(request, payment_id, len(entered), "", error=t("not_an_amount"), entered=entered)
        return _back_to_the_form(form, payment_id)
    response = await backend_of(request).call(
        session_of(request),
        "POST",
        "reconciliation",
        f"/payments/{payment_id}/split",
        language=language(request),
        json={"parts": parts},
        idempotent=True,
    )
    if response.status_code != 201:
        detail = Problem.of(response).detail
        form = await _split_form(request, payment_id, len(entered), "", error=detail, entered=entered)
        return _back_to_the_form(form, payment_id)
    made = response.json()
    names = await _names(backend_of(request), session_of(request), language(request), [p["customer_id"] for p in made])
    if is_htmx(request):
        return render(request, "_split_result.html", parts=made, names=names)
    return redirect(request, "/review")
