"""Credit files (信用档案) as of a date, built by the pure domain from the projected facts. Never writes.

Dates are local to each customer: an instant recorded in UTC becomes the calendar day it fell on
in the customer's time zone before the domain sees it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import DEFAULT_TIME_ZONE, Clock, local_date
from arflow.pagination import PageParams
from credit_scoring import domain
from credit_scoring.domain import Portfolio
from credit_scoring.files import repository
from credit_scoring.files.errors import AsOfInFuture, AsOfTooEarly, CustomerUnknown
from credit_scoring.models import (
    CreditLimit,
    CreditNote,
    Customer,
    Dispute,
    DunningEscalation,
    PaymentApplication,
    PaymentExperience,
    PaymentReversal,
    PromiseOutcome,
    StatementAnswer,
)
from credit_scoring.rescore_io import Snapshot
from credit_scoring.statements import StatementAnswerFact, StatementRecord, statement_record


@dataclass(frozen=True)
class CustomerCreditFile:
    customer: Customer
    file: domain.CreditFile
    limit: CreditLimit | None = None  # the current limit, on today's file only
    statements: StatementRecord | None = None  # the answers to statements, on one customer's file


# No receivable of ours is older than this; the measures also look back two years from as_of, which
# Python's dates cannot do before year 3, so an earlier as_of is refused rather than built.
EARLIEST_AS_OF = date(2000, 1, 1)


def resolve_as_of(clock: Clock, as_of: date | None) -> date:
    """The requested as-of date, by default today in the default time zone; never in the future nor before 2000."""
    today: date = local_date(clock.now(), DEFAULT_TIME_ZONE)
    if as_of is None:
        return today
    if as_of < EARLIEST_AS_OF:
        raise AsOfTooEarly(
            f"as_of {as_of.isoformat()} is before {EARLIEST_AS_OF.isoformat()}; credit files are built only "
            "from that date on.",
            detail_zh=f"截止日期 as_of {as_of.isoformat()} 早于 {EARLIEST_AS_OF.isoformat()}；"
            "信用档案只能从该日起建立。",
        )
    if as_of > today:
        raise AsOfInFuture(
            f"as_of {as_of.isoformat()} is after today ({today.isoformat()}); a credit file cannot be built "
            "for a day that has not happened.",
            detail_zh=f"截止日期 as_of {as_of.isoformat()} 晚于今天（{today.isoformat()}）；"
            "不能为尚未到来的日子建立信用档案。",
        )
    return as_of


async def require_customer(session: AsyncSession, customer_id: UUID) -> Customer:
    """The customer, or CustomerUnknown (404) when nothing is known of it."""
    customer = await repository.get_customer(session, customer_id)
    if customer is None:
        raise CustomerUnknown(
            f"Nothing is known of customer {customer_id}.", detail_zh=f"没有客户 {customer_id} 的任何资料。"
        )
    return customer


async def credit_file(
    session: AsyncSession, *, clock: Clock, customer_id: UUID, as_of: date | None
) -> CustomerCreditFile:
    """The customer's credit file as of a date (404 when nothing is known of the customer)."""
    day = resolve_as_of(clock, as_of)
    customer = await require_customer(session, customer_id)
    (built,) = await build_credit_files(session, [customer], day)
    answers = [_statement_answer(a) for a in await repository.statement_answers_of(session, customer_id)]
    built = replace(built, statements=statement_record(answers, as_of=day))
    if as_of is None:  # the stored limit is the latest rescore's: it belongs on today's file only
        return replace(built, limit=await repository.get_limit(session, customer_id))
    return built


def _statement_answer(row: StatementAnswer) -> StatementAnswerFact:
    return StatementAnswerFact(
        statement_id=row.statement_id,
        statement_number=row.statement_number,
        period_start=row.period_start,
        period_end=row.period_end,
        answer="confirmed" if row.answer == "confirmed" else "disputed",
        answered_on=row.answered_on,
        responder_name=row.responder_name,
        responder_title=row.responder_title,
        currency=row.currency,
        closing_balance=row.closing_balance,
        balance_customer_sees=row.balance_customer_sees,
        balance_disputed=row.balance_disputed,
        disputed_invoices=tuple(row.disputed_invoices),
        comment=row.comment,
    )


async def list_credit_files(
    session: AsyncSession, *, clock: Clock, page: PageParams, as_of: date | None
) -> list[CustomerCreditFile]:
    """A page (limit+1 rows) of credit files, newest customer first."""
    day = resolve_as_of(clock, as_of)
    return await build_credit_files(session, await repository.list_customers(session, page), day)


async def build_credit_files(session: AsyncSession, customers: list[Customer], as_of: date) -> list[CustomerCreditFile]:
    """The customers' credit files as of a date, in their order."""
    loaded = await load_portfolios(session, customers)
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


async def load_portfolios(session: AsyncSession, customers: list[Customer]) -> dict[UUID, Portfolio]:
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


def _day(value: Any) -> date | None:
    return None if value is None else value if isinstance(value, date) else date.fromisoformat(value)


def _instant(value: Any) -> datetime | None:
    return None if value is None else value if isinstance(value, datetime) else datetime.fromisoformat(value)


def portfolio_of(snap: Snapshot) -> Portfolio:
    """The pure code's view of a snapshot (dates local to the customer), as `load_portfolios` builds it."""
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
