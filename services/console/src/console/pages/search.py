"""搜索: find a customer by name, USCC, invoice number or amount, through the services' list filters.

What a query is, is told from its shape (pure, `kind_of`). Each kind is asked of
the list API that can filter by it; a kind no API can filter by yet is said so
on the page instead of being scanned for page by page (100,000 invoices are no
page's work).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from stdnum.cn import uscc

from console.web import backend_of, language, render, session_of, signed_in

router = APIRouter()
PAGE_SIZE = 20
INVOICE_NUMBER = re.compile(r"^[A-Z]{2,6}-\d{4}-\d{1,8}$", re.IGNORECASE)
AMOUNT = re.compile(r"^[¥￥]?\s*\d{1,3}(,\d{3})*(\.\d{1,2})?$|^[¥￥]?\s*\d+(\.\d{1,2})?$")

# A kind of query and the list filter that would answer it, where no service has one yet (reported, not faked).
MISSING_FILTERS = {
    "uscc": "invoicing GET /customers?unified_social_credit_code=",
    "invoice_number": "invoicing GET /invoices?number=",
    "amount": "invoicing GET /invoices?total= (or reconciliation GET /open-items?amount=)",
}


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
        return render(request, "search.html", q="", kind=None, customers=[], after=None)
    kind = kind_of(query)
    if kind in MISSING_FILTERS:
        return render(
            request, "search.html", q=query, kind=kind, customers=[], after=None, missing=MISSING_FILTERS[kind]
        )
    params: dict[str, Any] = {"search": query, "limit": limit}
    if after:
        params["starting_after"] = str(after)
    reading = await backend_of(request).read(
        session_of(request), "invoicing", "/customers", language=language(request), params=params
    )
    if not reading.ok:
        return render(
            request, "search.html", status_code=502, q=query, kind=kind, customers=[], after=after, failed=True
        )
    body = reading.body
    return render(
        request,
        "search.html",
        q=query,
        kind=kind,
        customers=body["data"],
        next_cursor=body.get("next_cursor") if body.get("has_more") else None,
        after=after,
        limit=limit if limit != PAGE_SIZE else None,
    )
