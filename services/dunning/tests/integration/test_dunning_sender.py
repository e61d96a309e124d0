"""The senders on their own database: failures, retries with backoff (per channel), and two replicas."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import select

from arflow.clock import FixedClock
from arflow.db import Database
from arflow.devstack.broker import free_port
from arflow.events.catalog import ContactInfo, CustomerUpserted, InvoiceOverdue
from arflow.migrations import upgrade
from arflow.money import Money
from arflow.persistence import outbox_message
from arflow.testing.creditor import TEST_CREDITOR
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure  # not Test*: pytest would collect it
from arflow.testing.infrastructure import spec
from arflow.testing.smtp import SmtpSink
from dunning.actions.delivery import EMAIL, send_due, sms_channel
from dunning.cases.service import record_invoice_overdue
from dunning.config import DunningSettings
from dunning.customers.service import record_customer
from dunning.deps import SYSTEM
from dunning.models import DunningAction

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
BASE_DELAY = timedelta(seconds=60)


@pytest.fixture
async def sender_db(infra: Infrastructure) -> AsyncIterator[Database]:
    """A migrated database of its own, so the running service's sender never touches these actions."""
    url = await infra.scratch_database(f"dunning_sender_{uuid4().hex[:8]}")
    await asyncio.to_thread(upgrade, spec("dunning").directory, url)
    db = Database(url, pool_size=2)
    try:
        yield db
    finally:
        await db.dispose()


def sender_settings(port: int) -> DunningSettings:
    return DunningSettings.model_validate(
        {
            "smtp_port": port,
            "smtp_timeout": 2.0,
            "email_max_attempts": 5,
            "email_retry_base_seconds": BASE_DELAY.total_seconds(),
            **TEST_CREDITOR,
        }
    )


async def queue_notice(db: Database, clock: FixedClock, email: str) -> UUID:
    """Queue an overdue notice the way the InvoiceOverdue handler does; returns the action id."""
    customer_id = uuid4()
    async with db.unit_of_work() as session:
        await record_customer(
            session,
            actor=SYSTEM,
            clock=clock,
            event=CustomerUpserted(
                customer_id=customer_id,
                revision=1,
                legal_name="杭州云帆科技有限公司",
                contacts=[ContactInfo(name="陈静", email=email)],
            ),
        )
        await record_invoice_overdue(
            session,
            actor=SYSTEM,
            clock=clock,
            event=InvoiceOverdue(
                customer_id=customer_id,
                invoice_id=uuid4(),
                invoice_number=f"INV-2026-{uuid4().hex[:6].upper()}",
                invoice_date=date(2026, 1, 1),
                due_date=date(2026, 1, 31),
                total=Money.of("300.00", "CNY"),
                amount_due=Money.of("300.00", "CNY"),
                days_overdue=30,
                bucket="1-30",
                as_of=date(2026, 3, 2),
                payment_reference="RF47INV2026000007",
            ),
            observed_at=clock.now(),
        )
    async with db.unit_of_work() as session:
        action_id: UUID | None = await session.scalar(
            select(DunningAction.id).where(DunningAction.customer_id == customer_id)
        )
    assert action_id is not None
    return action_id


async def action(db: Database, action_id: UUID) -> DunningAction:
    async with db.unit_of_work() as session:
        found = await session.get(DunningAction, action_id)
    assert found is not None
    return found


async def step_events(db: Database, action_id: UUID) -> list[dict[str, Any]]:
    async with db.unit_of_work() as session:
        rows = (
            await session.execute(
                select(outbox_message.c.payload).where(outbox_message.c.event_type == "DunningStepExecuted")
            )
        ).scalars()
        return [p["data"] for p in rows if p["data"]["action_id"] == str(action_id)]


async def test_smtp_failure_is_recorded_and_retried_with_backoff_until_it_fails(sender_db: Database) -> None:
    clock = FixedClock(T0)
    settings = sender_settings(free_port())  # nothing listens there
    action_id = await queue_notice(sender_db, clock, "chen.jing@example.cn")

    assert await send_due(sender_db, EMAIL, clock=clock, settings=settings) == 1
    first = await action(sender_db, action_id)
    assert (first.status, first.attempts, first.outcome) == ("pending", 1, None)
    assert first.last_error
    assert first.next_attempt_at == T0 + BASE_DELAY

    assert await send_due(sender_db, EMAIL, clock=clock, settings=settings) == 0  # not due yet
    assert (await action(sender_db, action_id)).attempts == 1

    for attempt, delay in ((2, 2), (3, 4), (4, 8)):
        due_at = (await action(sender_db, action_id)).next_attempt_at
        assert due_at is not None
        clock.set(due_at)
        assert await send_due(sender_db, EMAIL, clock=clock, settings=settings) == 1
        retried = await action(sender_db, action_id)
        assert retried.attempts == attempt
        assert retried.next_attempt_at == clock.now() + BASE_DELAY * delay
    assert await step_events(sender_db, action_id) == []

    due_at = (await action(sender_db, action_id)).next_attempt_at
    assert due_at is not None
    clock.set(due_at)
    assert await send_due(sender_db, EMAIL, clock=clock, settings=settings) == 1
    failed = await action(sender_db, action_id)
    assert (failed.status, failed.outcome, failed.attempts) == ("failed", "failed", 5)
    assert failed.completed_at == clock.now()
    [event] = await step_events(sender_db, action_id)
    assert event["outcome"] == "failed"
    assert event["recipient"] == "chen.jing@example.cn"

    clock.advance(timedelta(days=1))
    assert await send_due(sender_db, EMAIL, clock=clock, settings=settings) == 0  # a failed action stays failed


async def test_retry_succeeds_once_the_smtp_server_is_back(sender_db: Database, dunning_smtp: SmtpSink) -> None:
    clock = FixedClock(T0)
    email = f"retry-{uuid4().hex[:8]}@example.cn"
    action_id = await queue_notice(sender_db, clock, email)

    await send_due(sender_db, EMAIL, clock=clock, settings=sender_settings(free_port()))
    clock.advance(BASE_DELAY)
    assert await send_due(sender_db, EMAIL, clock=clock, settings=sender_settings(dunning_smtp.port)) == 1

    sent = await action(sender_db, action_id)
    assert (sent.status, sent.outcome, sent.attempts, sent.last_error) == ("sent", "sent", 2, None)
    assert sent.sent_at == clock.now()
    assert len([m for m in dunning_smtp.messages if m["To"] == email]) == 1
    [event] = await step_events(sender_db, action_id)
    assert event["outcome"] == "sent"


async def test_two_replicas_never_send_the_same_action_twice(
    infra: Infrastructure, sender_db: Database, dunning_smtp: SmtpSink
) -> None:
    clock = FixedClock(T0)
    emails = [f"replica-{uuid4().hex[:8]}@example.cn" for _ in range(12)]
    action_ids = [await queue_notice(sender_db, clock, email) for email in emails]
    other_replica = Database(sender_db.engine.url, pool_size=2)
    settings = sender_settings(dunning_smtp.port)
    try:
        attempted = await asyncio.gather(
            send_due(sender_db, EMAIL, clock=clock, settings=settings),
            send_due(other_replica, EMAIL, clock=clock, settings=settings),
        )
    finally:
        await other_replica.dispose()

    assert sum(attempted) == len(emails)
    for email in emails:
        assert len([m for m in dunning_smtp.messages if m["To"] == email]) == 1
    for action_id in action_ids:
        sent = await action(sender_db, action_id)
        assert (sent.status, sent.attempts) == ("sent", 1)
        assert len(await step_events(sender_db, action_id)) == 1


async def test_sms_retries_follow_the_sms_settings_not_the_email_ones(sender_db: Database) -> None:
    clock = FixedClock(T0)
    action_id = await queue_notice(sender_db, clock, f"sms-{uuid4().hex[:8]}@example.cn")
    async with sender_db.unit_of_work() as session:
        queued = await session.get(DunningAction, action_id)
        assert queued is not None
        queued.channel, queued.recipient = "sms", "+8613800138000"
    # No provider: every attempt fails. The email settings would allow 5 attempts a minute apart.
    settings = DunningSettings.model_validate(
        {"sms_max_attempts": 2, "sms_retry_base_seconds": 5.0, "email_max_attempts": 5, **TEST_CREDITOR}
    )
    async with httpx.AsyncClient() as client:
        sms = sms_channel(client)
        assert await send_due(sender_db, EMAIL, clock=clock, settings=settings) == 0
        assert await send_due(sender_db, sms, clock=clock, settings=settings) == 1
        retried = await action(sender_db, action_id)
        assert (retried.status, retried.attempts) == ("pending", 1)
        assert retried.next_attempt_at == T0 + timedelta(seconds=5)
        clock.set(retried.next_attempt_at)
        assert await send_due(sender_db, sms, clock=clock, settings=settings) == 1
    failed = await action(sender_db, action_id)
    assert (failed.status, failed.outcome, failed.attempts) == ("failed", "failed", 2)
    assert failed.last_error is not None and "no SMS provider" in failed.last_error
