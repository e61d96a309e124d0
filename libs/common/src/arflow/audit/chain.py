"""The hash chain: entries sealed in order, each hash covering the entry and the one before; and its check."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.audit.context import jsonable
from arflow.jobs import Job, JobContext
from arflow.persistence import audit_entry

_GENESIS = "0" * 64
# One sealer at a time per database (any number of processes).
_SEAL_LOCK = 7_265_463_001

_CONTENT = (
    "seq",
    "id",
    "at",
    "actor",
    "actor_kind",
    "actor_id",
    "request_id",
    "action",
    "object_type",
    "object_id",
    "reason_code",
    "comment",
    "before",
    "after",
)


def entry_hash(prev_hash: str, chain_index: int, row: Any) -> str:
    """SHA-256 of the previous hash, the entry's place in the chain and every field of the entry."""
    content = {name: jsonable(getattr(row, name)) for name in _CONTENT}
    content["at"] = row.at.astimezone(UTC).isoformat()  # (whatever the session's time zone)
    payload = json.dumps([prev_hash, chain_index, content], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


async def seal(session: AsyncSession, *, limit: int = 10_000) -> int:
    """Chain the entries not sealed yet, in the order they were inserted; returns how many were sealed.

    Sealing order is the chain's: an entry whose transaction committed after a later one
    was sealed simply comes later in the chain.
    """
    if not await session.scalar(select(func.pg_try_advisory_xact_lock(_SEAL_LOCK))):
        return 0  # another process is sealing
    head = (
        await session.execute(
            select(audit_entry.c.chain_index, audit_entry.c.hash)
            .where(audit_entry.c.chain_index.is_not(None))
            .order_by(audit_entry.c.chain_index.desc())
            .limit(1)
        )
    ).first()
    index, prev = (head.chain_index, head.hash) if head else (0, _GENESIS)
    rows = (
        await session.execute(
            select(audit_entry).where(audit_entry.c.hash.is_(None)).order_by(audit_entry.c.seq).limit(limit)
        )
    ).all()
    for row in rows:
        index += 1
        digest = entry_hash(prev, index, row)
        await session.execute(
            update(audit_entry)
            .where(audit_entry.c.seq == row.seq)
            .values(chain_index=index, prev_hash=prev, hash=digest)
        )
        prev = digest
    return len(rows)


@dataclass(frozen=True)
class Verification:
    entries: int  # sealed entries checked
    unsealed: int
    broken_at: int | None  # the chain index of the first entry that does not verify
    reason: str | None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


async def verify(session: AsyncSession, *, batch: int = 5_000) -> Verification:
    """Recompute the whole chain: each entry's hash from the previous one, with no index missing."""
    prev, expected, checked = _GENESIS, 1, 0
    while True:
        rows = (
            await session.execute(
                select(audit_entry)
                .where(audit_entry.c.chain_index >= expected)
                .order_by(audit_entry.c.chain_index)
                .limit(batch)
            )
        ).all()
        if not rows:
            break
        for row in rows:
            if row.chain_index != expected:
                return await _broken(session, checked, expected, f"entry {expected} of the chain is missing")
            if row.prev_hash != prev:
                return await _broken(session, checked, expected, "its previous hash is not the entry before's hash")
            if entry_hash(prev, expected, row) != row.hash:
                return await _broken(session, checked, expected, "its content does not match its hash (edited)")
            prev, expected, checked = row.hash, expected + 1, checked + 1
    unsealed = int(await session.scalar(select(func.count()).where(audit_entry.c.hash.is_(None))) or 0)
    return Verification(checked, unsealed, None, None)


async def _broken(session: AsyncSession, checked: int, index: int, reason: str) -> Verification:
    unsealed = int(await session.scalar(select(func.count()).where(audit_entry.c.hash.is_(None))) or 0)
    return Verification(checked, unsealed, index, reason)


def seal_job() -> Job:
    """Seal new entries every minute (and GET /audit/verify seals before it checks)."""

    async def run(ctx: JobContext) -> dict[str, Any]:
        return {"sealed": await seal(ctx.session)}

    return Job(
        name="audit-seal",
        interval=timedelta(minutes=1),
        run=run,
        description="Chain the audit entries made since the last run into the tamper-evident hash chain.",
    )
