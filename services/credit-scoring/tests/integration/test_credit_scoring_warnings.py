"""Early warnings through the service and its database: the warning state persists between rescorings.

Each test drives its own clock (the service's session clock stands still) through the service's
use cases, as the event handlers call them, on the real database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from sqlalchemy import select

from arflow.clock import FixedClock
from arflow.events.catalog import InvoiceIssued, InvoicePaid
from arflow.ids import uuid7
from arflow.money import Money
from arflow.pagination import PageParams
from arflow.testing.services import RunningService
from credit_scoring import policy
from credit_scoring.alerts import service as alert_service
from credit_scoring.deps import SYSTEM
from credit_scoring.experience import service as experience
from credit_scoring.models import CreditAlert, CreditScore, CreditWatch
from credit_scoring.reviews.service import run_reviews
from credit_scoring.scores.service import rescore

FIRST = date(2025, 11, 1)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


def issued(customer_id: UUID, invoice_date: date) -> InvoiceIssued:
    invoice_id, amount = uuid7(), Money.of("1000.00", "CNY")
    return InvoiceIssued(
        customer_id=customer_id,
        invoice_id=invoice_id,
        invoice_number=f"INV-{invoice_id.hex[-8:]}",
        currency="CNY",
        subtotal=amount,
        tax_total=Money.zero("CNY"),
        total=amount,
        invoice_date=invoice_date,
        due_date=invoice_date + timedelta(days=30),
        net_days=30,
        payment_reference="RF18INV2026000001",
        issued_at=at(invoice_date),
    )


def paid(invoice: InvoiceIssued, days_late: int) -> InvoicePaid:
    return InvoicePaid(
        customer_id=invoice.customer_id,
        invoice_id=invoice.invoice_id,
        invoice_number=invoice.invoice_number,
        total=invoice.total,
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        paid_on=invoice.due_date + timedelta(days=days_late),
        days_beyond_terms=max(0, days_late),
    )


class Book:
    """One customer's facts fed through the service's use cases, each in its own transaction."""

    def __init__(self, running: RunningService) -> None:
        self.db = running.app.state.db
        self.clock = FixedClock(at(FIRST))
        self.customer_id = uuid7()

    async def on(self, day: date, *facts: InvoiceIssued | InvoicePaid) -> None:
        """Move the clock to the day, project the facts and rescore as of the day (as the handlers do)."""
        self.clock.set(at(day))
        async with self.db.unit_of_work() as session:
            for fact in facts:
                if isinstance(fact, InvoiceIssued):
                    await experience.record_invoice_issued(
                        session, clock=self.clock, occurred_at=at(day), event=fact, actor=SYSTEM
                    )
                else:
                    await experience.record_invoice_paid(
                        session, clock=self.clock, occurred_at=at(day), event=fact, actor=SYSTEM
                    )
            await rescore(
                session, clock=self.clock, customer_id=self.customer_id, trigger="test", event_on=day, actor=SYSTEM
            )

    async def punctual_history(self, months: int = 4) -> InvoiceIssued:
        """Monthly invoices paid on their due date; the next one is issued and left open."""
        invoice = issued(self.customer_id, FIRST)
        for month in range(months):
            await self.on(invoice.invoice_date, invoice)
            await self.on(invoice.due_date, paid(invoice, 0))
            invoice = issued(self.customer_id, _month(FIRST, month + 1))
        await self.on(invoice.invoice_date, invoice)
        return invoice

    async def alerts(self) -> list[str]:
        async with self.db.unit_of_work() as session:
            rows = await session.scalars(
                select(CreditAlert.kind).where(CreditAlert.customer_id == self.customer_id).order_by(CreditAlert.id)
            )
            return list(rows)

    async def tiers(self) -> list[str]:
        async with self.db.unit_of_work() as session:
            rows = await session.scalars(
                select(CreditScore.tier).where(CreditScore.customer_id == self.customer_id).order_by(CreditScore.id)
            )
            return list(rows)


def _month(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    return date(day.year + year, month + 1, day.day)


async def test_an_invoice_overdue_for_two_weeks_then_paid_raises_no_tier_drop(credit_scoring: RunningService) -> None:
    book = Book(credit_scoring)
    open_invoice = await book.punctual_history()
    assert (await book.tiers())[-1] == "A"
    for late in range(1, 17):  # rescored every day the invoice is past due
        await book.on(open_invoice.due_date + timedelta(days=late))
    tiers_while_overdue = await book.tiers()
    await book.on(open_invoice.due_date + timedelta(days=16), paid(open_invoice, 16))
    # The old rule would have warned: the published tier did fall while the invoice was open.
    assert "B" in tiers_while_overdue or "C" in tiers_while_overdue, tiers_while_overdue
    assert "tier_drop" not in await book.alerts()
    assert (await book.tiers())[-1] == "A"
    # Written by the rescore's one statement: JSON objects, not JSON strings.
    async with book.db.unit_of_work() as session:
        state = await session.scalar(select(CreditWatch.state).where(CreditWatch.customer_id == book.customer_id))
        reasons = await session.scalar(
            select(CreditScore.reasons).where(CreditScore.customer_id == book.customer_id).limit(1)
        )
    assert isinstance(state, dict) and policy.WatchState.from_json(state).tier == "A"
    assert isinstance(reasons, list) and reasons and "points_lost" in reasons[0]


async def test_an_invoice_left_overdue_is_a_tier_drop_once_the_lower_tier_has_held(
    credit_scoring: RunningService,
) -> None:
    book = Book(credit_scoring)
    open_invoice = await book.punctual_history()
    dropped_on = None
    for late in range(1, 45):
        await book.on(open_invoice.due_date + timedelta(days=late))
        if dropped_on is None and (await book.tiers())[-1] != "A":
            dropped_on = late
        if "tier_drop" in await book.alerts():
            break
    assert dropped_on is not None
    alerts = await book.alerts()
    assert alerts.count("tier_drop") == 1
    # Raised when the lower tier had held CONFIRM_DAYS, not before.
    assert late == dropped_on + policy.CONFIRM_DAYS
    # Dated by the business day of the rescore that raised it, whatever the wall clock says.
    raised_on = open_invoice.due_date + timedelta(days=late)
    response = await credit_scoring.client.get(
        "/alerts", params={"customer_id": str(book.customer_id), "kind": "tier_drop"}
    )
    assert [a["raised_on"] for a in response.json()["data"]] == [raised_on.isoformat()]
    async with book.db.unit_of_work() as session:
        for as_of, count in ((raised_on - timedelta(days=1), 0), (raised_on, 1)):
            known = await alert_service.list_alerts(
                session,
                page=PageParams(limit=10, starting_after=None),
                customer_id=book.customer_id,
                acknowledged=None,
                kind="tier_drop",
                as_of=as_of,
            )
            assert len(known) == count, as_of
    # Rescoring on: the same drop is not raised again (cooling-off, and the lower tier is now the confirmed one).
    for more in range(late + 1, late + 8):
        await book.on(open_invoice.due_date + timedelta(days=more))
    assert (await book.alerts()).count("tier_drop") == 1


async def test_the_review_job_confirms_a_held_drop_without_any_new_fact(credit_scoring: RunningService) -> None:
    book = Book(credit_scoring)
    open_invoice = await book.punctual_history()
    await book.on(open_invoice.due_date + timedelta(days=1))  # the last fact: the invoice is one day past due
    raised_on = None
    for late in range(2, 60):
        day = open_invoice.due_date + timedelta(days=late)
        book.clock.set(at(day))
        async with book.db.unit_of_work() as session:
            await run_reviews(session, clock=book.clock, as_of=at(day), actor=SYSTEM)
        if "tier_drop" in await book.alerts():
            raised_on = late
            break
    assert raised_on is not None and raised_on > policy.CONFIRM_DAYS
    async with book.db.unit_of_work() as session:
        triggers = await session.scalars(
            select(CreditScore.trigger).where(CreditScore.customer_id == book.customer_id).order_by(CreditScore.id)
        )
        assert "credit_watch" in list(triggers)
