"""A collector's worklist: their open cases, read in a few set-based queries and ranked by the rules."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from arflow.money import to_minor_units
from dunning import domain
from dunning.collectors import repository
from dunning.collectors.rules import BROKEN_PROMISE_DAYS, WorkFacts, rank_worklist
from dunning.config import DunningSettings
from dunning.ladder.planning import CaseFacts, plan_from
from dunning.ladder.repository import latest_policies, tick_snapshot
from dunning.ladder.service import policy_view


async def worklist(
    session: AsyncSession,
    *,
    collector: str,
    as_of: datetime,
    settings: DunningSettings,
    starting_after: UUID | None,
    limit: int,
) -> list[dict[str, Any]]:
    """One page (plus one item that says there is more) of the collector's ranked open cases as of `as_of`."""
    cases = await repository.open_cases_of(session, collector)
    if not cases:
        return []
    ids = [c.id for c in cases]
    snapshot = await tick_snapshot(session, cases)
    policies = [policy_view(p) for p in await latest_policies(session)]
    earliest = as_of.date() - timedelta(days=BROKEN_PROMISE_DAYS + 1)
    broken = await repository.broken_promises(session, ids, earliest)
    tasks = await repository.open_call_tasks(session, ids)
    disputes = await repository.open_disputes(session, ids)
    ranked_input: list[tuple[WorkFacts, date]] = []
    about: dict[UUID, dict[str, Any]] = {}
    for case in cases:
        facts = CaseFacts(**snapshot[case.id])
        plan = plan_from(case, facts, as_of=as_of, policies=policies, settings=settings)
        today = plan.local_today
        next_step = None
        if plan.policy is not None:
            pending = domain.pending_steps(plan.policy, plan.state)
            if pending:
                step = pending[0]
                next_step = (step.name, step.channel, domain.step_due_date(step, plan.state.anchor_date))
        overdue = [i.due_date for i in facts.items if i.overdue]
        days = max((today - min(overdue)).days, 0) if overdue else 0
        # Any pause hides the coming step, a promise's too (the ladder takes no step while it runs; the promise
        # is a reason of its own). A promise whose date passed no longer pauses: the step shows again.
        paused = plan.state.paused_reason
        ranked_input.append(
            (
                WorkFacts(
                    case_id=case.id,
                    currency=case.currency,
                    amount=plan.state.amount_overdue,
                    days_overdue=days,
                    open_promises=[(p.promised_date, p.amount) for p in facts.promises],
                    broken_promises=broken.get(case.id, []),
                    next_step=next_step,
                    open_tasks=tasks.get(case.id, []),
                    open_disputes=disputes.get(case.id, []),
                    paused=paused,
                ),
                today,
            )
        )
        about[case.id] = {
            "customer_id": case.customer_id,
            "customer_name": facts.customer.legal_name if facts.customer else None,
            "currency": case.currency,
            "amount_overdue": to_minor_units(plan.state.amount_overdue, case.currency),
            "days_overdue": days,
            "level": case.level,
        }
    ranked = rank_worklist(ranked_input)
    start = 0
    if starting_after is not None:
        positions = [i for i, item in enumerate(ranked) if item.case_id == starting_after]
        start = positions[0] + 1 if positions else len(ranked)
    page = []
    for rank, item in enumerate(ranked[start : start + limit + 1], start=start + 1):
        page.append(
            {
                "id": item.case_id,
                "rank": rank,
                **about[item.case_id],
                "urgency": item.urgency,
                "expected_recovery": to_minor_units(item.expected_recovery, about[item.case_id]["currency"]),
                "reasons": [
                    {"code": r.code, "text": r.en, "text_zh": r.zh, "on": r.on, "step": r.step, "channel": r.channel}
                    for r in item.reasons
                ],
            }
        )
    return page
