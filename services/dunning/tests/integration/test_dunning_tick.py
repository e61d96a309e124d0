"""The tick run set-based, on a database of its own: batches, plain steps written together, the others one by one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import event, select

from arflow.clock import FixedClock
from arflow.db import Database
from arflow.migrations import upgrade
from arflow.persistence import outbox_message
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure
from arflow.testing.infrastructure import spec
from dunning.actions.delivery import NEW_ACTION_CHANNELS
from dunning.config import DunningSettings
from dunning.deps import SYSTEM
from dunning.ladder.service import seed_default_policies
from dunning.ladder.tick import run_tick
from dunning.models import Customer, CustomerTier, DunningAction, DunningCase, DunningCaseItem, DunningTask

DUE = date(2026, 3, 1)
LAST_CONTACT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
FOLLOW_UP_DAY = datetime(2026, 3, 8, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, tier B's follow-up (due + 7)


@pytest.fixture
async def tick_db(infra: Infrastructure) -> AsyncIterator[Database]:
    """A migrated database of its own with the default ladders: only this test's cases are open in it."""
    url = await infra.scratch_database(f"dunning_tick_{uuid4().hex[:8]}")
    await asyncio.to_thread(upgrade, spec("dunning").directory, url)
    db = Database(url, pool_size=2)
    async with db.unit_of_work() as session:
        await seed_default_policies(session, clock=FixedClock(LAST_CONTACT), actor=SYSTEM)
    try:
        yield db
    finally:
        await db.dispose()


async def open_case(
    db: Database,
    *,
    email: str | None = "ap@example.cn",
    tier: str | None = None,
    level: int = 1,
    done: tuple[str, ...] = ("overdue_notice",),
    collector: str | None = None,
) -> UUID:
    """A case of one overdue invoice (¥1,060 due on 1 March) that took `done`, last contacted on 2 March."""
    customer_id, case_id, invoice_id = uuid4(), uuid4(), uuid4()
    contact: dict[str, Any] = {"name": "王芳", "role": "billing", "language": "zh-CN", "phone": "+8613800000000"}
    if email:
        contact["email"] = email
    async with db.unit_of_work() as session:
        session.add(
            Customer(
                id=customer_id,
                revision=1,
                legal_name="杭州云帆科技有限公司",
                preferred_language="zh-CN",
                time_zone="Asia/Shanghai",
                contacts=[contact],
                updated_at=LAST_CONTACT,
            )
        )
        if tier:
            session.add(CustomerTier(customer_id=customer_id, tier=tier, score=500, scored_at=LAST_CONTACT))
        session.add(
            DunningCase(
                id=case_id,
                customer_id=customer_id,
                currency="CNY",
                status="open",
                level=level,
                opened_at=LAST_CONTACT,
                updated_at=LAST_CONTACT,
                anchor_date=DUE,
                last_contact_at=LAST_CONTACT,
                collector=collector,
            )
        )
        await session.flush()
        session.add(
            DunningCaseItem(
                id=uuid4(),
                case_id=case_id,
                invoice_id=invoice_id,
                invoice_number=f"INV-2026-{invoice_id.hex[:6]}",
                currency="CNY",
                amount_due=Decimal("1060"),
                due_date=DUE,
                days_overdue=1,
                bucket="1-30",
                status="open",
                overdue=True,
                balance_observed_at=LAST_CONTACT,
                created_at=LAST_CONTACT,
                updated_at=LAST_CONTACT,
            )
        )
        for step in done:
            session.add(
                DunningAction(
                    id=uuid4(),
                    case_id=case_id,
                    customer_id=customer_id,
                    step=step,
                    level=level,
                    channel="email",
                    invoice_ids=[invoice_id],
                    amount_overdue=Decimal("1060"),
                    currency="CNY",
                    status="sent",
                    attempts=1,
                    created_at=LAST_CONTACT,
                )
            )
    return case_id


async def tick(db: Database, as_of: datetime, *, batch_size: int = 500) -> dict[str, Any]:
    async with db.unit_of_work() as session:
        return await run_tick(
            session,
            clock=FixedClock(as_of),
            as_of=as_of,
            settings=DunningSettings(account_manager_email="am@arflow.example"),
            transaction=db.unit_of_work,
            batch_size=batch_size,
            actor=SYSTEM,
        )


async def actions_of(db: Database, case_id: UUID) -> list[DunningAction]:
    async with db.unit_of_work() as session:
        query = select(DunningAction).where(DunningAction.case_id == case_id).order_by(DunningAction.created_at)
        return list((await session.execute(query)).scalars())


async def case_of(db: Database, case_id: UUID) -> DunningCase:
    async with db.unit_of_work() as session:
        case = await session.get(DunningCase, case_id)
        assert case is not None
        return case


async def events(db: Database, event_type: str) -> list[dict[str, Any]]:
    async with db.unit_of_work() as session:
        query = select(outbox_message.c.payload).where(outbox_message.c.event_type == event_type)
        return [row["data"] for row in (await session.execute(query)).scalars()]


async def test_a_tick_over_several_batches_takes_each_due_step_once(tick_db: Database) -> None:
    cases = [await open_case(tick_db, email=f"ap{n}@example.cn") for n in range(5)]

    assert await tick(tick_db, FOLLOW_UP_DAY, batch_size=2) == {"cases": {"executed:email": 5}}
    for n, case_id in enumerate(cases):
        actions = await actions_of(tick_db, case_id)
        assert [a.step for a in actions] == ["overdue_notice", "follow_up"]
        follow_up = actions[1]
        assert (follow_up.status, follow_up.recipient, follow_up.template) == (
            "pending",
            f"ap{n}@example.cn",
            "follow_up",
        )
        assert (follow_up.created_at, follow_up.details["as_of_date"]) == (FOLLOW_UP_DAY, "2026-03-08")
        case = await case_of(tick_db, case_id)
        assert (case.level, case.last_contact_at, case.policy_code) == (2, FOLLOW_UP_DAY, "tier-b")
    escalated = await events(tick_db, "DunningEscalated")
    assert sorted(e["case_id"] for e in escalated) == sorted(str(c) for c in cases)
    assert {(e["from_level"], e["to_level"], e["amount_overdue"]["amount"]) for e in escalated} == {(1, 2, "1060.00")}

    # The same instant again: every case waits for its SMS on day 10, nothing is taken or published twice.
    assert await tick(tick_db, FOLLOW_UP_DAY, batch_size=2) == {"cases": {"wait": 5}}
    assert [len(await actions_of(tick_db, c)) for c in cases] == [2] * 5
    assert len(await events(tick_db, "DunningEscalated")) == 5


async def test_plain_steps_written_together_and_the_others_one_by_one_in_the_same_batch(tick_db: Database) -> None:
    emailed = await open_case(tick_db, email="ap@example.cn")
    unreachable = await open_case(tick_db, email=None)  # no email: the follow-up finishes at once, skipped
    called = await open_case(
        tick_db,
        tier="D",
        level=3,
        done=("overdue_notice", "sms_reminder", "follow_up", "formal_letter"),
        collector="collector-li",
    )
    channels: list[set[str]] = []
    tick_db.on_commit_of(lambda info: channels.append(set(info.get(NEW_ACTION_CHANNELS, set()))))
    as_of = datetime(2026, 3, 12, 2, 0, tzinfo=UTC)  # tier D's phone call (due + 10), 10:00 in Shanghai

    assert await tick(tick_db, as_of) == {"cases": {"executed:email": 2, "executed:phone_task": 1}}

    assert (await actions_of(tick_db, emailed))[-1].status == "pending"
    skipped = (await actions_of(tick_db, unreachable))[-1]
    assert (skipped.step, skipped.status, skipped.outcome) == ("follow_up", "skipped", "no_recipient")
    assert [e["action_id"] for e in await events(tick_db, "DunningStepExecuted")] == [str(skipped.id)]
    assert (await case_of(tick_db, unreachable)).last_contact_at == LAST_CONTACT  # no one was contacted

    call = (await actions_of(tick_db, called))[-1]
    assert (call.step, call.channel, call.status, call.next_attempt_at) == ("phone_call", "phone_task", "pending", None)
    async with tick_db.unit_of_work() as session:
        task = (await session.execute(select(DunningTask).where(DunningTask.case_id == called))).scalar_one()
    assert (task.action_id, task.kind, task.assignee, task.status) == (call.id, "phone_call", "collector-li", "open")
    assert task.due_date == date(2026, 3, 12)
    case = await case_of(tick_db, called)
    assert (case.level, case.last_contact_at, case.policy_code) == (4, as_of, "tier-d")
    escalations = {e["case_id"]: e["to_level"] for e in await events(tick_db, "DunningEscalated")}
    assert escalations == {str(emailed): 2, str(unreachable): 2, str(called): 4}
    # The senders are told of what they deliver, the bulk-written actions included.
    assert {"email", "phone_task"} <= set().union(*channels)


async def test_the_tick_sends_as_many_statements_for_eight_cases_as_for_two(tick_db: Database) -> None:
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(tick_db.engine.sync_engine, "before_cursor_execute", count)
    for _ in range(2):
        await open_case(tick_db)
    statements = 0
    assert await tick(tick_db, FOLLOW_UP_DAY) == {"cases": {"executed:email": 2}}
    for_two = statements

    for _ in range(8):
        await open_case(tick_db)
    statements = 0
    assert await tick(tick_db, FOLLOW_UP_DAY) == {"cases": {"executed:email": 8, "wait": 2}}
    assert statements == for_two
