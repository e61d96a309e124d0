"""Credit-scoring use cases: project invoicing's facts, build credit files. Never commits.

Each fact is merged into the customer's projection so that any arrival order
ends in the same state: InvoicePaid before InvoiceIssued, a stale customer
revision after a newer one, a payment application delivered twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock, local_date
from arflow.events.catalog import (
    CreditLimitChanged,
    CreditNoteIssued,
    CreditRiskAlert,
    CreditScoreChanged,
    CustomerUpserted,
    DisputeOpened,
    DisputeResolved,
    DunningEscalated,
    Event,
    InvoiceIssued,
    InvoiceOverdue,
    InvoicePaid,
    InvoiceVoided,
    InvoiceWrittenOff,
    LegalHandover,
    PaymentApplicationReversed,
    PaymentApplied,
    PromiseToPayBroken,
    PromiseToPayKept,
    ReasonCode,
)
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.metrics import ServiceMetrics
from arflow.money import Money, to_minor_units
from arflow.pagination import PageParams
from arflow.problems import NotFound, Unprocessable
from credit_scoring import defaults, domain, modelling, policy, repository, scoring, training
from credit_scoring.config import CreditScoringSettings
from credit_scoring.models import (
    PORTFOLIO_SUBJECT,
    CreditAlert,
    CreditLimit,
    CreditNote,
    CreditReview,
    CreditScore,
    Customer,
    Dispute,
    DunningEscalation,
    PaymentApplication,
    PaymentExperience,
    PaymentReversal,
    PromiseOutcome,
)
from credit_scoring.training import Portfolio

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
    await _invoice_seen(session, event, occurred_at=occurred_at, now=now, due_date=event.due_date)
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


async def record_payment_reversed(
    session: AsyncSession, *, clock: Clock, occurred_at: datetime, event: PaymentApplicationReversed
) -> None:
    """Record a reversal once, by the application it undoes: less paid, and open again if it reopened the invoice."""
    now = clock.now()
    await _invoice_seen(session, event, occurred_at=occurred_at, now=now)
    recorded = await repository.add_reversal(
        session,
        {
            "application_id": event.application_id,
            "invoice_id": event.invoice_id,
            "customer_id": event.customer_id,
            "payment_id": event.payment_id,
            "amount": event.amount.amount,
            "currency": event.amount.currency,
            "reversed_on": event.reversed_on,
            "invoice_reopened": event.invoice_reopened,
        },
        now=now,
    )
    log.info(
        "payment_experience.payment_reversed" if recorded else "payment_experience.reversal_already_recorded",
        invoice_id=str(event.invoice_id),
        application_id=str(event.application_id),
        invoice_reopened=event.invoice_reopened,
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
    await _invoice_seen(session, event, occurred_at=occurred_at, now=now)
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


async def _invoice_seen(
    session: AsyncSession,
    event: PaymentApplied | PaymentApplicationReversed | CreditNoteIssued,
    *,
    occurred_at: datetime,
    now: datetime,
    due_date: date | None = None,
) -> None:
    """What a money event tells of its customer and invoice, merged before the event's own fact."""
    await repository.touch_customer(session, event.customer_id, seen_at=occurred_at, now=now)
    facts: dict[str, object] = {
        "invoice_id": event.invoice_id,
        "customer_id": event.customer_id,
        "invoice_number": event.invoice_number,
        "currency": event.amount.currency,
    }
    if due_date is not None:
        facts["due_date"] = due_date
    await repository.merge_experience(session, facts, now=now, fill=_columns(facts))


# --- credit files --------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerCreditFile:
    customer: Customer
    file: domain.CreditFile


# No receivable of ours is older than this; the measures also look back two years from as_of, which
# Python's dates cannot do before year 3, so an earlier as_of is refused rather than built.
EARLIEST_AS_OF = date(2000, 1, 1)


def resolve_as_of(clock: Clock, as_of: date | None) -> date:
    """The requested as-of date, by default today in Asia/Shanghai; never in the future nor before 2000."""
    today: date = local_date(clock.now(), DEFAULT_TIME_ZONE)
    if as_of is None:
        return today
    if as_of < EARLIEST_AS_OF:
        raise Unprocessable(
            f"as_of {as_of.isoformat()} is before {EARLIEST_AS_OF.isoformat()}; credit files are built only "
            "from that date on.",
            code="as_of_too_early",
        )
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
    loaded = await _load(session, customers)
    return [
        CustomerCreditFile(
            customer=c,
            file=domain.build_credit_file(
                loaded[c.id].experiences,
                as_of=as_of,
                first_seen_on=loaded[c.id].first_seen_on,
                history=loaded[c.id].history,
            ),
        )
        for c in customers
    ]


async def _load(session: AsyncSession, customers: list[Customer]) -> dict[UUID, Portfolio]:
    """Everything known of the customers, as the pure code takes it (dates local to each customer)."""
    ids = [c.id for c in customers]
    if not ids:
        return {}
    applications: dict[UUID, list[PaymentApplication]] = defaultdict(list)
    for application in await repository.applications_of(session, ids):
        applications[application.invoice_id].append(application)
    reversals: dict[UUID, list[PaymentReversal]] = defaultdict(list)
    for reversal in await repository.reversals_of(session, ids):
        reversals[reversal.invoice_id].append(reversal)
    credits: dict[UUID, list[CreditNote]] = defaultdict(list)
    for note in await repository.credit_notes_of(session, ids):
        credits[note.invoice_id].append(note)
    experiences: dict[UUID, list[domain.PaymentExperience]] = defaultdict(list)
    terms: dict[UUID, dict[UUID, int]] = defaultdict(dict)
    zones = {c.id: c.time_zone for c in customers}
    for row in await repository.experiences_of(session, ids):
        experiences[row.customer_id].append(
            _experience(
                row,
                applications[row.invoice_id],
                credits[row.invoice_id],
                zones[row.customer_id],
                reversals=reversals[row.invoice_id],
            )
        )
        if row.net_days is not None:
            terms[row.customer_id][row.invoice_id] = row.net_days
    histories = await _histories(session, ids, zones)
    return {
        c.id: Portfolio(
            experiences=experiences[c.id],
            history=histories.get(c.id, domain.NO_HISTORY),
            first_seen_on=local_date(c.first_seen_at, c.time_zone),
            terms=terms[c.id],
        )
        for c in customers
    }


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
    row: PaymentExperience,
    applications: list[PaymentApplication],
    credits: list[CreditNote],
    time_zone: str,
    *,
    reversals: list[PaymentReversal],
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
        reversals=tuple(
            domain.Reversal(reversed_on=r.reversed_on, amount=r.amount, invoice_reopened=r.invoice_reopened)
            for r in reversals
            if r.currency == row.currency
        ),
    )


# --- scores, limits, alerts ----------------------------------------------------------


@dataclass
class Policy:
    """The knobs of scoring taken from settings once, at start-up (handlers have no request)."""

    late_payment_days: int = 30
    limit_caps: dict[str, Decimal] = field(default_factory=lambda: dict(policy.LIMIT_CAPS))
    pdo: float = 20.0
    base_score: float = 600.0
    base_odds: float = 50.0
    retrain_min_samples: int = 300
    psi_alert_threshold: float = 0.25


POLICY = Policy()


@dataclass
class PortfolioGauges:
    """Gauges the portfolio-drift job keeps current (Prometheus, with the house prefix)."""

    clients: Any
    exposure: Any
    psi: Any


GAUGES: PortfolioGauges | None = None


def configure(settings: CreditScoringSettings, metrics: ServiceMetrics | None = None) -> None:
    """Take the scoring knobs from the service's settings; register the portfolio gauges."""
    global POLICY, GAUGES
    if metrics is not None:
        GAUGES = PortfolioGauges(
            clients=metrics.gauge("clients", "Scored clients by tier", ["tier"]),
            exposure=metrics.gauge(
                "exposure", "Outstanding of scored clients by tier and currency", ["tier", "currency"]
            ),
            psi=metrics.gauge("score_psi", "Population stability index of the score distribution"),
        )
    POLICY = Policy(
        late_payment_days=settings.late_payment_days,
        limit_caps=settings.limit_caps(),
        pdo=settings.score_pdo,
        base_score=settings.score_base,
        base_odds=settings.score_base_odds,
        retrain_min_samples=settings.retrain_min_samples,
        psi_alert_threshold=settings.psi_alert_threshold,
    )


async def active_model(session: AsyncSession, kind: str) -> dict[str, Any]:
    """The newest model of a kind fitted on our own data, else the shipped default."""
    stored = await repository.latest_model(session, kind)
    return stored.parameters if stored is not None else defaults.default_model(kind)


def today_of(clock: Clock, customer: Customer) -> date:
    today: date = local_date(clock.now(), customer.time_zone)
    return today


_MODELS: dict[str, dict[str, Any]] = {}  # stored model versions never change: read each once


async def _scorecard(session: AsyncSession, version: str | None) -> dict[str, Any]:
    """The scorecard of a version (None: the shipped default), from memory after the first read."""
    key = version or "default:scorecard"
    model = _MODELS.get(key)
    if model is None:
        stored = await repository.get_model(session, version) if version else None
        model = stored.parameters if stored is not None else defaults.default_model("scorecard")
        _MODELS[key] = model
    return model


@dataclass(frozen=True)
class Rescored:
    """What one rescore found (published or not)."""

    score: scoring.Score
    file: domain.CreditFile
    recommendation: policy.LimitRecommendation
    effective_limit: Decimal
    credit_hold: bool
    changed: bool


async def rescore(
    session: AsyncSession, *, clock: Clock, customer_id: UUID, trigger: str, as_of: date | None = None
) -> Rescored | None:
    """Score the customer as of today (or `as_of`); on a change, record it and tell others (score, limit, warnings).

    One statement reads everything (and locks the customer row), the rest is computed here, and one
    statement writes what changed, each table at most once: the limit, the score, the warning state,
    the outbox (alerts, when there are any, are inserted first so only those recorded are published).
    """
    snap = await repository.rescore_snapshot(session, customer_id)
    if snap is None:
        return None
    now = clock.now()
    today = as_of or local_date(now, snap.time_zone)
    portfolio = _portfolio_of(snap)
    file = domain.build_credit_file(
        portfolio.experiences, as_of=today, first_seen_on=portfolio.first_seen_on, history=portfolio.history
    )
    previous = snap.latest_score
    if file.invoices_issued == 0:
        if snap.credit_limit is not None:  # a manual limit set before the first invoice
            tier = previous["tier"] if previous else "C"
            _, _, _, events, limit_row = _refresh_limit(
                clock=clock, customer_id=customer_id, file=file, tier=tier, today=today, current=snap.credit_limit
            )
            await repository.write_rescore(
                session, limit=limit_row, score=None, watch=None, outbox_rows=outbox.rows_for(events, clock=clock)
            )
        return None  # nothing to score yet: the onboarding assessment covers the cold start
    model = await _scorecard(session, snap.scorecard_version)
    scored = scoring.apply_scorecard(model, file)
    recommendation, effective, used, events, limit_row = _refresh_limit(
        clock=clock,
        customer_id=customer_id,
        file=file,
        tier=scored.tier,
        today=today,
        current=snap.credit_limit,
    )
    hold = policy.credit_hold(scored.tier, recommendation.exposure, effective)
    state = (scored.score, scored.tier, scored.payment_index, hold)
    changed = (
        previous is None
        or (
            previous["score"],
            previous["tier"],
            previous["payment_index"],
            previous["credit_hold"],
        )
        != state
    )
    score_row = None
    if changed:
        reasons = [asdict(r) for r in scored.reasons]
        score_row = {
            "id": uuid7(),
            "customer_id": customer_id,
            "score": scored.score,
            "tier": scored.tier,
            "payment_index": scored.payment_index,
            "probability_bad": scored.probability_bad,
            "reasons": reasons,
            "points": scored.points,
            "credit_hold": hold,
            "model_version": scored.model_version,
            "as_of": today,
            "trigger": trigger,
            "scored_at": now,
        }
        events.append(
            CreditScoreChanged(
                customer_id=customer_id,
                score=scored.score,
                payment_index=scored.payment_index,
                tier=scored.tier,
                previous_score=previous["score"] if previous else None,
                previous_tier=previous["tier"] if previous else None,
                reasons=[ReasonCode(**r) for r in reasons],
                credit_hold=hold,
                model_version=scored.model_version,
                scored_at=now,
            )
        )
        log.info(
            "credit_score.changed",
            customer_id=str(customer_id),
            score=scored.score,
            tier=scored.tier,
            payment_index=scored.payment_index,
            credit_hold=hold,
            trigger=trigger,
        )
    settled = policy.settled_score(model["characteristics"], scored.points)
    seen = policy.Observation(
        day=today,
        score=scored.score,
        tier=scored.tier,
        settled_score=settled,
        settled_tier=scoring.tier_of(settled, model["tiers"]),
        utilisation=used,
    )
    warnings, watched = policy.watch(policy.WatchState.from_json(snap.watch), seen, customer_key=str(customer_id))
    kept = watched.to_json()
    watch_row = {"customer_id": customer_id, "state": kept, "updated_at": now} if kept != snap.watch else None
    if warnings:  # rare: its own statement, so that only alerts actually recorded are published
        events.extend(await _record_alerts(session, customer_id=customer_id, warnings=warnings, now=now))
    await repository.write_rescore(
        session, limit=limit_row, score=score_row, watch=watch_row, outbox_rows=outbox.rows_for(events, clock=clock)
    )
    return Rescored(
        score=scored,
        file=file,
        recommendation=recommendation,
        effective_limit=effective,
        credit_hold=hold,
        changed=changed,
    )


def _refresh_limit(
    *,
    clock: Clock,
    customer_id: UUID,
    file: domain.CreditFile,
    tier: str,
    today: date,
    current: dict[str, Any] | None,
) -> tuple[policy.LimitRecommendation, Decimal, Decimal | None, list[Event], dict[str, Any] | None]:
    """Recompute the recommended limit and utilisation: the row to write if it moved, CreditLimitChanged if due.

    While a manual override stands the limit stays in the override's currency (its amount is never
    relabelled with another currency); otherwise it follows the file's main currency.
    """
    was = _limit_of(current)
    override, expires_on = was["override_amount"], was["override_expires_on"]
    if override is not None and expires_on is not None and today > expires_on:
        override, expires_on = None, None  # the override has lapsed
    pinned = was["currency"] if override is not None else None
    recommendation = policy.recommended_limit(file, tier, currency=pinned, caps=POLICY.limit_caps)
    effective = policy.effective_limit(recommendation.limit, override, expires_on, today)
    used = policy.utilisation(recommendation.exposure, effective)
    values = {
        "customer_id": customer_id,
        "currency": recommendation.currency,
        "recommended": recommendation.limit,
        "effective": effective,
        "override_amount": override,
        "override_reason": was["override_reason"] if override is not None else None,
        "override_expires_on": expires_on,
        "override_by": was["override_by"] if override is not None else None,
        "exposure": recommendation.exposure,
        "utilisation": used,
    }
    events: list[Event] = []
    if current is not None and all(was[k] == v for k, v in values.items() if k != "customer_id"):
        return recommendation, effective, used, events, None  # nothing moved: no write
    if current is None or was["effective"] != effective or was["currency"] != recommendation.currency:
        reason = (
            f"recommended: {recommendation.monthly_billing} × ({recommendation.terms_days} + "
            f"{recommendation.expected_dbt}) / 30 × {recommendation.multiplier} (tier {tier}), cap {recommendation.cap}"
            if override is None
            else f"manual override: {values['override_reason']}"
        )
        events.append(
            CreditLimitChanged(
                customer_id=customer_id,
                limit=Money.of(to_minor_units(effective, recommendation.currency), recommendation.currency),
                previous_limit=Money.of(to_minor_units(was["effective"], was["currency"]), was["currency"])
                if current is not None
                else None,
                reason=reason,
                manual_override=override is not None,
                expires_on=expires_on,
                changed_at=clock.now(),
            )
        )
    return recommendation, effective, used, events, {**values, "updated_at": clock.now()}


_LIMIT_DECIMALS = ("recommended", "effective", "override_amount", "exposure", "utilisation")


def _limit_of(row: dict[str, Any] | None) -> dict[str, Any]:
    """A credit_limit row read as JSON, with its values typed as the ORM would give them."""
    row = dict(row or {})
    for name in _LIMIT_DECIMALS:
        row[name] = None if row.get(name) is None else Decimal(str(row[name]))
    row["override_expires_on"] = _day(row.get("override_expires_on"))
    for name in ("currency", "override_reason", "override_by"):
        row.setdefault(name, None)
    return row


async def _record_alerts(
    session: AsyncSession, *, customer_id: UUID, warnings: list[policy.Warning], now: datetime
) -> list[Event]:
    """Insert the warnings as alerts in one statement (once per dedupe key); the CreditRiskAlerts to publish."""
    alerts = [(uuid7(), w) for w in warnings]
    rows = [
        {
            "id": alert_id,
            "customer_id": customer_id,
            "kind": w.kind,
            "severity": w.severity,
            "message_zh": w.message_zh,
            "message_en": w.message_en,
            "details": w.details,
            "dedupe_key": w.dedupe_key,
            "raised_at": now,
        }
        for alert_id, w in alerts
    ]
    inserted = await repository.add_alerts(session, rows)
    events: list[Event] = []
    for alert_id, w in alerts:
        if alert_id not in inserted:
            continue
        events.append(
            CreditRiskAlert(
                customer_id=customer_id,
                alert_id=alert_id,
                kind=w.kind,
                severity=w.severity,
                message_zh=w.message_zh,
                message_en=w.message_en,
                details=w.details,
                raised_at=now,
            )
        )
        log.info("credit_alert.raised", customer_id=str(customer_id), kind=w.kind, alert_id=str(alert_id))
    return events


def _day(value: Any) -> date | None:
    return None if value is None else value if isinstance(value, date) else date.fromisoformat(value)


def _instant(value: Any) -> datetime | None:
    return None if value is None else value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _portfolio_of(snap: repository.Snapshot) -> Portfolio:
    """The pure code's view of a snapshot (dates local to the customer), as `_load` builds it."""
    zone = snap.time_zone
    applications: dict[str, list[domain.Application]] = defaultdict(list)
    currencies: dict[str, list[str]] = defaultdict(list)
    for a in snap.applications:
        applications[a["invoice_id"]].append(
            domain.Application(applied_on=date.fromisoformat(a["applied_on"]), amount=Decimal(str(a["amount"])))
        )
        currencies[a["invoice_id"]].append(a["currency"])
    reversals: dict[str, list[tuple[str, domain.Reversal]]] = defaultdict(list)
    for r in snap.reversals:
        reversals[r["invoice_id"]].append(
            (
                r["currency"],
                domain.Reversal(
                    reversed_on=date.fromisoformat(r["reversed_on"]),
                    amount=Decimal(str(r["amount"])),
                    invoice_reopened=r["invoice_reopened"],
                ),
            )
        )
    credits: dict[str, list[tuple[str, domain.Application]]] = defaultdict(list)
    for n in snap.credit_notes:
        credits[n["invoice_id"]].append(
            (
                n["currency"],
                domain.Application(applied_on=date.fromisoformat(n["issued_on"]), amount=Decimal(str(n["amount"]))),
            )
        )
    experiences = []
    terms: dict[UUID, int] = {}
    for r in snap.experiences:
        invoice_id, currency = r["invoice_id"], r["currency"]
        issued_at, voided_at = _instant(r["issued_at"]), _instant(r["voided_at"])
        experiences.append(
            domain.PaymentExperience(
                invoice_id=UUID(invoice_id),
                invoice_number=r["invoice_number"],
                currency=currency,
                total=None if r["total"] is None else Decimal(str(r["total"])),
                invoice_date=_day(r["invoice_date"]),
                due_date=_day(r["due_date"]),
                issued_on=local_date(issued_at, zone) if issued_at else None,
                paid_on=_day(r["paid_on"]),
                voided_on=local_date(voided_at, zone) if voided_at else None,
                written_off_on=_day(r["written_off_on"]),
                max_days_overdue=r["max_days_overdue"],
                overdue_noted_on=_day(r["overdue_noted_on"]),
                applications=tuple(
                    a for a, c in zip(applications[invoice_id], currencies[invoice_id], strict=True) if c == currency
                ),
                credits=tuple(a for c, a in credits[invoice_id] if c == currency),
                reversals=tuple(x for c, x in reversals[invoice_id] if c == currency),
            )
        )
        if r["net_days"] is not None:
            terms[UUID(invoice_id)] = r["net_days"]
    history = domain.CustomerHistory(
        dunning=tuple(
            domain.DunningFact(
                case_id=UUID(d["case_id"]),
                level=d["level"],
                channel=d["channel"],
                on=local_date(datetime.fromisoformat(d["escalated_at"]), zone),
                legal_handover=d["legal_handover"],
            )
            for d in snap.dunning
        ),
        disputes=tuple(
            domain.DisputeFact(
                dispute_id=UUID(x["dispute_id"]),
                invoice_id=UUID(x["invoice_id"]) if x["invoice_id"] else None,
                opened_on=local_date(datetime.fromisoformat(x["opened_at"]), zone) if x["opened_at"] else None,
                resolved_on=local_date(datetime.fromisoformat(x["resolved_at"]), zone) if x["resolved_at"] else None,
                resolution=x["resolution"],
            )
            for x in snap.disputes
        ),
        promises=tuple(
            domain.PromiseFact(promise_id=UUID(p["promise_id"]), kept=p["kept"], on=date.fromisoformat(p["outcome_on"]))
            for p in snap.promises
        ),
    )
    return Portfolio(
        experiences=experiences,
        history=history,
        first_seen_on=local_date(snap.first_seen_at, zone),
        terms=terms,
    )


async def raise_alert(session: AsyncSession, *, clock: Clock, customer_id: UUID, warning: policy.Warning) -> None:
    """Record a warning once (by its dedupe key) and publish CreditRiskAlert (dunning, legal, PSI drift)."""
    events = await _record_alerts(session, customer_id=customer_id, warnings=[warning], now=clock.now())
    await repository.write_rescore(
        session, limit=None, score=None, watch=None, outbox_rows=outbox.rows_for(events, clock=clock)
    )


async def warn_of_dunning(session: AsyncSession, *, clock: Clock, event: DunningEscalated | LegalHandover) -> None:
    """Warn of a dunning escalation to the letter level or beyond, and of a legal handover."""
    if isinstance(event, LegalHandover):
        amount = event.amount_outstanding
        warning = policy.Warning(
            "legal_handover",
            "critical",
            f"legal_handover:{event.case_id}",
            f"催收案件已移交法律程序，未付金额 {amount.amount} {amount.currency}",
            f"Dunning case handed over to legal action; {amount.amount} {amount.currency} outstanding",
            {"case_id": str(event.case_id), "amount_outstanding": str(amount.amount), "currency": amount.currency},
        )
    elif event.to_level >= domain.LETTER_LEVEL or event.channel in domain.LETTER_OR_BEYOND_CHANNELS:
        amount = event.amount_overdue
        warning = policy.Warning(
            "dunning_letter",
            "warning",
            f"dunning_letter:{event.case_id}",
            f"催收升级至第 {event.to_level} 级（{event.channel}），逾期金额 {amount.amount} {amount.currency}",
            f"Dunning escalated to level {event.to_level} ({event.channel}); {amount.amount} {amount.currency} overdue",
            {"case_id": str(event.case_id), "level": event.to_level, "channel": event.channel},
        )
    else:
        return
    await raise_alert(session, clock=clock, customer_id=event.customer_id, warning=warning)


# --- reading scores, predictions, limits, alerts -----------------------------------------


@dataclass(frozen=True)
class ScoreView:
    customer_id: UUID
    as_of: date
    score: scoring.Score


async def _customer(session: AsyncSession, customer_id: UUID) -> Customer:
    customer = await repository.get_customer(session, customer_id)
    if customer is None:
        raise NotFound(f"Nothing is known of customer {customer_id}.", code="customer_unknown")
    return customer


async def score_as_of(session: AsyncSession, *, clock: Clock, customer_id: UUID, as_of: date | None) -> ScoreView:
    """The customer's score, tier, index and reasons computed from the credit file as of a date."""
    day = resolve_as_of(clock, as_of)
    customer = await _customer(session, customer_id)
    (found,) = await _build(session, [customer], day)
    model = await active_model(session, "scorecard")
    return ScoreView(customer_id=customer_id, as_of=day, score=scoring.apply_scorecard(model, found.file))


async def score_history(session: AsyncSession, *, customer_id: UUID, page: PageParams) -> list[CreditScore]:
    await _customer(session, customer_id)
    return await repository.list_scores(session, customer_id, page)


@dataclass(frozen=True)
class Prediction:
    invoice_id: UUID
    invoice_number: str | None
    currency: str
    amount_outstanding: Decimal
    due_date: date
    days_past_due: int
    probability_late: float
    days_late: int
    model_version: str


async def predictions(session: AsyncSession, *, clock: Clock, customer_id: UUID) -> list[Prediction]:
    """P(paid more than N days late) for each open invoice, from its features as of its issue date."""
    customer = await _customer(session, customer_id)
    today = today_of(clock, customer)
    portfolio = (await _load(session, [customer]))[customer_id]
    now = domain.build_credit_file(
        portfolio.experiences, as_of=today, first_seen_on=portfolio.first_seen_on, history=portfolio.history
    )
    model = await active_model(session, "late_payment")
    known = {e.invoice_id: e for e in portfolio.experiences}
    terms = portfolio.terms or {}
    out = []
    for e in (x for x in now.experiences if x.status == "open"):
        issued_on = known[e.invoice_id].known_on or today
        # The model was trained on features as of each invoice's issue date: predict from the same view.
        file = domain.build_credit_file(
            portfolio.experiences, as_of=issued_on, first_seen_on=portfolio.first_seen_on, history=portfolio.history
        )
        net_days = terms.get(e.invoice_id) or ((e.due_date - e.invoice_date).days if e.invoice_date else 30)
        features = scoring.late_payment_features(
            file, amount=e.total, currency=e.currency, net_days=net_days, due_date=e.due_date, disputed=e.disputed
        )
        out.append(
            Prediction(
                invoice_id=e.invoice_id,
                invoice_number=e.invoice_number,
                currency=e.currency,
                amount_outstanding=e.amount_outstanding,
                due_date=e.due_date,
                days_past_due=e.days_past_due or 0,
                probability_late=round(scoring.late_payment_probability(model, features), 4),
                days_late=int(model.get("days_late", POLICY.late_payment_days)),
                model_version=model["version"],
            )
        )
    return out


async def credit_limit(session: AsyncSession, *, customer_id: UUID) -> CreditLimit:
    await _customer(session, customer_id)
    found = await repository.get_limit(session, customer_id)
    if found is None:
        raise NotFound(
            f"Customer {customer_id} has no credit limit yet (it is set with its first score).", code="limit_unknown"
        )
    return found


async def override_limit(
    session: AsyncSession,
    *,
    clock: Clock,
    customer_id: UUID,
    amount: Decimal,
    currency: str,
    reason: str,
    expires_on: date | None,
    by: str,
) -> CreditLimit:
    """Set a manual limit (with its reason and expiry); it stands instead of the recommended one until then."""
    customer = await _locked_customer(session, customer_id)
    today = today_of(clock, customer)
    if expires_on is not None and expires_on < today:
        raise Unprocessable(f"expires_on {expires_on.isoformat()} is already past.", code="override_expired")
    (built,) = await _build(session, [customer], today)
    if built.file.by_currency and (main := policy.main_currency(built.file)) != currency:
        raise Unprocessable(
            f"The customer is billed mainly in {main}, not {currency}: a manual limit must be in {main}.",
            code="currency_mismatch",
        )
    current = await repository.get_limit(session, customer_id)
    await repository.save_limit(
        session,
        {
            "customer_id": customer_id,
            "currency": currency,
            "recommended": current.recommended if current else Decimal(0),
            "effective": current.effective if current else Decimal(0),
            "override_amount": amount,
            "override_reason": reason,
            "override_expires_on": expires_on,
            "override_by": by,
            "exposure": current.exposure if current else Decimal(0),
            "utilisation": current.utilisation if current else None,
            "updated_at": clock.now(),
        },
    )
    # The rescore sees the override: the effective limit, CreditLimitChanged, hold and warnings follow.
    await rescore(session, clock=clock, customer_id=customer_id, trigger="limit_override")
    log.info("credit_limit.overridden", customer_id=str(customer_id), amount=str(amount), by=by)
    saved = await repository.get_limit(session, customer_id)
    assert saved is not None
    return saved


async def lift_override(session: AsyncSession, *, clock: Clock, customer_id: UUID, by: str) -> CreditLimit:
    """End a manual limit now: the recommended limit stands again (CreditLimitChanged if that changes it)."""
    await _locked_customer(session, customer_id)
    current = await repository.get_limit(session, customer_id)
    if current is None or current.override_amount is None:
        raise NotFound(f"Customer {customer_id} has no manual credit limit.", code="override_not_found")
    current.override_amount = None
    current.override_reason = None
    current.override_expires_on = None
    current.override_by = None
    await session.flush()
    await rescore(session, clock=clock, customer_id=customer_id, trigger="limit_override_lifted")
    log.info("credit_limit.override_lifted", customer_id=str(customer_id), by=by)
    saved = await repository.get_limit(session, customer_id)
    assert saved is not None
    return saved


async def _locked_customer(session: AsyncSession, customer_id: UUID) -> Customer:
    """The customer, its row locked first (as every rescore does), so limit changes never deadlock."""
    customer = await repository.lock_customer(session, customer_id)
    if customer is None:
        raise NotFound(f"Nothing is known of customer {customer_id}.", code="customer_unknown")
    return customer


async def list_alerts(
    session: AsyncSession, *, page: PageParams, customer_id: UUID | None, acknowledged: bool | None, kind: str | None
) -> list[CreditAlert]:
    return await repository.list_alerts(session, page, customer_id=customer_id, acknowledged=acknowledged, kind=kind)


async def acknowledge_alert(
    session: AsyncSession, *, clock: Clock, alert_id: UUID, by: str, note: str | None
) -> CreditAlert:
    """Mark an alert seen by a person (once; a repeat keeps the first acknowledgement)."""
    alert = await repository.get_alert(session, alert_id, lock=True)
    if alert is None:
        raise NotFound(f"There is no alert {alert_id}.", code="alert_not_found")
    if alert.acknowledged_at is None:
        alert.acknowledged_at = clock.now()
        alert.acknowledged_by = by
        alert.acknowledgement_note = note
        log.info("credit_alert.acknowledged", alert_id=str(alert_id), by=by)
    return alert


# --- reviews, retraining, the portfolio, onboarding -----------------------------------------


Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]


async def run_reviews(
    session: AsyncSession, *, clock: Clock, as_of: datetime, transaction: Transaction | None = None
) -> dict[str, Any]:
    """Review every customer whose review is due (A yearly, B half-yearly, C quarterly, D monthly).

    A review is a rescore as of the run's date: CreditScoreChanged / CreditLimitChanged and warnings
    go out through the outbox when they change, and the log records the score, tier and limit found.
    Customers with an invoice past due or a warning pending are rescored too (not logged as reviews).
    First, manual limits whose expiry has passed lapse: the recommended limit takes over and
    CreditLimitChanged tells others, without waiting for the customer's next fact.

    With `transaction`, each customer is reviewed in a transaction of its own that commits at once, so
    a run over the whole portfolio never holds a customer's row lock (and that customer's facts) until
    the run ends; a run cut short keeps what it did, and the next run carries on with whoever is still due.
    """
    lapsed = await lapse_overrides(session, clock=clock, as_of=as_of, transaction=transaction)
    customers = await repository.all_customers(session)
    last = await repository.last_reviews(session)
    reviewed, published = 0, 0
    due = [c for c in customers if c.id not in last or last[c.id].next_review_on <= local_date(as_of, c.time_zone)]
    for customer in due:
        async with _piece(session, transaction) as piece:
            found = await _review(piece, clock=clock, customer=customer, previous=last.get(customer.id), as_of=as_of)
        reviewed += found is not None
        published += found is not None and found.changed
    # Between facts nothing rescores a customer, yet an open invoice ages and a pending warning waits on
    # time: rescore those too (no review logged), so a held drop is confirmed within hours, not at the
    # next fact.
    done = {c.id for c in due}
    zones = {c.id: c.time_zone for c in customers}
    rechecked = 0
    for customer_id in await repository.customers_to_watch(session, local_date(as_of, DEFAULT_TIME_ZONE)):
        if customer_id in done or customer_id not in zones:
            continue
        day = local_date(as_of, zones[customer_id])
        async with _piece(session, transaction) as piece:
            found = await rescore(piece, clock=clock, customer_id=customer_id, trigger="credit_watch", as_of=day)
        rechecked += found is not None
        published += found is not None and found.changed
    log.info(
        "credit_review.ran", as_of=as_of.isoformat(), reviewed=reviewed, rechecked=rechecked, scores_published=published
    )
    return {
        "reviewed": reviewed,
        "rechecked": rechecked,
        "customers": len(customers),
        "scores_published": published,
        "overrides_lapsed": lapsed,
    }


def _piece(session: AsyncSession, transaction: Transaction | None) -> AbstractAsyncContextManager[AsyncSession]:
    """The customer's own transaction when the caller gives one, else the caller's session."""
    return transaction() if transaction is not None else nullcontext(session)


async def _review(
    session: AsyncSession, *, clock: Clock, customer: Customer, previous: CreditReview | None, as_of: datetime
) -> Rescored | None:
    """Rescore one customer as of the run's date and log the review; None when it has no invoice yet."""
    day = local_date(as_of, customer.time_zone)
    found = await rescore(session, clock=clock, customer_id=customer.id, trigger="credit_review", as_of=day)
    if found is None:
        return None
    scored, recommendation = found.score, found.recommendation
    findings = policy.review_findings(
        tier=scored.tier,
        previous_tier=previous.tier if previous else None,
        score=scored.score,
        recommended_limit=recommendation.limit,
        exposure=recommendation.exposure,
        currency=recommendation.currency,
        reasons=[r.text_zh for r in scored.reasons],
    )
    await repository.add_review(
        session,
        {
            "id": uuid7(),
            "customer_id": customer.id,
            "reviewed_on": day,
            "tier": scored.tier,
            "score": scored.score,
            "previous_tier": previous.tier if previous else None,
            "limit_amount": recommendation.limit,
            "currency": recommendation.currency,
            "next_review_on": policy.next_review_on(scored.tier, day),
            "findings": findings,
            "reviewed_at": clock.now(),
        },
    )
    return found


async def lapse_overrides(
    session: AsyncSession, *, clock: Clock, as_of: datetime, transaction: Transaction | None = None
) -> int:
    """Let manual limits whose expiry date has passed lapse (the recommended limit stands again)."""
    lapsed = 0
    for customer_id in await repository.expired_overrides(session, local_date(as_of, DEFAULT_TIME_ZONE)):
        async with _piece(session, transaction) as piece:
            customer = await repository.get_customer(piece, customer_id)
            if customer is None:
                continue
            day = local_date(as_of, customer.time_zone)
            await rescore(piece, clock=clock, customer_id=customer_id, trigger="override_expired", as_of=day)
        lapsed += 1
        log.info("credit_limit.override_lapsed", customer_id=str(customer_id))
    return lapsed


async def list_reviews(session: AsyncSession, *, page: PageParams, customer_id: UUID | None) -> list[CreditReview]:
    return await repository.list_reviews(session, page, customer_id=customer_id)


async def retrain_models(session: AsyncSession, *, clock: Clock, as_of: datetime) -> dict[str, Any]:
    """Refit both models on this service's own history (point in time); keep them if there is enough data."""
    customers = await repository.all_customers(session)
    loaded = await _load(session, customers)
    end = local_date(as_of, "Asia/Shanghai")
    portfolios = list(loaded.values())
    stamp = as_of.strftime("%Y%m%dT%H%M%S")
    result: dict[str, Any] = {}
    days_late = POLICY.late_payment_days
    samples = training.late_payment_samples(portfolios, days_late=days_late, end=end)
    late = [s.late for s in samples]
    if len(samples) >= POLICY.retrain_min_samples and 0 < sum(late) < len(late):
        model = modelling.fit_late_payment(
            [s.features for s in samples],
            late,
            version=f"late-payment-{stamp}",
            features=scoring.LATE_FEATURES,
            days_late=days_late,
        )
        await _store_model(session, clock=clock, model=model)
        result["late_payment"] = model["version"]
    else:
        result["late_payment"] = f"skipped: {len(samples)} samples, {sum(late)} late"
    snapshots = [end - timedelta(days=30 * k) for k in range(6, 25)]
    rows, bad, _ = training.scorecard_samples(portfolios, snapshots, end=end, days_late=days_late)
    if len(rows) >= POLICY.retrain_min_samples and 0 < sum(bad) < len(bad):
        scorecard = modelling.fit_scorecard(
            rows,
            bad,
            version=f"scorecard-{stamp}",
            names=list(scoring.CHARACTERISTICS),
            pdo=POLICY.pdo,
            base_score=POLICY.base_score,
            base_odds=POLICY.base_odds,
            tiers=defaults.DEFAULT_TIERS,
        )
        await _store_model(session, clock=clock, model=scorecard)
        result["scorecard"] = scorecard["version"]
    else:
        result["scorecard"] = f"skipped: {len(rows)} samples, {sum(bad)} bad"
    log.info("model.retrained", **result)
    return result


async def _store_model(session: AsyncSession, *, clock: Clock, model: dict[str, Any]) -> None:
    await repository.add_model(
        session,
        {
            "version": model["version"],
            "kind": model["kind"],
            "parameters": model,
            "metrics": {**model.get("metrics", {}), "trained_on": model["trained_on"]},
            "trained_at": clock.now(),
        },
    )


@dataclass(frozen=True)
class ModelInfo:
    kind: str
    version: str
    source: str
    trained_on: dict[str, Any]
    metrics: dict[str, Any]
    details: dict[str, Any]


async def model_info(session: AsyncSession) -> list[ModelInfo]:
    """The active model of each kind, with what it was trained on and how it is scaled."""
    out = []
    for kind in ("scorecard", "late_payment"):
        stored = await repository.latest_model(session, kind)
        model = stored.parameters if stored is not None else defaults.default_model(kind)
        if kind == "scorecard":
            details = {
                "scaling": model["scaling"],
                "tiers": model["tiers"],
                "characteristics": [{k: c[k] for k in ("name", "iv", "bins")} for c in model["characteristics"]],
            }
        else:
            details = {
                "days_late": model["days_late"],
                "features": dict(zip(model["features"], model["coefficients"], strict=True)),
            }
        out.append(
            ModelInfo(
                kind=kind,
                version=model["version"],
                source="retrained" if stored is not None else "shipped_default",
                trained_on=model.get("trained_on", {}),
                metrics=model.get("metrics", {}),
                details=details,
            )
        )
    return out


@dataclass(frozen=True)
class TierSummary:
    tier: str
    clients: int
    on_hold: int
    exposure: dict[str, Decimal]
    limits: dict[str, Decimal]


@dataclass(frozen=True)
class PortfolioView:
    scored_clients: int
    tiers: list[TierSummary]
    score_bands: list[float]
    expected_score_bands: list[float]
    psi: float
    psi_alert: bool
    model_version: str


async def portfolio(session: AsyncSession) -> PortfolioView:
    """Clients and exposure by tier from the latest scores; PSI of today's scores against the model's training."""
    scores = await repository.latest_scores(session)
    limits = {row.customer_id: row for row in await repository.list_limits(session)}
    model = await active_model(session, "scorecard")
    tiers = []
    for tier in policy.TIERS:
        mine = [s for s in scores if s.tier == tier]
        exposure: dict[str, Decimal] = defaultdict(Decimal)
        total_limits: dict[str, Decimal] = defaultdict(Decimal)
        for s in mine:
            row = limits.get(s.customer_id)
            if row is not None:
                exposure[row.currency] += to_minor_units(row.exposure, row.currency)
                total_limits[row.currency] += to_minor_units(row.effective, row.currency)
        tiers.append(
            TierSummary(
                tier=tier,
                clients=len(mine),
                on_hold=sum(1 for s in mine if s.credit_hold),
                exposure=dict(exposure),
                limits=dict(total_limits),
            )
        )
    actual = scoring.band_shares([s.score for s in scores])
    expected = list(model.get("score_distribution") or actual)
    drift = modelling.psi(expected, actual) if scores else 0.0
    return PortfolioView(
        scored_clients=len(scores),
        tiers=tiers,
        score_bands=[round(x, 4) for x in actual],
        expected_score_bands=[round(x, 4) for x in expected],
        psi=round(drift, 4),
        psi_alert=drift > POLICY.psi_alert_threshold,
        model_version=model["version"],
    )


async def check_drift(session: AsyncSession, *, clock: Clock, as_of: datetime) -> dict[str, Any]:
    """Raise a psi_drift alert (once a day at most) when the score distribution has drifted past the threshold."""
    view = await portfolio(session)
    if GAUGES is not None:
        for tier in view.tiers:
            GAUGES.clients.labels(tier.tier).set(tier.clients)
            for currency, amount in tier.exposure.items():
                GAUGES.exposure.labels(tier.tier, currency).set(float(amount))
        GAUGES.psi.set(view.psi)
    if view.psi_alert:
        await repository.touch_customer(session, PORTFOLIO_SUBJECT, seen_at=as_of, now=clock.now())
        await raise_alert(
            session,
            clock=clock,
            customer_id=PORTFOLIO_SUBJECT,
            warning=policy.Warning(
                "psi_drift",
                "warning",
                f"psi_drift:{as_of.date().isoformat()}",
                f"评分分布漂移：PSI {view.psi:.3f} 超过 {POLICY.psi_alert_threshold}",
                f"Score distribution drift: PSI {view.psi:.3f} above {POLICY.psi_alert_threshold}",
                {"psi": view.psi, "model_version": view.model_version, "scored_clients": view.scored_clients},
            ),
        )
    return {"psi": view.psi, "alert": view.psi_alert, "scored_clients": view.scored_clients}
