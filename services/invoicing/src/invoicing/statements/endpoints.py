"""The statement cycle's API: schedules, issuing, reading a statement with its evidence, its PDF and its link."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from arflow import audit
from arflow.clock import local_date
from arflow.documents.creditor import Creditor
from arflow.events.catalog import StatementHostedLinkChanged
from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.messaging import outbox
from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from invoicing.config import InvoicingSettings
from invoicing.customers.errors import UnknownCustomer
from invoicing.deps import Paging, Reader, Writer
from invoicing.lookups import get_customer, require_customer
from invoicing.reports.documents import CREDITOR_NOT_CONFIGURED, statement_pdf
from invoicing.reports.schemas import StatementOut
from invoicing.statements import links, repository, service, views
from invoicing.statements.answers import content_of
from invoicing.statements.errors import StatementLinkNotFound, StatementNotFound, StatementReplyNotFound
from invoicing.statements.models import Statement
from invoicing.statements.schemas import (
    HostedStatementLinkOut,
    ScheduleIn,
    ScheduleOut,
    StatementDetailOut,
    StatementIssueIn,
    StatementSummaryOut,
)

router = APIRouter(tags=["statements"])
# The frozen content's top level (statement is reports' statement of account, as GET /customers/{id}/statement).
CONTENT_EXAMPLE = {
    "version": 1,
    "number": "20260228-610501",
    "cycle": "monthly",
    "business_date": "2026-03-01",
    "creditor": {"legal_name": "上海澄账代理记账有限公司", "uscc": "91310101MA1FPX1X30", "demo": False},
    "customer": {"id": "01a250e6-385b-70be-9dbc-838cfbf9ecc5", "legal_name": "杭州云帆科技有限公司", "uscc": None},
    "statement": {"period_start": "2026-02-01", "period_end": "2026-02-28", "currencies": []},
    "invoice_ids": {"INV-2026-000002": "01a250e6-3f1c-7d2a-8a7e-2b1c8f0e6a11"},
    "open_invoices": [
        {
            "invoice_id": "01a250e6-3f1c-7d2a-8a7e-2b1c8f0e6a11",
            "invoice_number": "INV-2026-000002",
            "currency": "CNY",
            "due_date": "2026-03-05",
            "open_amount": "500.00",
        }
    ],
}


async def require_statement(session: SessionDep, statement_id: UUID, *, for_update: bool = False) -> Statement:
    statement = await repository.get_statement(session, statement_id, for_update=for_update)
    if statement is None:
        raise StatementNotFound(f"Statement {statement_id} not found.", detail_zh=f"对账单 {statement_id} 不存在。")
    return statement


@router.get(
    "/customers/{customer_id}/statement-schedule",
    response_model=ScheduleOut,
    summary="How often the customer gets a statement to confirm (monthly on the 1st unless set)",
)
async def get_schedule(customer_id: UUID, session: SessionDep, clock: ClockDep, _: Reader) -> ScheduleOut:
    return await service.schedule(session, clock=clock, customer_id=customer_id)


@router.put(
    "/customers/{customer_id}/statement-schedule",
    response_model=ScheduleOut,
    summary="Set how often the customer gets a statement: monthly, quarterly or none, on a day of the month after",
)
async def put_schedule(
    customer_id: UUID, body: ScheduleIn, session: SessionDep, clock: ClockDep, principal: Writer
) -> ScheduleOut:
    return await service.set_schedule(session, actor=principal, clock=clock, customer_id=customer_id, data=body)


@router.post(
    "/statements",
    dependencies=[IDEMPOTENT],
    response_model=StatementSummaryOut,
    status_code=201,
    summary="Issue a customer's statement for a period now (or answer the one it has: 200)",
    description="A statement freezes what it shows (opening balance, lines, closing balance, what was open at the "
    "period's end) and the SHA-256 of exactly that content, publishes StatementIssued on arflow.statements and gets "
    "a hosted page to confirm or dispute it at `hosted_statement_url` (in this answer only). One per customer and "
    "period: asking again answers the one there is, with 200. The period must be over in the customer's time zone; "
    "left out, it is the last whole month (or quarter, on a quarterly schedule).",
    responses={200: {"description": "The customer already had a statement for the period"}, **CREDITOR_NOT_CONFIGURED},
)
async def issue_statement(
    body: StatementIssueIn, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    settings: InvoicingSettings = request.app.state.settings
    customer = await get_customer(session, body.customer_id)
    if customer is None:
        missing = body.customer_id
        raise UnknownCustomer(f"There is no customer {missing}.", detail_zh=f"客户 {missing} 不存在。")
    existing = None
    if body.period_start is not None and body.period_end is not None:
        existing = await repository.statement_for_period(session, customer.id, body.period_start, body.period_end)

    async def issue() -> StatementSummaryOut:
        issued = await service.issue_statement(
            session,
            actor=principal,
            clock=clock,
            settings=settings,
            customer_id=body.customer_id,
            start=body.period_start,
            end=body.period_end,
            language=body.language,
        )
        assert issued is not None  # (only the job skips empty statements)
        [out] = await views.summaries(session, [issued.statement], clock, answer_days=settings.statement_answer_days)
        return out

    return await idempotent(request, session, principal, body, issue, status_code=200 if existing else 201)


@router.get(
    "/statements",
    response_model=Page[StatementSummaryOut],
    summary="Statements issued, newest first (unanswered=true: the ones to follow up)",
)
async def list_statements(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    _: Reader,
    page: Paging,
    customer_id: UUID | None = None,
    status: Literal["issued", "confirmed", "disputed"] | None = None,
    period: Annotated[
        str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM: the month the period ends in.")
    ] = None,
    unanswered: Annotated[
        bool | None,
        Query(
            description="true: only statements neither confirmed nor disputed past their answer_due_on "
            "(ARFLOW_STATEMENT_ANSWER_DAYS after issue, the customer's calendar); false: all the others."
        ),
    ] = None,
) -> Page[StatementSummaryOut]:
    settings: InvoicingSettings = request.app.state.settings
    days = settings.statement_answer_days
    month = (int(period[:4]), int(period[5:])) if period else None
    rows = await repository.list_statements(
        session,
        page,
        customer_id=customer_id,
        status=status,
        period_month=month,
        unanswered=unanswered,
        now=clock.now(),
        answer_days=days,
    )
    return make_page(await views.summaries(session, rows, clock, answer_days=days), page)


@router.get(
    "/statements/{statement_id}",
    response_model=StatementDetailOut,
    summary="A statement as frozen, with the customer's answer and its evidence",
)
async def get_statement(
    statement_id: UUID, request: Request, session: SessionDep, clock: ClockDep, _: Reader
) -> StatementDetailOut:
    settings: InvoicingSettings = request.app.state.settings
    statement = await require_statement(session, statement_id)
    return await views.detail(session, statement, clock, answer_days=settings.statement_answer_days)


@router.get(
    "/statements/{statement_id}/content",
    response_class=Response,
    summary="The exact bytes the statement froze (canonical JSON): their SHA-256 is content_sha256",
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}, "example": CONTENT_EXAMPLE}}}},
)
async def get_content(statement_id: UUID, session: SessionDep, _: Reader) -> Response:
    statement = await require_statement(session, statement_id)
    digest = statement.content_sha256.hex()
    return Response(statement.content, media_type="application/json", headers={"Digest": f"sha-256={digest}"})


def frozen_pdf(statement: Statement) -> bytes:
    """The frozen statement drawn by reports' statement PDF, with the creditor it was issued under."""
    content = content_of(statement)
    return statement_pdf(
        StatementOut.model_validate(content["statement"]),
        creditor=Creditor(**content["creditor"]),
        customer_uscc=content["customer"]["uscc"],
    )


@router.get(
    "/statements/{statement_id}/pdf",
    response_class=Response,
    summary="The statement's PDF, drawn from what it froze (with the confirmation slip to return)",
    responses={200: {"content": {"application/pdf": {}}}},
)
async def get_pdf(statement_id: UUID, session: SessionDep, _: Reader) -> Response:
    statement = await require_statement(session, statement_id)
    pdf = await asyncio.to_thread(frozen_pdf, statement)
    headers = {"Content-Disposition": f'inline; filename="statement-{statement.number}.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.get(
    "/statements/{statement_id}/reply",
    response_class=Response,
    summary="The stamped reply the customer uploaded with the answer, as received",
    responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
)
async def get_reply(statement_id: UUID, session: SessionDep, _: Reader) -> Response:
    await require_statement(session, statement_id)
    reply = await repository.reply_of(session, statement_id)
    if reply is None:
        raise StatementReplyNotFound(
            f"Statement {statement_id} has no stamped reply.", detail_zh=f"对账单 {statement_id} 没有盖章回函。"
        )
    headers = {
        "Content-Disposition": "attachment",
        "Digest": f"sha-256={reply.sha256.hex()}",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(reply.data, media_type=reply.media_type, headers=headers)


@router.post(
    "/statements/{statement_id}/hosted-link",
    dependencies=[IDEMPOTENT],
    response_model=HostedStatementLinkOut,
    summary="Give the statement a new hosted link: the old one stops working at once",
    description="The answer is the only place the new link is shown. It works for the configured days from today.",
)
async def rotate_link(
    statement_id: UUID, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    settings: InvoicingSettings = request.app.state.settings

    async def rotate() -> HostedStatementLinkOut:
        statement = await require_statement(session, statement_id, for_update=True)
        customer = await require_customer(session, statement.customer_id)
        today = local_date(clock.now(), customer.time_zone)
        expires_on = today + timedelta(days=settings.statement_link_days)
        url = await links.mint(session, statement_id=statement.id, expires_on=expires_on, clock=clock)
        rotated = StatementHostedLinkChanged(
            customer_id=statement.customer_id,
            statement_id=statement.id,
            statement_number=statement.number,
            hosted_statement_url=url,
            link_expires_on=expires_on,
            reason="rotated",
            changed_at=clock.now(),
        )
        await outbox.add(session, rotated, clock=clock)  # dunning resends the new link, not the old
        await session.flush()
        link = await links.link_of(session, statement.id)
        assert link is not None
        await session.refresh(link)
        await audit.record(
            session,
            action="statement_link.rotated",
            object_type="statement",
            object_id=statement.id,
            after={"expires_on": expires_on},
        )
        pending = await repository.pending_renewals(session, [statement.id])
        return HostedStatementLinkOut(
            statement_id=statement.id,
            hosted_statement_url=url,
            link=views.link_out(link, today, pending.get(statement.id, 0)),
        )

    return await idempotent(request, session, principal, None, rotate, status_code=200)


@router.delete(
    "/statements/{statement_id}/hosted-link",
    status_code=204,
    summary="Revoke the statement's hosted link: it answers 404 from now on (POST makes a new one)",
)
async def revoke_link(statement_id: UUID, session: SessionDep, clock: ClockDep, _: Writer) -> Response:
    statement = await require_statement(session, statement_id)
    if not await links.revoke(session, statement_id=statement.id, clock=clock):
        raise StatementLinkNotFound(
            f"Statement {statement_id} has no hosted link.", detail_zh=f"对账单 {statement_id} 没有在线链接。"
        )
    revoked = StatementHostedLinkChanged(
        customer_id=statement.customer_id,
        statement_id=statement.id,
        statement_number=statement.number,
        reason="revoked",
        changed_at=clock.now(),
    )
    await outbox.add(session, revoked, clock=clock)
    await audit.record(session, action="statement_link.revoked", object_type="statement", object_id=statement.id)
    return Response(status_code=204)
