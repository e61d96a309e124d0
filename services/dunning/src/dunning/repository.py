"""All SQL of the dunning service."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, func, literal_column, select, text, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.db import rows_changed
from arflow.pagination import PageParams
from dunning.models import (
    ClosedInvoice,
    CollectionPlan,
    Customer,
    CustomerTier,
    DunningAction,
    DunningCase,
    DunningCaseItem,
    DunningDocument,
    DunningPolicy,
    DunningTask,
    InvoiceDispute,
    PromiseToPay,
)

# --- the customer projection ------------------------------------------------------


async def upsert_customer(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert or update a customer, keeping the highest revision; True when `values` were applied."""
    insert = pg_insert(Customer).values(**values)
    upsert = insert.on_conflict_do_update(
        index_elements=[Customer.id],
        set_={k: insert.excluded[k] for k in values if k != "id"},
        where=Customer.revision < insert.excluded.revision,
    )
    return await session.scalar(upsert.returning(Customer.id)) is not None


async def get_customer(session: AsyncSession, customer_id: UUID) -> Customer | None:
    return await session.get(Customer, customer_id)


# --- cases and their items ----------------------------------------------------------


async def open_case_for_update(
    session: AsyncSession, *, case_id: UUID, customer_id: UUID, currency: str, now: datetime
) -> DunningCase:
    """The customer's open case in `currency`, created if there is none, locked."""
    await session.execute(
        pg_insert(DunningCase)
        .values(
            id=case_id,
            customer_id=customer_id,
            currency=currency,
            status="open",
            level=0,
            opened_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["customer_id", "currency"], index_where=text("status = 'open'"))
    )
    query = (
        select(DunningCase)
        .where(DunningCase.customer_id == customer_id, DunningCase.currency == currency, DunningCase.status == "open")
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one()


async def get_case(session: AsyncSession, case_id: UUID, *, for_update: bool = False) -> DunningCase | None:
    query = select(DunningCase).where(DunningCase.id == case_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def add_case_item(session: AsyncSession, item: dict[str, Any]) -> bool:
    """Insert a case item unless the invoice already has one; True when inserted.

    The item is disputed when a dispute of its invoice is open (it may have been opened before the invoice was due).
    """
    values = {**item, "disputed": await is_invoice_disputed(session, item["invoice_id"])}
    inserted = await session.scalar(
        pg_insert(DunningCaseItem).values(**values).on_conflict_do_nothing().returning(DunningCaseItem.id)
    )
    return inserted is not None


async def get_item(session: AsyncSession, invoice_id: UUID, *, for_update: bool = False) -> DunningCaseItem | None:
    query = select(DunningCaseItem).where(DunningCaseItem.invoice_id == invoice_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def case_items(session: AsyncSession, case_id: UUID) -> list[DunningCaseItem]:
    query = (
        select(DunningCaseItem)
        .where(DunningCaseItem.case_id == case_id)
        .order_by(DunningCaseItem.created_at, DunningCaseItem.id)
    )
    return list((await session.execute(query)).scalars())


async def amounts_overdue(session: AsyncSession, case_ids: list[UUID]) -> dict[UUID, Decimal]:
    """The sum of open items' amounts due, per case."""
    if not case_ids:
        return {}
    query = (
        select(DunningCaseItem.case_id, func.sum(DunningCaseItem.amount_due))
        .where(DunningCaseItem.case_id.in_(case_ids), DunningCaseItem.status == "open")
        .group_by(DunningCaseItem.case_id)
    )
    return {case_id: total for case_id, total in (await session.execute(query)).all()}


async def list_cases(
    session: AsyncSession,
    page: PageParams,
    *,
    customer_id: UUID | None,
    status: str | None,
    level: int | None = None,
    collector: str | None = None,
    min_amount: Decimal | None = None,
) -> list[DunningCase]:
    query = select(DunningCase).order_by(DunningCase.id.desc()).limit(page.limit + 1)
    if level is not None:
        query = query.where(DunningCase.level == level)
    if collector:
        query = query.where(DunningCase.collector == collector)
    if min_amount is not None:
        owed = (
            select(func.coalesce(func.sum(DunningCaseItem.amount_due), 0))
            .where(DunningCaseItem.case_id == DunningCase.id, DunningCaseItem.status == "open")
            .scalar_subquery()
        )
        query = query.where(owed >= min_amount)
    if page.starting_after:
        query = query.where(DunningCase.id < page.starting_after)
    if customer_id:
        query = query.where(DunningCase.customer_id == customer_id)
    if status:
        query = query.where(DunningCase.status == status)
    return list((await session.execute(query)).scalars())


# --- closed invoices ------------------------------------------------------------------


async def remember_closed_invoice(
    session: AsyncSession, *, invoice_id: UUID, customer_id: UUID, closure: str, closed_at: datetime
) -> None:
    await session.execute(
        pg_insert(ClosedInvoice)
        .values(invoice_id=invoice_id, customer_id=customer_id, closure=closure, closed_at=closed_at)
        .on_conflict_do_nothing()
    )


async def forget_paid_invoice(session: AsyncSession, invoice_id: UUID) -> None:
    """A paid invoice is open again (its payment was reversed): it may be chased once more."""
    await session.execute(
        delete(ClosedInvoice).where(ClosedInvoice.invoice_id == invoice_id, ClosedInvoice.closure == "paid")
    )


async def is_invoice_closed(session: AsyncSession, invoice_id: UUID) -> bool:
    return await session.get(ClosedInvoice, invoice_id) is not None


# --- disputes ------------------------------------------------------------------------


async def remember_dispute_opened(
    session: AsyncSession, *, dispute_id: UUID, invoice_id: UUID, opened_at: datetime
) -> None:
    insert = pg_insert(InvoiceDispute).values(dispute_id=dispute_id, invoice_id=invoice_id, opened_at=opened_at)
    await session.execute(
        insert.on_conflict_do_update(index_elements=[InvoiceDispute.dispute_id], set_={"opened_at": opened_at})
    )


async def remember_dispute_resolved(
    session: AsyncSession, *, dispute_id: UUID, invoice_id: UUID, resolved_at: datetime
) -> None:
    insert = pg_insert(InvoiceDispute).values(dispute_id=dispute_id, invoice_id=invoice_id, resolved_at=resolved_at)
    await session.execute(
        insert.on_conflict_do_update(index_elements=[InvoiceDispute.dispute_id], set_={"resolved_at": resolved_at})
    )


async def is_invoice_disputed(session: AsyncSession, invoice_id: UUID) -> bool:
    """True while a dispute of the invoice is open (opened and not resolved)."""
    query = select(InvoiceDispute.dispute_id).where(
        InvoiceDispute.invoice_id == invoice_id, InvoiceDispute.resolved_at.is_(None)
    )
    return await session.scalar(query.limit(1)) is not None


# --- the action log ----------------------------------------------------------------


async def case_actions(session: AsyncSession, case_id: UUID) -> list[DunningAction]:
    """A case's actions, oldest first (the log reads top to bottom)."""
    query = (
        select(DunningAction)
        .where(DunningAction.case_id == case_id)
        .order_by(DunningAction.created_at, DunningAction.id)
    )
    return list((await session.execute(query)).scalars())


async def list_actions(
    session: AsyncSession,
    page: PageParams,
    *,
    customer_id: UUID | None,
    case_id: UUID | None,
    status: str | None,
) -> list[DunningAction]:
    query = select(DunningAction).order_by(DunningAction.id.desc()).limit(page.limit + 1)
    if page.starting_after:
        query = query.where(DunningAction.id < page.starting_after)
    if customer_id:
        query = query.where(DunningAction.customer_id == customer_id)
    if case_id:
        query = query.where(DunningAction.case_id == case_id)
    if status:
        query = query.where(DunningAction.status == status)
    return list((await session.execute(query)).scalars())


async def pending_actions_for_update(session: AsyncSession, customer_id: UUID) -> list[DunningAction]:
    """The customer's pending actions, locked (waits for one the sender is delivering)."""
    query = (
        select(DunningAction)
        .where(DunningAction.customer_id == customer_id, DunningAction.status == "pending")
        .order_by(DunningAction.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(query)).scalars())


async def cancel_pending_actions(session: AsyncSession, case_id: UUID, *, outcome: str, now: datetime) -> int:
    """Cancel a case's pending actions; one being delivered right now is waited for, then left alone."""
    result = await session.execute(
        update(DunningAction)
        .where(DunningAction.case_id == case_id, DunningAction.status == "pending")
        .values(status="cancelled", outcome=outcome, completed_at=now)
    )
    return rows_changed(result)


async def claim_due_email(session: AsyncSession, now: datetime) -> DunningAction | None:
    """Lock the next email due for delivery; rows another replica holds are skipped, not waited for."""
    query = (
        select(DunningAction)
        .where(
            DunningAction.status == "pending",
            DunningAction.channel.in_(("email", "internal_alert")),
            DunningAction.recipient.is_not(None),
            DunningAction.next_attempt_at <= now,
        )
        .order_by(DunningAction.next_attempt_at, DunningAction.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def claim_due_sms(session: AsyncSession, now: datetime) -> DunningAction | None:
    """Lock the next SMS due for delivery (skipping rows another replica holds)."""
    query = (
        select(DunningAction)
        .where(
            DunningAction.status == "pending",
            DunningAction.channel == "sms",
            DunningAction.recipient.is_not(None),
            DunningAction.next_attempt_at <= now,
        )
        .order_by(DunningAction.next_attempt_at, DunningAction.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def done_steps(session: AsyncSession, case_id: UUID) -> frozenset[str]:
    """Names of the steps a case has taken (anything but cancelled counts: a step is never repeated)."""
    query = select(DunningAction.step).where(DunningAction.case_id == case_id, DunningAction.status != "cancelled")
    return frozenset((await session.execute(query)).scalars())


async def get_action(session: AsyncSession, action_id: UUID, *, for_update: bool = False) -> DunningAction | None:
    query = select(DunningAction).where(DunningAction.id == action_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def export_actions(
    session: AsyncSession, *, customer_id: UUID | None, case_id: UUID | None, limit: int = 100_000
) -> list[DunningAction]:
    """The action log oldest first, for a CSV export."""
    query = select(DunningAction).order_by(DunningAction.created_at, DunningAction.id).limit(limit)
    if customer_id:
        query = query.where(DunningAction.customer_id == customer_id)
    if case_id:
        query = query.where(DunningAction.case_id == case_id)
    return list((await session.execute(query)).scalars())


# --- tiers --------------------------------------------------------------------------


async def upsert_tier(session: AsyncSession, *, customer_id: UUID, tier: str, score: int, scored_at: datetime) -> bool:
    """Keep the latest score's tier; True when this one was applied."""
    insert = pg_insert(CustomerTier).values(customer_id=customer_id, tier=tier, score=score, scored_at=scored_at)
    upsert = insert.on_conflict_do_update(
        index_elements=[CustomerTier.customer_id],
        set_={"tier": insert.excluded.tier, "score": insert.excluded.score, "scored_at": insert.excluded.scored_at},
        where=CustomerTier.scored_at <= insert.excluded.scored_at,
    )
    return await session.scalar(upsert.returning(CustomerTier.customer_id)) is not None


async def get_tier(session: AsyncSession, customer_id: UUID) -> str | None:
    found = await session.get(CustomerTier, customer_id)
    return found.tier if found else None


async def tiers_of(session: AsyncSession, customer_ids: list[UUID]) -> dict[UUID, str]:
    if not customer_ids:
        return {}
    query = select(CustomerTier.customer_id, CustomerTier.tier).where(CustomerTier.customer_id.in_(customer_ids))
    return {key: value for key, value in (await session.execute(query)).all()}


# --- policies -----------------------------------------------------------------------


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


async def lock_policy_code(session: AsyncSession, code: str) -> None:
    """Serialise new versions of one code (transaction-scoped advisory lock)."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext("dunning.policy." + code))))


async def retire_policy(session: AsyncSession, code: str) -> int:
    result = await session.execute(update(DunningPolicy).where(DunningPolicy.code == code).values(active=False))
    return rows_changed(result)


# --- the tick -----------------------------------------------------------------------


async def open_case_ids(session: AsyncSession) -> list[UUID]:
    query = select(DunningCase.id).where(DunningCase.status == "open").order_by(DunningCase.id)
    return list((await session.execute(query)).scalars())


async def open_promises(session: AsyncSession, case_id: UUID, *, for_update: bool = False) -> list[PromiseToPay]:
    query = (
        select(PromiseToPay)
        .where(PromiseToPay.case_id == case_id, PromiseToPay.status == "open")
        .order_by(PromiseToPay.promised_date, PromiseToPay.id)
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def list_promises(
    session: AsyncSession, page: PageParams, *, case_id: UUID | None, customer_id: UUID | None, status: str | None
) -> list[PromiseToPay]:
    query = select(PromiseToPay).order_by(PromiseToPay.id.desc()).limit(page.limit + 1)
    if page.starting_after:
        query = query.where(PromiseToPay.id < page.starting_after)
    if case_id:
        query = query.where(PromiseToPay.case_id == case_id)
    if customer_id:
        query = query.where(PromiseToPay.customer_id == customer_id)
    if status:
        query = query.where(PromiseToPay.status == status)
    return list((await session.execute(query)).scalars())


async def promise_counts(session: AsyncSession) -> dict[str, int]:
    query = select(PromiseToPay.status, func.count()).group_by(PromiseToPay.status)
    return {key: value for key, value in (await session.execute(query)).all()}


# --- tasks --------------------------------------------------------------------------


async def get_task(session: AsyncSession, task_id: UUID, *, for_update: bool = False) -> DunningTask | None:
    query = select(DunningTask).where(DunningTask.id == task_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def list_tasks(
    session: AsyncSession,
    page: PageParams,
    *,
    assignee: str | None,
    due_on: date | None,
    status: str | None,
    case_id: UUID | None,
    customer_id: UUID | None,
) -> list[DunningTask]:
    query = select(DunningTask).order_by(DunningTask.id.desc()).limit(page.limit + 1)
    if page.starting_after:
        query = query.where(DunningTask.id < page.starting_after)
    if assignee:
        query = query.where(DunningTask.assignee == assignee)
    if due_on:
        query = query.where(DunningTask.due_date <= due_on)
    if status:
        query = query.where(DunningTask.status == status)
    if case_id:
        query = query.where(DunningTask.case_id == case_id)
    if customer_id:
        query = query.where(DunningTask.customer_id == customer_id)
    return list((await session.execute(query)).scalars())


async def cancel_open_tasks(session: AsyncSession, case_id: UUID, *, now: datetime) -> int:
    result = await session.execute(
        update(DunningTask)
        .where(DunningTask.case_id == case_id, DunningTask.status == "open")
        .values(status="cancelled", completed_at=now)
    )
    return rows_changed(result)


# --- documents ----------------------------------------------------------------------


async def get_document(session: AsyncSession, document_id: UUID) -> DunningDocument | None:
    return await session.get(DunningDocument, document_id)


async def case_documents(session: AsyncSession, case_id: UUID) -> list[DunningDocument]:
    query = (
        select(DunningDocument)
        .where(DunningDocument.case_id == case_id)
        .order_by(DunningDocument.created_at, DunningDocument.id)
    )
    return list((await session.execute(query)).scalars())


# --- monthly plans ------------------------------------------------------------------


async def save_plan(session: AsyncSession, values: dict[str, Any]) -> None:
    """Store a month's plan, replacing an earlier one of that month."""
    insert = pg_insert(CollectionPlan).values(**values)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[CollectionPlan.month],
            set_={k: insert.excluded[k] for k in ("as_of", "lines", "collectors", "created_at")},
        )
    )


async def get_plan(session: AsyncSession, month: date) -> CollectionPlan | None:
    query = select(CollectionPlan).where(CollectionPlan.month == month).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


# --- metrics ------------------------------------------------------------------------


async def metrics_snapshot(session: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
    """Figures for /metrics, read from the tables so every replica reports the same."""
    steps = await session.execute(
        select(DunningAction.channel, func.coalesce(DunningAction.outcome, DunningAction.status), func.count())
        .where(DunningAction.status != "pending")
        .group_by(literal_column("1"), literal_column("2"))
    )
    owed = (
        select(DunningCaseItem.case_id, func.sum(DunningCaseItem.amount_due).label("owed"))
        .where(DunningCaseItem.status == "open")
        .group_by(DunningCaseItem.case_id)
        .subquery()
    )
    levels = await session.execute(
        select(DunningCase.level, DunningCase.currency, func.count(), func.coalesce(func.sum(owed.c.owed), 0))
        .outerjoin(owed, owed.c.case_id == DunningCase.id)
        .where(DunningCase.status == "open")
        .group_by(DunningCase.level, DunningCase.currency)
    )
    # A step "cures" when its case is paid within 7 days after it.
    cured = and_(
        DunningCase.resolution == "paid",
        DunningCase.resolved_at <= DunningAction.created_at + text("interval '7 days'"),
    )
    cure = await session.execute(
        select(
            func.coalesce(DunningAction.details["policy"].astext, "none"),
            DunningAction.step,
            func.count(),
            func.count().filter(cured),
        )
        .join(DunningCase, DunningCase.id == DunningAction.case_id)
        .where(DunningAction.status.in_(("sent", "completed")))
        .group_by(literal_column("1"), literal_column("2"))
    )
    promises = await session.execute(select(PromiseToPay.status, func.count()).group_by(PromiseToPay.status))
    return {
        "steps": [tuple(r) for r in steps.all()],
        "levels": [tuple(r) for r in levels.all()],
        "cure": [tuple(r) for r in cure.all()],
        "promises": [tuple(r) for r in promises.all()],
    }


async def case_tasks(session: AsyncSession, case_id: UUID) -> list[DunningTask]:
    query = select(DunningTask).where(DunningTask.case_id == case_id).order_by(DunningTask.id)
    return list((await session.execute(query)).scalars())


async def case_promises(session: AsyncSession, case_id: UUID) -> list[PromiseToPay]:
    query = select(PromiseToPay).where(PromiseToPay.case_id == case_id).order_by(PromiseToPay.id)
    return list((await session.execute(query)).scalars())


async def open_cases(session: AsyncSession) -> list[DunningCase]:
    """Open cases not frozen by a legal handover (read without locks: the tick locks what it acts on)."""
    query = (
        select(DunningCase)
        .where(DunningCase.status == "open", DunningCase.frozen_at.is_(None))
        .order_by(DunningCase.id)
    )
    return list((await session.execute(query)).scalars())


async def tick_snapshot(session: AsyncSession, cases: list[DunningCase]) -> dict[UUID, dict[str, Any]]:
    """Everything planning needs for many cases, in five queries (customers, tiers, items, promises, steps)."""
    snapshot: dict[UUID, dict[str, Any]] = {
        c.id: {"customer": None, "tier": None, "items": [], "promises": [], "done_steps": set()} for c in cases
    }
    if not cases:
        return {}
    case_ids = [c.id for c in cases]
    customer_ids = list({c.customer_id for c in cases})
    customers = {
        c.id: c for c in (await session.execute(select(Customer).where(Customer.id.in_(customer_ids)))).scalars()
    }
    tiers = await tiers_of(session, customer_ids)
    for case in cases:
        snapshot[case.id]["customer"] = customers.get(case.customer_id)
        snapshot[case.id]["tier"] = tiers.get(case.customer_id)
    items = select(DunningCaseItem).where(DunningCaseItem.case_id.in_(case_ids), DunningCaseItem.status == "open")
    for item in (await session.execute(items.order_by(DunningCaseItem.created_at, DunningCaseItem.id))).scalars():
        snapshot[item.case_id]["items"].append(item)
    promises = select(PromiseToPay).where(PromiseToPay.case_id.in_(case_ids), PromiseToPay.status == "open")
    for promise in (await session.execute(promises)).scalars():
        snapshot[promise.case_id]["promises"].append(promise)
    steps = select(DunningAction.case_id, DunningAction.step).where(
        DunningAction.case_id.in_(case_ids), DunningAction.status != "cancelled"
    )
    for case_id, step in (await session.execute(steps)).all():
        snapshot[case_id]["done_steps"].add(step)
    for facts in snapshot.values():
        facts["done_steps"] = frozenset(facts["done_steps"])
    return snapshot


async def open_cases_of(session: AsyncSession, customer_id: UUID) -> list[DunningCase]:
    query = (
        select(DunningCase)
        .where(DunningCase.customer_id == customer_id, DunningCase.status == "open")
        .order_by(DunningCase.id)
    )
    return list((await session.execute(query)).scalars())
