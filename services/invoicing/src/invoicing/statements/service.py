"""Issuing statements: schedules, what a statement freezes, the job that issues what is due. Never commits.

A statement's figures are reports' statement of account (the same opening, lines, closing and aging as
GET /customers/{id}/statement), frozen when issued together with the creditor and customer it names, the
invoices its lines concern and what was open at the period's end. One statement per customer and period:
issuing again answers the one there is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal, cast
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow import audit
from arflow.auth import Principal
from arflow.clock import Clock, FixedClock, local_date
from arflow.documents.creditor import Creditor, CreditorNotConfigured
from arflow.events.catalog import Language, StatementBalance, StatementIssued
from arflow.ids import uuid7
from arflow.jobs import JobContext
from arflow.messaging import outbox
from arflow.money import Money, to_minor_units
from invoicing.config import InvoicingSettings
from invoicing.creditor.service import creditor_in_force
from invoicing.deps import SYSTEM
from invoicing.lookups import require_customer
from invoicing.models import Customer
from invoicing.reports import repository as ledger_reports
from invoicing.reports.documents import statement_number
from invoicing.reports.service import statement as statement_of_account
from invoicing.statements import domain, links, repository
from invoicing.statements.errors import StatementPeriodNotEnded
from invoicing.statements.models import Statement, StatementSchedule
from invoicing.statements.schemas import ScheduleIn, ScheduleOut

log = structlog.get_logger("invoicing")
FIELDS = ("legal_name", "uscc", "address", "phone", "bank_name", "bank_account_name", "bank_account_number", "demo")


# ---- schedules --------------------------------------------------------------------------------


def _schedule_out(customer: Customer, row: StatementSchedule | None, today: date) -> ScheduleOut:
    cycle = cast(domain.Cycle, row.cycle if row else domain.DEFAULT_CYCLE)
    day = row.day if row else domain.DEFAULT_DAY
    start = end = issue_on = None
    if cycle != "none":
        due = domain.due_period(cycle, day, today)
        assert due is not None
        # The next to go out: the one after the latest due (a statement for it may already be out).
        start, end = domain.period_starting(cycle, due[1] + timedelta(days=1))
        issue_on = end + timedelta(days=day)
    return ScheduleOut(
        customer_id=customer.id,
        cycle=cycle,
        day=day,
        is_default=row is None,
        next_period_start=start,
        next_period_end=end,
        next_issue_on=issue_on,
        updated_at=row.updated_at if row else None,
        updated_by=row.updated_by if row else None,
    )


async def schedule(session: AsyncSession, *, clock: Clock, customer_id: UUID) -> ScheduleOut:
    """The customer's statement schedule (monthly on the 1st while it has none of its own)."""
    customer = await require_customer(session, customer_id)
    row = await repository.schedule_of(session, customer.id)
    return _schedule_out(customer, row, local_date(clock.now(), customer.time_zone))


async def set_schedule(
    session: AsyncSession, *, actor: Principal, clock: Clock, customer_id: UUID, data: ScheduleIn
) -> ScheduleOut:
    """Set how often the customer gets a statement (the ORM row is its audit entry)."""
    customer = await require_customer(session, customer_id)
    row = await repository.schedule_of(session, customer.id)
    if row is None:
        row = StatementSchedule(customer_id=customer.id)
        session.add(row)
    row.cycle, row.day = data.cycle, data.day
    row.updated_at, row.updated_by = clock.now(), actor.name
    await session.flush()
    log.info("statement.schedule_set", customer_id=str(customer.id), cycle=data.cycle, day=data.day)
    return _schedule_out(customer, row, local_date(clock.now(), customer.time_zone))


async def default_period(session: AsyncSession, customer: Customer, today: date) -> tuple[date, date]:
    """The last whole period of the customer's cycle (monthly when it has none, or none of its own)."""
    row = await repository.schedule_of(session, customer.id)
    cycle: Literal["monthly", "quarterly"] = "quarterly" if row is not None and row.cycle == "quarterly" else "monthly"
    return domain.last_complete_period(cycle, today)


# ---- freezing and issuing ---------------------------------------------------------------------


async def freeze(
    session: AsyncSession,
    *,
    clock: Clock,
    creditor: Creditor,
    customer: Customer,
    start: date,
    end: date,
    language: Language | None,
    cycle: str,
    business_date: date,
) -> dict[str, Any]:
    """What a statement shows, as data: reports' statement of account and everything the page and PDF name."""
    shown = await statement_of_account(
        session, clock=clock, customer_id=customer.id, start=start, end=end, language=language
    )
    numbers = sorted({e.invoice_number for p in shown.currencies for e in p.entries if e.invoice_number})
    invoice_ids = await repository.invoice_ids_by_number(session, customer.id, numbers)
    open_items = await ledger_reports.open_items_as_of(session, end, customer_id=customer.id, write_offs=False)
    return {
        "version": domain.CONTENT_VERSION,
        "number": statement_number(shown),
        "cycle": cycle,
        "business_date": business_date.isoformat(),
        "creditor": {name: getattr(creditor, name) for name in FIELDS},
        "customer": {
            "id": str(customer.id),
            "legal_name": customer.legal_name,
            "uscc": customer.unified_social_credit_code,
        },
        "statement": shown.model_dump(mode="json", by_alias=True),
        "invoice_ids": {number: str(invoice_id) for number, invoice_id in sorted(invoice_ids.items())},
        "open_invoices": [
            {
                "invoice_id": str(item.invoice_id),
                "invoice_number": item.number,
                "currency": item.currency,
                "due_date": item.due_date.isoformat(),
                "open_amount": str(to_minor_units(item.amount, item.currency)),
            }
            for item in open_items
        ],
    }


def event_balances(content: dict[str, Any]) -> list[StatementBalance]:
    return [
        StatementBalance(
            currency=b.currency,
            opening_balance=Money.of(b.opening_balance, b.currency),
            invoiced=Money.of(b.invoiced, b.currency),
            credited=Money.of(b.credited, b.currency),
            paid=Money.of(b.paid, b.currency),
            closing_balance=Money.of(b.closing_balance, b.currency),
        )
        for b in domain.balances(content)
    ]


@dataclass(frozen=True)
class Issued:
    statement: Statement
    created: bool


async def issue_statement(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    settings: InvoicingSettings,
    customer_id: UUID,
    start: date | None,
    end: date | None,
    cycle: str = "on_demand",
    language: Language | None = None,
    skip_empty: bool = False,
) -> Issued | None:
    """Issue the customer's statement for a period (its last whole one by default), or answer the one it has.

    With `skip_empty`, a statement with nothing to confirm (no line, nothing owed) is not issued: None.
    """
    customer = await require_customer(session, customer_id)
    now = clock.now()
    today = local_date(now, customer.time_zone)
    if start is None or end is None:
        start, end = await default_period(session, customer, today)
    if end >= today:
        raise StatementPeriodNotEnded(
            f"The period ends on {end}, which is not over yet (today is {today} for the customer).",
            detail_zh=f"对账期间截至 {end}，尚未结束（客户当地今天为 {today}）。",
        )
    existing = await repository.statement_for_period(session, customer.id, start, end)
    if existing is not None:
        return Issued(existing, created=False)
    creditor = await creditor_in_force(session, settings)  # no statement goes out with a wrong payee
    content = await freeze(
        session,
        clock=clock,
        creditor=creditor,
        customer=customer,
        start=start,
        end=end,
        language=language,
        cycle=cycle,
        business_date=today,
    )
    if skip_empty and domain.is_empty(content):
        return None
    raw = domain.canonical_bytes(content)
    digest = domain.sha256_hex(raw)
    statement_id = await repository.insert_statement(
        session,
        {
            "id": uuid7(),
            "number": content["number"],
            "customer_id": customer.id,
            "period_start": start,
            "period_end": end,
            "cycle": cycle,
            "status": "issued",
            "language": content["statement"]["language"],
            "business_date": today,
            "content": raw,
            "content_sha256": bytes.fromhex(digest),
            "issued_at": now,
            "issued_by": actor.name,
        },
    )
    if statement_id is None:  # another call issued it first: theirs stands
        raced = await repository.statement_for_period(session, customer.id, start, end)
        assert raced is not None
        return Issued(raced, created=False)
    expires_on = today + timedelta(days=settings.statement_link_days)
    url = await links.mint(session, statement_id=statement_id, expires_on=expires_on, clock=clock)
    balances = event_balances(content)
    await outbox.add(
        session,
        StatementIssued(
            customer_id=customer.id,
            statement_id=statement_id,
            statement_number=content["number"],
            period_start=start,
            period_end=end,
            cycle=cast(Any, cycle),
            business_date=today,
            language=content["statement"]["language"],
            closing_balance=balances[0].closing_balance,
            balances=balances,
            open_invoice_ids=[UUID(i["invoice_id"]) for i in content["open_invoices"]],
            content_sha256=digest,
            hosted_statement_url=url,
            link_expires_on=expires_on,
            issued_at=now,
        ),
        clock=clock,
    )
    await audit.record(
        session,
        action="statement.issued",
        object_type="statement",
        object_id=statement_id,
        after={"customer_id": customer.id, "period_start": start, "period_end": end, "content_sha256": digest},
    )
    log.info("statement.issued", statement_id=str(statement_id), customer_id=str(customer.id), period_end=str(end))
    statement = await repository.get_statement(session, statement_id)
    assert statement is not None
    return Issued(statement, created=True)


async def issue_due_statements(ctx: JobContext, *, settings: InvoicingSettings) -> dict[str, Any]:
    """Issue every customer's statement that is due as of the run, once per customer and period.

    Each statement commits on its own (the run keeps the job's lock): one customer's failure leaves the
    others issued, and a run again issues only what is still missing.
    """
    try:
        await creditor_in_force(ctx.session, settings)
    except CreditorNotConfigured:
        return {"skipped": "the creditor is not configured: no statement goes out without its payee details"}
    due: list[tuple[UUID, date, date, str]] = []
    for row in await repository.scheduled_customers(ctx.session):
        cycle = cast(domain.Cycle, row.cycle or domain.DEFAULT_CYCLE)
        period = domain.due_period(cycle, row.day or domain.DEFAULT_DAY, local_date(ctx.as_of, row.time_zone))
        if period is not None:
            due.append((row.id, period[0], period[1], cycle))
    issued_before = await repository.issued_periods(ctx.session, [(c, s, e) for c, s, e, _ in due])
    as_of_clock = FixedClock(ctx.as_of)  # a replayed run issues as of its day, as the day itself would have
    issued = empty = 0
    for customer_id, start, end, period_cycle in due:
        if (customer_id, start, end) in issued_before:
            continue
        async with ctx.own_transaction() as session:
            result = await issue_statement(
                session,
                actor=SYSTEM,
                clock=as_of_clock,
                settings=settings,
                customer_id=customer_id,
                start=start,
                end=end,
                cycle=period_cycle,
                skip_empty=True,
            )
        if result is None:
            empty += 1
        elif result.created:
            issued += 1
    return {
        "customers_due": len(due),
        "already_issued": len(issued_before),
        "issued": issued,
        "nothing_to_confirm": empty,
    }
