"""Statements' use cases in the upload's request: a file parsed whole, checked and stored as a queued import.

A malformed file is a 422 naming the line or element, and nothing of it is
kept. The same file again (by SHA-256) answers with the first import; if that
import failed, it is queued again (the lines it booked before are duplicates
now). The worker that walks a queued import's lines is `importing`.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import DEFAULT_TIME_ZONE, Clock, local_date
from arflow.ids import uuid7
from reconciliation import domain
from reconciliation.models import StatementFileContent, StatementImport
from reconciliation.statements import notices, repository, rules
from reconciliation.statements.errors import (
    CsvProfileBuiltIn,
    CsvProfileNameMismatch,
    CsvProfileUnknown,
    StatementFormatUnknown,
    StatementImportNotFound,
    StatementMalformed,
)
from reconciliation.statements.parsers import (
    BUILT_IN_PROFILES,
    FORMATS,
    CsvProfile,
    StatementFile,
    StatementFormatError,
    parse_statement,
)
from reconciliation.statements.schemas import CsvProfileIn

log = structlog.get_logger("reconciliation.importing")


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
        raise CsvProfileUnknown(f"There is no CSV profile '{name}'.", detail_zh=f"CSV 配置“{name}”不存在。")
    return profile_of(saved.definition, name)


def parse_upload(data: bytes, *, format: str | None, profile: CsvProfile | None, today: date) -> StatementFile:
    """Parse an uploaded file or raise a 422 naming what is wrong and where (`today` in Asia/Shanghai)."""
    if format is not None and format not in FORMATS:
        raise StatementFormatUnknown(
            f"format must be one of {', '.join(FORMATS)}.",
            detail_zh=f"format（对账单格式）须为以下之一：{'、'.join(FORMATS)}。",
        )
    chosen_profile = profile
    try:
        parsed = parse_statement(data, format=format, profile=chosen_profile)
    except StatementFormatError as exc:
        raise StatementMalformed(
            f"The statement cannot be read: {exc}. Nothing of it was imported.",
            detail_zh=f"对账单无法读取：{exc.text_zh}。未导入任何内容。",
            location=exc.location,
        ) from None
    future = rules.dated_in_the_future(parsed.lines, today)
    if future is not None:
        line, on = future
        detail, detail_zh = domain.future_date_detail("booking date", on, today, "记账日期")
        raise StatementMalformed(
            f"The statement cannot be imported: {detail} Nothing of it was imported.",
            detail_zh=f"对账单无法导入：{detail_zh}未导入任何内容。",
            location=line.source_location,
        )
    return parsed


def _today(clock: Clock) -> date:
    """Today where a statement's dates are judged: the bank's account is in Shanghai unless told otherwise."""
    return local_date(clock.now(), DEFAULT_TIME_ZONE)


async def create_import(
    session: AsyncSession,
    *,
    clock: Clock,
    data: bytes,
    filename: str | None,
    format: str | None,
    profile: str | None,
    actor: Principal,
) -> tuple[StatementImport, bool]:
    """Store an uploaded statement as a queued import; (import, queued now) — the same file twice is one import."""
    digest = rules.file_hash(data)
    existing = await repository.import_by_hash(session, digest)
    if existing is not None:
        if existing.status == "failed":
            return await _requeue_failed(session, existing.id, data, _today(clock))
        return existing, False
    parsed = parse_upload(data, format=format, profile=await resolve_profile(session, profile), today=_today(clock))
    warnings: list[dict[str, Any]] = []
    keys = [rules.statement_key(s, file_sha256=digest, position=n) for n, s in enumerate(parsed.statements)]
    taken = await repository.statement_keys_taken(session, keys)
    for statement, key in zip(parsed.statements, keys, strict=True):
        if key in taken:
            warnings.append(
                notices.statement_already_imported(statement=statement.statement_id, sequence=statement.sequence)
            )
            continue
        previous = None
        if statement.account:
            row = await repository.previous_statement(session, statement.account)
            if row is not None:
                previous = rules.PreviousStatement(row.sequence, row.closing_balance, row.closing_date)
        warnings.extend(rules.integrity_warnings(statement, previous))
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
        created_by=actor.name,
        created_at=clock.now(),
    )
    session.add(record)
    await session.flush()
    session.add(StatementFileContent(import_id=record.id, content=data))
    await session.flush()
    log.info("statement_import.queued", import_id=str(record.id), format=parsed.format, lines=record.lines_total)
    return record, True


async def _requeue_failed(
    session: AsyncSession, import_id: UUID, data: bytes, today: date
) -> tuple[StatementImport, bool]:
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
        data,
        format=record.format.split(":")[0].split(".")[0],
        profile=await resolve_profile(session, record.profile),
        today=today,
    )
    record.warnings = [*record.warnings, notices.import_requeued(previous_error=record.error)]
    record.status, record.error, record.finished_at, record.lines_read = "queued", None, None, 0
    await session.flush()
    log.info("statement_import.requeued", import_id=str(record.id))
    return record, True


async def require_import(session: AsyncSession, import_id: UUID) -> StatementImport:
    """A statement import by id, or a 404."""
    record = await repository.get_import(session, import_id)
    if record is None:
        raise StatementImportNotFound(
            f"There is no statement import {import_id}.", detail_zh=f"对账单导入记录 {import_id} 不存在。"
        )
    return record


async def save_csv_profile(
    session: AsyncSession, *, clock: Clock, name: str, data: CsvProfileIn, actor: Principal
) -> None:
    """Save (or replace) a bank's CSV column mapping under a name that no built-in profile has."""
    if data.name != name:
        raise CsvProfileNameMismatch(
            "The body's name differs from the path's.", detail_zh="请求体中的配置名称与路径中的不一致。"
        )
    if name in BUILT_IN_PROFILES:
        raise CsvProfileBuiltIn(f"'{name}' is a built-in profile.", detail_zh=f"“{name}”是内置 CSV 配置，不能修改。")
    await repository.save_csv_profile(session, name, data.model_dump(mode="json"), clock.now())
