"""The ladder tick, set-based: a batch of open cases read in a few queries, planned in memory, and the
steps taken written in a few statements, one transaction per batch. Never commits (the run's pieces do).

Per batch of `TICK_BATCH_SIZE` cases (in id order): the cases and what planning needs of them are read
without locks (seven queries) and planned; a tick with nothing to do stops there. The cases with
something to do - a step due, a promise to settle, a new ladder to record - are then locked in one
statement and re-read (an event may have changed them since), planned again, and their steps written
together: the actions in one INSERT, the collectors' tasks in one, the cases' new level, last contact
and ladder in one UPDATE per set of columns, every DunningEscalated in one outbox INSERT. A step that
needs more than a queued action or a task - a letter to number and render, a legal handover, a
recipient missing (the action finishes at once, with its DunningStepExecuted) - and a case whose
promise is open are taken one by one as before, in the same transaction.

A legal handover due is not taken by the tick: it asks a second person once (ladder/approvals.py), and
the case waits (planned `blocked:awaiting_approval`, so not even locked) until it is approved or rejected.

A second tick as of the same instant takes nothing twice: the steps already taken are re-read under
the lock, and the job's advisory lock keeps two runs apart.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from arflow.auth import Principal
from arflow.clock import Clock
from arflow.events.catalog import DunningChannel, DunningEscalated, Event
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.money import Money
from dunning import domain
from dunning.actions.delivery import note_new_channels
from dunning.config import DunningSettings
from dunning.ladder import repository
from dunning.ladder.approvals import ask_for_handover
from dunning.ladder.planning import CaseFacts, CasePlan, plan_case, plan_from
from dunning.ladder.service import policy_view
from dunning.ladder.steps import execute_step, plain_start, step_values
from dunning.models import DunningCase
from dunning.promises.service import settle_due_promises

log = structlog.get_logger("dunning")

# Cases per transaction: their row locks are held until it commits.
TICK_BATCH_SIZE = 500

Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def _needs_action(plan: CasePlan, facts: CaseFacts) -> bool:
    """Whether the tick must lock a case: a step to take, a promise to settle, or a new ladder to record."""
    if plan.decision.kind == "execute":
        return True
    if _promise_due(plan, facts):
        return True
    return _new_ladder(plan)


def _promise_due(plan: CasePlan, facts: CaseFacts) -> bool:
    return any(p.promised_date < plan.local_today for p in facts.promises)


def _new_ladder(plan: CasePlan) -> bool:
    policy = plan.policy
    return policy is not None and (plan.case.policy_code, plan.case.policy_version) != (policy.code, policy.version)


def _outcome(plan: CasePlan) -> str:
    decision = plan.decision
    if decision.kind == "execute" and decision.step is not None:
        return f"executed:{decision.step.channel}"
    return decision.kind if decision.kind != "blocked" else f"blocked:{decision.reason}"


async def run_tick(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    as_of: datetime,
    settings: DunningSettings,
    transaction: Transaction | None = None,
    batch_size: int = TICK_BATCH_SIZE,
) -> dict[str, Any]:
    """Execute every due step on every open case as of `as_of` (one step per case per tick).

    With `transaction`, each batch of cases runs in a transaction of its own that commits as it ends
    (its row locks released, its actions handed to the senders); without, all in `session`.
    """
    policies = [policy_view(p) for p in await repository.latest_policies(session)]
    counts: dict[str, int] = {}
    after = None
    while True:
        async with transaction() if transaction is not None else nullcontext(session) as piece:
            cases = await repository.open_cases(piece, after=after, limit=batch_size)
            if cases:
                for outcome in await _tick_batch(
                    piece, actor=actor, clock=clock, cases=cases, as_of=as_of, policies=policies, settings=settings
                ):
                    counts[outcome] = counts.get(outcome, 0) + 1
        if len(cases) < batch_size:
            return {"cases": counts}
        after = cases[-1].id


async def _tick_batch(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    cases: list[DunningCase],
    as_of: datetime,
    policies: list[domain.PolicyView],
    settings: DunningSettings,
) -> list[str]:
    """Plan a batch of cases read without locks; lock, re-read and act on those with something to do."""
    snapshot = await repository.tick_snapshot(session, cases)
    outcomes: list[str] = []
    wanted = []
    for unlocked in cases:
        facts = CaseFacts(**snapshot[unlocked.id])
        plan = plan_from(unlocked, facts, as_of=as_of, policies=policies, settings=settings)
        if _needs_action(plan, facts):
            wanted.append(unlocked.id)
        else:
            outcomes.append(_outcome(plan))
    if not wanted:
        return outcomes
    locked = [c for c in await repository.lock_cases(session, wanted) if c.status == "open"]
    fresh = await repository.tick_snapshot(session, locked, refresh=True)
    writes = _BatchWrites()
    for case in locked:
        facts = CaseFacts(**fresh[case.id])
        plan = plan_from(case, facts, as_of=as_of, policies=policies, settings=settings)
        if facts.promises:  # settled first (kept, or broken once due), the case planned again: one by one
            await settle_due_promises(session, clock=clock, case=case, as_of=as_of)
            plan = await plan_case(session, case=case, as_of=as_of, policies=policies, settings=settings)
            outcome = await _act_one_by_one(
                session, actor=actor, clock=clock, plan=plan, as_of=as_of, settings=settings
            )
        elif not writes.add(plan, now=clock.now(), as_of=as_of, settings=settings):
            outcome = await _act_one_by_one(
                session, actor=actor, clock=clock, plan=plan, as_of=as_of, settings=settings
            )
        else:
            outcome = _outcome(plan)
        outcomes.append(outcome)
    await writes.write(session, clock=clock)
    return outcomes


async def _act_one_by_one(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    plan: CasePlan,
    as_of: datetime,
    settings: DunningSettings,
) -> str:
    """Record a locked case's new ladder and take its step through the ORM, one statement at a time (a legal
    handover is asked of a second person instead, unless its policy lets it through); returns the outcome."""
    case = plan.case
    if plan.policy and _new_ladder(plan):
        _log_ladder(plan)
        case.policy_code, case.policy_version = plan.policy.code, plan.policy.version
    step = plan.decision.step
    if plan.decision.kind == "execute" and step is not None:
        if step.channel == "legal_handover" and await ask_for_handover(
            session, clock=clock, plan=plan, step=step, as_of=as_of, actor=actor
        ):
            return "approval_requested:legal_handover"
        await execute_step(session, clock=clock, plan=plan, step=step, as_of=as_of, settings=settings)
    return _outcome(plan)


def _log_ladder(plan: CasePlan) -> None:
    log.info("case.policy_chosen", case_id=str(plan.case.id), **_ladder_fields(plan))


def _ladder_fields(plan: CasePlan) -> dict[str, Any]:
    assert plan.policy is not None
    return {"policy": plan.policy.code, "version": plan.policy.version, "tier": plan.tier}


@dataclass
class _BatchWrites:
    """What a batch's plain steps and new ladders write, gathered in memory and written in a few statements."""

    actions: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    # Per case: the ORM row (kept in step with what is written) and the columns that change.
    cases: list[tuple[DunningCase, dict[str, Any]]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def add(self, plan: CasePlan, *, now: datetime, as_of: datetime, settings: DunningSettings) -> bool:
        """Gather a locked case's changes; False when its step must be taken one by one (nothing gathered)."""
        case, decision = plan.case, plan.decision
        change: dict[str, Any] = {}
        if decision.kind == "execute":
            step, customer = decision.step, plan.customer
            assert step is not None and customer is not None
            values, view, recipient = step_values(plan, step, now=now, as_of=as_of)
            start = plain_start(step, customer=customer, view=view, recipient=recipient, settings=settings)
            if start is None:
                return False
            values.update(start.values)
            self.actions.append(values)
            if start.task is not None:
                self.tasks.append(_task_row(case, values, kind=start.task, due=plan.local_today, at=as_of))
            if start.contact:
                change["last_contact_at"] = as_of
            change["updated_at"] = as_of
            escalated = step.level > case.level
            if escalated:
                self.events.append(_escalated(plan, step, at=as_of))
                change["level"] = step.level
            # One line a step (what the one-by-one path says in step.executed, case.escalated and
            # case.policy_chosen): the tick writes thousands, and the action log keeps the record.
            log.info(
                "step.executed",
                case_id=str(case.id),
                action_id=str(values["id"]),
                step=step.name,
                channel=step.channel,
                level=step.level,
                status=values["status"],
                **({"escalated_from": case.level} if escalated else {}),
                **(_ladder_fields(plan) if _new_ladder(plan) else {}),
            )
        elif _new_ladder(plan):
            _log_ladder(plan)
        if plan.policy and _new_ladder(plan):
            change["policy_code"], change["policy_version"] = plan.policy.code, plan.policy.version
        if change:
            self.cases.append((case, change))
        return True

    async def write(self, session: AsyncSession, *, clock: Clock) -> None:
        """Write what was gathered: actions, then the tasks that name them, the cases, the events."""
        await repository.insert_actions(session, self.actions)
        note_new_channels(session, {a["channel"] for a in self.actions})
        await repository.insert_tasks(session, self.tasks)
        await repository.update_cases(session, [{"id": case.id, **change} for case, change in self.cases])
        for case, change in self.cases:
            for column, value in change.items():
                set_committed_value(case, column, value)
        if self.events:
            await outbox.add_many(session, self.events, clock=clock)


def _task_row(case: DunningCase, action: dict[str, Any], *, kind: str, due: date, at: datetime) -> dict[str, Any]:
    """A collector's task for an action, assigned to the case's collector, as tasks.repository.add_task opens it."""
    return {
        "id": uuid7(),
        "case_id": case.id,
        "customer_id": case.customer_id,
        "action_id": action["id"],
        "kind": kind,
        "due_date": due,
        "assignee": case.collector,
        "status": "open",
        "created_at": at,
    }


def _escalated(plan: CasePlan, step: domain.PolicyStep, *, at: datetime) -> DunningEscalated:
    case = plan.case
    return DunningEscalated(
        customer_id=case.customer_id,
        case_id=case.id,
        from_level=case.level,
        to_level=step.level,
        channel=cast("DunningChannel", step.channel),
        amount_overdue=Money.of(plan.state.amount_overdue, case.currency).quantize(),
        escalated_at=at,
    )
