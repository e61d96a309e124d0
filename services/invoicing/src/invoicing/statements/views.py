"""A statement, its link and its answer as the API shows them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal, cast
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock, local_date
from invoicing.models import Customer
from invoicing.statements import domain, links, repository
from invoicing.statements.answers import content_of
from invoicing.statements.models import Statement, StatementLink, StatementResponse
from invoicing.statements.schemas import (
    BalanceOut,
    DisputedLineOut,
    ReplyOut,
    ResponseOut,
    StatementDetailOut,
    StatementLinkOut,
    StatementSummaryOut,
)


def link_out(link: StatementLink, today: date, renewals_pending: int) -> StatementLinkOut:
    status: Literal["active", "expired", "revoked"] = (
        "revoked" if link.revoked_at else "expired" if today > link.expires_on else "active"
    )
    return StatementLinkOut(
        status=status,
        expires_on=link.expires_on,
        created_at=link.created_at,
        rotated_at=link.rotated_at,
        revoked_at=link.revoked_at,
        view_count=link.view_count,
        last_viewed_at=link.last_viewed_at,
        renewals_pending=renewals_pending,
    )


def _fields(statement: Statement, content: dict[str, Any], today: date, answer_days: int) -> dict[str, Any]:
    return {
        "id": statement.id,
        "number": statement.number,
        "customer_id": statement.customer_id,
        "period_start": statement.period_start,
        "period_end": statement.period_end,
        "cycle": statement.cycle,
        "status": statement.status,
        "language": statement.language,
        "business_date": statement.business_date,
        "issued_at": statement.issued_at,
        "answered_at": statement.answered_at,
        "answer_due_on": domain.answer_due_on(statement.business_date, answer_days),
        "unanswered": domain.is_unanswered(statement.status, statement.business_date, today, answer_days),
        "content_sha256": statement.content_sha256.hex(),
        "balances": [BalanceOut(**vars(b)) for b in domain.balances(content)],
    }


async def _today(session: AsyncSession, customer_id: UUID, clock: Clock) -> date:
    customer = await session.get(Customer, customer_id)
    return local_date(clock.now(), customer.time_zone if customer else "Asia/Shanghai")


async def summaries(
    session: AsyncSession, statements: list[Statement], clock: Clock, *, answer_days: int
) -> list[StatementSummaryOut]:
    found = await repository.links_of(session, [s.id for s in statements])
    renewals = await repository.pending_renewals(session, list(found))
    out = []
    for statement in statements:
        link = found.get(statement.id)
        today = await _today(session, statement.customer_id, clock)
        out.append(
            StatementSummaryOut(
                **_fields(statement, content_of(statement), today, answer_days),
                hosted_statement_url=links.minted_url(session, statement.id),
                link=link_out(link, today, renewals.get(statement.id, 0)) if link else None,
            )
        )
    return out


async def response_out(session: AsyncSession, statement: Statement, response: StatementResponse) -> ResponseOut:
    content = content_of(statement)
    by_key = {line.key: line for line in domain.lines(content)}
    chosen = []
    for item in response.disputed_lines:
        line = by_key[f"{item['currency']}:{item['line_no']}"]
        seen = item.get("amount_customer_sees")
        chosen.append(
            DisputedLineOut(
                currency=line.currency,
                line_no=line.line_no,
                kind=line.kind,
                entry_date=line.entry_date,
                document=line.document,
                invoice_id=line.invoice_id,
                invoice_number=line.invoice_number,
                amount_on_statement=line.amount,
                amount_customer_sees=None if seen is None else Decimal(cast(str, seen)),
            )
        )
    disputed_ids: list[UUID] = []
    if response.kind == "disputed":
        lines = [by_key[f"{i['currency']}:{i['line_no']}"] for i in response.disputed_lines]
        currency = response.balance_currency or (lines[0].currency if lines else None)
        disputed_ids = [i.invoice_id for i in domain.disputed_invoices(content, lines, currency)]
    reply = None
    if response.reply_id is not None:
        meta = await repository.reply_meta(session, response.reply_id)
        if meta is not None:
            reply = ReplyOut(
                id=meta.id,
                filename=meta.filename,
                media_type=meta.media_type,
                size=meta.size,
                sha256=meta.sha256.hex(),
                uploaded_at=meta.uploaded_at,
                href=f"/statements/{statement.id}/reply",
            )
    return ResponseOut(
        id=response.id,
        kind=cast(Any, response.kind),
        responder_name=response.responder_name,
        responder_title=response.responder_title,
        responded_at=response.responded_at,
        business_date=response.business_date,
        ip=response.ip,
        user_agent=response.user_agent,
        shown_sha256=response.shown_sha256.hex(),
        shown_is_content=response.shown_sha256 == domain.sha256_bytes(statement.content),
        comment=response.comment,
        balance_disputed=response.balance_disputed,
        balance_currency=response.balance_currency,
        balance_customer_sees=response.balance_customer_sees,
        lines=chosen,
        disputed_invoice_ids=disputed_ids,
        reply=reply,
    )


async def detail(session: AsyncSession, statement: Statement, clock: Clock, *, answer_days: int) -> StatementDetailOut:
    [summary] = await summaries(session, [statement], clock, answer_days=answer_days)
    response = await repository.response_of(session, statement.id)
    return StatementDetailOut(
        **summary.model_dump(),
        content=content_of(statement),
        response=await response_out(session, statement, response) if response else None,
    )
