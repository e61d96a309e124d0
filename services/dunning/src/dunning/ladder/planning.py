"""What the tick would do to one case: the facts it reads and the decision it draws from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import DEFAULT_TIME_ZONE
from dunning import domain
from dunning.actions.repository import done_steps
from dunning.config import DunningSettings
from dunning.customers.repository import get_customer, get_tier
from dunning.lookups import case_items
from dunning.models import Customer, DunningCase, DunningCaseItem, PromiseToPay
from dunning.payments.repository import Hold, holds_of
from dunning.promises.repository import open_promises


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


async def case_facts(session: AsyncSession, case: DunningCase) -> CaseFacts:
    """Read what planning one case needs, case by case (the tick reads them in bulk instead)."""
    return CaseFacts(
        customer=await get_customer(session, case.customer_id),
        tier=await get_tier(session, case.customer_id),
        items=[i for i in await case_items(session, case.id) if i.status == "open"],
        promises=await open_promises(session, case.id),
        done_steps=await done_steps(session, case.id),
        unmatched_payments=tuple((await holds_of(session, [case.customer_id])).get(case.customer_id, [])),
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
