"""Credit-scoring use cases: project invoicing's facts, build credit files. Never commits.

Each fact is merged into the customer's projection so that any arrival order
ends in the same state: InvoicePaid before InvoiceIssued, a stale customer
revision after a newer one, a payment application delivered twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock, local_date
from arflow.events.catalog import (
    CreditNoteIssued,
    CustomerUpserted,
    DisputeOpened,
    DisputeResolved,
    DunningEscalated,
    InvoiceIssued,
    InvoiceOverdue,
    InvoicePaid,
    InvoiceVoided,
    InvoiceWrittenOff,
    LegalHandover,
    PaymentApplied,
    PromiseToPayBroken,
    PromiseToPayKept,
)
from arflow.pagination import PageParams
from arflow.problems import NotFound, Unprocessable
from credit_scoring import domain, repository
from credit_scoring.models import (
    CreditNote,
    Customer,
    Dispute,
    DunningEscalation,
    PaymentApplication,
    PaymentExperience,
    PromiseOutcome,
)

log = structlog.get_logger("credit-scoring")
# The business calendar of "today" when a caller gives no as-of date.
DEFAULT_TIME_ZONE = "Asia/Shanghai"


# --- projecting invoicing's facts ----------------------------------------------------


async def record_customer(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: CustomerUpserted
) -> None:
    """Keep the highest customer revision; remember when the customer was first seen."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    time_zone = event.time_zone
    if not _is_time_zone(time_zone):
        # Dates are read in this zone on every request: a bad one must not break the credit file.
        log.warning("customer.unknown_time_zone", customer_id=str(event.customer_id), time_zone=time_zone)
        time_zone = DEFAULT_TIME_ZONE
    taken = await repository.apply_customer_revision(
        session,
        event.customer_id,
        revision=event.revision,
        legal_name=event.legal_name,
        time_zone=time_zone,
        now=now,
    )
    name = "customer.projected" if taken else "customer.stale_revision_ignored"
    log.info(name, customer_id=str(event.customer_id), revision=event.revision)


async def record_invoice_issued(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: InvoiceIssued
) -> None:
    """Open the invoice's payment experience (or complete one begun by a later fact)."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    values = {
        "invoice_id": event.invoice_id,
        "customer_id": event.customer_id,
        "invoice_number": event.invoice_number,
        "currency": event.currency,
        "total": event.total.amount,
        "invoice_date": event.invoice_date,
        "due_date": event.due_date,
        "net_days": event.net_days,
        "issued_at": event.issued_at,
    }
    # InvoiceIssued is the authority on the invoice's terms: it replaces what others filled in.
    await repository.merge_experience(session, values, now=now, replace=_columns(values))
    log.info("payment_experience.issued", invoice_id=str(event.invoice_id), customer_id=str(event.customer_id))


async def record_invoice_overdue(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: InvoiceOverdue
) -> None:
    """Note how far past due the invoice has been reported (the maximum, with its bucket)."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    facts = {
        "invoice_id": event.invoice_id,
        "customer_id": event.customer_id,
        "invoice_number": event.invoice_number,
        "currency": event.total.currency,
        "total": event.total.amount,
        "invoice_date": event.invoice_date,
        "due_date": event.due_date,
    }
    notice = {
        "max_days_overdue": event.days_overdue,
        "last_overdue_bucket": event.bucket,
        "overdue_noted_on": event.as_of,
    }
    await repository.merge_overdue_notice(session, {**facts, **notice}, now=now, fill=_columns(facts))
    log.info(
        "payment_experience.overdue_noted",
        invoice_id=str(event.invoice_id),
        days_overdue=event.days_overdue,
        bucket=event.bucket,
    )


async def record_payment_applied(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: PaymentApplied
) -> None:
    """Record a payment application once, by its application id."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    facts = {
        "invoice_id": event.invoice_id,
        "customer_id": event.customer_id,
        "invoice_number": event.invoice_number,
        "currency": event.amount.currency,
        "due_date": event.due_date,
    }
    await repository.merge_experience(session, facts, now=now, fill=_columns(facts))
    recorded = await repository.add_application(
        session,
        {
            "application_id": event.application_id,
            "invoice_id": event.invoice_id,
            "customer_id": event.customer_id,
            "payment_id": event.payment_id,
            "amount": event.amount.amount,
            "currency": event.amount.currency,
            "applied_on": event.applied_on,
        },
        now=now,
    )
    log.info(
        "payment_experience.payment_applied" if recorded else "payment_experience.application_already_recorded",
        invoice_id=str(event.invoice_id),
        application_id=str(event.application_id),
    )


async def record_invoice_paid(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: InvoicePaid
) -> None:
    """Mark the experience paid on its date (the latest date if paid more than once)."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    facts = {
        "invoice_id": event.invoice_id,
        "customer_id": event.customer_id,
        "invoice_number": event.invoice_number,
        "currency": event.total.currency,
        "total": event.total.amount,
        "invoice_date": event.invoice_date,
        "due_date": event.due_date,
    }
    await repository.merge_experience(
        session, {**facts, "paid_on": event.paid_on}, now=now, fill=_columns(facts), latest=["paid_on"]
    )
    log.info(
        "payment_experience.paid",
        invoice_id=str(event.invoice_id),
        paid_on=event.paid_on.isoformat(),
        days_beyond_terms=event.days_beyond_terms,
    )


async def record_invoice_voided(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: InvoiceVoided
) -> None:
    """Mark the experience void: listed in the file, never measured."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    facts = {
        "invoice_id": event.invoice_id,
        "customer_id": event.customer_id,
        "invoice_number": event.invoice_number,
        "currency": event.total.currency,
        "total": event.total.amount,
    }
    await repository.merge_experience(
        session, {**facts, "voided_at": event.voided_at}, now=now, fill=[*_columns(facts), "voided_at"]
    )
    log.info("payment_experience.voided", invoice_id=str(event.invoice_id))


async def record_invoice_written_off(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: InvoiceWrittenOff
) -> None:
    """Mark the experience written off (a loss) from its date."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    facts = {
        "invoice_id": event.invoice_id,
        "customer_id": event.customer_id,
        "invoice_number": event.invoice_number,
        "currency": event.amount_written_off.currency,
    }
    await repository.merge_experience(
        session,
        {**facts, "written_off_on": event.written_off_on},
        now=now,
        fill=[*_columns(facts), "written_off_on"],
    )
    log.info("payment_experience.written_off", invoice_id=str(event.invoice_id))


async def record_credit_note(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: CreditNoteIssued
) -> None:
    """Record a credit note once; it lowers the invoice's outstanding amount from its date."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    facts = {
        "invoice_id": event.invoice_id,
        "customer_id": event.customer_id,
        "invoice_number": event.invoice_number,
        "currency": event.amount.currency,
    }
    await repository.merge_experience(session, facts, now=now, fill=_columns(facts))
    recorded = await repository.add_credit_note(
        session,
        {
            "credit_note_id": event.credit_note_id,
            "customer_id": event.customer_id,
            "invoice_id": event.invoice_id,
            "amount": event.amount.amount,
            "currency": event.amount.currency,
            "issued_on": event.issued_on,
        },
        now=now,
    )
    log.info(
        "payment_experience.credited" if recorded else "payment_experience.credit_note_already_recorded",
        invoice_id=str(event.invoice_id),
        credit_note_id=str(event.credit_note_id),
    )


async def record_dunning_escalated(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: DunningEscalated
) -> None:
    """Note the level a dunning case reached."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    values = {
        "case_id": event.case_id,
        "level": event.to_level,
        "legal_handover": False,
        "customer_id": event.customer_id,
        "channel": event.channel,
        "escalated_at": event.escalated_at,
    }
    await repository.add_dunning_escalation(session, values, now=now)
    log.info("dunning.escalation_noted", case_id=str(event.case_id), level=event.to_level, channel=event.channel)


async def record_legal_handover(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: LegalHandover
) -> None:
    """Note a legal handover (法律手段): the top of the dunning ladder."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    values = {
        "case_id": event.case_id,
        "level": domain.LEGAL_LEVEL,
        "legal_handover": True,
        "customer_id": event.customer_id,
        "channel": "legal_handover",
        "escalated_at": event.handed_over_at,
    }
    await repository.add_dunning_escalation(session, values, now=now)
    log.info("dunning.legal_handover_noted", case_id=str(event.case_id))


async def record_dispute_opened(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: DisputeOpened
) -> None:
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    values = {
        "dispute_id": event.dispute_id,
        "customer_id": event.customer_id,
        "invoice_id": event.invoice_id,
        "opened_at": event.opened_at,
    }
    await repository.merge_dispute(session, values, now=now)
    log.info("dispute.opened_noted", dispute_id=str(event.dispute_id), invoice_id=str(event.invoice_id))


async def record_dispute_resolved(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: DisputeResolved
) -> None:
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    values = {
        "dispute_id": event.dispute_id,
        "customer_id": event.customer_id,
        "invoice_id": event.invoice_id,
        "resolved_at": event.resolved_at,
        "resolution": event.resolution,
    }
    await repository.merge_dispute(session, values, now=now)
    log.info("dispute.resolved_noted", dispute_id=str(event.dispute_id), resolution=event.resolution)


async def record_promise_outcome(
    session: AsyncSession,
    *,
    clock: Clock,
    occurred_at: datetime,
    event: PromiseToPayKept | PromiseToPayBroken,
) -> None:
    """Record whether a promise to pay was kept or broken (broken wins if both are reported)."""
    now = clock.now()
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    kept = isinstance(event, PromiseToPayKept)
    values = {
        "promise_id": event.promise_id,
        "customer_id": event.customer_id,
        "case_id": event.case_id,
        "kept": kept,
        "outcome_on": event.kept_on if isinstance(event, PromiseToPayKept) else event.broken_on,
    }
    await repository.merge_promise_outcome(session, values, now=now)
    log.info("promise.outcome_noted", promise_id=str(event.promise_id), kept=kept)


def _is_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _columns(values: dict[str, object]) -> list[str]:
    """The columns a fact merges (the keys are the conflict target and the owner, never updated)."""
    return [name for name in values if name not in ("invoice_id", "customer_id")]


# --- credit files --------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerCreditFile:
    customer: Customer
    file: domain.CreditFile


def resolve_as_of(clock: Clock, as_of: date | None) -> date:
    """The requested as-of date, by default today in Asia/Shanghai; never in the future."""
    today = local_date(clock.now(), DEFAULT_TIME_ZONE)
    if as_of is None:
        return today
    if as_of > today:
        raise Unprocessable(
            f"as_of {as_of.isoformat()} is after today ({today.isoformat()}); a credit file cannot be built "
            "for a day that has not happened.",
            code="as_of_in_future",
        )
    return as_of


async def credit_file(
    session: AsyncSession, *, clock: Clock, customer_id: UUID, as_of: date | None
) -> CustomerCreditFile:
    """The customer's credit file as of a date (404 when nothing is known of the customer)."""
    day = resolve_as_of(clock, as_of)
    customer = await repository.get_customer(session, customer_id)
    if customer is None:
        raise NotFound(f"Nothing is known of customer {customer_id}.", code="customer_unknown")
    (built,) = await _build(session, [customer], day)
    return built


async def list_credit_files(
    session: AsyncSession, *, clock: Clock, page: PageParams, as_of: date | None
) -> list[CustomerCreditFile]:
    """A page (limit+1 rows) of credit files, newest customer first."""
    day = resolve_as_of(clock, as_of)
    return await _build(session, await repository.list_customers(session, page), day)


async def _build(session: AsyncSession, customers: list[Customer], as_of: date) -> list[CustomerCreditFile]:
    ids = [c.id for c in customers]
    if not ids:
        return []
    applications: dict[UUID, list[PaymentApplication]] = defaultdict(list)
    for application in await repository.applications_of(session, ids):
        applications[application.invoice_id].append(application)
    credits: dict[UUID, list[CreditNote]] = defaultdict(list)
    for note in await repository.credit_notes_of(session, ids):
        credits[note.invoice_id].append(note)
    experiences: dict[UUID, list[domain.PaymentExperience]] = defaultdict(list)
    zones = {c.id: c.time_zone for c in customers}
    for row in await repository.experiences_of(session, ids):
        experiences[row.customer_id].append(
            _experience(row, applications[row.invoice_id], credits[row.invoice_id], zones[row.customer_id])
        )
    histories = await _histories(session, ids, zones)
    return [
        CustomerCreditFile(
            customer=c,
            file=domain.build_credit_file(
                experiences[c.id],
                as_of=as_of,
                first_seen_on=local_date(c.first_seen_at, c.time_zone),
                history=histories.get(c.id, domain.NO_HISTORY),
            ),
        )
        for c in customers
    ]


async def _histories(
    session: AsyncSession, ids: list[UUID], zones: dict[UUID, str]
) -> dict[UUID, domain.CustomerHistory]:
    """Dunning, disputes and promises per customer, dated in the customer's time zone."""
    dunning: dict[UUID, list[domain.DunningFact]] = defaultdict(list)
    for row in await repository.dunning_of(session, ids):
        dunning[row.customer_id].append(_dunning_fact(row, zones[row.customer_id]))
    disputes: dict[UUID, list[domain.DisputeFact]] = defaultdict(list)
    for dispute in await repository.disputes_of(session, ids):
        disputes[dispute.customer_id].append(_dispute_fact(dispute, zones[dispute.customer_id]))
    promises: dict[UUID, list[domain.PromiseFact]] = defaultdict(list)
    for promise in await repository.promises_of(session, ids):
        promises[promise.customer_id].append(_promise_fact(promise))
    return {
        customer_id: domain.CustomerHistory(
            dunning=tuple(dunning[customer_id]),
            disputes=tuple(disputes[customer_id]),
            promises=tuple(promises[customer_id]),
        )
        for customer_id in ids
    }


def _dunning_fact(row: DunningEscalation, time_zone: str) -> domain.DunningFact:
    return domain.DunningFact(
        case_id=row.case_id,
        level=row.level,
        channel=row.channel,
        on=local_date(row.escalated_at, time_zone),
        legal_handover=row.legal_handover,
    )


def _dispute_fact(row: Dispute, time_zone: str) -> domain.DisputeFact:
    return domain.DisputeFact(
        dispute_id=row.dispute_id,
        invoice_id=row.invoice_id,
        opened_on=local_date(row.opened_at, time_zone) if row.opened_at else None,
        resolved_on=local_date(row.resolved_at, time_zone) if row.resolved_at else None,
        resolution=row.resolution,
    )


def _promise_fact(row: PromiseOutcome) -> domain.PromiseFact:
    return domain.PromiseFact(promise_id=row.promise_id, kept=row.kept, on=row.outcome_on)


def _experience(
    row: PaymentExperience, applications: list[PaymentApplication], credits: list[CreditNote], time_zone: str
) -> domain.PaymentExperience:
    """The domain's view of a stored experience; instants become the customer's local dates."""
    return domain.PaymentExperience(
        invoice_id=row.invoice_id,
        invoice_number=row.invoice_number,
        currency=row.currency,
        total=row.total,
        invoice_date=row.invoice_date,
        due_date=row.due_date,
        issued_on=local_date(row.issued_at, time_zone) if row.issued_at else None,
        paid_on=row.paid_on,
        voided_on=local_date(row.voided_at, time_zone) if row.voided_at else None,
        written_off_on=row.written_off_on,
        max_days_overdue=row.max_days_overdue,
        overdue_noted_on=row.overdue_noted_on,
        applications=tuple(
            domain.Application(applied_on=a.applied_on, amount=a.amount)
            for a in applications
            if a.currency == row.currency
        ),
        credits=tuple(
            domain.Application(applied_on=c.issued_on, amount=c.amount) for c in credits if c.currency == row.currency
        ),
    )
