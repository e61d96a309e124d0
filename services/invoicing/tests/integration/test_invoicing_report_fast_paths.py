"""The aging's fast path against the ledger's entries where it reads invoices apart (issue 19).

The aging as of a day reads the open and uncollectible invoices from one index and the paid or
void ones only when an entry after the day touches them; a void is found from a day before the
day asked (UTC) on, since the void's date is the customer's. So: voids just after midnight in the
time zones furthest ahead and behind UTC, a payment and a credit note after the day, a write-off
after the day, two currencies, and every day around them, for all customers and for one currency,
each equal to summing the ledger's entries (open_items_as_of), as test_invoicing_report_series
checks for one customer's random histories.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import FixedClock
from arflow.events.catalog import Allocation, PaymentReceived
from arflow.money import Money
from arflow.testing.services import RunningService
from invoicing import domain
from invoicing.customers.schemas import CustomerCreate
from invoicing.customers.service import create_customer
from invoicing.deps import SYSTEM
from invoicing.invoices.schemas import InvoiceCreate, InvoiceLineIn
from invoicing.invoices.service import create_invoice, void_invoice, write_off_invoice
from invoicing.ledger.schemas import CreditNoteCreate
from invoicing.ledger.service import apply_payment, issue_credit_note
from invoicing.reports import repository

DAY = date(2031, 3, 10)  # later than any other test's entries, so the days around it are this test's


def _from_entries(items: list[Any]) -> dict[tuple[str, str], tuple[Decimal, int]]:
    found: dict[tuple[str, str], tuple[Decimal, int]] = {}
    for item in items:
        key = (item.currency, domain.aging_bucket(item.days_overdue))
        amount, count = found.get(key, (Decimal(0), 0))
        found[key] = (amount + item.amount, count + 1)
    return found


def _per_customer(rows: list[Any]) -> dict[tuple[uuid.UUID, str, str], tuple[Decimal, int]]:
    return {(r.customer_id, r.currency, r.bucket): (r.amount, r.invoices) for r in rows}


def _items_per_customer(items: list[Any]) -> dict[tuple[uuid.UUID, str, str], tuple[Decimal, int]]:
    found: dict[tuple[uuid.UUID, str, str], tuple[Decimal, int]] = {}
    for item in items:
        key = (item.customer_id, item.currency, domain.aging_bucket(item.days_overdue))
        amount, count = found.get(key, (Decimal(0), 0))
        found[key] = (amount + item.amount, count + 1)
    return found


async def _invoice(
    session: AsyncSession, clock: FixedClock, customer_id: uuid.UUID, amount: str, currency: str, day: date
) -> uuid.UUID:
    invoice = await create_invoice(
        session,
        actor=SYSTEM,
        clock=clock,
        data=InvoiceCreate(
            customer_id=customer_id,
            currency=currency,
            invoice_date=day,
            net_days=30,
            issue=True,
            lines=[InvoiceLineIn(description="x", unit_price=Decimal(amount))],
        ),
    )
    return invoice.id


async def test_the_aging_equals_the_ledger_entries_around_late_voids_payments_and_write_offs(
    invoicing: RunningService,
) -> None:
    clock = FixedClock(datetime.combine(DAY - timedelta(days=40), time(2), tzinfo=UTC))
    async with invoicing.app.state.db.sessions() as session:
        transaction = await session.begin()
        try:
            ahead = await create_customer(
                session,
                actor=SYSTEM,
                clock=clock,
                data=CustomerCreate(legal_name="线岛快速路径测试", time_zone="Pacific/Kiritimati"),  # UTC+14
            )
            behind = await create_customer(
                session,
                actor=SYSTEM,
                clock=clock,
                data=CustomerCreate(legal_name="帕果帕果快速路径测试", time_zone="Pacific/Pago_Pago"),  # UTC-11
            )
            issued_on = DAY - timedelta(days=40)
            void_ahead = await _invoice(session, clock, ahead.id, "100.00", "CNY", issued_on)
            void_behind = await _invoice(session, clock, behind.id, "200.00", "USD", issued_on)
            paid_later = await _invoice(session, clock, ahead.id, "300.00", "CNY", issued_on)
            credited_later = await _invoice(session, clock, behind.id, "400.00", "CNY", issued_on)
            written_later = await _invoice(session, clock, ahead.id, "500.00", "USD", issued_on)
            await _invoice(session, clock, behind.id, "600.00", "USD", DAY - timedelta(days=80))  # just open

            # DAY + 1 at 00:30 on the line islands (10:30 UTC on DAY): void on DAY + 1 by their calendar
            clock.set(datetime.combine(DAY, time(10, 30), tzinfo=UTC))
            await void_invoice(session, actor=SYSTEM, clock=clock, invoice_id=void_ahead, reason="x")
            # DAY at 23:00 in Pago Pago (10:00 UTC on DAY + 1): void on DAY by theirs
            clock.set(datetime.combine(DAY + timedelta(days=1), time(10), tzinfo=UTC))
            await void_invoice(session, actor=SYSTEM, clock=clock, invoice_id=void_behind, reason="x")
            payment = PaymentReceived(
                customer_id=ahead.id,
                payment_id=uuid.uuid4(),
                amount=Money.of(Decimal("300.00"), "CNY"),
                received_on=DAY + timedelta(days=2),
                source="manual",
                allocations=[Allocation(invoice_id=paid_later, amount=Money.of(Decimal("300.00"), "CNY"))],
            )
            await apply_payment(session, actor=SYSTEM, clock=clock, event=payment)
            clock.set(datetime.combine(DAY + timedelta(days=3), time(2), tzinfo=UTC))
            await issue_credit_note(
                session,
                actor=SYSTEM,
                clock=clock,
                invoice_id=credited_later,
                data=CreditNoteCreate(amount=None, reason="x"),
            )
            await write_off_invoice(
                session,
                actor=SYSTEM,
                clock=clock,
                invoice_id=written_later,
                reason="x",
                written_off_on=DAY + timedelta(days=4),
            )
            customers = {ahead.id, behind.id}
            for as_of in [DAY + timedelta(days=n) for n in range(-3, 7)]:
                items = await repository.open_items_as_of(session, as_of, write_offs=True)
                mine = [i for i in items if i.customer_id in customers]
                totals = await repository.aging_totals_as_of(session, as_of, customer_id=None, currency=None)
                assert {(r.currency, r.bucket): (r.amount, r.invoices) for r in totals} == _from_entries(items), as_of
                usd = await repository.aging_totals_as_of(session, as_of, customer_id=None, currency="USD")
                expected_usd = {k: v for k, v in _from_entries(items).items() if k[0] == "USD"}
                assert {(r.currency, r.bucket): (r.amount, r.invoices) for r in usd} == expected_usd, as_of
                rows = await repository.aging_as_of(session, as_of, customer_id=None, currency=None)
                per_customer = {k: v for k, v in _per_customer(rows).items() if k[0] in customers}
                assert per_customer == _items_per_customer(mine), as_of
            # the voids' own days: owed the day before, not on it
            owed = {
                as_of: {i.invoice_id for i in await repository.open_items_as_of(session, as_of, write_offs=True)}
                for as_of in (DAY - timedelta(days=1), DAY, DAY + timedelta(days=1))
            }
            assert void_ahead in owed[DAY] and void_ahead not in owed[DAY + timedelta(days=1)]
            assert void_behind in owed[DAY - timedelta(days=1)] and void_behind not in owed[DAY]
        finally:
            await transaction.rollback()
