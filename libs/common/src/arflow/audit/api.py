"""GET /audit on every service: the entries, filtered and paged, as JSON or CSV; and the chain's check."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.audit.chain import seal, verify
from arflow.auth import require_scope
from arflow.negotiation import chosen_format
from arflow.pagination import Page, PageParams, make_page, page_params
from arflow.persistence import audit_entry
from arflow.problems import Unprocessable

# The most entries one CSV export holds (narrow the period for more).
CSV_LIMIT = 100_000


async def entries(
    session: AsyncSession,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    request_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    starting_after: UUID | None = None,
    limit: int = 100,
) -> Sequence[Any]:
    """Entries newest first (ids are time-ordered UUIDv7s), filtered; `starting_after` pages on."""
    query = select(audit_entry).order_by(audit_entry.c.id.desc()).limit(limit)
    if object_type:
        query = query.where(audit_entry.c.object_type == object_type)
    if object_id:
        query = query.where(audit_entry.c.object_id == object_id)
    if actor:
        query = query.where(audit_entry.c.actor == actor)
    if request_id:
        query = query.where(audit_entry.c.request_id == request_id)
    if since:
        query = query.where(audit_entry.c.at >= since)
    if until:
        query = query.where(audit_entry.c.at < until)
    if starting_after is not None:
        query = query.where(audit_entry.c.id < starting_after)
    return (await session.execute(query)).all()


CSV_COLUMNS = (
    "seq",
    "at",
    "actor",
    "actor_kind",
    "request_id",
    "action",
    "object_type",
    "object_id",
    "reason_code",
    "comment",
    "before",
    "after",
    "chain_index",
    "hash",
)


def to_csv(rows: Sequence[Any]) -> Iterator[str]:
    """The entries as CSV (UTF-8 with BOM for spreadsheet programs; before/after as JSON)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                json.dumps(getattr(row, c), ensure_ascii=False)
                if c in ("before", "after") and getattr(row, c)
                else (getattr(row, c).isoformat() if c == "at" else getattr(row, c))
                for c in CSV_COLUMNS
            ]
        )
    yield buffer.getvalue()


class AuditEntryOut(BaseModel):
    id: UUID
    at: datetime
    actor: str
    actor_kind: str
    actor_id: str | None
    request_id: str | None
    action: str
    object_type: str
    object_id: str | None
    reason_code: str | None
    comment: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    chain_index: int | None
    hash: str | None


class AuditVerificationOut(BaseModel):
    intact: bool
    entries: int
    unsealed: int
    broken_at: int | None
    reason: str | None


class InvalidPeriod(Unprocessable):
    code, title, title_zh = "invalid_period", "Invalid period", "时间范围无效"


def audit_router(service: str) -> APIRouter:
    """GET /audit and GET /audit/verify, readable with `<service>:read` (an auditor reads every service)."""
    # (as the router's dependency: a local in a string annotation could not be resolved)
    router = APIRouter(tags=["audit"], dependencies=[Depends(require_scope(f"{service}:read"))])

    @router.get(
        "/audit",
        response_model=Page[AuditEntryOut],
        summary="Who changed what, when and why, newest first (JSON, or CSV with Accept: text/csv)",
        responses={200: {"content": {"text/csv": {}}}},
    )
    async def list_audit(
        request: Request,
        page: Annotated[PageParams, Depends(page_params)],
        object: Annotated[str | None, Query(description="An object's id, e.g. an invoice's UUID.")] = None,
        object_type: Annotated[str | None, Query(description="e.g. invoice, payment, dunning_case.")] = None,
        actor: Annotated[str | None, Query(description="e.g. user:wangfang, or an API key's name.")] = None,
        request_id: Annotated[str | None, Query(description="The call's trace id (its traceparent's).")] = None,
        since: Annotated[datetime | None, Query(alias="from", description="From this instant (inclusive).")] = None,
        until: Annotated[datetime | None, Query(alias="to", description="To this instant (exclusive).")] = None,
        format: Annotated[
            Literal["json", "csv"] | None, Query(description="csv: a download of every matching entry.")
        ] = None,
    ) -> Any:
        if since and until and since >= until:
            raise InvalidPeriod(
                f"'from' ({since.isoformat()}) is not before 'to' ({until.isoformat()}).",
                detail_zh=f"起始时间（{since.isoformat()}）不早于结束时间（{until.isoformat()}）。",
            )
        kind = format or chosen_format(
            request.headers.get("accept"), {"application/json": "json", "text/csv": "csv"}, default="json"
        )
        async with request.app.state.db.unit_of_work() as session:
            if kind == "csv":
                rows = await entries(
                    session,
                    object_type=object_type,
                    object_id=object,
                    actor=actor,
                    since=since,
                    until=until,
                    limit=CSV_LIMIT,
                )
                return Response(
                    "".join(to_csv(rows)),
                    media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="audit-{service}.csv"'},
                )
            rows = await entries(
                session,
                object_type=object_type,
                object_id=object,
                actor=actor,
                request_id=request_id,
                since=since,
                until=until,
                starting_after=page.starting_after,
                limit=page.limit + 1,
            )
        return make_page([AuditEntryOut.model_validate(r, from_attributes=True) for r in rows], page)

    @router.get(
        "/audit/verify",
        response_model=AuditVerificationOut,
        summary="Seal new entries into the hash chain and recompute the whole chain",
    )
    async def verify_audit(request: Request) -> AuditVerificationOut:
        async with request.app.state.db.unit_of_work() as session:
            await seal(session)
        async with request.app.state.db.unit_of_work() as session:
            found = await verify(session)
        return AuditVerificationOut(
            intact=found.intact,
            entries=found.entries,
            unsealed=found.unsealed,
            broken_at=found.broken_at,
            reason=found.reason,
        )

    return router
