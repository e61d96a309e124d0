"""SQL of policies and of the tick's set-based read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Table, Text, any_, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.db import rows_changed
from arflow.pagination import PageParams, paginate
from arflow.persistence import approval_request
from dunning.customers.repository import tiers_of
from dunning.lookups import among
from dunning.models import (
    Base,
    Customer,
    DunningAction,
    DunningCase,
    DunningCaseItem,
    DunningPolicy,
    DunningTask,
    PromiseToPay,
)
from dunning.payments.repository import holds_of

# The guarded action of a legal handover, and the subject type its approval requests name (ladder/approvals.py).
LEGAL_HANDOVER = "case.legal_handover"
CASE_SUBJECT = "dunning_case"


async def insert_policy(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert one policy version; False when that code and version exist already."""
    inserted = await session.scalar(
        pg_insert(DunningPolicy).values(**values).on_conflict_do_nothing().returning(DunningPolicy.id)
    )
    return inserted is not None


async def policy_versions(session: AsyncSession, code: str) -> list[DunningPolicy]:
    query = select(DunningPolicy).where(DunningPolicy.code == code).order_by(DunningPolicy.version.desc())
    return list((await session.execute(query)).scalars())


async def latest_policies(session: AsyncSession, *, active_only: bool = True) -> list[DunningPolicy]:
    """The highest version of every policy code (only active codes unless told otherwise)."""
    query = (
        select(DunningPolicy)
        .ext(distinct_on(DunningPolicy.code))
        .order_by(DunningPolicy.code, DunningPolicy.version.desc())
    )
    policies = list((await session.execute(query)).scalars())
    return [p for p in policies if p.active or not active_only]


async def list_policies(session: AsyncSession, page: PageParams, *, active_only: bool) -> list[DunningPolicy]:
    """One page of the versions in force (the highest of each code), newest first like every list."""
    latest = (
        select(DunningPolicy.id)
        .ext(distinct_on(DunningPolicy.code))
        .order_by(DunningPolicy.code, DunningPolicy.version.desc())
        .subquery()
    )
    query = paginate(select(DunningPolicy).where(DunningPolicy.id.in_(select(latest.c.id))), DunningPolicy.id, page)
    if active_only:
        query = query.where(DunningPolicy.active)
    return list((await session.execute(query)).scalars())


async def lock_policy_code(session: AsyncSession, code: str) -> None:
    """Serialise new versions of one code (transaction-scoped advisory lock)."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext("dunning.policy." + code))))


async def retire_policy(session: AsyncSession, code: str) -> int:
    result = await session.execute(update(DunningPolicy).where(DunningPolicy.code == code).values(active=False))
    return rows_changed(result)


async def tick_snapshot(
    session: AsyncSession, cases: list[DunningCase], *, refresh: bool = False
) -> dict[UUID, dict[str, Any]]:
    """Everything planning needs for many cases, in seven queries (customers, tiers, items, promises, steps, holds,
    and the handovers asked of a second person).

    With `refresh`, rows already in the session are overwritten by what the database holds now (the tick
    re-reads the cases it has just locked: an event may have changed them since its first read).
    """
    snapshot: dict[UUID, dict[str, Any]] = {
        c.id: {"customer": None, "tier": None, "items": [], "promises": [], "done_steps": set()} for c in cases
    }
    if not cases:
        return {}
    case_ids = [c.id for c in cases]
    customer_ids = list({c.customer_id for c in cases})
    fresh = {"populate_existing": True} if refresh else {}
    customers = {
        c.id: c
        for c in (
            await session.execute(select(Customer).where(among(Customer.id, customer_ids)).execution_options(**fresh))
        ).scalars()
    }
    tiers = await tiers_of(session, customer_ids)
    for case in cases:
        snapshot[case.id]["customer"] = customers.get(case.customer_id)
        snapshot[case.id]["tier"] = tiers.get(case.customer_id)
    items = select(DunningCaseItem).where(among(DunningCaseItem.case_id, case_ids), DunningCaseItem.status == "open")
    items = items.order_by(DunningCaseItem.created_at, DunningCaseItem.id).execution_options(**fresh)
    for item in (await session.execute(items)).scalars():
        snapshot[item.case_id]["items"].append(item)
    promises = select(PromiseToPay).where(among(PromiseToPay.case_id, case_ids), PromiseToPay.status == "open")
    promises = promises.order_by(PromiseToPay.promised_date, PromiseToPay.id).execution_options(**fresh)
    for promise in (await session.execute(promises)).scalars():
        snapshot[promise.case_id]["promises"].append(promise)
    steps = select(DunningAction.case_id, DunningAction.step).where(
        among(DunningAction.case_id, case_ids), DunningAction.status != "cancelled"
    )
    for case_id, step in (await session.execute(steps)).all():
        snapshot[case_id]["done_steps"].add(step)
    holds = await holds_of(session, customer_ids)
    for case in cases:
        snapshot[case.id]["unmatched_payments"] = tuple(holds.get(case.customer_id, []))
    asked = await handover_requests(session, case_ids)
    for case in cases:
        snapshot[case.id]["handover_requests"] = asked.get(case.id, ())
    for facts in snapshot.values():
        facts["done_steps"] = frozenset(facts["done_steps"])
    return snapshot


async def handover_requests(session: AsyncSession, case_ids: Sequence[UUID]) -> dict[UUID, tuple[Any, ...]]:
    """The cases' legal handovers asked of a second person and still standing in the way of asking again
    (pending, or rejected), as (step, status, amount, expires_at, decided_at) rows, in one query by the subject
    index."""
    r = approval_request.c
    step = r.request["step"].astext.label("step")
    query = select(r.subject_id, step, r.status, r.amount, r.expires_at, r.decided_at).where(
        r.subject_type == CASE_SUBJECT,
        r.subject_id == any_(bindparam(None, [str(i) for i in case_ids], type_=ARRAY(Text))),
        r.action == LEGAL_HANDOVER,
        r.status.in_(("pending", "rejected")),
    )
    found: dict[UUID, list[Any]] = {}
    for row in (await session.execute(query)).all():
        found.setdefault(UUID(row.subject_id), []).append(row)
    return {case_id: tuple(rows) for case_id, rows in found.items()}


async def latest_handover_request(session: AsyncSession, case_id: UUID) -> Any | None:
    """The case's latest legal handover asked of a second person, whatever became of it."""
    r = approval_request.c
    query = (
        select(approval_request)
        .where(r.subject_type == CASE_SUBJECT, r.subject_id == str(case_id), r.action == LEGAL_HANDOVER)
        .order_by(r.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).first()


async def open_case_ids(session: AsyncSession) -> list[UUID]:
    query = select(DunningCase.id).where(DunningCase.status == "open").order_by(DunningCase.id)
    return list((await session.execute(query)).scalars())


async def open_cases(
    session: AsyncSession, *, after: UUID | None = None, limit: int | None = None
) -> list[DunningCase]:
    """Open cases not frozen by a legal handover, in id order from `after` on, at most `limit`
    (read without locks: the tick locks what it acts on)."""
    query = (
        select(DunningCase)
        .where(DunningCase.status == "open", DunningCase.frozen_at.is_(None))
        .order_by(DunningCase.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(DunningCase.id > after)
    return list((await session.execute(query)).scalars())


async def lock_cases(session: AsyncSession, case_ids: list[UUID]) -> list[DunningCase]:
    """The cases, locked in id order (two lockers never deadlock) and re-read as they are now."""
    query = (
        select(DunningCase)
        .where(among(DunningCase.id, case_ids))
        .order_by(DunningCase.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(query)).scalars())


async def insert_actions(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Log many actions in one statement (rows with the same columns)."""
    if rows:
        await session.execute(insert(_table(DunningAction)), rows)


async def insert_tasks(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Open many collectors' tasks in one statement (rows with the same columns)."""
    if rows:
        await session.execute(insert(_table(DunningTask)), rows)


async def update_cases(session: AsyncSession, changes: list[dict[str, Any]]) -> None:
    """Set columns of many cases by id, one statement for each set of columns changed."""
    table = _table(DunningCase)
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        shapes.setdefault(tuple(sorted(k for k in change if k != "id")), []).append(change)
    for columns, group in shapes.items():
        # Bound parameters may not share a column's name in a SET clause: prefixed.
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({column: bindparam(f"b_{column}") for column in columns})
        )
        await session.execute(statement, [{f"b_{k}": v for k, v in change.items()} for change in group])


def _table(model: type[Base]) -> Table:
    return cast("Table", model.__table__)
