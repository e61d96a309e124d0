"""搜索: find a customer by name or USCC, an invoice by its number or its amount, through invoicing's list filters.

What a query is, is told from its shape (pure, `kind_of`), and each kind is asked of
the filter that answers it: a name of GET /customers?search=, a USCC of
?unified_social_credit_code=, an invoice number of GET /invoices?number= and an amount
of ?amount= (the invoice's total). Invoices are shown with their customers' names (one
GET /customers?id=… for the page).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from stdnum.cn import uscc

from arflow.clock import DEFAULT_TIME_ZONE, local_date
from console.web import backend_of, language, render, session_of, signed_in

router = APIRouter()
PAGE_SIZE = 20
INVOICE_NUMBER = re.compile(r"^[A-Z]{2,6}-\d{4}-\d{1,8}$", re.IGNORECASE)
AMOUNT = re.compile(r"^[¥￥]?\s*\d{1,3}(,\d{3})*(\.\d{1,2})?$|^[¥￥]?\s*\d+(\.\d{1,2})?$")


def kind_of(query: str) -> str:
    """'uscc', 'invoice_number', 'amount' or 'name', from what the query looks like."""
    compact = query.strip().replace(" ", "")
    if len(compact) == 18 and uscc.is_valid(compact):
        return "uscc"
    if INVOICE_NUMBER.match(compact):
        return "invoice_number"
    if AMOUNT.match(compact):
        try:
            Decimal(compact.lstrip("¥￥").replace(",", ""))
        except InvalidOperation:
            return "name"
        return "amount"
    return "name"


def filter_of(kind: str, query: str) -> tuple[str, dict[str, str]]:
    """The list API and its filter that answer a query of this kind."""
    compact = query.strip().replace(" ", "")
    if kind == "uscc":
        return "/customers", {"unified_social_credit_code": compact.upper()}
    if kind == "invoice_number":
        return "/invoices", {"number": compact.upper()}
    if kind == "amount":
        return "/invoices", {"amount": compact.lstrip("¥￥").replace(",", "")}
    return "/customers", {"search": query.strip()}


@router.get("/search", include_in_schema=False)
async def search(
    request: Request,
    q: str = Query("", max_length=100),
    after: UUID | None = Query(None),
    limit: int = Query(PAGE_SIZE, ge=1, le=100),
) -> Response:
    signed_in(request)
    query = q.strip()
    if not query:
        return render(request, "search.html", q="", kind=None, customers=[], invoices=[], after=None)
    backend, session, lang = backend_of(request), session_of(request), language(request)
    kind = kind_of(query)
    path, params = filter_of(kind, query)
    asked: dict[str, Any] = {**params, "limit": limit}
    if after:
        asked["starting_after"] = str(after)
    reading = await backend.read(session, "invoicing", path, language=lang, params=asked)
    if not reading.ok:
        return render(
            request,
            "search.html",
            status_code=502,
            q=query,
            kind=kind,
            customers=[],
            invoices=[],
            after=after,
            failed=True,
        )
    body = reading.body
    customers, invoices, names = (body["data"], [], {}) if path == "/customers" else ([], body["data"], {})
    if invoices:
        names = await backend.customer_names(session, [i["customer_id"] for i in invoices], language=lang)
    return render(
        request,
        "search.html",
        q=query,
        kind=kind,
        customers=customers,
        invoices=invoices,
        names=names,
        next_cursor=body.get("next_cursor") if body.get("has_more") else None,
        after=after,
        limit=limit if limit != PAGE_SIZE else None,
        today=local_date(backend.clock.now(), DEFAULT_TIME_ZONE),
    )
