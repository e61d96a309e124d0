"""The hosted invoice page (`/i/{token}`, no key: the token is the key) and the API that manages its link."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Header, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import func, select

from arflow import audit
from arflow.clock import local_date
from arflow.events.catalog import InvoiceHostedLinkChanged
from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.messaging import outbox
from arflow.money import minor_unit_exponent
from arflow.problems import PROBLEM_JSON, Conflict, NotFound, Problem
from arflow.service import ClockDep, SessionDep
from invoicing.config import InvoicingSettings
from invoicing.creditor.service import creditor_in_force, partial_payment_minimum
from invoicing.deps import Reader, Writer
from invoicing.hosted import checkout, links, page, renewals
from invoicing.hosted.ratelimit import RateLimiter
from invoicing.hosted.schemas import HostedLinkOut
from invoicing.invoices import documents
from invoicing.invoices.endpoints import invoice_out
from invoicing.lookups import require_customer, require_invoice
from invoicing.models import HostedInvoiceLink, HostedLinkRenewal
from invoicing.reports.documents import CREDITOR_NOT_CONFIGURED

router = APIRouter()
public = APIRouter(include_in_schema=True)
ISSUED = ("open", "paid", "uncollectible")


class HostedLinkUnavailable(Conflict):
    code, title, title_zh = "hosted_link_unavailable", "The invoice has no hosted page", "该账单没有在线页面"


class HostedPageNotFound(NotFound):
    """A program's answer (no text/html in Accept) for any link that does not work: the same for all."""

    code, title, title_zh = "hosted_page_not_found", "No such page", "页面不存在"


class TooManyRequests(Problem):
    status, code, title, title_zh = 429, "too_many_requests", "Too many requests", "请求过于频繁"


class HostedLinkNotFound(NotFound):
    code, title, title_zh = "hosted_link_not_found", "The invoice has no hosted link", "该账单没有在线链接"


async def _link_out(session: SessionDep, link: HostedInvoiceLink, clock: ClockDep, url: str | None) -> HostedLinkOut:
    invoice = await require_invoice(session, link.invoice_id)
    customer = await require_customer(session, invoice.customer_id)
    pending = await session.scalar(
        select(func.count())
        .select_from(HostedLinkRenewal)
        .where(HostedLinkRenewal.invoice_id == link.invoice_id, HostedLinkRenewal.status == "pending_delivery")
    )
    expired = local_date(clock.now(), customer.time_zone) > link.expires_on
    return HostedLinkOut(
        invoice_id=link.invoice_id,
        hosted_invoice_url=url,
        status="revoked" if link.revoked_at else "expired" if expired else "active",
        expires_on=link.expires_on,
        created_at=link.created_at,
        rotated_at=link.rotated_at,
        revoked_at=link.revoked_at,
        view_count=link.view_count,
        last_viewed_at=link.last_viewed_at,
        renewals_pending=pending or 0,
    )


@router.post(
    "/invoices/{invoice_id}/hosted-link",
    dependencies=[IDEMPOTENT],
    response_model=HostedLinkOut,
    tags=["hosted page"],
    summary="Make the invoice a new hosted link: the old one stops working at once",
    description="Rotates the link (or restores a revoked one as a new link). The answer is the only place the new "
    "link is shown: only its token's SHA-256 is kept. It works until 30 days after the due date, or for 30 days "
    "from today when that is later.",
)
async def rotate_link(
    invoice_id: UUID, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def rotate() -> HostedLinkOut:
        invoice = await require_invoice(session, invoice_id, for_update=True)
        if invoice.status not in ISSUED:
            raise HostedLinkUnavailable(
                f"Invoice {invoice.number or invoice.id} is {invoice.status}: only issued invoices have a page.",
                detail_zh=f"账单 {invoice.number or invoice.id} 未开具或已作废，没有在线页面。",
            )
        customer = await require_customer(session, invoice.customer_id)
        today = local_date(clock.now(), customer.time_zone)
        expires_on = max(links.expiry_for(invoice.due_date), today + links.RENEWED_FOR)
        url = await links.mint(
            session, invoice_id=invoice.id, due_date=invoice.due_date, clock=clock, expires_on=expires_on
        )
        await session.flush()
        link = await links.link_of(session, invoice.id)
        assert link is not None
        await session.refresh(link)
        changed = InvoiceHostedLinkChanged(
            customer_id=invoice.customer_id, invoice_id=invoice.id, hosted_invoice_url=url, changed_at=clock.now()
        )
        await outbox.add(session, changed, clock=clock)
        await audit.record(
            session,
            action="hosted_link.rotated",
            object_type="invoice",
            object_id=invoice.id,
            after={"expires_on": expires_on},
        )
        return await _link_out(session, link, clock, url)

    return await idempotent(request, session, principal, None, rotate, status_code=200)


@router.delete(
    "/invoices/{invoice_id}/hosted-link",
    status_code=204,
    tags=["hosted page"],
    summary="Revoke the invoice's hosted link: it answers 404 from now on (POST makes a new one)",
)
async def revoke_link(invoice_id: UUID, session: SessionDep, clock: ClockDep, _: Writer) -> Response:
    invoice = await require_invoice(session, invoice_id)
    if not await links.revoke(session, invoice_id=invoice_id, clock=clock):
        raise HostedLinkNotFound(
            f"Invoice {invoice_id} has no hosted link.", detail_zh=f"账单 {invoice_id} 没有在线链接。"
        )
    revoked = InvoiceHostedLinkChanged(customer_id=invoice.customer_id, invoice_id=invoice.id, changed_at=clock.now())
    await outbox.add(session, revoked, clock=clock)
    await audit.record(session, action="hosted_link.revoked", object_type="invoice", object_id=invoice_id)
    return Response(status_code=204)


@router.get(
    "/invoices/{invoice_id}/hosted-link",
    response_model=HostedLinkOut,
    tags=["hosted page"],
    summary="The invoice's hosted link: status, expiry, views (never the link itself)",
)
async def get_link(invoice_id: UUID, session: SessionDep, clock: ClockDep, _: Reader) -> HostedLinkOut:
    await require_invoice(session, invoice_id)
    link = await links.link_of(session, invoice_id)
    if link is None:
        raise HostedLinkNotFound(
            f"Invoice {invoice_id} has no hosted link.", detail_zh=f"账单 {invoice_id} 没有在线链接。"
        )
    return await _link_out(session, link, clock, None)


# ---- the public page ---------------------------------------------------------------------------

HTML_PAGE = {"text/html": {"schema": {"type": "string"}}}
PROBLEM = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
PUBLIC_ANSWERS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Any link that does not work: one page for all, with the renewal form.", "content": HTML_PAGE},
    429: {"description": "Too many requests from the address this minute (Retry-After).", "content": HTML_PAGE},
    **CREDITOR_NOT_CONFIGURED,
}


def document_public_pages(openapi: dict[str, Any]) -> dict[str, Any]:
    """The public pages answer 404 and 429 as HTML pages to a browser, and problem+json to a program."""
    for path, item in openapi.get("paths", {}).items():
        if not path.startswith(("/i/", "/s/")):
            continue
        for operation in item.values():
            for status, problem in (("404", HostedPageNotFound), ("429", TooManyRequests)):
                answer = operation.get("responses", {}).get(status)
                if answer is not None:
                    example = problem(answer["description"]).body()
                    answer["content"] = {**HTML_PAGE, PROBLEM_JSON: {**PROBLEM[PROBLEM_JSON], "example": example}}
    return openapi


Lang = Annotated[str | None, Query(alias="lang", max_length=8, description="zh-CN (default) or en.")]
AcceptLanguage = Annotated[str | None, Header(max_length=200)]


def wants_html(request: Request) -> bool:
    """A browser (text/html in Accept) gets the pages; a program gets problem+json, as from every endpoint."""
    return "text/html" in request.headers.get("accept", "").lower()


def _limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter | None = getattr(request.app.state, "hosted_rate_limiter", None)
    if limiter is None:
        settings: InvoicingSettings = request.app.state.settings
        limiter = request.app.state.hosted_rate_limiter = RateLimiter(settings.hosted_page_requests_per_minute)
    return limiter


def _misses_of(request: Request) -> str:
    return f"miss:{request.client.host if request.client else 'unknown'}"


def count_miss(request: Request) -> None:
    """Count against the client's address a request that opened nothing (a bad token, a renewal asked)."""
    _limiter(request).allow(_misses_of(request))


def _limited(request: Request, language: str, token: str) -> HTMLResponse | None:
    """429 once the client's address has missed its minute's allowance (guessing), or the link was asked too often.

    Valid links fetched from one address are not limited as such: dunning fetches each invoice's PDF to attach it,
    a billing run's worth from one address within a minute.
    """
    limiter = _limiter(request)
    spent, retry_after = limiter.spent(_misses_of(request))
    if not spent:
        allowed, retry_after = limiter.allow(f"link:{links.token_hash(token).hex()}")
        if allowed:
            return None
    headers = {**page.HEADERS, "Retry-After": str(retry_after)}
    if not wants_html(request):
        raise TooManyRequests(
            f"Too many requests from this address; try again in {retry_after} s.",
            detail_zh=f"请求过于频繁，请 {retry_after} 秒后再试。",
            headers=headers,
        )
    body = page.message_page(language=language, title_key="too_many_title", body_key="too_many_body")
    return HTMLResponse(body, status_code=429, headers=headers)


def _not_found(request: Request, language: str) -> HTMLResponse:
    count_miss(request)
    if not wants_html(request):
        raise HostedPageNotFound(
            "There is no page at this link, or it has expired or been revoked.",
            detail_zh="此链接没有对应的页面，或已过期、已停用。",
            headers=page.HEADERS,
        )
    return HTMLResponse(page.not_found_page(language=language), status_code=404, headers=page.HEADERS)


@public.get(
    "/i/{token}",
    response_class=HTMLResponse,
    tags=["hosted page"],
    summary="The invoice's public page (HTML; no key: the link is the key)",
    responses=PUBLIC_ANSWERS,
)
async def hosted_page(
    token: str,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    lang: Lang = None,
    accept_language: AcceptLanguage = None,
    unavailable: Annotated[str | None, Query(max_length=1, include_in_schema=False)] = None,
) -> HTMLResponse:
    language = page.page_language(lang, accept_language)
    if (limited := _limited(request, language, token)) is not None:
        return limited
    creditor = await creditor_in_force(session, request.app.state.settings)  # the same refusal for every token
    link = await links.resolve(session, token, clock=clock)
    if link is None:
        return _not_found(request, language)
    await links.record_view(session, link.invoice_id, at=clock.now())
    return await _invoice_page(request, session, clock, link, creditor, language, token, unavailable=unavailable == "1")


async def _invoice_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    link: links.HostedLink,
    creditor: Any,
    language: str,
    token: str,
    *,
    unavailable: bool = False,
    typed: str | None = None,
    refused: checkout.AmountRefused | None = None,
) -> HTMLResponse:
    """The invoice's page; after an amount the pay form refused, that form again with why (422)."""
    invoice = await require_invoice(session, link.invoice_id)
    customer = await require_customer(session, invoice.customer_id)
    out = await invoice_out(session, invoice, clock)
    minimum = await partial_payment_minimum(session)
    body = page.invoice_page(
        _context(out, customer, creditor, link, clock),
        language=language,
        token=token,
        methods=checkout.offered(request.app.state.settings),
        unavailable=unavailable,
        part=page.PartForm(minimum, typed=typed, refused=refused) if minimum is not None else None,
    )
    return HTMLResponse(body, status_code=422 if refused else 200, headers=page.HEADERS)


def _context(out: Any, customer: Any, creditor: Any, link: links.HostedLink, clock: Any) -> page.PageContext:
    today = local_date(clock.now(), customer.time_zone)
    return page.PageContext(
        invoice=out,
        customer_name=customer.legal_name,
        creditor=creditor,
        overdue=out.status != "paid" and today > out.due_date,
        expires_on=str(link.expires_on),
        time_zone=customer.time_zone,
    )


def _see(path: str) -> Response:
    return Response(status_code=303, headers={**page.HEADERS, "Location": path})


@public.post(
    "/i/{token}/pay",
    status_code=303,
    response_class=Response,
    responses={
        303: {"description": "To the way of paying chosen (or back to the page)"},
        422: {
            "description": "An `amount` the form cannot take (below the creditor's minimum, above the balance, "
            "finer than the cent, not a number): the page again, its form showing why; no order is made.",
            "content": HTML_PAGE,
        },
        **PUBLIC_ANSWERS,
    },
    tags=["hosted page"],
    summary="Pay the invoice online: reconciliation makes the order at the gateway (or answers the open one)",
    description="`method` is the way of paying. `amount` (a part payment) is read only where the creditor allows "
    "part payments (`hosted_partial_payment_minimum` on `PUT /creditor`) and the balance is above the minimum; "
    "otherwise the order is for the whole open balance, whatever was posted.",
)
async def pay(
    token: str,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    method: Annotated[str, Form(max_length=32)],
    amount: Annotated[str | None, Form(max_length=40)] = None,
    lang: Lang = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    language = page.page_language(lang, accept_language)
    if (limited := _limited(request, language, token)) is not None:
        return limited
    link = await links.resolve(session, token, clock=clock)
    if link is None:
        return _not_found(request, language)
    settings: InvoicingSettings = request.app.state.settings
    invoice = await require_invoice(session, link.invoice_id)
    if method not in checkout.offered(settings) or invoice.status != "open":
        return _see(f"../{token}?lang={language}")
    # A part payment only where the creditor allows it; elsewhere an amount posted is ignored (the whole balance).
    part = None
    minimum = await partial_payment_minimum(session)
    if minimum is not None and amount is not None and checkout.part_allowed(minimum, invoice.balance):
        try:
            part = checkout.part_amount(
                amount, minimum=minimum, balance=invoice.balance, quantum=minor_unit_exponent(invoice.currency)
            )
        except checkout.AmountRefused as refused:
            creditor = await creditor_in_force(session, settings)
            return await _invoice_page(
                request, session, clock, link, creditor, language, token, typed=amount, refused=refused
            )
        if part == invoice.balance:
            part = None  # the whole balance: the order the page always asked for
    return_url = f"{settings.public_base_url.rstrip('/')}/i/{token}?lang={language}"
    try:
        await checkout.make_order(settings, invoice_id=invoice.id, method=method, return_url=return_url, amount=part)
    except checkout.CheckoutUnavailable:
        return _see(f"../{token}?lang={language}&unavailable=1")
    return _see(f"pay/{method}?lang={language}")


@public.get(
    "/i/{token}/pay/{method}",
    response_class=HTMLResponse,
    tags=["hosted page"],
    summary="What the customer pays with (a QR code, or the gateway's page); shows the receipt once paid",
    responses={303: {"description": "Paid (or no open order): back to the invoice's page"}, **PUBLIC_ANSWERS},
)
async def pay_page(
    token: str,
    method: str,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    lang: Lang = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    language = page.page_language(lang, accept_language)
    if (limited := _limited(request, language, token)) is not None:
        return limited
    creditor = await creditor_in_force(session, request.app.state.settings)
    link = await links.resolve(session, token, clock=clock)
    if link is None:
        return _not_found(request, language)
    back = f"../../{token}?lang={language}"
    invoice = await require_invoice(session, link.invoice_id)
    if invoice.status != "open" or method not in checkout.offered(request.app.state.settings):
        return _see(back)  # paid: the page shows the receipt
    try:
        order = await checkout.open_order(request.app.state.settings, invoice_id=invoice.id, method=method)
    except checkout.CheckoutUnavailable:
        order = None
    if order is None:
        return _see(back)
    customer = await require_customer(session, invoice.customer_id)
    out = await invoice_out(session, invoice, clock)
    body = page.pay_page(_context(out, customer, creditor, link, clock), order, language=language, token=token)
    return HTMLResponse(body, headers=page.HEADERS)


@public.get(
    "/i/{token}/pdf",
    response_class=Response,
    tags=["hosted page"],
    summary="The invoice's PDF from its public page: the API's PDF, with this link as its QR code",
    responses={200: {"content": {"application/pdf": {}}}, **PUBLIC_ANSWERS},
)
async def hosted_pdf(
    token: str,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    lang: Lang = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    language = page.page_language(lang, accept_language)
    if (limited := _limited(request, language, token)) is not None:
        return limited
    creditor = await creditor_in_force(session, request.app.state.settings)
    link = await links.resolve(session, token, clock=clock)
    if link is None:
        return _not_found(request, language)
    invoice = await require_invoice(session, link.invoice_id)
    customer = await require_customer(session, invoice.customer_id)
    out = await invoice_out(session, invoice, clock)  # (no view counted: a PDF is fetched to attach it, too)
    pdf = await asyncio.to_thread(
        documents.invoice_pdf,
        out,
        customer_name=customer.legal_name,
        customer_uscc=customer.unified_social_credit_code,
        creditor=creditor,
        language=language,
        hosted_url=links.url_of(token),
    )
    headers = {
        **page.HEADERS,
        "Content-Disposition": f'inline; filename="{out.number or out.id}.pdf"',
    }
    return Response(pdf, media_type="application/pdf", headers=headers)


@public.post(
    "/i/{token}",
    status_code=202,
    response_class=HTMLResponse,
    responses={202: {"content": {"text/html": {}}}, 429: PUBLIC_ANSWERS[429]},
    tags=["hosted page"],
    summary="Ask for a new link on a page that no longer works, with the email on file (the same answer always)",
    description="When the address typed is one of the customer's contacts' and the link has expired, the invoice "
    "gets a new link (working 30 days from today at the earliest) and dunning emails it to that address, at most "
    "once an hour per invoice. A revoked link, an address not on file or a token that never was send nothing; "
    "the answer is the same page whatever happened.",
)
async def renew_link(
    token: str,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    email: Annotated[str, Form(max_length=254)],
    lang: Lang = None,
    accept_language: AcceptLanguage = None,
) -> HTMLResponse:
    language = page.page_language(lang, accept_language)
    if (limited := _limited(request, language, token)) is not None:
        return limited
    count_miss(request)  # a renewal is asked on a dead page: as many as misses allow
    await renewals.renew_invoice_link(session, clock=clock, token=token, email=email, language=language)
    body = page.message_page(language=language, title_key="renew_sent_title", body_key="renew_sent_body")
    return HTMLResponse(body, status_code=202, headers=page.HEADERS)
