"""Dunning use cases: load, apply the domain rules, save, record events. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, cast
from uuid import UUID
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock, local_date
from arflow.events.catalog import (
    CreditNoteIssued,
    CreditScoreChanged,
    CustomerUpserted,
    DunningChannel,
    DunningEscalated,
    DunningPaused,
    DunningResolved,
    DunningStepExecuted,
    Event,
    InvoiceDueSoon,
    InvoiceOverdue,
    Language,
    LegalHandover,
    PaymentApplicationReversed,
    PaymentApplied,
    PromiseToPayBroken,
    PromiseToPayKept,
    PromiseToPayMade,
)
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.money import Money, to_minor_units
from arflow.pagination import PageParams
from arflow.problems import Conflict, NotFound, Unprocessable
from dunning import domain, letters, rendering, repository
from dunning.config import DunningSettings
from dunning.models import (
    CollectionPlan,
    Customer,
    DunningAction,
    DunningCase,
    DunningCaseItem,
    DunningDocument,
    DunningPolicy,
    DunningTask,
    PromiseToPay,
)

log = structlog.get_logger("dunning")
PauseReason = Literal["promise_to_pay", "dispute", "manual_hold", "customer_excluded"]


# --- the customer projection ---------------------------------------------------------


def customer_view(customer: Customer | None) -> domain.CustomerView | None:
    if customer is None:
        return None
    return domain.CustomerView(
        legal_name=customer.legal_name,
        preferred_language=customer.preferred_language,
        contacts=customer.contacts,
        dunning_excluded=customer.dunning_excluded,
    )


async def record_customer(session: AsyncSession, *, clock: Clock, event: CustomerUpserted) -> None:
    """Keep the customer's latest revision; re-address its pending actions accordingly."""
    values = {
        "id": event.customer_id,
        "revision": event.revision,
        "legal_name": event.legal_name,
        "preferred_language": event.preferred_language,
        "time_zone": event.time_zone,
        "contacts": [c.model_dump(mode="json") for c in event.contacts],
        "dunning_excluded": event.dunning_excluded,
        "tags": list(event.tags),
        "account_manager_email": event.account_manager_email,
        "updated_at": clock.now(),
    }
    before = await repository.get_customer(session, event.customer_id)
    was_excluded = bool(before and before.dunning_excluded)
    if before is not None:
        session.expunge(before)  # the upsert below changes the row behind the session's back
    if not await repository.upsert_customer(session, values):
        log.info("customer.stale_revision_ignored", customer_id=str(event.customer_id), revision=event.revision)
        return
    log.info("customer.projected", customer_id=str(event.customer_id), revision=event.revision)
    if event.dunning_excluded and not was_excluded:
        for case in await repository.open_cases_of(session, event.customer_id):
            await _paused(
                session,
                clock=clock,
                case=case,
                reason="customer_excluded",
                until=None,
                note=event.dunning_exclusion_reason,
            )
    view = domain.CustomerView(
        legal_name=event.legal_name,
        preferred_language=event.preferred_language,
        contacts=cast("list[dict[str, Any]]", values["contacts"]),
        dunning_excluded=event.dunning_excluded,
    )
    for action in await repository.pending_actions_for_update(session, event.customer_id):
        if view.dunning_excluded:
            _complete(action, status="cancelled", outcome="customer_excluded", now=clock.now())
            log.info("action.cancelled", action_id=str(action.id), reason="customer_excluded")
        elif action.recipient is None and action.channel == "email":
            await _address(session, clock=clock, action=action, plan=domain.plan_reminder(view), customer=view)


# --- overdue invoices open cases -------------------------------------------------------


async def record_invoice_overdue(
    session: AsyncSession, *, clock: Clock, event: InvoiceOverdue, observed_at: datetime
) -> None:
    """Put an overdue invoice in its customer's open case; its first notice queues a reminder."""
    bound = log.bind(customer_id=str(event.customer_id), invoice_id=str(event.invoice_id))
    if await repository.is_invoice_closed(session, event.invoice_id):
        bound.info("case_item.already_closed")
        return
    now = clock.now()
    currency = event.amount_due.currency
    new_case_id = uuid7()
    case = await repository.open_case_for_update(
        session, case_id=new_case_id, customer_id=event.customer_id, currency=currency, now=now
    )
    if case.id == new_case_id:
        bound.info("case.opened", case_id=str(case.id), currency=currency)
    added = await repository.add_case_item(
        session,
        {
            "id": uuid7(),
            "case_id": case.id,
            "invoice_id": event.invoice_id,
            "invoice_number": event.invoice_number,
            "currency": currency,
            "amount_due": event.amount_due.amount,
            "due_date": event.due_date,
            "days_overdue": event.days_overdue,
            "bucket": event.bucket,
            "payment_reference": event.payment_reference,
            "status": "open",
            "balance_observed_at": observed_at,
            "created_at": now,
            "updated_at": now,
        },
    )
    if not added:
        item = await repository.get_item(session, event.invoice_id, for_update=True)
        assert item is not None
        was_due_soon = not item.overdue and item.status == "open"
        _refresh_item(item, event, observed_at=observed_at, now=now)
        item.overdue = True
        bound.info("case_item.refreshed", case_id=str(item.case_id), bucket=item.bucket)
        if not was_due_soon:
            return
        # A pre-due item just went overdue: its case gets the overdue notice like any other.
        case = await repository.get_case(session, item.case_id, for_update=True) or case
        disputed = item.disputed
    else:
        bound.info("case_item.added", case_id=str(case.id), days_overdue=event.days_overdue)
        disputed = await repository.is_invoice_disputed(session, event.invoice_id)
    case.updated_at = now
    if case.anchor_date is None or not await repository.done_steps(session, case.id):
        case.anchor_date = min(case.anchor_date or event.due_date, event.due_date)
    if disputed:
        # Disputed before it was overdue: it is not chased until its disputes are resolved.
        bound.info("action.not_queued", reason="dispute", case_id=str(case.id))
        if added:
            await _paused(session, clock=clock, case=case, reason="dispute", until=None, note=event.invoice_number)
        return

    customer = await repository.get_customer(session, event.customer_id)
    plan = domain.plan_reminder(customer_view(customer))
    if plan.kind == "excluded":
        bound.info("action.not_queued", reason="customer_excluded", case_id=str(case.id))
        return
    if case.frozen_at is not None or case.hold_reason is not None:
        bound.info("action.not_queued", reason="case_paused", case_id=str(case.id))
        return
    # A promise to pay pauses the whole case until its date: the customer is not
    # chased for a newly overdue invoice either (the tick picks it up if the
    # promise is broken).
    today = local_date(now, customer.time_zone if customer else "Asia/Shanghai")
    if any(p.promised_date >= today for p in await repository.open_promises(session, case.id)):
        bound.info("action.not_queued", reason="promise_to_pay", case_id=str(case.id))
        return
    action = DunningAction(
        id=uuid7(),
        case_id=case.id,
        customer_id=event.customer_id,
        step=domain.OVERDUE_NOTICE_STEP,
        level=domain.OVERDUE_NOTICE_LEVEL,
        channel=domain.OVERDUE_NOTICE_CHANNEL,
        template=domain.OVERDUE_NOTICE_TEMPLATE,
        invoice_ids=[event.invoice_id],
        amount_overdue=event.amount_due.amount,
        currency=currency,
        details=_notice_details(event, customer_name=customer.legal_name if customer else None),
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(action)
    case.last_contact_at = now
    await session.flush()
    await raise_level(session, clock=clock, case=case, level=action.level, channel=action.channel, at=now)
    await _address(session, clock=clock, action=action, plan=plan, customer=customer_view(customer))


def _refresh_item(item: DunningCaseItem, event: InvoiceOverdue, *, observed_at: datetime, now: datetime) -> None:
    if item.status != "open":
        return
    if event.days_overdue >= item.days_overdue:
        item.days_overdue, item.bucket = event.days_overdue, event.bucket
    if domain.is_newer_balance(item.balance_observed_at, observed_at):
        item.amount_due, item.balance_observed_at = event.amount_due.amount, observed_at
        item.balance_ledger_version = None  # the notice carries no ledger version
    item.updated_at = now


def _take_balance(
    item: DunningCaseItem, balance: Decimal, *, observed_at: datetime, version: int | None, now: datetime
) -> bool:
    """Hold `balance` as the item's amount due unless a newer one is held; True when taken."""
    newer = domain.is_newer_balance(
        item.balance_observed_at, observed_at, held_version=item.balance_ledger_version, version=version
    )
    if not newer:
        return False
    # A higher ledger version may have been observed earlier: the held time never goes back.
    item.amount_due, item.balance_observed_at = balance, max(item.balance_observed_at, observed_at)
    item.balance_ledger_version, item.updated_at = version, now
    return True


def _notice_details(event: InvoiceOverdue, *, customer_name: str | None) -> dict[str, Any]:
    """What the notice says, fixed when it is decided (the archived record of the message)."""
    return {
        "customer_name": customer_name,
        "currency": event.amount_due.currency,
        "amount_overdue": format(event.amount_due.amount, "f"),
        "invoices": [
            {
                "invoice_id": str(event.invoice_id),
                "number": event.invoice_number,
                "amount_due": format(event.amount_due.amount, "f"),
                "due_date": event.due_date.isoformat(),
                "days_overdue": event.days_overdue,
                "payment_reference": event.payment_reference,
            }
        ],
    }


async def _address(
    session: AsyncSession,
    *,
    clock: Clock,
    action: DunningAction,
    plan: domain.ReminderPlan,
    customer: domain.CustomerView | None,
) -> None:
    """Give a pending action its recipient, or record that it has none."""
    bound = log.bind(action_id=str(action.id), case_id=str(action.case_id))
    if customer is not None and not action.details.get("customer_name"):
        action.details = {**action.details, "customer_name": customer.legal_name}
    if plan.kind == "send" and plan.recipient is not None:
        action.recipient, action.language = plan.recipient.email, plan.recipient.language
        bound.info("action.queued", step=action.step, channel=action.channel, language=action.language)
    elif plan.kind == "no_recipient":
        action.language = plan.language
        _complete(action, status="skipped", outcome="no_recipient", now=clock.now())
        await outbox.add(session, step_executed(action, executed_at=clock.now()), clock=clock)
        bound.warning("action.no_recipient", step=action.step)
    elif plan.kind == "await_customer":
        bound.warning("action.awaiting_customer", customer_id=str(action.customer_id))


def _complete(action: DunningAction, *, status: str, outcome: str, now: datetime) -> None:
    action.status, action.outcome, action.completed_at = status, outcome, now


def step_executed(action: DunningAction, *, executed_at: datetime) -> DunningStepExecuted:
    return DunningStepExecuted(
        customer_id=action.customer_id,
        case_id=action.case_id,
        action_id=action.id,
        step_name=action.step,
        level=action.level,
        channel=cast("DunningChannel", action.channel),
        recipient=action.recipient,
        template=action.template,
        language=cast("Language | None", action.language),
        outcome=action.outcome or action.status,
        invoice_ids=list(action.invoice_ids),
        amount_overdue=Money.of(action.amount_overdue, action.currency).quantize(),
        executed_at=executed_at,
    )


# --- email delivery outcomes --------------------------------------------------------------


async def record_email_sent(session: AsyncSession, *, clock: Clock, action: DunningAction, subject: str) -> None:
    """Mark an email action sent and publish DunningStepExecuted (outcome "sent")."""
    now = clock.now()
    action.attempts += 1
    action.subject, action.sent_at, action.last_error = subject, now, None
    _complete(action, status="sent", outcome="sent", now=now)
    await outbox.add(session, step_executed(action, executed_at=now), clock=clock)
    log.info("action.sent", action_id=str(action.id), case_id=str(action.case_id), attempts=action.attempts)


async def record_email_failure(
    session: AsyncSession,
    *,
    clock: Clock,
    action: DunningAction,
    error: str,
    max_attempts: int,
    base_delay: timedelta,
) -> str:
    """Count a failed attempt: schedule a retry, or give up and publish outcome "failed"."""
    now = clock.now()
    action.attempts += 1
    action.last_error = error[:2000]
    decision = domain.after_failed_attempt(action.attempts, now=now, max_attempts=max_attempts, base_delay=base_delay)
    bound = log.bind(action_id=str(action.id), case_id=str(action.case_id), attempts=action.attempts, error=error)
    if decision.status == "failed":
        _complete(action, status="failed", outcome="failed", now=now)
        await outbox.add(session, step_executed(action, executed_at=now), clock=clock)
        bound.error("action.failed")
        return "failed"
    action.next_attempt_at = decision.retry_at
    bound.warning("action.retry_scheduled", retry_at=str(decision.retry_at))
    return "retry"


# --- closing invoices resolves cases ------------------------------------------------------


async def record_payment_applied(
    session: AsyncSession, *, clock: Clock, event: PaymentApplied, observed_at: datetime
) -> None:
    """Bring an item's amount due to the invoice's balance after a payment."""
    item = await repository.get_item(session, event.invoice_id, for_update=True)
    if item is None or item.status != "open":
        return
    if _take_balance(
        item,
        event.invoice_balance_after.amount,
        observed_at=observed_at,
        version=event.invoice_ledger_version,
        now=clock.now(),
    ):
        log.info("case_item.balance_updated", invoice_id=str(item.invoice_id), amount_due=str(item.amount_due))
    case = await repository.get_case(session, item.case_id, for_update=True)
    if case is None or case.status != "open":
        return
    await session.flush()
    await settle_due_promises(session, clock=clock, case=case)
    if case.policy_code and case.anchor_date:
        policy, _ = await require_policy(session, case.policy_code, case.policy_version)
        done = await repository.done_steps(session, case.id)
        anchor = domain.reanchor(
            case.anchor_date, policy=policy_view(policy), done_steps=done, paid_on=event.applied_on
        )
        if anchor != case.anchor_date:
            log.info("case.reanchored", case_id=str(case.id), anchor_date=str(anchor))
            case.anchor_date = anchor


async def record_payment_reversed(
    session: AsyncSession, *, clock: Clock, event: PaymentApplicationReversed, observed_at: datetime
) -> None:
    """A reversed payment raises the amount due again; one that reopens a paid invoice puts it back in the chase.

    The invoice is no longer known as settled, so a later InvoiceOverdue is not ignored. Its closed item
    is reopened in its case if that case is still open, otherwise in the customer's open case (created if
    there is none): a resolved case stays resolved as history.
    """
    bound = log.bind(customer_id=str(event.customer_id), invoice_id=str(event.invoice_id))
    now = clock.now()
    if event.invoice_reopened:
        await repository.forget_paid_invoice(session, event.invoice_id)
    found = await repository.get_item(session, event.invoice_id)
    if found is None:
        bound.info("case_item.reversal_before_overdue", reopened=event.invoice_reopened)
        return
    case = await repository.get_case(session, found.case_id, for_update=True)
    item = await repository.get_item(session, event.invoice_id, for_update=True)
    assert case is not None and item is not None
    balance = event.invoice_balance_after.amount
    if item.status == "open":
        if _take_balance(item, balance, observed_at=observed_at, version=event.invoice_ledger_version, now=now):
            bound.info("case_item.balance_updated", amount_due=str(balance), reason="payment_reversed")
        return
    if not event.invoice_reopened or item.closure != "paid":
        return
    if case.status != "open":
        case = await repository.open_case_for_update(
            session, case_id=uuid7(), customer_id=case.customer_id, currency=item.currency, now=now
        )
        item.case_id = case.id
    item.status, item.closure, item.closed_at = "open", None, None
    item.amount_due, item.balance_observed_at, item.updated_at = balance, observed_at, now
    item.balance_ledger_version = event.invoice_ledger_version
    if case.anchor_date is None:
        case.anchor_date = item.due_date
    case.updated_at = now
    await session.flush()
    bound.info("case_item.reopened", case_id=str(case.id), amount_due=str(balance))


async def record_credit_note(
    session: AsyncSession, *, clock: Clock, event: CreditNoteIssued, observed_at: datetime
) -> None:
    """A credit note lowers what the customer owes on the invoice: letters and handovers chase the rest."""
    item = await repository.get_item(session, event.invoice_id, for_update=True)
    if item is None or item.status != "open":
        return
    now = clock.now()
    if event.invoice_balance_after is not None:
        taken = _take_balance(
            item,
            event.invoice_balance_after.amount,
            observed_at=observed_at,
            version=event.invoice_ledger_version,
            now=now,
        )
    else:
        # No balance given: the credited amount comes off what is held (the inbox applies each note once).
        balance = max(item.amount_due - event.amount.amount, Decimal(0))
        taken = _take_balance(item, balance, observed_at=observed_at, version=event.invoice_ledger_version, now=now)
    if taken:
        log.info(
            "case_item.balance_updated",
            invoice_id=str(item.invoice_id),
            amount_due=str(item.amount_due),
            reason="credit_note",
            credit_note_id=str(event.credit_note_id),
        )


async def close_invoice(
    session: AsyncSession, *, clock: Clock, customer_id: UUID, invoice_id: UUID, closure: domain.Closure
) -> None:
    """Close an invoice's item; the case is resolved when no item remains open."""
    now = clock.now()
    await repository.remember_closed_invoice(
        session, invoice_id=invoice_id, customer_id=customer_id, closure=closure, closed_at=now
    )
    found = await repository.get_item(session, invoice_id)
    if found is None:
        log.info("case_item.closed_before_overdue", invoice_id=str(invoice_id), closure=closure)
        return
    case = await repository.get_case(session, found.case_id, for_update=True)
    item = await repository.get_item(session, invoice_id, for_update=True)
    assert case is not None and item is not None
    if item.status != "open":
        return
    item.status, item.closure, item.closed_at, item.updated_at = "closed", closure, now, now
    await session.flush()
    log.info("case_item.closed", case_id=str(case.id), invoice_id=str(invoice_id), closure=closure)
    resolution = domain.case_resolution(
        i.closure if i.status == "closed" else None for i in await repository.case_items(session, case.id)
    )
    if resolution is None or case.status != "open":
        return
    case.status, case.resolution, case.resolved_at, case.updated_at = "resolved", resolution, now, now
    cancelled = await repository.cancel_pending_actions(session, case.id, outcome="case_resolved", now=now)
    await repository.cancel_open_tasks(session, case.id, now=now)
    await settle_due_promises(session, clock=clock, case=case)
    await outbox.add(
        session,
        DunningResolved(
            customer_id=case.customer_id,
            case_id=case.id,
            resolution=resolution,
            highest_level=case.level,
            resolved_at=now,
        ),
        clock=clock,
    )
    log.info("case.resolved", case_id=str(case.id), resolution=resolution, cancelled_actions=cancelled)


# --- reading ------------------------------------------------------------------------------


async def require_case(session: AsyncSession, case_id: UUID) -> DunningCase:
    case = await repository.get_case(session, case_id)
    if case is None:
        raise NotFound(f"There is no dunning case {case_id}.", code="case_not_found")
    return case


# --- credit tiers -----------------------------------------------------------------------


async def record_credit_score(session: AsyncSession, *, event: CreditScoreChanged) -> None:
    """Keep the customer's latest tier: the next tick moves its open cases to that tier's ladder."""
    applied = await repository.upsert_tier(
        session, customer_id=event.customer_id, tier=event.tier, score=event.score, scored_at=event.scored_at
    )
    log.info("tier.recorded" if applied else "tier.stale_ignored", customer_id=str(event.customer_id), tier=event.tier)


# --- policies ---------------------------------------------------------------------------


def policy_view(policy: DunningPolicy) -> domain.PolicyView:
    return domain.PolicyView(
        code=policy.code,
        version=policy.version,
        steps=[
            domain.PolicyStep(
                name=s["name"],
                offset_days=int(s["offset_days"]),
                channel=s["channel"],
                level=int(s["level"]),
                templates=s.get("templates") or {},
            )
            for s in policy.steps
        ],
        tiers=tuple(policy.tiers),
        min_amount=policy.min_amount,
        tags=tuple(policy.tags),
        priority=policy.priority,
    )


async def seed_default_policies(session: AsyncSession, *, clock: Clock) -> int:
    """Insert version 1 of each default policy unless it exists (safe with several replicas)."""
    seeded = 0
    for policy in domain.DEFAULT_POLICIES:
        values = {**policy, "id": uuid7(), "version": 1, "tags": [], "priority": 0, "created_at": clock.now()}
        seeded += await repository.insert_policy(session, values)
    return seeded


async def create_policy_version(
    session: AsyncSession, *, clock: Clock, code: str, values: dict[str, Any], new: bool
) -> DunningPolicy:
    """Store a new version of a policy (version 1 when `new`; a 409 if the code exists, or not)."""
    problems = domain.policy_problems(values["steps"])
    if problems:
        raise Unprocessable("; ".join(problems), code="invalid_policy")
    for step in values["steps"]:
        if step["channel"] in ("email", "sms") and not step["templates"]:
            raise Unprocessable(f"Step {step['name']!r} needs a template.", code="unknown_template")
        for language, template in step["templates"].items():
            if step["channel"] in ("email", "sms") and not rendering.template_exists(
                template, language, step["channel"]
            ):
                raise Unprocessable(
                    f"Step {step['name']!r}: there is no {step['channel']} template {template!r} in {language}.",
                    code="unknown_template",
                )
    await repository.lock_policy_code(session, code)
    versions = await repository.policy_versions(session, code)
    if new and versions:
        raise Conflict(
            f"Policy {code!r} exists; post a new version to /policies/{code}/versions.", code="policy_exists"
        )
    if not new and not versions:
        raise NotFound(f"There is no policy {code!r}.", code="policy_not_found")
    version = versions[0].version + 1 if versions else 1
    policy = DunningPolicy(id=uuid7(), code=code, version=version, active=True, created_at=clock.now(), **values)
    session.add(policy)
    await session.flush()
    log.info("policy.versioned", code=code, version=version)
    return policy


async def require_policy(
    session: AsyncSession, code: str, version: int | None = None
) -> tuple[DunningPolicy, list[int]]:
    versions = await repository.policy_versions(session, code)
    chosen = [p for p in versions if version is None or p.version == version]
    if not chosen:
        raise NotFound(
            f"There is no policy {code!r}" + (f" version {version}." if version else "."), code="policy_not_found"
        )
    return chosen[0], [p.version for p in versions]


# --- the tick: advance every open case ------------------------------------------------------


def guardrails(settings: DunningSettings) -> domain.Guardrails:
    return domain.Guardrails(
        quiet_start=settings.quiet_hours_start,
        quiet_end=settings.quiet_hours_end,
        min_gap=timedelta(hours=settings.min_contact_gap_hours),
        min_amount=settings.min_dunning_amount,
        skip_weekends=settings.skip_weekends,
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


async def case_facts(session: AsyncSession, case: DunningCase) -> CaseFacts:
    return CaseFacts(
        customer=await repository.get_customer(session, case.customer_id),
        tier=await repository.get_tier(session, case.customer_id),
        items=[i for i in await repository.case_items(session, case.id) if i.status == "open"],
        promises=await repository.open_promises(session, case.id),
        done_steps=await repository.done_steps(session, case.id),
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
    local_now = as_of.astimezone(ZoneInfo(customer.time_zone if customer else "Asia/Shanghai"))
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


def _needs_action(plan: CasePlan, facts: CaseFacts) -> bool:
    """Whether the tick must lock a case: a step to take, a promise to settle, or a new ladder to record."""
    if plan.decision.kind == "execute":
        return True
    if any(p.promised_date < plan.local_today for p in facts.promises):
        return True
    policy = plan.policy
    return policy is not None and (plan.case.policy_code, plan.case.policy_version) != (policy.code, policy.version)


async def run_tick(
    session: AsyncSession, *, clock: Clock, as_of: datetime, settings: DunningSettings
) -> dict[str, Any]:
    """Execute every due step on every open case as of `as_of` (one step per case per tick).

    The open cases are read in a few set-based queries and planned in memory;
    only a case with something to do is then locked, re-read and re-planned
    (an event may have changed it meanwhile) before its step is taken.
    """
    policies = [policy_view(p) for p in await repository.latest_policies(session)]
    counts: dict[str, int] = {}
    cases = await repository.open_cases(session)
    snapshot = await repository.tick_snapshot(session, cases)
    for unlocked in cases:
        facts = CaseFacts(**snapshot[unlocked.id])
        plan = plan_from(unlocked, facts, as_of=as_of, policies=policies, settings=settings)
        if _needs_action(plan, facts):
            acted = await _act_on_case(
                session, clock=clock, case_id=unlocked.id, as_of=as_of, policies=policies, settings=settings
            )
            if acted is None:
                continue
            plan = acted
        outcome = plan.decision.kind if plan.decision.kind != "blocked" else f"blocked:{plan.decision.reason}"
        if plan.decision.kind == "execute" and plan.decision.step is not None:
            outcome = f"executed:{plan.decision.step.channel}"
        counts[outcome] = counts.get(outcome, 0) + 1
    return {"cases": counts}


async def _act_on_case(
    session: AsyncSession,
    *,
    clock: Clock,
    case_id: UUID,
    as_of: datetime,
    policies: list[domain.PolicyView],
    settings: DunningSettings,
) -> CasePlan | None:
    case = await repository.get_case(session, case_id, for_update=True)
    if case is None or case.status != "open":
        return None
    await settle_due_promises(session, clock=clock, case=case, as_of=as_of)
    plan = await plan_case(session, case=case, as_of=as_of, policies=policies, settings=settings)
    if plan.policy and (case.policy_code, case.policy_version) != (plan.policy.code, plan.policy.version):
        log.info(
            "case.policy_chosen",
            case_id=str(case.id),
            policy=plan.policy.code,
            version=plan.policy.version,
            tier=plan.tier,
        )
        case.policy_code, case.policy_version = plan.policy.code, plan.policy.version
    if plan.decision.kind == "execute":
        assert plan.decision.step is not None
        await execute_step(session, clock=clock, plan=plan, step=plan.decision.step, as_of=as_of, settings=settings)
    return plan


def dry_run_entry(plan: CasePlan) -> dict[str, Any]:
    decision = plan.decision
    return {
        "case_id": str(plan.case.id),
        "customer_id": str(plan.case.customer_id),
        "tier": plan.tier or domain.DEFAULT_TIER,
        "policy": plan.policy.code if plan.policy else None,
        "policy_version": plan.policy.version if plan.policy else None,
        "level": plan.case.level,
        "amount_overdue": format(to_minor_units(plan.state.amount_overdue, plan.case.currency), "f"),
        "currency": plan.case.currency,
        "decision": decision.kind,
        "reason": decision.reason,
        "step": decision.step.name if decision.step else None,
        "channel": decision.step.channel if decision.step else None,
        "step_level": decision.step.level if decision.step else None,
        "due_on": decision.due_on.isoformat() if decision.due_on else None,
        "done_steps": sorted(plan.state.done_steps),
    }


async def dry_run(
    session: AsyncSession, *, as_of: datetime, settings: DunningSettings, case_id: UUID | None = None
) -> list[dict[str, Any]]:
    """What the tick would do as of `as_of`, changing nothing."""
    policies = [policy_view(p) for p in await repository.latest_policies(session)]
    ids = [case_id] if case_id else await repository.open_case_ids(session)
    entries = []
    for one in ids:
        case = await repository.get_case(session, one)
        if case is None or case.status != "open":
            continue
        plan = await plan_case(session, case=case, as_of=as_of, policies=policies, settings=settings)
        entries.append(dry_run_entry(plan))
    return entries


def _details(plan: CasePlan, *, as_of: datetime, settings: DunningSettings) -> dict[str, Any]:
    """What a step's message says, fixed when it is decided: invoices, days late, interest, how to pay."""
    currency = plan.case.currency
    invoices = []
    interest_total = Decimal(0)
    for item in plan.items:
        if item.disputed:
            continue
        days_late = max((plan.local_today - item.due_date).days, 0)
        interest = domain.late_interest(item.amount_due, days_late, settings.late_interest_daily_rate)
        interest_total += interest
        invoices.append(
            {
                "invoice_id": str(item.invoice_id),
                "number": item.invoice_number,
                "amount_due": format(item.amount_due, "f"),
                "due_date": item.due_date.isoformat(),
                "days_overdue": days_late,
                "days_until_due": max((item.due_date - plan.local_today).days, 0),
                "interest": format(interest, "f"),
                "payment_reference": item.payment_reference,
            }
        )
    return {
        "customer_name": plan.customer.legal_name if plan.customer else None,
        "currency": currency,
        "amount_overdue": format(plan.state.amount_overdue, "f"),
        "interest_total": format(interest_total, "f"),
        "as_of_date": plan.local_today.isoformat(),
        "invoices": invoices,
        "bank": {
            "name": settings.bank_name,
            "account_name": settings.bank_account_name,
            "account_number": settings.bank_account_number,
        },
        "creditor_name": settings.creditor_name,
    }


async def execute_step(
    session: AsyncSession,
    *,
    clock: Clock,
    plan: CasePlan,
    step: domain.PolicyStep,
    as_of: datetime,
    settings: DunningSettings,
) -> DunningAction:
    """Take one ladder step on a case: log it, start its channel, escalate the level."""
    case, customer = plan.case, plan.customer
    assert customer is not None
    view = customer_view(customer)
    assert view is not None
    recipient = domain.choose_recipient(view.contacts, view.preferred_language)
    language = recipient.language if recipient else domain._language(view.preferred_language, domain.DEFAULT_LANGUAGE)
    action = DunningAction(
        id=uuid7(),
        case_id=case.id,
        customer_id=case.customer_id,
        step=step.name,
        level=step.level,
        channel=step.channel,
        template=step.template_for(language),
        invoice_ids=[i.invoice_id for i in plan.items if not i.disputed],
        amount_overdue=plan.state.amount_overdue,
        currency=case.currency,
        details={**_details(plan, as_of=as_of, settings=settings), "policy": plan.policy.code if plan.policy else None},
        language=language,
        status="pending",
        attempts=0,
        next_attempt_at=clock.now(),
        created_at=as_of,
    )
    session.add(action)
    await session.flush()
    bound = log.bind(case_id=str(case.id), action_id=str(action.id), step=step.name, channel=step.channel)
    if step.channel == "email":
        if recipient is None:
            await _finish(session, clock=clock, action=action, status="skipped", outcome="no_recipient", at=as_of)
        else:
            action.recipient = recipient.email
            case.last_contact_at = as_of
    elif step.channel == "internal_alert":
        address = customer.account_manager_email or settings.account_manager_email
        action.language = "zh-CN"
        action.template = "internal_alert"
        if address is None:
            await _finish(session, clock=clock, action=action, status="skipped", outcome="no_account_manager", at=as_of)
        else:
            action.recipient = address
    elif step.channel == "sms":
        phone = domain.choose_phone(view.contacts)
        if phone is None:
            await _finish(session, clock=clock, action=action, status="skipped", outcome="no_phone", at=as_of)
        else:
            action.recipient = phone
            case.last_contact_at = as_of
    elif step.channel == "letter":
        document = letters.dunning_letter(action=action, case=case, details=action.details, language="zh-CN")
        session.add(
            DunningDocument(
                id=uuid7(),
                case_id=case.id,
                action_id=action.id,
                kind="letter",
                filename=f"催账函-{plan.local_today.isoformat()}-{str(case.id)[-8:]}.pdf",
                media_type="application/pdf",
                content=document,
                created_at=as_of,
            )
        )
        await _new_task(session, case=case, action=action, kind="registered_mail", due=plan.local_today, at=as_of)
        action.recipient = customer.legal_name
        case.last_contact_at = as_of
        await _finish(session, clock=clock, action=action, status="sent", outcome="letter_generated", at=as_of)
    elif step.channel in ("phone_task", "visit_task"):
        kind = "phone_call" if step.channel == "phone_task" else "visit"
        await _new_task(session, case=case, action=action, kind=kind, due=plan.local_today, at=as_of)
        action.next_attempt_at = None
        case.last_contact_at = as_of
    elif step.channel == "legal_handover":
        case.frozen_at = as_of
        await repository.cancel_pending_actions(session, case.id, outcome="legal_handover", now=as_of)
        await repository.cancel_open_tasks(session, case.id, now=as_of)
        action.status = "pending"  # cancel_pending_actions above must not touch it: it is finished below
        await _finish(session, clock=clock, action=action, status="sent", outcome="handed_over", at=as_of)
        pack = await store_evidence_pack(session, case=case, action=action, at=as_of)
        await outbox.add(
            session,
            LegalHandover(
                customer_id=case.customer_id,
                case_id=case.id,
                amount_outstanding=Money.of(plan.state.amount_overdue, case.currency).quantize(),
                invoice_ids=list(action.invoice_ids),
                evidence_pack_id=pack.id,
                handed_over_at=as_of,
            ),
            clock=clock,
        )
    bound.info("step.executed", level=step.level, status=action.status)
    await raise_level(
        session,
        clock=clock,
        case=case,
        level=step.level,
        channel=step.channel,
        at=as_of,
        amount=plan.state.amount_overdue,
    )
    case.updated_at = as_of
    return action


async def build_evidence_pack(session: AsyncSession, *, case: DunningCase) -> bytes:
    """The evidence pack of a case as it stands: statement PDF, invoices, the full action log, every letter."""
    customer = await repository.get_customer(session, case.customer_id)
    return letters.evidence_pack(
        case=case,
        customer_name=customer.legal_name if customer else None,
        items=await repository.case_items(session, case.id),
        actions=await repository.case_actions(session, case.id),
        letters=[
            (d.filename, d.content) for d in await repository.case_documents(session, case.id) if d.kind == "letter"
        ],
    )


async def store_evidence_pack(
    session: AsyncSession, *, case: DunningCase, action: DunningAction, at: datetime
) -> DunningDocument:
    """Keep the pack handed over, as it was at the handover (what later happens does not change it)."""
    document = DunningDocument(
        id=uuid7(),
        case_id=case.id,
        action_id=action.id,
        kind="evidence_pack",
        filename=f"evidence-{case.id}-{at:%Y%m%d}.zip",
        media_type="application/zip",
        content=await build_evidence_pack(session, case=case),
        created_at=at,
    )
    session.add(document)
    await session.flush()
    return document


async def _finish(
    session: AsyncSession, *, clock: Clock, action: DunningAction, status: str, outcome: str, at: datetime
) -> None:
    """Complete an action now and publish its DunningStepExecuted."""
    _complete(action, status=status, outcome=outcome, now=at)
    action.next_attempt_at = None
    if status == "sent":
        action.sent_at = at
    await session.flush()
    await outbox.add(session, step_executed(action, executed_at=at), clock=clock)


async def _new_task(
    session: AsyncSession, *, case: DunningCase, action: DunningAction, kind: str, due: date, at: datetime
) -> DunningTask:
    task = DunningTask(
        id=uuid7(),
        case_id=case.id,
        customer_id=case.customer_id,
        action_id=action.id,
        kind=kind,
        due_date=due,
        assignee=case.collector,
        status="open",
        created_at=at,
    )
    session.add(task)
    await session.flush()
    return task


async def raise_level(
    session: AsyncSession,
    *,
    clock: Clock,
    case: DunningCase,
    level: int,
    channel: str,
    at: datetime,
    amount: Decimal | None = None,
) -> None:
    """Raise a case's level; DunningEscalated (with the amount chased, read unless given) when it rises."""
    if level <= case.level:
        return
    if amount is None:
        amount = await _owed(session, case.id)
    await outbox.add(
        session,
        DunningEscalated(
            customer_id=case.customer_id,
            case_id=case.id,
            from_level=case.level,
            to_level=level,
            channel=cast("DunningChannel", channel),
            amount_overdue=Money.of(amount, case.currency).quantize(),
            escalated_at=at,
        ),
        clock=clock,
    )
    log.info("case.escalated", case_id=str(case.id), from_level=case.level, to_level=level)
    case.level = level


# --- pauses: promises, holds, disputes ----------------------------------------------------


async def _owed(session: AsyncSession, case_id: UUID) -> Decimal:
    return sum((i.amount_due for i in await repository.case_items(session, case_id) if i.status == "open"), Decimal(0))


async def make_promise(
    session: AsyncSession,
    *,
    clock: Clock,
    case: DunningCase,
    amount: Decimal,
    promised_date: date,
    made_by: str | None,
) -> PromiseToPay:
    """Record a promise to pay: the case pauses until the promised date (DunningPaused, PromiseToPayMade)."""
    if case.status != "open":
        raise Conflict("The case is resolved; there is nothing to promise.", code="case_not_open")
    now = clock.now()
    promise = PromiseToPay(
        id=uuid7(),
        case_id=case.id,
        customer_id=case.customer_id,
        amount=amount,
        currency=case.currency,
        promised_date=promised_date,
        owed_at_promise=await _owed(session, case.id),
        status="open",
        made_by=made_by,
        created_at=now,
    )
    session.add(promise)
    await session.flush()
    money = Money.of(amount, case.currency).quantize()
    await outbox.add(
        session,
        PromiseToPayMade(
            customer_id=case.customer_id,
            promise_id=promise.id,
            case_id=case.id,
            amount=money,
            promised_date=promised_date,
            made_at=now,
        ),
        clock=clock,
    )
    await _paused(session, clock=clock, case=case, reason="promise_to_pay", until=promised_date, note=None)
    log.info("promise.made", case_id=str(case.id), promise_id=str(promise.id), promised_date=str(promised_date))
    return promise


async def _paused(
    session: AsyncSession, *, clock: Clock, case: DunningCase, reason: str, until: date | None, note: str | None
) -> None:
    await outbox.add(
        session,
        DunningPaused(
            customer_id=case.customer_id,
            case_id=case.id,
            reason=cast("PauseReason", reason),
            until=until,
            note=note,
            paused_at=clock.now(),
        ),
        clock=clock,
    )
    log.info("case.paused", case_id=str(case.id), reason=reason)


async def settle_due_promises(
    session: AsyncSession, *, clock: Clock, case: DunningCase, as_of: datetime | None = None
) -> None:
    """Mark open promises kept (the debt fell by their amount) or broken (their date passed without it)."""
    promises = await repository.open_promises(session, case.id, for_update=True)
    if not promises:
        return
    customer = await repository.get_customer(session, case.customer_id)
    today = local_date(as_of or clock.now(), customer.time_zone if customer else "Asia/Shanghai")
    owed = await _owed(session, case.id)
    for promise in promises:
        outcome, received = domain.promise_outcome(
            amount=promise.amount,
            owed_at_promise=promise.owed_at_promise,
            owed_now=owed if case.status == "open" else Decimal(0),
            promised_date=promise.promised_date,
            today=today,
        )
        if outcome == "open":
            continue
        promise.status, promise.amount_received, promise.settled_on = outcome, received, today
        money = Money.of(promise.amount, promise.currency).quantize()
        if outcome == "kept":
            event: Event = PromiseToPayKept(
                customer_id=case.customer_id,
                promise_id=promise.id,
                case_id=case.id,
                amount=money,
                promised_date=promise.promised_date,
                kept_on=today,
            )
        else:
            event = PromiseToPayBroken(
                customer_id=case.customer_id,
                promise_id=promise.id,
                case_id=case.id,
                amount=money,
                promised_date=promise.promised_date,
                amount_received=Money.of(received, promise.currency).quantize(),
                broken_on=today,
            )
        await outbox.add(session, event, clock=clock)
        log.info(f"promise.{outcome}", case_id=str(case.id), promise_id=str(promise.id))


async def hold_case(
    session: AsyncSession, *, clock: Clock, case: DunningCase, reason: str, until: date | None
) -> DunningCase:
    """Put a case on manual hold (until a date, or until released)."""
    if case.status != "open":
        raise Conflict("The case is resolved.", code="case_not_open")
    case.hold_reason, case.held_until, case.updated_at = reason, until, clock.now()
    await _paused(session, clock=clock, case=case, reason="manual_hold", until=until, note=reason)
    return case


async def release_case(session: AsyncSession, *, clock: Clock, case: DunningCase) -> DunningCase:
    """Lift a manual hold: the next tick takes the due step."""
    if case.hold_reason is None:
        raise Conflict("The case is not on hold.", code="case_not_held")
    case.hold_reason, case.held_until, case.updated_at = None, None, clock.now()
    log.info("case.released", case_id=str(case.id))
    return case


async def assign_case(session: AsyncSession, *, clock: Clock, case: DunningCase, collector: str) -> DunningCase:
    """Give a case to a collector; its open tasks follow unless already assigned."""
    case.collector, case.updated_at = collector, clock.now()
    for task in await repository.list_tasks(
        session,
        PageParams(limit=1000, starting_after=None),
        assignee=None,
        due_on=None,
        status="open",
        case_id=case.id,
        customer_id=None,
    ):
        task.assignee = task.assignee or collector
    return case


async def record_dispute(
    session: AsyncSession, *, clock: Clock, invoice_id: UUID, dispute_id: UUID, opened: bool, at: datetime
) -> None:
    """A dispute pauses chasing of that invoice only; it is chased again once none of its disputes is open.

    Disputes are kept per invoice even before the invoice is in a case, so an item starts disputed.
    """
    if opened:
        await repository.remember_dispute_opened(session, dispute_id=dispute_id, invoice_id=invoice_id, opened_at=at)
    else:
        await repository.remember_dispute_resolved(
            session, dispute_id=dispute_id, invoice_id=invoice_id, resolved_at=at
        )
    disputed = await repository.is_invoice_disputed(session, invoice_id)
    item = await repository.get_item(session, invoice_id, for_update=True)
    if item is None or item.status != "open" or item.disputed == disputed:
        return
    item.disputed, item.updated_at = disputed, clock.now()
    log.info("case_item.disputed" if disputed else "case_item.dispute_resolved", invoice_id=str(invoice_id))
    if disputed:
        case = await repository.get_case(session, item.case_id)
        assert case is not None
        await _paused(session, clock=clock, case=case, reason="dispute", until=None, note=item.invoice_number)


async def record_invoice_due_soon(session: AsyncSession, *, clock: Clock, event: InvoiceDueSoon) -> None:
    """Open (or join) a case for an invoice due soon: the ladder's pre-due rungs apply to it."""
    if await repository.is_invoice_closed(session, event.invoice_id):
        return
    if await repository.get_item(session, event.invoice_id) is not None:
        return
    now = clock.now()
    currency = event.amount_due.currency
    new_case_id = uuid7()
    case = await repository.open_case_for_update(
        session, case_id=new_case_id, customer_id=event.customer_id, currency=currency, now=now
    )
    await repository.add_case_item(
        session,
        {
            "id": uuid7(),
            "case_id": case.id,
            "invoice_id": event.invoice_id,
            "invoice_number": event.invoice_number,
            "currency": currency,
            "amount_due": event.amount_due.amount,
            "due_date": event.due_date,
            "days_overdue": 0,
            "bucket": "due_soon",
            "payment_reference": event.payment_reference,
            "overdue": False,
            "status": "open",
            "balance_observed_at": now,
            "created_at": now,
            "updated_at": now,
        },
    )
    if case.anchor_date is None:
        case.anchor_date = event.due_date
    case.updated_at = now
    log.info("case_item.due_soon", case_id=str(case.id), invoice_id=str(event.invoice_id))


# --- tasks ------------------------------------------------------------------------------


async def complete_task(
    session: AsyncSession,
    *,
    clock: Clock,
    task: DunningTask,
    outcome: str,
    operator: str,
    note: str | None,
    promised_date: date | None,
    promised_amount: Decimal | None,
) -> DunningTask:
    """Close a collector's task with its outcome; the outcome drives the case."""
    if task.status != "open":
        raise Conflict("The task is already closed.", code="task_closed")
    case = await repository.get_case(session, task.case_id, for_update=True)
    assert case is not None
    now = clock.now()
    if outcome == "promise_to_pay":
        if promised_date is None or promised_amount is None:
            raise Unprocessable("A promise to pay needs promised_date and promised_amount.", code="promise_incomplete")
        await make_promise(
            session, clock=clock, case=case, amount=promised_amount, promised_date=promised_date, made_by=operator
        )
    task.status, task.outcome, task.note, task.completed_by, task.completed_at = "done", outcome, note, operator, now
    action = await repository.get_action(session, task.action_id, for_update=True)
    if action is not None and action.status == "pending":
        action.details = {**action.details, "operator": operator, "note": note}
        await _finish(session, clock=clock, action=action, status="completed", outcome=outcome, at=now)
    if outcome == "dispute":
        for item in await repository.case_items(session, case.id):
            if item.status == "open" and not item.disputed:
                item.disputed = True
        await _paused(session, clock=clock, case=case, reason="dispute", until=None, note=note)
    elif outcome == "refused":
        await raise_level(session, clock=clock, case=case, level=case.level + 1, channel="phone_task", at=now)
    log.info("task.completed", task_id=str(task.id), case_id=str(case.id), outcome=outcome, operator=operator)
    return task


# --- the monthly collection plan (每月催账计划) ------------------------------------------------


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


async def build_plan(
    session: AsyncSession, *, clock: Clock, month: date, as_of: datetime, settings: DunningSettings
) -> CollectionPlan:
    """Draw up a month's plan: every open case with its planned steps, by overdue amount × risk tier."""
    first, last = month_bounds(month)
    policies = [policy_view(p) for p in await repository.latest_policies(session)]
    lines: list[dict[str, Any]] = []
    for case_id in await repository.open_case_ids(session):
        case = await repository.get_case(session, case_id)
        if case is None:
            continue
        plan = await plan_case(session, case=case, as_of=as_of, policies=policies, settings=settings)
        if plan.policy is None or plan.state.amount_overdue <= 0:
            continue
        steps = domain.planned_steps(plan.policy, plan.state, first=first, last=last)
        if not steps:
            continue
        lines.append(
            {
                "case_id": str(case.id),
                "customer_id": str(case.customer_id),
                "customer_name": plan.customer.legal_name if plan.customer else None,
                "tier": plan.tier or domain.DEFAULT_TIER,
                "policy": plan.policy.code,
                "level": case.level,
                "collector": case.collector,
                "currency": case.currency,
                "amount_overdue": format(to_minor_units(plan.state.amount_overdue, case.currency), "f"),
                "priority": format(
                    domain.plan_priority(plan.state.amount_overdue, plan.tier).quantize(Decimal("0.01")), "f"
                ),
                "paused": plan.state.paused_reason,
                "planned_steps": [
                    {"step": s.name, "channel": s.channel, "level": s.level, "date": d.isoformat()} for s, d in steps
                ],
            }
        )
    lines.sort(key=lambda line: (-Decimal(line["priority"]), line["case_id"]))
    for rank, line in enumerate(lines, start=1):
        line["rank"] = rank
    totals: dict[tuple[str | None, str], dict[str, Any]] = {}
    for line in lines:
        key = (line["collector"], line["currency"])
        total = totals.setdefault(
            key,
            {
                "collector": line["collector"],
                "currency": line["currency"],
                "cases": 0,
                "amount_overdue": Decimal(0),
                "planned_steps": 0,
            },
        )
        total["cases"] += 1
        total["amount_overdue"] += Decimal(line["amount_overdue"])
        total["planned_steps"] += len(line["planned_steps"])
    collectors = [
        {**t, "amount_overdue": format(t["amount_overdue"], "f")}
        for t in sorted(totals.values(), key=lambda t: (t["collector"] or "", t["currency"]))
    ]
    now = clock.now()
    await repository.save_plan(
        session,
        {"id": uuid7(), "month": first, "as_of": as_of, "lines": lines, "collectors": collectors, "created_at": now},
    )
    found = await repository.get_plan(session, first)
    assert found is not None
    log.info("plan.drawn_up", month=first.isoformat(), cases=len(lines))
    return found


async def monthly_plan_job(
    session: AsyncSession, *, clock: Clock, as_of: datetime, settings: DunningSettings
) -> dict[str, Any]:
    """On the first day of a month (Shanghai), draw up that month's plan once."""
    today = local_date(as_of, "Asia/Shanghai")
    if today.day != 1:
        return {"skipped": "not the first day of the month"}
    if await repository.get_plan(session, today) is not None:
        return {"skipped": "plan exists"}
    plan = await build_plan(session, clock=clock, month=today, as_of=as_of, settings=settings)
    return {"month": today.isoformat(), "cases": len(plan.lines)}
