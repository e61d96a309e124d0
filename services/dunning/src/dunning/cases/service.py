"""Cases follow invoicing: overdue and due-soon invoices, balances, closures, disputes, holds. Never commits."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import DEFAULT_TIME_ZONE, Clock, local_date
from arflow.events.catalog import (
    CreditNoteIssued,
    DunningResolved,
    InvoiceDueSoon,
    InvoiceOverdue,
    PaymentApplicationReversed,
    PaymentApplied,
)
from arflow.ids import uuid7
from arflow.messaging import outbox
from dunning import domain
from dunning.actions.repository import cancel_pending_actions, done_steps
from dunning.actions.service import address_action, notice_details
from dunning.case_events import publish_pause, raise_level
from dunning.cases import repository
from dunning.cases.errors import CaseNotHeld
from dunning.collectors.service import assign_named, assign_new_case
from dunning.customers.repository import get_customer
from dunning.customers.service import customer_view
from dunning.ladder.service import policy_view, require_policy
from dunning.lookups import CaseNotOpen, get_case
from dunning.models import DunningAction, DunningCase, DunningCaseItem
from dunning.promises.repository import open_promises
from dunning.promises.service import settle_due_promises
from dunning.tasks.repository import cancel_open_tasks

log = structlog.get_logger("dunning")


async def record_invoice_overdue(
    session: AsyncSession, *, actor: Principal, clock: Clock, event: InvoiceOverdue, observed_at: datetime
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
    added = await repository.add_case_item(session, _item_row(case.id, event, observed_at=observed_at, now=now))
    if case.id == new_case_id:
        bound.info("case.opened", case_id=str(case.id), currency=currency)
        await assign_new_case(session, actor=actor, clock=clock, case=case)
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
        case = await get_case(session, item.case_id, for_update=True) or case
        disputed = item.disputed
    else:
        bound.info("case_item.added", case_id=str(case.id), days_overdue=event.days_overdue)
        disputed = await repository.is_invoice_disputed(session, event.invoice_id)
    case.updated_at = now
    if case.anchor_date is None or not await done_steps(session, case.id):
        case.anchor_date = min(case.anchor_date or event.due_date, event.due_date)
    if disputed:
        # Disputed before it was overdue: it is not chased until its disputes are resolved.
        bound.info("action.not_queued", reason="dispute", case_id=str(case.id))
        if added:
            await publish_pause(
                session, clock=clock, case=case, reason="dispute", until=None, note=event.invoice_number
            )
        return

    customer = await get_customer(session, event.customer_id)
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
    today = local_date(now, customer.time_zone if customer else DEFAULT_TIME_ZONE)
    if any(p.promised_date >= today for p in await open_promises(session, case.id)):
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
        details=notice_details(event, customer_name=customer.legal_name if customer else None),
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(action)
    # The notice is a contact on the fact's business date (a sweep run as of an earlier day, as a firm loading its
    # history does): the end of that day at the latest, so the ladder's gap between contacts counts from then,
    # not from the wall clock that would hold every as-of tick after it back.
    case.last_contact_at = min(now, _end_of(event.as_of, customer.time_zone if customer else DEFAULT_TIME_ZONE))
    await session.flush()
    await raise_level(session, clock=clock, case=case, level=action.level, channel=action.channel, at=now)
    await address_action(session, clock=clock, action=action, plan=plan, customer=customer_view(customer))


def _end_of(day: date, time_zone: str) -> datetime:
    """The last instant of `day` where the customer is."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(time_zone)) - timedelta(microseconds=1)


async def record_invoice_due_soon(
    session: AsyncSession, *, actor: Principal, clock: Clock, event: InvoiceDueSoon, observed_at: datetime
) -> None:
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
    await repository.add_case_item(session, _item_row(case.id, event, observed_at=observed_at, now=now))
    if case.anchor_date is None:
        case.anchor_date = event.due_date
    case.updated_at = now
    if case.id == new_case_id:
        await assign_new_case(session, actor=actor, clock=clock, case=case)
    log.info("case_item.due_soon", case_id=str(case.id), invoice_id=str(event.invoice_id))


def _item_row(
    case_id: UUID, event: InvoiceOverdue | InvoiceDueSoon, *, observed_at: datetime, now: datetime
) -> dict[str, Any]:
    """The case item an overdue or a due-soon invoice adds; its balance is as observed with the event."""
    bucket: str
    if isinstance(event, InvoiceOverdue):
        overdue, days_overdue, bucket = True, event.days_overdue, event.bucket
    else:
        overdue, days_overdue, bucket = False, 0, "due_soon"
    return {
        "id": uuid7(),
        "case_id": case_id,
        "invoice_id": event.invoice_id,
        "invoice_number": event.invoice_number,
        "currency": event.amount_due.currency,
        "amount_due": event.amount_due.amount,
        "invoice_date": event.invoice_date if isinstance(event, InvoiceOverdue) else None,
        "due_date": event.due_date,
        "days_overdue": days_overdue,
        "bucket": bucket,
        "payment_reference": event.payment_reference,
        "overdue": overdue,
        "status": "open",
        "balance_observed_at": observed_at,
        "created_at": now,
        "updated_at": now,
    }


def _refresh_item(item: DunningCaseItem, event: InvoiceOverdue, *, observed_at: datetime, now: datetime) -> None:
    if item.status != "open":
        return
    if event.days_overdue >= item.days_overdue:
        item.days_overdue, item.bucket = event.days_overdue, event.bucket
    item.invoice_date = event.invoice_date
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


async def record_payment_applied(
    session: AsyncSession, *, actor: Principal, clock: Clock, event: PaymentApplied, observed_at: datetime
) -> DunningCase | None:
    """Bring an item's amount due to the invoice's balance after a payment; the case's schedule is then re-anchored
    by `reanchor_after_payment` (once for a run of payments of one case, see dunning.handlers)."""
    found = await repository.item_and_case_for_update(session, event.invoice_id)
    if found is None:
        return None
    item, case = found
    await repository.record_case_payment(session, item=item, event=event, now=clock.now())
    if item.status != "open":
        return None
    if _take_balance(
        item,
        event.invoice_balance_after.amount,
        observed_at=observed_at,
        version=event.invoice_ledger_version,
        now=clock.now(),
    ):
        log.info("case_item.balance_updated", invoice_id=str(item.invoice_id), amount_due=str(item.amount_due))
    if case.status != "open":
        return None
    await session.flush()
    await settle_due_promises(session, clock=clock, case=case)
    return case if case.policy_code and case.anchor_date else None


async def reanchor_after_payment(session: AsyncSession, *, case: DunningCase, paid_on: date) -> None:
    """Move the case's schedule after a payment on `paid_on` (the latest of a run: reanchoring only moves later)."""
    if case.status != "open" or not case.policy_code or not case.anchor_date:
        return
    policy, _ = await require_policy(session, case.policy_code, case.policy_version)
    done = await done_steps(session, case.id)
    anchor = domain.reanchor(case.anchor_date, policy=policy_view(policy), done_steps=done, paid_on=paid_on)
    if anchor != case.anchor_date:
        log.info("case.reanchored", case_id=str(case.id), anchor_date=str(anchor))
        case.anchor_date = anchor


async def record_payment_reversed(
    session: AsyncSession, *, actor: Principal, clock: Clock, event: PaymentApplicationReversed, observed_at: datetime
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
    await repository.mark_payment_reversed(session, event.application_id, reversed_on=event.reversed_on)
    found = await repository.item_and_case_for_update(session, event.invoice_id)
    if found is None:
        bound.info("case_item.reversal_before_overdue", reopened=event.invoice_reopened)
        return
    item, case = found
    balance = event.invoice_balance_after.amount
    if item.status == "open":
        if _take_balance(item, balance, observed_at=observed_at, version=event.invoice_ledger_version, now=now):
            bound.info("case_item.balance_updated", amount_due=str(balance), reason="payment_reversed")
        return
    if not event.invoice_reopened or item.closure != "paid":
        return
    reopened_in: UUID | None = None
    if case.status != "open":
        reopened_in = uuid7()
        case = await repository.open_case_for_update(
            session, case_id=reopened_in, customer_id=case.customer_id, currency=item.currency, now=now
        )
        item.case_id = case.id
    item.status, item.closure, item.closed_at = "open", None, None
    item.amount_due, item.balance_observed_at, item.updated_at = balance, observed_at, now
    item.balance_ledger_version = event.invoice_ledger_version
    if case.anchor_date is None:
        case.anchor_date = item.due_date
    case.updated_at = now
    await session.flush()
    if case.id == reopened_in:
        await assign_new_case(session, actor=actor, clock=clock, case=case)
    bound.info("case_item.reopened", case_id=str(case.id), amount_due=str(balance))


async def record_credit_note(
    session: AsyncSession, *, actor: Principal, clock: Clock, event: CreditNoteIssued, observed_at: datetime
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
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    customer_id: UUID,
    invoice_id: UUID,
    closure: domain.Closure,
) -> None:
    """Close an invoice's item; the case is resolved when no item remains open."""
    now = clock.now()
    await repository.remember_closed_invoice(
        session, invoice_id=invoice_id, customer_id=customer_id, closure=closure, closed_at=now
    )
    found = await repository.item_and_case_for_update(session, invoice_id)
    if found is None:
        log.info("case_item.closed_before_overdue", invoice_id=str(invoice_id), closure=closure)
        return
    item, case = found
    if item.status != "open":
        return
    item.status, item.closure, item.closed_at, item.updated_at = "closed", closure, now, now
    await session.flush()
    log.info("case_item.closed", case_id=str(case.id), invoice_id=str(invoice_id), closure=closure)
    resolution = domain.case_resolution(await repository.closures_of(session, case.id))
    if resolution is None or case.status != "open":
        return
    case.status, case.resolution, case.resolved_at, case.updated_at = "resolved", resolution, now, now
    cancelled = await cancel_pending_actions(session, case.id, outcome="case_resolved", now=now)
    await cancel_open_tasks(session, case.id, now=now)
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


async def hold_case(
    session: AsyncSession, *, actor: Principal, clock: Clock, case: DunningCase, reason: str, until: date | None
) -> DunningCase:
    """Put a case on manual hold (until a date, or until released)."""
    if case.status != "open":
        raise CaseNotOpen("The case is resolved.", detail_zh="该催收案件已结案。")
    case.hold_reason, case.held_until, case.updated_at = reason, until, clock.now()
    await publish_pause(session, clock=clock, case=case, reason="manual_hold", until=until, note=reason)
    return case


async def release_case(session: AsyncSession, *, actor: Principal, clock: Clock, case: DunningCase) -> DunningCase:
    """Lift a manual hold: the next tick takes the due step."""
    if case.hold_reason is None:
        raise CaseNotHeld("The case is not on hold.", detail_zh="该催收案件未被暂停。")
    case.hold_reason, case.held_until, case.updated_at = None, None, clock.now()
    log.info("case.released", case_id=str(case.id))
    return case


async def assign_case(
    session: AsyncSession, *, actor: Principal, clock: Clock, case: DunningCase, collector: str
) -> DunningCase:
    """Give a case to a collector by name (the older /assign); its open tasks follow, the history records it."""
    return await assign_named(session, actor=actor, clock=clock, case=case, collector=collector)


async def record_dispute(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    invoice_id: UUID,
    dispute_id: UUID,
    opened: bool,
    at: datetime,
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
        case = await get_case(session, item.case_id)
        assert case is not None
        await publish_pause(session, clock=clock, case=case, reason="dispute", until=None, note=item.invoice_number)
