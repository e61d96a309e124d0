"""Issue 17: what the payment path costs dunning's consumer, counted at the cursor on a database of its own.

A payment reaches dunning as PaymentReceived, PaymentApplied and InvoicePaid (a reversal and a credit note take
the same road): each must stay a few set-based statements, and a batch carrying several of them for one case
re-evaluates the case once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import FixedClock
from arflow.db import Database
from arflow.events.catalog import (
    ContactInfo,
    CustomerUpserted,
    Event,
    InvoiceOverdue,
    InvoicePaid,
    PaymentApplied,
    PaymentReceived,
)
from arflow.events.envelope import wrap
from arflow.messaging.consumer import EventContext, LeftWork
from arflow.migrations import upgrade
from arflow.money import Money
from arflow.testing.creditor import TEST_CREDITOR
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure  # not Test*: pytest would collect it
from arflow.testing.infrastructure import spec
from dunning.cases.service import record_invoice_overdue
from dunning.config import DunningSettings
from dunning.customers.service import record_customer
from dunning.deps import SYSTEM
from dunning.handlers import dunning_handlers
from dunning.models import CasePayment, DunningCase, DunningCaseItem, UnmatchedPayment

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DUE = date(2026, 2, 10)
HANDLERS = dunning_handlers(DunningSettings.model_validate({"smtp_port": 0, **TEST_CREDITOR}))


@pytest.fixture
async def cost_db(infra: Infrastructure) -> AsyncIterator[Database]:
    url = await infra.scratch_database(f"dunning_paycost_{uuid4().hex[:8]}")
    await asyncio.to_thread(upgrade, spec("dunning").directory, url)
    db = Database(url, pool_size=2)
    try:
        yield db
    finally:
        await db.dispose()


@contextmanager
def counted(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    sqlalchemy_event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        sqlalchemy_event.remove(db.engine.sync_engine, "before_cursor_execute", seen)


def verbs(statements: list[str]) -> list[str]:
    return [s.split(None, 1)[0].upper() for s in statements]


async def overdue_case(db: Database, clock: FixedClock, invoices: int = 1) -> tuple[UUID, list[InvoiceOverdue]]:
    """A known customer with an open case of `invoices` overdue invoices of 1,060.00 each."""
    customer_id = uuid4()
    facts = []
    async with db.unit_of_work() as session:
        await record_customer(
            session,
            actor=SYSTEM,
            clock=clock,
            event=CustomerUpserted(
                customer_id=customer_id,
                revision=1,
                legal_name="杭州云帆科技有限公司",
                contacts=[ContactInfo(name="陈静", email=f"pay-{uuid4().hex[:8]}@example.cn")],
            ),
        )
    for n in range(invoices):
        number = f"INV-2026-{uuid4().hex[:6].upper()}"
        event = InvoiceOverdue(
            customer_id=customer_id,
            invoice_id=uuid4(),
            invoice_number=number,
            invoice_date=date(2026, 1, 11),
            due_date=DUE,
            total=Money.of("1060.00", "CNY"),
            amount_due=Money.of("1060.00", "CNY"),
            days_overdue=20,
            bucket="1-30",
            payment_reference=f"RF18{n}{number}",
            as_of=T0.date(),
        )
        async with db.unit_of_work() as session:
            await record_invoice_overdue(session, actor=SYSTEM, clock=clock, event=event, observed_at=T0)
        facts.append(event)
    return customer_id, facts


async def resolutions(session: AsyncSession) -> int:
    """DunningResolved written to the outbox (each test has a database of its own)."""
    query = text("SELECT count(*) FROM outbox_message WHERE event_type = 'DunningResolved'")
    return int(await session.scalar(query) or 0)


def applied(overdue: InvoiceOverdue, payment_id: UUID, *, balance_after: str, version: int) -> PaymentApplied:
    return PaymentApplied(
        customer_id=overdue.customer_id,
        application_id=uuid4(),
        payment_id=payment_id,
        invoice_id=overdue.invoice_id,
        invoice_number=overdue.invoice_number,
        amount=Money.of(str(Decimal("1060.00") - Decimal(balance_after)), "CNY"),
        applied_on=date(2026, 3, 2),
        due_date=DUE,
        invoice_balance_after=Money.of(balance_after, "CNY"),
        days_after_due=20,
        invoice_ledger_version=version,
    )


def paid(overdue: InvoiceOverdue) -> InvoicePaid:
    return InvoicePaid(
        customer_id=overdue.customer_id,
        invoice_id=overdue.invoice_id,
        invoice_number=overdue.invoice_number,
        total=Money.of("1060.00", "CNY"),
        invoice_date=date(2026, 1, 11),
        due_date=DUE,
        paid_on=date(2026, 3, 2),
        days_beyond_terms=20,
    )


def received(overdue: InvoiceOverdue, payment_id: UUID) -> PaymentReceived:
    return PaymentReceived(
        payment_id=payment_id,
        customer_id=overdue.customer_id,
        amount=Money.of("1060.00", "CNY"),
        received_on=date(2026, 3, 2),
        source="stripe",
        reference=overdue.payment_reference,
    )


async def consume(db: Database, clock: FixedClock, *events: Event) -> list[str]:
    """Handle `events` as the consumer does one batch: one transaction, the work they leave run at its end."""
    left = LeftWork()
    with counted(db) as statements:
        async with db.unit_of_work() as session:
            for index, event in enumerate(events):
                left.index = index
                context = EventContext(session, wrap(event, occurred_at=T0, traceparent=None), clock, left)
                await HANDLERS[type(event)](context, event)
            await left.run()
    return statements


async def test_a_payment_costs_one_statement_received_four_applied_nine_paid(cost_db: Database) -> None:
    """The ceiling: before issue 17's work the same payment cost 2 + 5 + 11 statements."""
    clock = FixedClock(T0 + timedelta(hours=1))
    customer_id, (overdue,) = await overdue_case(cost_db, clock)
    payment_id = uuid4()

    assert verbs(await consume(cost_db, clock, received(overdue, payment_id))) == ["INSERT"]  # the upsert
    applied_statements = await consume(cost_db, clock, applied(overdue, payment_id, balance_after="0.00", version=2))
    # the item and its case locked in one read, the case's payment, the balance, its promises
    assert verbs(applied_statements) == ["SELECT", "INSERT", "UPDATE", "SELECT"]
    paid_statements = await consume(cost_db, clock, paid(overdue))
    assert len(paid_statements) <= 9, paid_statements
    assert sum("outbox_message" in s for s in paid_statements) == 1  # DunningResolved, through the outbox

    async with cost_db.unit_of_work() as session:
        case = (await session.execute(select(DunningCase).where(DunningCase.customer_id == customer_id))).scalar_one()
        item = (
            await session.execute(select(DunningCaseItem).where(DunningCaseItem.invoice_id == overdue.invoice_id))
        ).scalar_one()
        resolved = await resolutions(session)
        payments = await session.scalar(
            select(func.count()).select_from(CasePayment).where(CasePayment.case_id == case.id)
        )
        unmatched = await session.get(UnmatchedPayment, payment_id)
    assert (case.status, case.resolution, item.status) == ("resolved", "paid", "closed") and item.amount_due == 0
    assert (resolved, payments) == (1, 1)
    assert unmatched is not None and unmatched.resolved_by_payment_id == payment_id


async def test_a_repeated_invoice_paid_resolves_the_case_once(cost_db: Database) -> None:
    clock = FixedClock(T0 + timedelta(hours=1))
    _, (overdue,) = await overdue_case(cost_db, clock)
    await consume(cost_db, clock, paid(overdue), paid(overdue))
    await consume(cost_db, clock, paid(overdue))
    async with cost_db.unit_of_work() as session:
        resolved = await resolutions(session)
    assert resolved == 1


async def test_a_payment_of_three_invoices_in_one_batch_stays_within_its_ceiling(cost_db: Database) -> None:
    """One payment of a customer's three overdue invoices, as invoicing publishes it: the applications, then the
    invoices paid, in one batch: the case is resolved once, by the last."""
    clock = FixedClock(T0 + timedelta(hours=1))
    customer_id, facts = await overdue_case(cost_db, clock, invoices=3)
    payment_id = uuid4()
    events: list[Event] = [received(facts[0], payment_id)]
    events += [applied(f, payment_id, balance_after="0.00", version=2) for f in facts]
    events += [paid(f) for f in facts]
    statements = await consume(cost_db, clock, *events)
    # 1 + 3 x 4 + the first two paid (the item closed, the case still open: 4 each) + the last one's 9
    assert len(statements) <= 1 + 3 * 4 + 2 * 4 + 9, verbs(statements)
    async with cost_db.unit_of_work() as session:
        case = (await session.execute(select(DunningCase).where(DunningCase.customer_id == customer_id))).scalar_one()
        resolved = await resolutions(session)
        items = (await session.execute(select(DunningCaseItem.status).where(DunningCaseItem.case_id == case.id))).all()
    assert (case.status, case.resolution, resolved) == ("resolved", "paid", 1)
    assert sorted(s for (s,) in items) == ["closed"] * 3
