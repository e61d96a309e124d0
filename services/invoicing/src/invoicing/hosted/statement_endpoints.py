"""The hosted statement page (`/s/{token}`, no key: the token is the key), where the customer confirms or disputes.

The invoice page's rules hold: the same limits (misses per address, requests per link), one 404 for every link
that does not work, the same safety headers (no script, no-store). A form is taken only with the token of this
link's own page (statements.links.form_token) and the hash of the content it showed; after an answer the page
says it was answered, and a second answer is 409.
"""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from arflow.documents.creditor import Creditor
from arflow.problems import Problem
from arflow.service import ClockDep, SessionDep
from invoicing.config import InvoicingSettings
from invoicing.hosted import page, renewals, statement_page
from invoicing.hosted.endpoints import (
    PUBLIC_ANSWERS,
    AcceptLanguage,
    HostedPageNotFound,
    Lang,
    _limited,
    count_miss,
    wants_html,
)
from invoicing.lookups import require_customer
from invoicing.reports.documents import statement_pdf
from invoicing.reports.schemas import StatementOut
from invoicing.statements import links, repository
from invoicing.statements.answers import Answer, Upload, answer_statement, content_of
from invoicing.statements.errors import (
    StatementAlreadyAnswered,
    StatementAnswerInvalid,
    StatementContentMismatch,
    StatementFormInvalid,
    StatementReplyRejected,
    line_named,
)
from invoicing.statements.models import Statement

REFUSALS = (
    StatementAlreadyAnswered,
    StatementAnswerInvalid,
    StatementContentMismatch,
    StatementFormInvalid,
    StatementReplyRejected,
)

public = APIRouter(tags=["hosted page"])
FORM_OVERHEAD = 64 * 1024  # what a form's fields and multipart framing add to the file it carries


def _not_found(request: Request, language: str) -> HTMLResponse:
    count_miss(request)
    if not wants_html(request):
        raise HostedPageNotFound(
            "There is no page at this link, or it has expired or been revoked.",
            detail_zh="此链接没有对应的页面，或已过期、已停用。",
            headers=page.HEADERS,
        )
    return HTMLResponse(statement_page.not_found_page(language=language), status_code=404, headers=page.HEADERS)


async def _open(
    request: Request, session: SessionDep, clock: ClockDep, token: str, language: str
) -> tuple[links.WorkingLink, Statement] | HTMLResponse:
    if (limited := _limited(request, language, token)) is not None:
        return limited
    link = await links.resolve(session, token, clock=clock)
    if link is None:
        return _not_found(request, language)
    statement = await repository.get_statement(session, link.statement_id)
    assert statement is not None  # (a link's statement is never deleted)
    return link, statement


@public.get(
    "/s/{token}",
    response_class=HTMLResponse,
    summary="The statement's public page (HTML; no key: the link is the key), to confirm or dispute it",
    responses=PUBLIC_ANSWERS,
)
async def hosted_statement(
    token: str,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    lang: Lang = None,
    accept_language: AcceptLanguage = None,
) -> HTMLResponse:
    language = page.page_language(lang, accept_language)
    opened = await _open(request, session, clock, token, language)
    if isinstance(opened, HTMLResponse):
        return opened
    link, statement = opened
    customer = await require_customer(session, statement.customer_id)
    answered = None
    if statement.status != "issued":
        response = await repository.response_of(session, statement.id)
        if response is not None:
            answered = statement_page.Answered(response.kind, response.responder_name, response.responded_at)
    settings: InvoicingSettings = request.app.state.settings
    view = statement_page.StatementView(
        content=content_of(statement),
        content_sha256=statement.content_sha256.hex(),
        status=statement.status,
        expires_on=str(link.expires_on),
        time_zone=customer.time_zone,
        form_token=links.form_token(link),
        max_reply_mb=max(1, settings.statement_reply_max_bytes // (1024 * 1024)),
        answered=answered,
    )
    await links.record_view(session, statement.id, at=clock.now())
    return HTMLResponse(statement_page.statement_page(view, language=language, token=token), headers=page.HEADERS)


@public.get(
    "/s/{token}/pdf",
    response_class=Response,
    summary="The statement's PDF from its public page, drawn from what it froze",
    responses={200: {"content": {"application/pdf": {}}}, **PUBLIC_ANSWERS},
)
async def hosted_statement_pdf(
    token: str,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    lang: Lang = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    language = page.page_language(lang, accept_language)
    opened = await _open(request, session, clock, token, language)
    if isinstance(opened, HTMLResponse):
        return opened
    _, statement = opened
    content = content_of(statement)
    shown = StatementOut.model_validate(content["statement"]).model_copy(update={"language": language})
    pdf = await asyncio.to_thread(
        statement_pdf, shown, creditor=Creditor(**content["creditor"]), customer_uscc=content["customer"]["uscc"]
    )
    headers = {**page.HEADERS, "Content-Disposition": f'inline; filename="statement-{statement.number}.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


def _see(path: str) -> Response:
    return Response(status_code=303, headers={**page.HEADERS, "Location": path})


def _refused(request: Request, language: str, problem: Problem) -> Response:
    """A refused answer: its problem+json to a program, a page saying why to a browser (same status)."""
    if not wants_html(request):
        raise problem
    title = "already_title" if isinstance(problem, StatementAlreadyAnswered) else "invalid_title"
    if isinstance(problem, StatementAlreadyAnswered):
        body = statement_page.message_page(language=language, title_key=title, body_key="already_body")
    elif isinstance(problem, StatementFormInvalid):
        body = statement_page.message_page(language=language, title_key=title, body_key="form_expired_body")
    else:
        text = problem.detail_zh if language == "zh-CN" and problem.detail_zh else problem.detail
        body = statement_page.message_page(language=language, title_key=title, text=text)
    return HTMLResponse(body, status_code=problem.status, headers=page.HEADERS)


def _text(form: FormData, name: str, limit: int = 100) -> str | None:
    value = form.get(name)
    if not isinstance(value, str):
        return None
    return value.strip()[:limit] or None


# What a customer may type around an amount, or copy from the page: separators, the currency, 元.
_AROUND_AMOUNT = re.compile(r"[,，\s¥￥元]|人民币|^[A-Za-z]{3}|[A-Za-z]{3}$")


def _amount(value: str | None, key: str | None) -> Decimal | None:
    """An amount as typed: "-12,800.00", "¥-12,800.00", "CNY -12,800.00", or "(12,800.00)" for a negative one.

    `key` names the statement line it is for (None: the closing balance), for the refusal's words.
    """
    if value is None:
        return None
    cleaned = _AROUND_AMOUNT.sub("", value.strip())
    negative = cleaned.startswith(("(", "（")) and cleaned.endswith((")", "）"))
    if negative:
        cleaned = "-" + cleaned[1:-1]
    try:
        parsed = Decimal(cleaned)
    except InvalidOperation:
        parsed = Decimal("NaN")
    if not parsed.is_finite() or abs(parsed) >= Decimal("1e15"):
        en, zh = line_named(key) if key is not None else ("the closing balance", "期末余额")
        raise StatementAnswerInvalid(
            f"The amount given for {en} is not an amount: {value}.", detail_zh=f"{zh}填写的金额无效：{value}。"
        )
    return parsed.quantize(Decimal("0.01"))


async def _read_answer(
    request: Request, link: links.WorkingLink, kind: Literal["confirmed", "disputed"], max_bytes: int
) -> Answer:
    length = request.headers.get("content-length")
    if length is None or not length.isdigit() or int(length) > max_bytes + FORM_OVERHEAD:
        raise StatementReplyRejected(
            f"The answer must say its length and carry at most {max_bytes} bytes of reply.",
            detail_zh=f"回复须注明长度，回函文件最多 {max_bytes} 字节。",
            status=413,
        )
    form = await request.form(max_files=1, max_fields=2000, max_part_size=16 * 1024)
    token = form.get("form_token")
    if not isinstance(token, str) or not links.form_token_matches(link, token):
        raise StatementFormInvalid(
            "The form was not made on this link's page.", detail_zh="表单不是此链接的页面所发，请重新打开链接。"
        )
    name, title = _text(form, "responder_name"), _text(form, "responder_title")
    if name is None or title is None:
        raise StatementAnswerInvalid(
            "Give the name and title of the person answering.", detail_zh="请填写经办人姓名和职务。"
        )
    shown = form.get("shown_sha256")
    client = request.client.host if request.client else None
    answer: dict[str, Any] = {
        "kind": kind,
        "responder_name": name,
        "responder_title": title,
        "shown_sha256": shown if isinstance(shown, str) else "",
        "ip": client,
        "user_agent": request.headers.get("user-agent"),
    }
    if kind == "disputed":
        keys = [k for k in form.getlist("line") if isinstance(k, str)][:1000]
        lines = {k: _amount(_text(form, f"amount:{k}", 24), k) for k in dict.fromkeys(keys)}
        balance = [c for c in form.getlist("balance_currency") if isinstance(c, str)]
        if len(balance) > 1:
            raise StatementAnswerInvalid(
                "Dispute one currency's balance at a time.", detail_zh="每次只能对一种币种的余额提出差异。"
            )
        currency = balance[0] if balance else None
        upload = form.get("reply")
        reply = None
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(max_bytes + 1)
            reply = Upload(filename=upload.filename, data=data)
        answer.update(
            comment=_text(form, "comment", 2000),
            lines=lines,
            balance_disputed=currency is not None,
            balance_currency=currency,
            balance_customer_sees=_amount(_text(form, f"balance:{currency}", 24), None) if currency else None,
            reply=reply,
        )
    await form.close()
    return Answer(**answer)


async def _answer(
    kind: Literal["confirmed", "disputed"],
    token: str,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    language: str,
) -> Response:
    opened = await _open(request, session, clock, token, language)
    if isinstance(opened, HTMLResponse):
        return opened
    link, statement = opened
    settings: InvoicingSettings = request.app.state.settings
    try:
        if statement.status != "issued":  # before reading a form (and its file) that cannot be taken
            raise StatementAlreadyAnswered(
                f"Statement {statement.number} was already answered.", detail_zh=f"对账单 {statement.number} 已回复。"
            )
        answer = await _read_answer(request, link, kind, settings.statement_reply_max_bytes)
        await answer_statement(
            session,
            clock=clock,
            statement_id=statement.id,
            answer=answer,
            max_reply_bytes=settings.statement_reply_max_bytes,
        )
    except REFUSALS as problem:
        await session.rollback()  # (nothing is written before a refusal; this says so)
        return _refused(request, language, problem)
    return _see(f"../{token}?lang={language}")


_ANSWERER = {
    "form_token": {"type": "string", "description": "The page's form token (bound to this link)."},
    "shown_sha256": {"type": "string", "description": "The SHA-256 of the content the page showed."},
    "responder_name": {"type": "string", "maxLength": 100},
    "responder_title": {"type": "string", "maxLength": 100},
}
CONFIRM_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": _ANSWERER, "required": list(_ANSWERER)}
            }
        },
    }
}
DISPUTE_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        **_ANSWERER,
                        "line": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "Each disputed line, `<currency>:<line number>`.",
                        },
                        "amount:<currency>:<n>": {"type": "string", "description": "The amount the customer has."},
                        "balance_currency": {"type": "string", "description": "The currency whose balance differs."},
                        "balance:<currency>": {"type": "string", "description": "The balance the customer has."},
                        "comment": {"type": "string", "maxLength": 2000},
                        "reply": {"type": "string", "format": "binary", "description": "A stamped reply."},
                    },
                    "required": [*_ANSWERER, "comment"],
                }
            }
        },
    }
}
ANSWER_RESPONSES: dict[int | str, dict[str, Any]] = {
    303: {"description": "Answered: back to the statement's page, which says so"},
    403: {"description": "`statement_form_invalid`: the form is not this link's page's"},
    409: {"description": "`statement_already_answered` (a statement is answered once), `statement_content_mismatch`"},
    413: {"description": "`statement_reply_rejected`: the upload is larger than allowed"},
    422: {"description": "`statement_answer_invalid`, `statement_reply_rejected` (not a PDF, JPEG or PNG)"},
    **PUBLIC_ANSWERS,
}


@public.post(
    "/s/{token}/confirm",
    status_code=303,
    response_class=Response,
    responses=ANSWER_RESPONSES,
    summary="Confirm the statement as correct (确认无误), once: the page's form (token, hash shown, name, title)",
    openapi_extra=CONFIRM_FORM,
)
async def confirm(
    token: str,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    lang: Lang = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    language = page.page_language(lang, accept_language)
    return await _answer("confirmed", token, request, session, clock, language)


@public.post(
    "/s/{token}/dispute",
    status_code=303,
    response_class=Response,
    responses=ANSWER_RESPONSES,
    summary="Dispute lines or the balance (有差异), once, with a comment and optionally a stamped reply (multipart)",
    openapi_extra=DISPUTE_FORM,
)
async def dispute(
    token: str,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    lang: Lang = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    language = page.page_language(lang, accept_language)
    return await _answer("disputed", token, request, session, clock, language)


@public.post(
    "/s/{token}",
    status_code=202,
    response_class=HTMLResponse,
    responses={202: {"content": {"text/html": {}}}, 429: PUBLIC_ANSWERS[429]},
    summary="Ask for a new link on a statement page that no longer works, with the email on file (the same answer "
    "always)",
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
    """The invoice page's renewal (hosted.endpoints.renew_link) for a statement's link: kept, never the address.

    The request is kept whether or not the address is one of the customer's contacts, and the answer is the
    same page either way (and for a token that never was), so the form tells nobody what is on file. A matched
    request on an expired link makes the statement a new link, which dunning emails to that address (at most once
    an hour per statement: hosted.renewals). A revoked link was stopped on purpose and is never renewed.
    """
    language = page.page_language(lang, accept_language)
    if (limited := _limited(request, language, token)) is not None:
        return limited
    count_miss(request)  # a renewal is asked on a dead page: as many as misses allow
    settings: InvoicingSettings = request.app.state.settings
    await renewals.renew_statement_link(
        session, clock=clock, token=token, email=email, language=language, link_days=settings.statement_link_days
    )
    body = statement_page.renewal_received_page(language=language)
    return HTMLResponse(body, status_code=202, headers=page.HEADERS)
