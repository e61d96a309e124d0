"""What the tick would do to one case: the facts it reads and the decision it draws from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import DEFAULT_TIME_ZONE
from dunning import domain
from dunning.actions.repository import done_steps
from dunning.config import DunningSettings
from dunning.customers.repository import get_customer, get_tier
from dunning.ladder.repository import handover_requests
from dunning.lookups import case_items
from dunning.models import Customer, DunningCase, DunningCaseItem, PromiseToPay
from dunning.payments.repository import Hold, holds_of
from dunning.promises.repository import open_promises

# After a second person rejects a legal handover, the tick asks again for that rung this long after the
# rejection (the case stays where it is meanwhile: a manual hold stops it for longer).
ASK_AGAIN_AFTER_REJECTION = timedelta(days=30)


def guardrails(settings: DunningSettings) -> domain.Guardrails:
    """The guardrails the settings set (quiet hours, gap, minimum amount, weekends)."""
    return domain.Guardrails(
        quiet_start=settings.quiet_hours_start,
        quiet_end=settings.quiet_hours_end,
        min_gap=timedelta(hours=settings.min_contact_gap_hours),
        min_amount=settings.min_dunning_amount,
        skip_weekends=settings.skip_weekends,
        creditor_ready=settings.creditor_demo or not settings.missing_creditor_settings(),
    )


@dataclass
class CasePlan:
    """What the tick would do to one case as of an instant (the dry run shows it as is)."""

    case: DunningCase
    customer: Customer | None
    items: list[DunningCaseItem]
    tier: str | None
    policy: domain.PolicyView | None
    state: domain.CaseState
    decision: domain.StepDecision
    local_today: date


@dataclass(frozen=True)
class CaseFacts:
    """What planning a case reads: its customer, tier, open items, open promises and the steps taken."""

    customer: Customer | None
    tier: str | None
    items: list[DunningCaseItem]
    promises: list[PromiseToPay]
    done_steps: frozenset[str]
    # The customer's unmatched payments as (reported_at, hold_until, resolved_at).
    unmatched_payments: tuple[Hold, ...] = ()
    # Legal handovers asked of a second person, pending or rejected: (step, status, amount, expires_at, decided_at).
    handover_requests: tuple[Any, ...] = ()


def handover_wait(requests: Sequence[Any], step: str, amount: Decimal, as_of: datetime) -> str | None:
    """Why the tick does not ask for a legal handover step of a case owing `amount` as of `as_of`:
    `awaiting_approval` while a request for it is pending, not expired and asked for that amount (one asked
    before a payment or credit note can no longer be approved: it is asked anew), `handover_rejected`
    until ASK_AGAIN_AFTER_REJECTION after a rejection."""
    for request in requests:
        if request.step != step:
            continue
        if request.status == "pending" and as_of < request.expires_at and request.amount == amount:
            return "awaiting_approval"
        if (
            request.status == "rejected"
            and request.decided_at
            and as_of < request.decided_at + ASK_AGAIN_AFTER_REJECTION
        ):
            return "handover_rejected"
    return None


def _gate_handover(
    decision: domain.StepDecision, facts: CaseFacts, amount: Decimal, as_of: datetime
) -> domain.StepDecision:
    """A legal handover due is asked of a second person once: while asked (or just rejected) the case waits."""
    step = decision.step
    if decision.kind != "execute" or step is None or step.channel != "legal_handover":
        return decision
    wait = handover_wait(facts.handover_requests, step.name, amount, as_of)
    return decision if wait is None else domain.StepDecision("blocked", step, decision.due_on, reason=wait)


async def case_facts(session: AsyncSession, case: DunningCase) -> CaseFacts:
    """Read what planning one case needs, case by case (the tick reads them in bulk instead)."""
    return CaseFacts(
        customer=await get_customer(session, case.customer_id),
        tier=await get_tier(session, case.customer_id),
        items=[i for i in await case_items(session, case.id) if i.status == "open"],
        promises=await open_promises(session, case.id),
        done_steps=await done_steps(session, case.id),
        unmatched_payments=tuple((await holds_of(session, [case.customer_id])).get(case.customer_id, [])),
        handover_requests=(await handover_requests(session, [case.id])).get(case.id, ()),
    )


def plan_from(
    case: DunningCase,
    facts: CaseFacts,
    *,
    as_of: datetime,
    policies: list[domain.PolicyView],
    settings: DunningSettings,
) -> CasePlan:
    """Decide, from facts already read, the next step of a case as of `as_of` (no I/O)."""
    customer, items = facts.customer, facts.items
    local_now = as_of.astimezone(ZoneInfo(customer.time_zone if customer else DEFAULT_TIME_ZONE))
    chased = [i for i in items if not i.disputed]
    amount = sum((i.amount_due for i in chased), Decimal(0))
    policy = domain.select_policy(
        policies, tier=facts.tier, amount_overdue=amount, tags=customer.tags if customer else []
    )
    state = domain.CaseState(
        anchor_date=case.anchor_date or min((i.due_date for i in items), default=local_now.date()),
        level=case.level,
        done_steps=facts.done_steps,
        amount_overdue=amount,
        has_overdue=any(i.overdue for i in chased),
        last_contact_at=case.last_contact_at,
        paused_reason=domain.pause_reason(
            excluded=bool(customer and customer.dunning_excluded),
            frozen=case.frozen_at is not None,
            hold_reason=case.hold_reason,
            held_until=case.held_until,
            promised_dates=[p.promised_date for p in facts.promises],
            all_disputed=bool(items) and not chased,
            today=local_now.date(),
            awaiting_unmatched_payment=domain.awaiting_unmatched_payment(facts.unmatched_payments, as_of),
        ),
    )
    if customer is None:
        decision = domain.StepDecision("blocked", reason="customer_unknown")
    elif policy is None:
        decision = domain.StepDecision("blocked", reason="no_policy")
    else:
        decision = domain.decide_step(policy, state, now=as_of, local_now=local_now, guard=guardrails(settings))
        decision = _gate_handover(decision, facts, amount, as_of)
    return CasePlan(case, customer, items, facts.tier, policy, state, decision, local_now.date())


async def plan_case(
    session: AsyncSession,
    *,
    case: DunningCase,
    as_of: datetime,
    policies: list[domain.PolicyView],
    settings: DunningSettings,
) -> CasePlan:
    """Decide, without doing it, the next step of a case as of `as_of`."""
    facts = await case_facts(session, case)
    return plan_from(case, facts, as_of=as_of, policies=policies, settings=settings)
