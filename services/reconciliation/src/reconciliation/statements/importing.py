"""Statement import's worker: it turns a queued import's lines into payments.

An upload becomes a queued import in `service.create_import`.
`process_next_import` is the worker's step: it claims a queued import and
walks its lines in chunks, one transaction per chunk, so progress (lines read
of total) is visible while it runs. Lines are deduplicated by the bank's entry
reference or by content with an occurrence count, so a chunk redone after a
crash, an overlapping statement, or the same statement in another file
creates nothing twice. Incoming booked credits become payments through the
matching engine; reversals and refunds become PaymentReversed; a 0.00 line
(an information line) moves no money and is ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import DEFAULT_TIME_ZONE, Clock, local_date
from arflow.db import Database
from arflow.events.catalog import PaymentSource
from arflow.ids import uuid7
from arflow.wakeup import woken_within
from reconciliation.config import ReconciliationSettings
from reconciliation.deps import SYSTEM
from reconciliation.matching.engine import Decision, MatchSettings
from reconciliation.matching.index import Allocation, MatchIndex
from reconciliation.matching.recovery import decide
from reconciliation.matching.service import load_match_index, match_index_for, match_settings
from reconciliation.models import StatementImport
from reconciliation.payments.service import IncomingPayment, record_incoming_many, reverse_payment
from reconciliation.statements import notices, repository
from reconciliation.statements.parsers import (
    StatementFile,
    StatementFormatError,
    StatementLine,
    parse_statement,
)
from reconciliation.statements.rules import line_keys, statement_key
from reconciliation.statements.service import resolve_profile

log = structlog.get_logger("reconciliation.importing")

SOURCE_OF_FORMAT: dict[str, PaymentSource] = {"alipay": "alipay", "wechat": "wechat_pay"}


_frozen_depth = 0
# Young containers the collector lets pile up before it looks at them while a big import matches (700 by
# default); the older generations' thresholds are kept.
_YOUNG_COLLECTION_AFTER = 50_000
_thresholds: list[int] = []


@contextlib.contextmanager
def long_lived_heap() -> Iterator[None]:
    """While a big import matches its lines, the garbage collector leaves what exists already alone.

    The match index (one object per open item, customer and name) and the parsed lines live until
    the import ends and are never garbage, but every full collection would walk all of them again
    (with a 100,000-item index, a fifth of the matching time). `gc.freeze` moves every object
    tracked now out of the collector's generations (after one collection of what is garbage already),
    and `gc.unfreeze` hands them back at the end. What the import makes from here on is collected as
    usual, only less often: each line's decision makes short-lived containers and no cycle, and a
    young-generation collection every 700 of them cost a third of the matching time at 100,000 lines.
    Nested or overlapping uses (two imports in one process) restore both only when the last one ends.
    The bench (bench/reconciliation_match.py) runs its matching inside this same function.
    """
    global _frozen_depth
    if _frozen_depth == 0:
        gc.collect()  # (garbage of its own loading, e.g. the ORM rows the index was built from, is not kept)
        gc.freeze()
        _thresholds[:] = gc.get_threshold()
        gc.set_threshold(_YOUNG_COLLECTION_AFTER, *_thresholds[1:])
    _frozen_depth += 1
    try:
        yield
    finally:
        _frozen_depth -= 1
        if _frozen_depth == 0:
            gc.set_threshold(*_thresholds)
            gc.unfreeze()


def _received_on(line: StatementLine, fallback: date) -> date:
    return line.booking_date or line.value_date or fallback


async def _store_statements(
    session: AsyncSession, record: StatementImport, parsed: StatementFile, now: Any
) -> list[tuple[UUID | None, str | None]]:
    """Insert each statement once; returns per statement its row id and account."""
    stored = []
    for position, statement in enumerate(parsed.statements):
        key = statement_key(statement, file_sha256=record.file_sha256, position=position)
        opening = statement.balance("opening") or statement.balance("intermediate_opening")
        closing = statement.balance("closing") or statement.balance("intermediate_closing")
        statement_id = await repository.insert_statement(
            session,
            {
                "id": uuid7(),
                "import_id": record.id,
                "statement_key": key,
                "account": statement.account,
                "statement_ref": statement.statement_id,
                "sequence": statement.sequence,
                "currency": statement.currency or (opening.currency if opening else None),
                "opening_balance": opening.amount if opening else None,
                "closing_balance": closing.amount if closing else None,
                "opening_date": opening.on if opening else None,
                "closing_date": closing.on if closing else None,
                "line_count": len(statement.lines),
                "created_at": now,
            },
        )
        if statement_id is None:
            statement_id = await repository.statement_id_by_key(session, key)
        stored.append((statement_id, statement.account))
    return stored


async def process_import(
    db: Database, *, clock: Clock, settings: ReconciliationSettings, import_id: UUID, actor: Principal
) -> dict[str, Any]:
    """Walk a claimed import's lines in chunks; each chunk commits its lines, payments and events together."""
    async with db.unit_of_work() as session:
        record = await repository.get_import(session, import_id, for_update=True)
        assert record is not None
        data = await repository.file_content(session, import_id) or b""
        profile = await resolve_profile(session, record.profile)
        parsed = parse_statement(data, format=record.format.split(":")[0].split(".")[0], profile=profile)
        stored = await _store_statements(session, record, parsed, clock.now())
        # A big import reads the whole projection once (and keeps it current itself); a small one
        # looks up each line's candidates by index, which costs a few queries a line.
        index = await load_match_index(session) if len(parsed.lines) >= settings.import_preload_lines else None
    rules = match_settings(settings)
    today = local_date(clock.now(), DEFAULT_TIME_ZONE)
    source = SOURCE_OF_FORMAT.get(record.format, "bank_statement")
    work: list[tuple[UUID | None, str, StatementLine]] = []
    for (statement_id, account), statement in zip(stored, parsed.statements, strict=True):
        for key, line in zip(line_keys(account, statement.lines), statement.lines, strict=True):
            work.append((statement_id, key, line))
    outcomes: Counter[str] = Counter()
    matched_auto = 0
    position = 0
    with long_lived_heap() if index is not None else contextlib.nullcontext():
        for start in range(0, len(work), settings.import_chunk_lines):
            chunk = work[start : start + settings.import_chunk_lines]
            async with db.unit_of_work() as session:
                rows = []
                for statement_id, key, line in chunk:
                    position += 1
                    rows.append(_line_row(import_id, statement_id, position, key, line))
                fresh = await repository.insert_lines(session, rows)
                book = _ChunkBook(session, clock=clock, index=index, rules=rules, actor=actor)
                for row, (_, key, line) in zip(rows, chunk, strict=True):
                    if key not in fresh:
                        outcomes["duplicate"] += 1
                        continue
                    outcomes[await book.line(line, line_id=row["id"], key=key, source=source, today=today)] += 1
                await book.flush()
                matched_auto += book.matched_automatically
                progress = await repository.get_import(session, import_id, for_update=True)
                assert progress is not None
                progress.lines_read = start + len(chunk)
    payments = outcomes["payment"]
    summary: dict[str, object] = {
        "statements": len(parsed.statements),
        "source_lines": parsed.source_lines,
        "lines": len(work),
        "payments": payments,
        "matched_automatically": matched_auto,
        "queued_for_review": payments - matched_auto,
        "reversals": outcomes["reversal"],
        "reversals_unlinked": outcomes["reversal_unlinked"],
        "duplicates": outcomes["duplicate"],
        "debits_ignored": outcomes["ignored_debit"],
        "not_booked": outcomes["not_booked"],
        "zero_amounts_ignored": outcomes["ignored_zero_amount"],
    }
    async with db.unit_of_work() as session:
        final = await repository.get_import(session, import_id, for_update=True)
        assert final is not None
        final.status, final.summary, final.finished_at = "succeeded", summary, clock.now()
        final.lines_read = len(work)
        unlinked = outcomes["reversal_unlinked"]
        if unlinked:
            final.warnings = [*final.warnings, notices.reversal_unlinked(count=unlinked)]
    log.info("statement_import.succeeded", import_id=str(import_id), **summary)
    return summary


def _line_row(
    import_id: UUID, statement_id: UUID | None, position: int, key: str, line: StatementLine
) -> dict[str, Any]:
    if line.status != "booked":
        outcome = "not_booked"
    elif line.amount == 0:
        outcome = "ignored_zero_amount"
    elif line.direction == "debit" and not line.reversal:
        outcome = "ignored_debit"
    else:
        outcome = "pending"
    return {
        "id": uuid7(),
        "import_id": import_id,
        "statement_id": statement_id,
        "position": position,
        "dedup_key": key,
        "amount": line.amount,
        "currency": line.currency,
        "direction": line.direction,
        "booking_date": line.booking_date,
        "value_date": line.value_date,
        "entry_status": line.status,
        "reversal": line.reversal,
        "bank_reference": line.bank_reference,
        "end_to_end_id": line.end_to_end_id,
        "remittance": line.remittance,
        "counterparty_name": line.counterparty_name,
        "counterparty_account": line.counterparty_account,
        "outcome": outcome,
        "payment_id": None,
    }


class _ChunkBook:
    """Books one chunk's new lines: payments are matched one by one but written together.

    Matching runs per line (each sees what earlier lines of the import took);
    the payments, allocations and events of the chunk go to the database as
    one multi-row INSERT each when the chunk ends — or earlier, before a
    reversal line, which must find the payments it reverses.
    """

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        index: MatchIndex | None,
        rules: MatchSettings,
        actor: Principal,
    ) -> None:
        self.session, self.clock, self.index, self.rules = session, clock, index, rules
        self.actor = actor
        self.waiting: list[tuple[str, IncomingPayment, Decision]] = []
        self.outcomes: list[tuple[str, str, UUID | None]] = []
        # Allocated by waiting payments; a per-line lookup reads the database, which does not hold them yet.
        self.unwritten: list[Allocation] = []
        self.matched_automatically = 0

    async def line(self, line: StatementLine, *, line_id: UUID, key: str, source: PaymentSource, today: date) -> str:
        """What one new line becomes: payment, reversal, reversal_unlinked, ignored_debit, not_booked or
        ignored_zero_amount (an information line of 0.00 that real statements carry: no money moved)."""
        if line.status != "booked":
            return "not_booked"
        if line.amount == 0:
            return "ignored_zero_amount"
        if line.reversal or (line.direction == "debit" and line.transaction_code in ("退款", "交易退款")):
            if line.direction == "credit":
                return "ignored_debit"  # a returned debit: money back from our own payment
            await self.flush()
            keys = [line.end_to_end_id or "", (line.bank_reference or "").split("/")[0], line.bank_reference or ""]
            target = await repository.reversal_target(self.session, keys, line.currency)
            if target is None:
                self.outcomes.append((key, "reversal_unlinked", None))
                return "reversal_unlinked"
            await reverse_payment(
                self.session,
                clock=self.clock,
                payment=target,
                amount=line.amount,
                reason="refund" if source != "bank_statement" else "statement_reversal",
                on=_received_on(line, today),
                actor=self.actor,
            )
            self.outcomes.append((key, "reversal", target.id))
            return "reversal"
        if line.direction == "debit":
            return "ignored_debit"
        reference = " ".join(p for p in (line.remittance, line.end_to_end_id) if p) or None
        incoming = IncomingPayment(
            amount=line.amount,
            currency=line.currency,
            received_on=_received_on(line, today),
            source=source,
            payer_name=line.counterparty_name,
            payer_account=line.counterparty_account,
            reference=reference,
            external_id=key[:500],
            statement_line_id=line_id,
        )
        match_input = incoming.as_match_input()
        index = self.index
        if index is None:
            index = await match_index_for(self.session, match_input)
            index.commit(self.unwritten)
        decision = decide(match_input, index, self.rules)
        if decision.automatic and decision.best is not None:
            if self.index is not None:
                self.index.commit(decision.best.allocations)
            else:
                self.unwritten.extend(decision.best.allocations)
        self.waiting.append((key, incoming, decision))
        return "payment"

    async def flush(self) -> None:
        """Write the waiting payments and every outcome so far."""
        payments = await record_incoming_many(
            self.session,
            clock=self.clock,
            batch=[(incoming, decision) for _, incoming, decision in self.waiting],
            actor=self.actor,
        )
        self.matched_automatically += sum(1 for _, _, decision in self.waiting if decision.automatic)
        self.outcomes += [(key, "payment", p) for (key, _, _), p in zip(self.waiting, payments, strict=True)]
        await repository.set_line_outcomes(self.session, self.outcomes)
        self.waiting, self.outcomes, self.unwritten = [], [], []


IMPORT_FAILED = notices.IMPORT_FAILED


def failure_of(exc: Exception) -> str:
    """What a person reads of a failed import: the file's fault in words, else a generic sentence.

    Never the exception's text: a database error carries its SQL and parameters, an internal one the
    service's internals. Those go to the log, with the import's id.
    """
    if isinstance(exc, StatementFormatError):
        return f"{notices.UNREADABLE}{exc}."
    return IMPORT_FAILED


async def process_next_import(app: FastAPI) -> bool:
    """Claim and process one queued import; False when there is none."""
    db: Database = app.state.db
    async with db.unit_of_work() as session:
        record = await repository.claim_queued_import(session)
        if record is None:
            return False
        record.status = "processing"
        import_id = record.id
    try:
        await process_import(db, clock=app.state.clock, settings=app.state.settings, import_id=import_id, actor=SYSTEM)
        app.state.metrics_imports.labels("succeeded").inc()
    except Exception as exc:
        log.exception("statement_import.failed", import_id=str(import_id))
        app.state.metrics_imports.labels("failed").inc()
        async with db.unit_of_work() as session:
            failed = await repository.get_import(session, import_id, for_update=True)
            if failed is not None:
                failed.status, failed.error = "failed", failure_of(exc)
                failed.finished_at = app.state.clock.now()
    return True


async def import_worker(app: FastAPI) -> None:
    """Background loop: process queued imports, woken by each upload (and every second regardless)."""
    wakeup: asyncio.Event = app.state.import_wakeup
    # An import left 'processing' by a stopped process is taken up again: its lines already
    # committed are duplicates now, so nothing is booked twice.
    async with app.state.db.unit_of_work() as session:
        await repository.requeue_processing_imports(session)
    while True:
        wakeup.clear()
        try:
            while await process_next_import(app):
                pass
        except Exception:
            log.exception("statement_import.worker_error")
        await woken_within(wakeup, 1.0)
