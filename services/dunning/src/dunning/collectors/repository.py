"""SQL of collectors, the assignment of cases to them and the facts their worklists read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import DEFAULT_TIME_ZONE, local_date
from arflow.pagination import PageParams, paginate
from dunning.collectors.regions import division_of
from dunning.collectors.rules import CaseProfile, CollectorRules
from dunning.customers.repository import tiers_of
from dunning.lookups import among
from dunning.models import (
    Collector,
    Customer,
    DunningCase,
    DunningCaseAssignment,
    DunningCaseItem,
    DunningTask,
    InvoiceDispute,
    PromiseToPay,
)


async def get_collector(session: AsyncSession, username: str, *, for_update: bool = False) -> Collector | None:
    query = select(Collector).where(Collector.username == username)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def insert_collector(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert a collector unless the username exists; True when inserted."""
    statement = pg_insert(Collector).values(**values).on_conflict_do_nothing().returning(Collector.username)
    return await session.scalar(statement) is not None


async def list_collectors(session: AsyncSession, page: PageParams, *, active: bool | None) -> list[Collector]:
    query = paginate(select(Collector), Collector.id, page, active=active)
    return list((await session.execute(query)).scalars())


async def all_collectors(session: AsyncSession) -> list[Collector]:
    return list((await session.execute(select(Collector).order_by(Collector.username))).scalars())


def rules_of(collector: Collector) -> CollectorRules:
    return CollectorRules(
        username=collector.username,
        tiers=frozenset(collector.tiers or ()),
        regions=frozenset(collector.regions or ()),
        min_amount=collector.min_amount,
        max_amount=collector.max_amount,
        max_open_cases=collector.max_open_cases,
        active=collector.active,
    )


async def active_rules(session: AsyncSession) -> list[CollectorRules]:
    query = select(Collector).where(Collector.active).order_by(Collector.username)
    return [rules_of(c) for c in (await session.execute(query)).scalars()]


async def loads(session: AsyncSession, usernames: Sequence[str] | None = None) -> dict[str, int]:
    """Open cases per collector."""
    query = (
        select(DunningCase.collector, func.count())
        .where(DunningCase.status == "open", DunningCase.collector.is_not(None))
        .group_by(DunningCase.collector)
    )
    if usernames is not None:
        query = query.where(DunningCase.collector.in_(list(usernames)))
    return {name: count for name, count in (await session.execute(query)).all() if name is not None}


async def lock_assignments(session: AsyncSession) -> None:
    """Serialise assignment by the rules (transaction-scoped): two cases never both take a collector's last place."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext("dunning.assignment"))))


async def profiles(session: AsyncSession, cases: Sequence[DunningCase]) -> list[CaseProfile]:
    """Each case's tier, open balance and customer's division (from the USCC), in the order given."""
    if not cases:
        return []
    ids = [c.id for c in cases]
    owed_query = (
        select(DunningCaseItem.case_id, func.sum(DunningCaseItem.amount_due))
        .where(among(DunningCaseItem.case_id, ids), DunningCaseItem.status == "open")
        .group_by(DunningCaseItem.case_id)
    )
    owed: dict[UUID, Decimal] = {k: v for k, v in (await session.execute(owed_query)).all()}
    customer_ids = list({c.customer_id for c in cases})
    tiers = await tiers_of(session, customer_ids)
    uscc_query = select(Customer.id, Customer.unified_social_credit_code).where(among(Customer.id, customer_ids))
    divisions = {k: division_of(v) for k, v in (await session.execute(uscc_query)).all()}
    return [
        CaseProfile(c.id, tiers.get(c.customer_id), owed.get(c.id, Decimal(0)), divisions.get(c.customer_id))
        for c in cases
    ]


async def business_dates(session: AsyncSession, cases: Sequence[DunningCase], at: datetime) -> dict[UUID, date]:
    """The date `at` falls on in each case's customer's time zone."""
    customer_ids = list({c.customer_id for c in cases})
    zones: dict[UUID, str] = {}
    if customer_ids:
        query = select(Customer.id, Customer.time_zone).where(among(Customer.id, customer_ids))
        zones = {k: v for k, v in (await session.execute(query)).all()}
    return {c.id: local_date(at, zones.get(c.customer_id, DEFAULT_TIME_ZONE)) for c in cases}


async def waiting_cases(session: AsyncSession) -> list[DunningCase]:
    """Open cases with no collector, oldest first."""
    query = (
        select(DunningCase)
        .where(DunningCase.status == "open", DunningCase.collector.is_(None))
        .order_by(DunningCase.id)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(query)).scalars())


async def open_cases_of(session: AsyncSession, username: str, *, for_update: bool = False) -> list[DunningCase]:
    query = (
        select(DunningCase)
        .where(DunningCase.status == "open", DunningCase.collector == username)
        .order_by(DunningCase.id)
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def insert_assignments(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(DunningCaseAssignment), rows)


async def move_open_tasks(
    session: AsyncSession, case_ids: Sequence[UUID], *, previous: str | None, collector: str | None
) -> None:
    """The cases' open tasks that were their previous collector's (or nobody's) go with them."""
    held: ColumnElement[bool] = DunningTask.assignee.is_(None)
    if previous is not None:
        held = or_(held, DunningTask.assignee == previous)
    await session.execute(
        update(DunningTask)
        .where(among(DunningTask.case_id, case_ids), DunningTask.status == "open", held)
        .values(assignee=collector)
    )


async def case_assignments(session: AsyncSession, case_id: UUID) -> list[DunningCaseAssignment]:
    query = (
        select(DunningCaseAssignment)
        .where(DunningCaseAssignment.case_id == case_id)
        .order_by(DunningCaseAssignment.assigned_at, DunningCaseAssignment.id)
    )
    return list((await session.execute(query)).scalars())


async def broken_promises(session: AsyncSession, case_ids: Sequence[UUID], since: date) -> dict[UUID, list[Any]]:
    """Promises broken on or after `since`, per case: (settled_on, amount)."""
    found: dict[UUID, list[Any]] = {}
    if not case_ids:
        return found
    query = select(PromiseToPay.case_id, PromiseToPay.settled_on, PromiseToPay.amount).where(
        among(PromiseToPay.case_id, case_ids), PromiseToPay.status == "broken", PromiseToPay.settled_on >= since
    )
    for case_id, settled_on, amount in (await session.execute(query)).all():
        found.setdefault(case_id, []).append((settled_on, amount))
    return found


async def open_call_tasks(session: AsyncSession, case_ids: Sequence[UUID]) -> dict[UUID, list[tuple[str, date]]]:
    found: dict[UUID, list[tuple[str, date]]] = {}
    if not case_ids:
        return found
    query = select(DunningTask.case_id, DunningTask.kind, DunningTask.due_date).where(
        among(DunningTask.case_id, case_ids),
        DunningTask.status == "open",
        DunningTask.kind.in_(["phone_call", "visit"]),
    )
    for case_id, kind, due in (await session.execute(query)).all():
        found.setdefault(case_id, []).append((kind, due))
    return found


async def open_disputes(session: AsyncSession, case_ids: Sequence[UUID]) -> dict[UUID, list[tuple[str, str]]]:
    """Open disputes on the cases' open items: (source, invoice number)."""
    found: dict[UUID, list[tuple[str, str]]] = {}
    if not case_ids:
        return found
    query = (
        select(DunningCaseItem.case_id, InvoiceDispute.source, DunningCaseItem.invoice_number)
        .join(InvoiceDispute, InvoiceDispute.invoice_id == DunningCaseItem.invoice_id)
        .where(
            among(DunningCaseItem.case_id, case_ids),
            DunningCaseItem.status == "open",
            InvoiceDispute.resolved_at.is_(None),
        )
        .distinct()
    )
    for case_id, source, number in (await session.execute(query)).all():
        found.setdefault(case_id, []).append((source, number))
    return found
