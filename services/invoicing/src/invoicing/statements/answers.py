"""The customer's answer to a statement, confirmed (确认无误) or disputed (有差异), once, with evidence. Never commits.

The answer is bound to what was shown: the page's form carries the SHA-256 of the statement's content,
and an answer naming another hash is refused. The evidence kept is that hash, the instant (and the
customer's date), the address and user agent the answer came from, the responder's name and title, and
for a dispute the lines or balance disputed, the amounts the customer sees, the comment and the stamped
reply (its bytes and SHA-256).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow import audit
from arflow.clock import Clock, local_date
from arflow.events.catalog import (
    DisputedInvoice,
    DisputedLine,
    StatementConfirmed,
    StatementDisputed,
    StatementResponder,
)
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.money import Money
from invoicing.lookups import require_customer
from invoicing.statements import domain, repository
from invoicing.statements.errors import (
    StatementAlreadyAnswered,
    StatementAnswerInvalid,
    StatementContentMismatch,
    StatementNotFound,
    StatementReplyRejected,
    line_named,
)
from invoicing.statements.models import Statement, StatementReply, StatementResponse
from invoicing.statements.service import event_balances

log = structlog.get_logger("invoicing")
MAX_COMMENT = 2000


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class Answer:
    """An answer as the page's form gave it."""

    kind: Literal["confirmed", "disputed"]
    responder_name: str
    responder_title: str | None
    shown_sha256: str
    ip: str | None
    user_agent: str | None
    comment: str | None = None
    # "<currency>:<line_no>" -> the amount the customer sees on it (None: not said)
    lines: dict[str, Decimal | None] | None = None
    balance_disputed: bool = False
    balance_currency: str | None = None
    balance_customer_sees: Decimal | None = None
    reply: Upload | None = None


def content_of(statement: Statement) -> dict[str, Any]:
    content: dict[str, Any] = json.loads(statement.content)
    return content


def check_reply(upload: Upload, *, max_bytes: int) -> domain.ReplyType:
    """A stamped reply is a PDF, JPEG or PNG (by its bytes) and no larger than the limit."""
    if len(upload.data) > max_bytes:
        raise StatementReplyRejected(
            f"The reply is {len(upload.data)} bytes; at most {max_bytes} are taken.",
            detail_zh=f"回函文件为 {len(upload.data)} 字节，最多接受 {max_bytes} 字节。",
        )
    kind = domain.reply_type(upload.data)
    if kind is None:
        raise StatementReplyRejected(
            "The reply must be a PDF, JPEG or PNG file.", detail_zh="回函须为 PDF、JPEG 或 PNG 文件。"
        )
    return kind


def _disputed_lines(content: dict[str, Any], answer: Answer) -> list[tuple[domain.Line, Decimal | None]]:
    by_key = {line.key: line for line in domain.lines(content)}
    chosen = []
    for key, seen in (answer.lines or {}).items():
        line = by_key.get(key)
        if line is None:
            en, zh = line_named(key)
            raise StatementAnswerInvalid(f"The statement has no {en}.", detail_zh=f"对账单中没有{zh}。", line=key)
        chosen.append((line, seen))
    return sorted(chosen, key=lambda pair: (domain.currency_order(pair[0].currency), pair[0].line_no))


def _check_dispute(content: dict[str, Any], answer: Answer) -> None:
    if not answer.lines and not answer.balance_disputed:
        raise StatementAnswerInvalid(
            "Say which lines or that the balance differs.", detail_zh="请指出有差异的明细行或余额。"
        )
    if not (answer.comment or "").strip():
        raise StatementAnswerInvalid("Say what differs in the comment.", detail_zh="请在说明中写明差异内容。")
    currencies = {b.currency for b in domain.balances(content)}
    if answer.balance_disputed and answer.balance_currency not in currencies:
        raise StatementAnswerInvalid(
            "The disputed balance's currency is not one of the statement's.",
            detail_zh="有差异的余额币种不在对账单中。",
        )


async def answer_statement(
    session: AsyncSession, *, clock: Clock, statement_id: UUID, answer: Answer, max_reply_bytes: int
) -> StatementResponse:
    """Record the customer's one answer and its evidence, tell it on arflow.statements, and audit it."""
    statement = await repository.get_statement(session, statement_id, for_update=True)
    if statement is None:
        raise StatementNotFound(f"Statement {statement_id} not found.", detail_zh=f"对账单 {statement_id} 不存在。")
    if statement.status != "issued":
        raise StatementAlreadyAnswered(
            f"Statement {statement.number} was already answered ({statement.status}).",
            detail_zh=f"对账单 {statement.number} 已回复，不能再次回复。",
            status_now=statement.status,
        )
    digest = statement.content_sha256
    given = answer.shown_sha256.encode("ascii", "replace")
    if not hmac.compare_digest(given, digest.hex().encode()):
        raise StatementContentMismatch(
            "The answer names content other than the statement's.", detail_zh="回复所指的内容与对账单不一致。"
        )
    content = content_of(statement)
    if answer.kind == "disputed":
        _check_dispute(content, answer)
    chosen = _disputed_lines(content, answer) if answer.kind == "disputed" else []
    customer = await require_customer(session, statement.customer_id)
    now = clock.now()
    today = local_date(now, customer.time_zone)
    reply = None
    if answer.reply is not None:
        media_type = check_reply(answer.reply, max_bytes=max_reply_bytes)
        reply = StatementReply(
            id=uuid7(),
            statement_id=statement.id,
            filename=answer.reply.filename[:200] or "reply",
            media_type=media_type,
            size=len(answer.reply.data),
            sha256=hashlib.sha256(answer.reply.data).digest(),
            data=answer.reply.data,
            uploaded_at=now,
        )
        session.add(reply)
        await session.flush()
    response = StatementResponse(
        id=uuid7(),
        statement_id=statement.id,
        kind=answer.kind,
        responder_name=answer.responder_name,
        responder_title=answer.responder_title,
        shown_sha256=digest,
        responded_at=now,
        business_date=today,
        ip=answer.ip,
        user_agent=(answer.user_agent or "")[:500] or None,
        comment=(answer.comment or "").strip()[:MAX_COMMENT] or None,
        balance_disputed=answer.balance_disputed,
        balance_currency=answer.balance_currency if answer.balance_disputed else None,
        balance_customer_sees=answer.balance_customer_sees if answer.balance_disputed else None,
        disputed_lines=[
            {"currency": line.currency, "line_no": line.line_no, "amount_customer_sees": _text(seen)}
            for line, seen in chosen
        ],
        reply_id=reply.id if reply else None,
    )
    session.add(response)
    statement.status, statement.answered_at = answer.kind, now
    await session.flush()
    responder = StatementResponder(name=answer.responder_name, title=answer.responder_title)
    if answer.kind == "confirmed":
        balances = event_balances(content)
        event: StatementConfirmed | StatementDisputed = StatementConfirmed(
            customer_id=statement.customer_id,
            statement_id=statement.id,
            statement_number=statement.number,
            period_start=statement.period_start,
            period_end=statement.period_end,
            closing_balance=balances[0].closing_balance,
            balances=balances,
            content_sha256=digest.hex(),
            responder=responder,
            business_date=today,
            confirmed_at=now,
        )
    else:
        event = _disputed_event(statement, content, answer, chosen, responder, reply, today=today, now=now)
    await outbox.add(session, event, clock=clock)
    await audit.record(
        session,
        action=f"statement.{answer.kind}",
        object_type="statement",
        object_id=statement.id,
        before={"status": "issued"},
        after={
            "status": answer.kind,
            "responder_name": answer.responder_name,
            "responder_title": answer.responder_title,
            "shown_sha256": digest.hex(),
            "ip": answer.ip,
            "user_agent": response.user_agent,
            "reply_sha256": reply.sha256.hex() if reply else None,
        },
        comment=response.comment,
    )
    log.info("statement.answered", statement_id=str(statement.id), kind=answer.kind)
    return response


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _disputed_event(
    statement: Statement,
    content: dict[str, Any],
    answer: Answer,
    chosen: list[tuple[domain.Line, Decimal | None]],
    responder: StatementResponder,
    reply: StatementReply | None,
    *,
    today: Any,
    now: Any,
) -> StatementDisputed:
    balances = {b.currency: b for b in domain.balances(content)}
    currency = answer.balance_currency if answer.balance_disputed else None
    if currency is None:
        currency = chosen[0][0].currency if chosen else next(iter(balances))
    invoices = domain.disputed_invoices(content, [line for line, _ in chosen], currency)
    seen = answer.balance_customer_sees if answer.balance_disputed else None
    return StatementDisputed(
        customer_id=statement.customer_id,
        statement_id=statement.id,
        statement_number=statement.number,
        period_start=statement.period_start,
        period_end=statement.period_end,
        disputed_invoice_ids=[i.invoice_id for i in invoices],
        invoices=[
            DisputedInvoice(
                invoice_id=i.invoice_id,
                invoice_number=i.invoice_number,
                open_amount=Money.of(i.open_amount, i.currency),
            )
            for i in invoices
        ],
        lines=[
            DisputedLine(
                line_no=line.line_no,
                kind=line.kind,  # type: ignore[arg-type]  # the statement's kinds are the catalog's
                entry_date=line.entry_date,
                document=line.document,
                invoice_id=line.invoice_id,
                invoice_number=line.invoice_number,
                amount_on_statement=Money.of(line.amount, line.currency),
                amount_customer_sees=None if amount is None else Money.of(amount, line.currency),
            )
            for line, amount in chosen
        ],
        balance_disputed=answer.balance_disputed,
        closing_balance=Money.of(balances[currency].closing_balance, currency),
        balance_customer_sees=None if seen is None else Money.of(seen, currency),
        comment=(answer.comment or "").strip()[:MAX_COMMENT],
        responder=responder,
        reply_sha256=reply.sha256.hex() if reply else None,
        content_sha256=statement.content_sha256.hex(),
        business_date=today,
        disputed_at=now,
    )
