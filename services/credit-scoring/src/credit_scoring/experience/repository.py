"""SQL of the experience noun: each fact merged into the customer's projection, whatever the order."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import case, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.db import rows_changed
from credit_scoring.models import (
    CreditNote,
    Customer,
    CustomerContract,
    Dispute,
    DunningEscalation,
    PaymentApplication,
    PaymentExperience,
    PaymentReversal,
    PromiseOutcome,
    StatementAnswer,
)

# Hot statements are built once: SQLAlchemy then reuses their compiled form on every event.
_customer_insert = pg_insert(Customer)


_TOUCH_CUSTOMER = _customer_insert.on_conflict_do_update(
    index_elements=[Customer.id],
    set_={"first_seen_at": func.least(Customer.first_seen_at, _customer_insert.excluded.first_seen_at)},
)


async def touch_customer(session: AsyncSession, customer_id: UUID, *, seen_at: datetime, now: datetime) -> None:
    """Make sure the customer exists; first_seen_at only ever moves earlier."""
    await session.execute(_TOUCH_CUSTOMER, {"id": customer_id, "first_seen_at": seen_at, "updated_at": now})


async def apply_customer_revision(
    session: AsyncSession, customer_id: UUID, *, revision: int, legal_name: str, time_zone: str, now: datetime
) -> bool:
    """Take a customer revision if it is newer than the one held; False when it is stale."""
    result = await session.execute(
        update(Customer)
        .where(Customer.id == customer_id, Customer.revision < revision)
        .values(revision=revision, legal_name=legal_name, time_zone=time_zone, updated_at=now)
    )
    return rows_changed(result) > 0


_MERGES: dict[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], Any] = {}


async def merge_experience(
    session: AsyncSession,
    values: dict[str, Any],
    *,
    now: datetime,
    replace: Iterable[str] = (),
    fill: Iterable[str] = (),
    latest: Iterable[str] = (),
) -> None:
    """Insert an invoice's experience or merge a fact into it.

    `replace` columns take the new value (the fact is authoritative for them),
    `fill` columns are only set while still empty, `latest` keep the greater value.
    """
    key = (tuple(replace), tuple(fill), tuple(latest))
    statement = _MERGES.get(key)
    if statement is None:
        insert = pg_insert(PaymentExperience)
        new, current = insert.excluded, PaymentExperience.__table__.c
        set_: dict[str, Any] = {"updated_at": new.updated_at}
        set_.update({name: new[name] for name in key[0]})
        set_.update({name: func.coalesce(current[name], new[name]) for name in key[1]})
        set_.update({name: func.greatest(current[name], new[name]) for name in key[2]})
        statement = insert.on_conflict_do_update(index_elements=[PaymentExperience.invoice_id], set_=set_)
        _MERGES[key] = statement
    await session.execute(statement, {**values, "created_at": now, "updated_at": now})


async def merge_overdue_notice(
    session: AsyncSession, values: dict[str, Any], *, now: datetime, fill: Iterable[str]
) -> None:
    """Merge an overdue notice: the days, bucket and date move together, and only upwards."""
    insert = pg_insert(PaymentExperience).values(**values, created_at=now, updated_at=now)
    new, current = insert.excluded, PaymentExperience.__table__.c
    higher = new.max_days_overdue > func.coalesce(current.max_days_overdue, -1)
    set_: dict[str, Any] = {"updated_at": new.updated_at}
    set_.update({name: func.coalesce(current[name], new[name]) for name in fill})
    set_.update(
        {
            name: case((higher, new[name]), else_=current[name])
            for name in ("max_days_overdue", "last_overdue_bucket", "overdue_noted_on")
        }
    )
    await session.execute(insert.on_conflict_do_update(index_elements=[PaymentExperience.invoice_id], set_=set_))


async def add_application(session: AsyncSession, values: dict[str, Any], *, now: datetime) -> bool:
    """Record a payment application once; False when its id was already recorded."""
    inserted = await session.scalar(
        pg_insert(PaymentApplication)
        .values(**values, created_at=now)
        .on_conflict_do_nothing(index_elements=[PaymentApplication.application_id])
        .returning(PaymentApplication.application_id)
    )
    return inserted is not None


async def add_reversal(session: AsyncSession, values: dict[str, Any], *, now: datetime) -> bool:
    """Record a reversal once, by the application it undoes; False when already recorded."""
    inserted = await session.scalar(
        pg_insert(PaymentReversal)
        .values(**values, created_at=now)
        .on_conflict_do_nothing(index_elements=[PaymentReversal.application_id])
        .returning(PaymentReversal.application_id)
    )
    return inserted is not None


async def add_credit_note(session: AsyncSession, values: dict[str, Any], *, now: datetime) -> bool:
    """Record a credit note once, by its id; False when already recorded."""
    inserted = await session.scalar(
        pg_insert(CreditNote)
        .values(**values, created_at=now)
        .on_conflict_do_nothing(index_elements=[CreditNote.credit_note_id])
        .returning(CreditNote.credit_note_id)
    )
    return inserted is not None


async def add_dunning_escalation(session: AsyncSession, values: dict[str, Any], *, now: datetime) -> None:
    """Record that a case reached a level (or was handed to legal), once; the earliest time wins."""
    insert = pg_insert(DunningEscalation).values(**values, created_at=now)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[DunningEscalation.case_id, DunningEscalation.level, DunningEscalation.legal_handover],
            set_={"escalated_at": func.least(DunningEscalation.escalated_at, insert.excluded.escalated_at)},
        )
    )


async def merge_dispute(session: AsyncSession, values: dict[str, Any], *, now: datetime) -> None:
    """Merge an opened or resolved fact into the dispute; each column is filled once."""
    insert = pg_insert(Dispute).values(**values, updated_at=now)
    current = Dispute.__table__.c
    set_: dict[str, Any] = {"updated_at": insert.excluded.updated_at}
    set_.update({name: func.coalesce(current[name], insert.excluded[name]) for name in values if name != "dispute_id"})
    await session.execute(insert.on_conflict_do_update(index_elements=[Dispute.dispute_id], set_=set_))


async def merge_promise_outcome(session: AsyncSession, values: dict[str, Any], *, now: datetime) -> None:
    """Record a promise's outcome; broken wins over kept, whatever the order they arrive in."""
    insert = pg_insert(PromiseOutcome).values(**values, updated_at=now)
    current, new = PromiseOutcome.__table__.c, insert.excluded
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[PromiseOutcome.promise_id],
            set_={
                "kept": current.kept & new.kept,
                "outcome_on": case((current.kept & ~new.kept, new.outcome_on), else_=current.outcome_on),
                "updated_at": new.updated_at,
            },
        )
    )


async def merge_contract(session: AsyncSession, values: dict[str, Any], *, now: datetime) -> bool:
    """Keep the contract's state with the latest changed_at; False when the one held is as new or newer."""
    insert = pg_insert(CustomerContract).values(**values, updated_at=now)
    result = await session.execute(
        insert.on_conflict_do_update(
            index_elements=[CustomerContract.contract_id],
            set_={name: insert.excluded[name] for name in (*values, "updated_at") if name != "contract_id"},
            where=CustomerContract.changed_at < insert.excluded.changed_at,
        )
    )
    return rows_changed(result) > 0


async def add_statement_answer(session: AsyncSession, values: dict[str, Any]) -> str | None:
    """Keep a statement's answer unless it has one; None when kept, else the answer it had already."""
    kept = await session.execute(
        pg_insert(StatementAnswer)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[StatementAnswer.statement_id])
        .returning(StatementAnswer.statement_id)
    )
    if kept.first() is not None:
        return None
    held = await session.get(StatementAnswer, values["statement_id"])
    return held.answer if held is not None else None
