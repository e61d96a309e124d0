"""Statement import: a file becomes an import job; a worker turns its lines into payments.

`create_import` runs in the upload's request: the file is parsed whole first
(a malformed file is a 422 naming the line or element, and nothing is kept),
integrity warnings are computed, and the file and a queued import are stored.
The same file again (by SHA-256) answers with the first import; if that import
failed, it is queued again (the lines it booked before are duplicates now).

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
from arflow.problems import Unprocessable
from reconciliation import repository, statements
from reconciliation.config import ReconciliationSettings
from reconciliation.deps import SYSTEM
from reconciliation.matching.engine import Decision, MatchSettings, match
from reconciliation.matching.index import Allocation, MatchIndex
from reconciliation.matching.service import load_match_index, match_index_for, match_settings
from reconciliation.models import StatementFileContent, StatementImport
from reconciliation.parsers import (
    BUILT_IN_PROFILES,
    FORMATS,
    CsvProfile,
    StatementFile,
    StatementFormatError,
    StatementLine,
    parse_statement,
)
from reconciliation.payments.service import IncomingPayment, record_incoming_many, reverse_payment

log = structlog.get_logger("reconciliation.importing")

SOURCE_OF_FORMAT: dict[str, PaymentSource] = {"alipay": "alipay", "wechat": "wechat_pay"}


def profile_of(definition: dict[str, Any], name: str) -> CsvProfile:
    """A saved profile's definition as the parser's profile."""
    fields = {k: v for k, v in definition.items() if k in CsvProfile.__dataclass_fields__ and k != "name"}
    fields["remittance_columns"] = tuple(fields.get("remittance_columns") or ())
    return CsvProfile(name=name, **fields)


async def resolve_profile(session: AsyncSession, name: str | None) -> CsvProfile | None:
    """A built-in or saved CSV profile by name; a 422 when there is none."""
    if name is None:
        return None
    built_in = BUILT_IN_PROFILES.get(name)
    if built_in is not None:
        return built_in
    saved = await repository.csv_profile(session, name)
    if saved is None:
        raise Unprocessable(f"There is no CSV profile '{name}'.", code="csv_profile_unknown")
    return profile_of(saved.definition, name)


def parse_upload(data: bytes, *, format: str | None, profile: CsvProfile | None) -> StatementFile:
    """Parse an uploaded file or raise a 422 naming what is wrong and where."""
    if format is not None and format not in FORMATS:
        raise Unprocessable(f"format must be one of {', '.join(FORMATS)}.", code="statement_format_unknown")
    chosen_profile = profile
    try:
        return parse_statement(data, format=format, profile=chosen_profile)
    except StatementFormatError as exc:
        raise Unprocessable(
            f"The statement cannot be read: {exc}. Nothing of it was imported.",
            code="statement_malformed",
            location=exc.location,
        ) from None


async def create_import(
    session: AsyncSession,
    *,
    clock: Clock,
    data: bytes,
    filename: str | None,
    format: str | None,
    profile: str | None,
    created_by: str,
) -> tuple[StatementImport, bool]:
    """Store an uploaded statement as a queued import; (import, queued now) — the same file twice is one import."""
    digest = statements.file_hash(data)
    existing = await repository.import_by_hash(session, digest)
    if existing is not None:
        if existing.status == "failed":
            return await _requeue_failed(session, existing.id, data)
        return existing, False
    parsed = parse_upload(data, format=format, profile=await resolve_profile(session, profile))
    warnings: list[dict[str, Any]] = []
    keys = [statements.statement_key(s, file_sha256=digest, position=n) for n, s in enumerate(parsed.statements)]
    taken = await repository.statement_keys_taken(session, keys)
    for statement, key in zip(parsed.statements, keys, strict=True):
        if key in taken:
            warnings.append(
                {
                    "code": "statement_already_imported",
                    "detail": "this statement was imported before; its lines are skipped as duplicates",
                    "statement": statement.statement_id,
                    "sequence": statement.sequence,
                }
            )
            continue
        previous = None
        if statement.account:
            row = await repository.previous_statement(session, statement.account)
            if row is not None:
                previous = statements.PreviousStatement(row.sequence, row.closing_balance, row.closing_date)
        warnings.extend(statements.integrity_warnings(statement, previous))
    record = StatementImport(
        id=uuid7(),
        file_sha256=digest,
        filename=filename,
        format=parsed.format,
        profile=profile,
        size_bytes=len(data),
        status="queued",
        lines_total=len(parsed.lines),
        lines_read=0,
        summary={"statements": len(parsed.statements), "source_lines": parsed.source_lines},
        warnings=warnings,
        created_by=created_by,
        created_at=clock.now(),
    )
    session.add(record)
    await session.flush()
    session.add(StatementFileContent(import_id=record.id, content=data))
    await session.flush()
    log.info("statement_import.queued", import_id=str(record.id), format=parsed.format, lines=record.lines_total)
    return record, True


async def _requeue_failed(session: AsyncSession, import_id: UUID, data: bytes) -> tuple[StatementImport, bool]:
    """The file of a failed import uploaded again: the import is queued again rather than answered as failed.

    Lines its first run committed are duplicates on the rerun, so nothing is booked twice and the
    rest of the file is booked now. The file is parsed again first: a file the rules refuse today
    is a 422, and the import stays failed.
    """
    record = await repository.get_import(session, import_id, for_update=True)
    assert record is not None
    if record.status != "failed":  # another upload of the same file queued it meanwhile
        return record, False
    parse_upload(
        data, format=record.format.split(":")[0].split(".")[0], profile=await resolve_profile(session, record.profile)
    )
    record.warnings = [
        *record.warnings,
        {
            "code": "import_requeued",
            "detail": f"the import of this file failed ({record.error}); it is queued again, "
            "and lines it booked before are skipped as duplicates",
        },
    ]
    record.status, record.error, record.finished_at, record.lines_read = "queued", None, None, 0
    await session.flush()
    log.info("statement_import.requeued", import_id=str(record.id))
    return record, True


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
        key = statements.statement_key(statement, file_sha256=record.file_sha256, position=position)
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
        for key, line in zip(statements.line_keys(account, statement.lines), statement.lines, strict=True):
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
            final.warnings = [
                *final.warnings,
                {"code": "reversal_unlinked", "detail": f"{unlinked} reversal line(s) name no payment we know"},
            ]
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
        decision = match(match_input, index, self.rules)
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
                failed.status, failed.error = "failed", f"{type(exc).__name__}: {exc}"
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
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), timeout=1.0)
