"""SQL of statement imports, statements, their lines, and saved CSV profiles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import ARRAY, Table, Text, Uuid, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from reconciliation.models import CsvProfile, Payment, Statement, StatementFileContent, StatementImport, StatementLine


async def import_by_hash(session: AsyncSession, file_sha256: str) -> StatementImport | None:
    query = select(StatementImport).where(StatementImport.file_sha256 == file_sha256)
    return (await session.execute(query)).scalar_one_or_none()


async def get_import(session: AsyncSession, import_id: UUID, *, for_update: bool = False) -> StatementImport | None:
    query = select(StatementImport).where(StatementImport.id == import_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def list_imports(session: AsyncSession, page: PageParams, *, status: str | None) -> list[StatementImport]:
    query = paginate(select(StatementImport), StatementImport.id, page, status=status)
    return list((await session.execute(query)).scalars())


async def file_content(session: AsyncSession, import_id: UUID) -> bytes | None:
    query = select(StatementFileContent.content).where(StatementFileContent.import_id == import_id)
    return await session.scalar(query)


async def claim_queued_import(session: AsyncSession) -> StatementImport | None:
    """The oldest queued import, locked so that another replica's worker skips it."""
    query = (
        select(StatementImport)
        .where(StatementImport.status == "queued")
        .order_by(StatementImport.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def requeue_processing_imports(session: AsyncSession) -> None:
    await session.execute(update(StatementImport).where(StatementImport.status == "processing").values(status="queued"))


async def previous_statement(session: AsyncSession, account: str) -> Statement | None:
    query = (
        select(Statement)
        .where(Statement.account == account)
        .order_by(Statement.closing_date.desc().nulls_last(), Statement.created_at.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def statement_keys_taken(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    query = select(Statement.statement_key).where(Statement.statement_key.in_(keys))
    return set((await session.execute(query)).scalars())


async def insert_statement(session: AsyncSession, values: dict[str, Any]) -> UUID | None:
    """Insert a statement; None when the same statement was imported before."""
    return await session.scalar(pg_insert(Statement).values(**values).on_conflict_do_nothing().returning(Statement.id))


async def statement_id_by_key(session: AsyncSession, key: str) -> UUID | None:
    return await session.scalar(select(Statement.id).where(Statement.statement_key == key))


async def insert_lines(session: AsyncSession, rows: list[dict[str, Any]]) -> set[str]:
    """Insert statement lines; returns the dedup keys that were new (the rest were imported before)."""
    if not rows:
        return set()
    # One statement executed for many rows (SQLAlchemy batches them into multi-row VALUES), on the
    # table itself: no ORM bookkeeping, and the compiled statement is cached across chunks.
    table = cast(Table, StatementLine.__table__)
    result = await session.execute(pg_insert(table).on_conflict_do_nothing().returning(table.c.dedup_key), rows)
    return set(result.scalars())


async def set_line_outcomes(session: AsyncSession, outcomes: Sequence[tuple[str, str, UUID | None]]) -> None:
    """Record what each line became, in one statement per chunk."""
    if not outcomes:
        return
    values = (
        select(
            func.unnest(literal([k for k, _, _ in outcomes], ARRAY(Text))).label("dedup_key"),
            func.unnest(literal([o for _, o, _ in outcomes], ARRAY(Text))).label("outcome"),
            func.unnest(literal([p for _, _, p in outcomes], ARRAY(Uuid))).label("payment_id"),
        )
    ).subquery("v")
    await session.execute(
        update(StatementLine)
        .where(StatementLine.dedup_key == values.c.dedup_key)
        .values(outcome=values.c.outcome, payment_id=values.c.payment_id)
    )


async def list_lines(
    session: AsyncSession, import_id: UUID, page: PageParams, *, outcome: str | None, after_position: int = 0
) -> list[StatementLine]:
    """Lines in file order; `page.starting_after` is the id of the last line of the previous page."""
    query = (
        select(StatementLine)
        .where(StatementLine.import_id == import_id, StatementLine.position > after_position)
        .order_by(StatementLine.position)
        .limit(page.limit + 1)
    )
    if page.starting_after is not None:
        cursor = select(StatementLine.position).where(StatementLine.id == page.starting_after).scalar_subquery()
        query = query.where(StatementLine.position > cursor)
    if outcome:
        query = query.where(StatementLine.outcome == outcome)
    return list((await session.execute(query)).scalars())


async def list_statements(session: AsyncSession, page: PageParams, *, account: str | None) -> list[Statement]:
    # (an empty ?account= filters nothing, as it always did)
    query = paginate(select(Statement), Statement.id, page, account=account or None)
    return list((await session.execute(query)).scalars())


async def reversal_target(session: AsyncSession, keys: Sequence[str], currency: str) -> Payment | None:
    """The not yet reversed payment an earlier credit line with one of these references became."""
    keys = [k for k in keys if k]
    if not keys:
        return None
    query = (
        select(Payment)
        .join(StatementLine, StatementLine.payment_id == Payment.id)
        .where(
            StatementLine.direction == "credit",
            StatementLine.currency == currency,
            (StatementLine.bank_reference.in_(keys)) | (StatementLine.end_to_end_id.in_(keys)),
            Payment.status != "reversed",
        )
        .order_by(Payment.id.desc())
        .limit(1)
        .with_for_update(of=Payment)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def save_csv_profile(session: AsyncSession, name: str, definition: dict[str, Any], at: datetime) -> None:
    statement = pg_insert(CsvProfile).values(name=name, definition=definition, created_at=at, updated_at=at)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[CsvProfile.name],
            set_={"definition": statement.excluded.definition, "updated_at": statement.excluded.updated_at},
        )
    )


async def csv_profile(session: AsyncSession, name: str) -> CsvProfile | None:
    return (await session.execute(select(CsvProfile).where(CsvProfile.name == name))).scalar_one_or_none()


async def list_csv_profiles(session: AsyncSession) -> list[CsvProfile]:
    return list((await session.execute(select(CsvProfile).order_by(CsvProfile.name))).scalars())
