"""Taking one ladder step: the action logged, its channel started, the case escalated."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock
from arflow.events.catalog import LegalHandover
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.money import Money, to_minor_units
from dunning import domain
from dunning.actions import letters, pack
from dunning.actions.repository import cancel_pending_actions, case_actions, case_documents, next_letter_number
from dunning.actions.service import finish_action
from dunning.case_events import raise_level
from dunning.config import DunningSettings
from dunning.customers.repository import get_customer
from dunning.customers.service import customer_view
from dunning.ladder.planning import CasePlan
from dunning.lookups import case_items
from dunning.models import Customer, DunningAction, DunningCase, DunningDocument
from dunning.tasks.repository import add_task, cancel_open_tasks

log = structlog.get_logger("dunning")


def step_details(plan: CasePlan) -> dict[str, Any]:
    """What a step's message says, fixed when it is decided: the invoices, their days, the total.

    Amounts are kept as printed (rounded to the minor unit) and the total is their sum, so the
    email, the letter and its 大写 add up on paper. No late interest: see actions/letters.py.
    """
    currency = plan.case.currency
    invoices: list[dict[str, Any]] = []
    total = Decimal(0)
    for item in plan.items:
        if item.disputed:
            continue
        amount_due = to_minor_units(item.amount_due, currency)
        total += amount_due
        invoices.append(
            {
                "invoice_id": str(item.invoice_id),
                "number": item.invoice_number,
                "invoice_date": item.invoice_date.isoformat() if item.invoice_date else None,
                "amount_due": format(amount_due, "f"),
                "due_date": item.due_date.isoformat(),
                "days_overdue": max((plan.local_today - item.due_date).days, 0),
                "days_until_due": max((item.due_date - plan.local_today).days, 0),
                "payment_reference": item.payment_reference,
            }
        )
    return {
        "customer_name": plan.customer.legal_name if plan.customer else None,
        "currency": currency,
        "amount_overdue": format(total, "f"),
        "as_of_date": plan.local_today.isoformat(),
        "invoices": invoices,
    }


@dataclass(frozen=True)
class StartedStep:
    """A step's action, just logged, and what its channel needs to start."""

    plan: CasePlan
    action: DunningAction
    customer: Customer
    view: domain.CustomerView
    recipient: domain.Recipient | None
    as_of: datetime
    settings: DunningSettings


async def _start_email(session: AsyncSession, *, clock: Clock, started: StartedStep) -> None:
    action, as_of = started.action, started.as_of
    if started.recipient is None:
        await finish_action(session, clock=clock, action=action, status="skipped", outcome="no_recipient", at=as_of)
    else:
        action.recipient = started.recipient.email
        started.plan.case.last_contact_at = as_of


async def _start_internal_alert(session: AsyncSession, *, clock: Clock, started: StartedStep) -> None:
    action, as_of = started.action, started.as_of
    address = started.customer.account_manager_email or started.settings.account_manager_email
    action.language = "zh-CN"
    action.template = "internal_alert"
    if address is None:
        await finish_action(
            session, clock=clock, action=action, status="skipped", outcome="no_account_manager", at=as_of
        )
    else:
        action.recipient = address


async def _start_sms(session: AsyncSession, *, clock: Clock, started: StartedStep) -> None:
    action, as_of = started.action, started.as_of
    phone = domain.choose_phone(started.view.contacts)
    if phone is None:
        await finish_action(session, clock=clock, action=action, status="skipped", outcome="no_phone", at=as_of)
    else:
        action.recipient = phone
        started.plan.case.last_contact_at = as_of


async def make_letter(
    session: AsyncSession, *, started: StartedStep, kind: domain.LetterKind, filename_prefix: str = ""
) -> DunningDocument:
    """Number the step's letter (催字〔年〕第N号, the year of its business date), render and keep it."""
    plan, action, as_of = started.plan, started.action, started.as_of
    creditor = started.settings.creditor()  # the tick does not take the step while it is unset
    year = plan.local_today.year
    sequence = await next_letter_number(session, creditor_uscc=creditor.uscc, year=year)
    letter = letters.Letter(
        kind=kind,
        language=action.language if action.language in domain.LANGUAGES else domain.DEFAULT_LANGUAGE,
        number=domain.letter_number(year, sequence),
        letter_date=plan.local_today,
        customer_name=started.customer.legal_name,
        customer_address=domain.choose_postal_address(started.view.contacts),
        currency=plan.case.currency,
        items=letters.letter_items(action.details),
        creditor=creditor,
    )
    document = DunningDocument(
        id=uuid7(),
        case_id=plan.case.id,
        action_id=action.id,
        kind="letter",
        filename=filename_prefix + letters.letter_filename(letter),
        media_type="application/pdf",
        content=await asyncio.to_thread(letters.dunning_letter, letter),  # CPU-bound: off the event loop
        created_at=as_of,
        number=letter.number,
        creditor_uscc=creditor.uscc,
    )
    session.add(document)
    action.details = {
        **action.details,
        "letter": {
            "kind": kind,
            "number": letter.number,
            "title": letters.title_of(letter),
            "subject": letters.subject_of(letter),
            "document_id": str(document.id),
            "filename": document.filename,
        },
    }
    log.info("letter.made", case_id=str(plan.case.id), action_id=str(action.id), number=letter.number, kind=kind)
    return document


async def _start_letter(session: AsyncSession, *, clock: Clock, started: StartedStep) -> None:
    plan, action, as_of = started.plan, started.action, started.as_of
    case = plan.case
    any_overdue = any(i.overdue for i in plan.items if not i.disputed)
    kind = domain.letter_kind(channel=action.channel, template=action.template, any_overdue=any_overdue)
    await make_letter(session, started=started, kind=kind)
    await add_task(session, case=case, action=action, kind="registered_mail", due=plan.local_today, at=as_of)
    case.last_contact_at = as_of
    if started.recipient is not None:
        # Sent by email as well, the letter attached; the sender finishes the action once it is delivered.
        action.recipient = started.recipient.email
        return
    action.recipient = started.customer.legal_name
    await finish_action(session, clock=clock, action=action, status="sent", outcome="letter_generated", at=as_of)


async def _start_task(session: AsyncSession, *, clock: Clock, started: StartedStep) -> None:
    plan, action, as_of = started.plan, started.action, started.as_of
    kind = "phone_call" if action.channel == "phone_task" else "visit"
    await add_task(session, case=plan.case, action=action, kind=kind, due=plan.local_today, at=as_of)
    action.next_attempt_at = None
    plan.case.last_contact_at = as_of


async def _start_legal_handover(session: AsyncSession, *, clock: Clock, started: StartedStep) -> None:
    plan, action, as_of = started.plan, started.action, started.as_of
    case = plan.case
    case.frozen_at = as_of
    await cancel_pending_actions(session, case.id, outcome="legal_handover", now=as_of)
    await cancel_open_tasks(session, case.id, now=as_of)
    action.status = "pending"  # cancel_pending_actions above must not touch it: it is finished below
    # The customer is told by registered mail that the debt went to legal proceedings; the notice is in the pack.
    await make_letter(session, started=started, kind="legal_handover")
    await add_task(session, case=case, action=action, kind="registered_mail", due=plan.local_today, at=as_of)
    await finish_action(session, clock=clock, action=action, status="sent", outcome="handed_over", at=as_of)
    pack = await store_evidence_pack(
        session, case=case, action=action, at=as_of, as_of_date=plan.local_today, settings=started.settings
    )
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


class StartChannel(Protocol):
    def __call__(self, session: AsyncSession, *, clock: Clock, started: StartedStep) -> Awaitable[None]: ...


# How each channel starts once its action is logged: delivered later (email, SMS, alert), or done at once.
CHANNEL_STARTS: dict[str, StartChannel] = {
    "email": _start_email,
    "internal_alert": _start_internal_alert,
    "sms": _start_sms,
    "letter": _start_letter,
    "phone_task": _start_task,
    "visit_task": _start_task,
    "legal_handover": _start_legal_handover,
}


def step_values(
    plan: CasePlan, step: domain.PolicyStep, *, now: datetime, as_of: datetime
) -> tuple[dict[str, Any], domain.CustomerView, domain.Recipient | None]:
    """The columns of a step's action as it is logged (pending), with its customer as the rules see it and
    the email recipient chosen (no I/O: the tick builds a batch's actions with it)."""
    case, customer = plan.case, plan.customer
    view = customer_view(customer)
    assert view is not None
    recipient = domain.choose_recipient(view.contacts, view.preferred_language)
    language = recipient.language if recipient else domain._language(view.preferred_language, domain.DEFAULT_LANGUAGE)
    values = {
        "id": uuid7(),
        "case_id": case.id,
        "customer_id": case.customer_id,
        "step": step.name,
        "level": step.level,
        "channel": step.channel,
        "template": step.template_for(language),
        "invoice_ids": [i.invoice_id for i in plan.items if not i.disputed],
        "amount_overdue": plan.state.amount_overdue,
        "currency": case.currency,
        "details": {**step_details(plan), "policy": plan.policy.code if plan.policy else None},
        "language": language,
        "recipient": None,  # the channel's start names one
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": as_of,
    }
    return values, view, recipient


@dataclass(frozen=True)
class PlainStart:
    """How a plain channel starts: the action's columns it sets, whether it counts as a contact, the task it opens."""

    values: dict[str, Any]
    contact: bool
    task: str | None = None


def plain_start(
    step: domain.PolicyStep,
    *,
    customer: Customer,
    view: domain.CustomerView,
    recipient: domain.Recipient | None,
    settings: DunningSettings,
) -> PlainStart | None:
    """The start of a step that only queues its action for a sender or opens a collector's task, as
    CHANNEL_STARTS does it, or None when the step needs more (a letter, a handover, no one to send to):
    the tick writes a batch's plain starts in a few statements and takes the others one by one."""
    if step.channel == "email":
        return PlainStart({"recipient": recipient.email}, contact=True) if recipient is not None else None
    if step.channel == "sms":
        phone = domain.choose_phone(view.contacts)
        return PlainStart({"recipient": phone}, contact=True) if phone is not None else None
    if step.channel == "internal_alert":
        address = customer.account_manager_email or settings.account_manager_email
        if address is None:
            return None
        return PlainStart({"language": "zh-CN", "template": "internal_alert", "recipient": address}, contact=False)
    if step.channel in ("phone_task", "visit_task"):
        kind = "phone_call" if step.channel == "phone_task" else "visit"
        return PlainStart({"next_attempt_at": None}, contact=True, task=kind)
    return None


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
    values, view, recipient = step_values(plan, step, now=clock.now(), as_of=as_of)
    action = DunningAction(**values)
    session.add(action)
    await session.flush()
    bound = log.bind(case_id=str(case.id), action_id=str(action.id), step=step.name, channel=step.channel)
    start = CHANNEL_STARTS.get(step.channel)
    if start is not None:
        started = StartedStep(plan, action, customer, view, recipient, as_of, settings)
        await start(session, clock=clock, started=started)
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


async def build_evidence_pack(
    session: AsyncSession, *, case: DunningCase, as_of_date: date, settings: DunningSettings
) -> bytes:
    """The evidence pack of a case as it stands: cover, statement PDF, invoices, the full action log, every letter."""
    creditor = settings.creditor()  # 409 while unset: the cover and statement name the creditor and its account
    customer = await get_customer(session, case.customer_id)
    documents = await case_documents(session, case.id)
    facts = pack.PackFacts(
        case=case,
        customer_name=customer.legal_name if customer else str(case.customer_id),
        items=await case_items(session, case.id),
        actions=await case_actions(session, case.id),
        letter_numbers=[d.number for d in documents if d.kind == "letter" and d.number],
        creditor=creditor,
        as_of=as_of_date,
    )
    sent = [(d.filename, d.content) for d in documents if d.kind == "letter"]
    return await asyncio.to_thread(pack.evidence_pack, facts, letters=sent)


async def store_evidence_pack(
    session: AsyncSession,
    *,
    case: DunningCase,
    action: DunningAction,
    at: datetime,
    as_of_date: date,
    settings: DunningSettings,
) -> DunningDocument:
    """Keep the pack handed over, as it was at the handover (what later happens does not change it)."""
    await session.flush()  # the handover's own letter and action are in the pack
    document = DunningDocument(
        id=uuid7(),
        case_id=case.id,
        action_id=action.id,
        kind="evidence_pack",
        filename=f"evidence-{case.id}-{at:%Y%m%d}.zip",
        media_type="application/zip",
        content=await build_evidence_pack(session, case=case, as_of_date=as_of_date, settings=settings),
        created_at=at,
    )
    session.add(document)
    await session.flush()
    return document
