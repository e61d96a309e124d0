"""The receivables ledger: reversals reopen invoices, credit pays the next invoice, balances always add up."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock, FixedClock
from arflow.events.catalog import Allocation, PaymentReceived, PaymentReversed
from arflow.money import Money
from arflow.problems import Problem
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService
from invoicing.customers.schemas import CustomerCreate
from invoicing.customers.service import create_customer
from invoicing.deps import SYSTEM
from invoicing.invoices.schemas import InvoiceCreate, InvoiceLineIn
from invoicing.invoices.service import create_invoice, void_invoice, write_off_invoice
from invoicing.ledger.repository import ledger_totals, unapplied_credit_totals
from invoicing.ledger.schemas import CreditNoteCreate
from invoicing.ledger.service import apply_payment, apply_unapplied_credit, issue_credit_note, reverse_payment
from invoicing.lookups import get_invoice
from invoicing.models import Invoice

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
NewInvoice = Callable[..., Awaitable[dict[str, Any]]]
Recorded = Callable[..., Awaitable[list[dict[str, Any]]]]


def received(
    customer_id: str, amount: str, allocations: Sequence[tuple[str, str]] = (), **kw: uuid.UUID
) -> PaymentReceived:
    return PaymentReceived(
        customer_id=uuid.UUID(customer_id),
        payment_id=kw.pop("payment_id", uuid.uuid4()),
        amount=Money.of(amount, "CNY"),
        received_on=date(2026, 2, 10),
        source="bank_statement",
        allocations=[Allocation(invoice_id=uuid.UUID(i), amount=Money.of(a, "CNY")) for i, a in allocations],
    )


async def test_a_bounced_payment_reopens_the_invoice_it_paid(
    invoicing: RunningService,
    infra: TestInfrastructure,
    new_customer: NewCustomer,
    new_invoice: NewInvoice,
    recorded: Recorded,
) -> None:
    customer = await new_customer()
    invoice = await new_invoice(customer["id"], "300.00")
    payment = received(customer["id"], "300.00", [(invoice["id"], "300.00")])
    bounced = PaymentReversed(
        customer_id=payment.customer_id,
        payment_id=payment.payment_id,
        amount=payment.amount,
        reason="bounced",
        reversed_on=date(2026, 2, 12),
    )
    await publish_events(infra.bootstrap, payment, bounced)

    async def reopened() -> dict[str, Any] | None:
        state = (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()
        return (
            state
            if state["status"] == "open" and await recorded("PaymentApplicationReversed", invoice_id=invoice["id"])
            else None
        )

    state = await eventually(reopened, what="the invoice to reopen")
    assert (state["balance"], state["amount_paid"], state["paid_on"]) == ("300.00", "0.00", None)
    [event] = await recorded("PaymentApplicationReversed", invoice_id=invoice["id"])
    assert (event["amount"]["amount"], event["invoice_reopened"], event["reason"]) == ("300.00", True, "bounced")
    assert await recorded("InvoicePaid", invoice_id=invoice["id"])  # it had been paid before


async def test_every_balance_change_carries_a_higher_ledger_version(
    invoicing: RunningService,
    infra: TestInfrastructure,
    new_customer: NewCustomer,
    new_invoice: NewInvoice,
    recorded: Recorded,
) -> None:
    customer = await new_customer()
    invoice = await new_invoice(customer["id"], "300.00")
    credit = await invoicing.client.post(
        f"/invoices/{invoice['id']}/credit-notes", json={"amount": "50.00", "reason": "服务未满月"}
    )
    assert credit.status_code == 201, credit.text
    payment = received(customer["id"], "200.00", [(invoice["id"], "200.00")])
    refund = PaymentReversed(
        customer_id=payment.customer_id,
        payment_id=payment.payment_id,
        amount=Money.of("200.00", "CNY"),
        reason="refund",
        reversed_on=date(2026, 2, 12),
    )
    await publish_events(infra.bootstrap, payment, refund)

    async def reversed_() -> list[dict[str, Any]] | None:
        return await recorded("PaymentApplicationReversed", invoice_id=invoice["id"]) or None

    [reversal] = await eventually(reversed_, what="the refund to be undone")
    [note] = await recorded("CreditNoteIssued", invoice_id=invoice["id"])
    [applied] = await recorded("PaymentApplied", invoice_id=invoice["id"])
    # the balance went 300 → 250 → 50 → 250: only the versions tell the last 250 from the first
    history = [
        (event["invoice_ledger_version"], event["invoice_balance_after"]["amount"])
        for event in (note, applied, reversal)
    ]
    assert history == [(1, "250.00"), (2, "50.00"), (3, "250.00")]
    state = (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()
    assert (state["ledger_version"], state["balance"]) == (3, "250.00")


async def test_a_partial_refund_undoes_only_part_of_the_payment(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    customer = await new_customer()
    invoice = await new_invoice(customer["id"], "300.00")
    payment = received(customer["id"], "300.00", [(invoice["id"], "300.00")])
    refund = PaymentReversed(
        customer_id=payment.customer_id,
        payment_id=payment.payment_id,
        amount=Money.of("120.00", "CNY"),
        reason="refund",
        reversed_on=date(2026, 2, 12),
    )
    await publish_events(infra.bootstrap, payment, refund)

    async def partly_open() -> dict[str, Any] | None:
        state = (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()
        return state if state["balance"] == "120.00" else None

    state = await eventually(partly_open, what="the refund to be undone")
    assert (state["status"], state["amount_paid"]) == ("open", "180.00")


async def test_unapplied_credit_pays_the_next_invoice_issued(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    customer = await new_customer()
    await publish_events(infra.bootstrap, received(customer["id"], "500.00"))  # nothing open: all credit

    async def credit() -> dict[str, Any] | None:
        balance = (await invoicing.client.get(f"/customers/{customer['id']}/balance")).json()
        return balance if balance["balances"] else None

    balance = await eventually(credit, what="the unapplied credit")
    assert balance["balances"][0]["unapplied_credit"] == "500.00"
    first = await new_invoice(customer["id"], "300.00")
    assert (first["status"], first["amount_paid"]) == ("paid", "300.00")
    second = await new_invoice(customer["id"], "300.00")
    assert (second["status"], second["balance"]) == ("open", "100.00")
    [row] = (await invoicing.client.get(f"/customers/{customer['id']}/balance")).json()["balances"]
    assert (row["invoiced"], row["applied"], row["balance"], row["unapplied_credit"]) == (
        "600.00",
        "500.00",
        "100.00",
        "0.00",
    )


# --- the balance invariant over random histories ---------------------------------------

# One step of a history: its kind, then that kind's arguments (their types depend on the kind).
Operation = tuple[Any, ...]

amounts = st.integers(min_value=1, max_value=50_000).map(lambda cents: Decimal(cents) / 100)
operation = st.one_of(
    st.tuples(st.just("issue"), amounts),
    st.tuples(st.just("pay"), amounts, st.integers(0, 5) | st.none()),
    st.tuples(st.just("credit"), st.integers(0, 5), st.sampled_from([Decimal("0.25"), Decimal("0.5"), Decimal(1)])),
    st.tuples(st.just("reverse"), st.integers(0, 5), st.sampled_from([Decimal("0.5"), Decimal(1)])),
    st.tuples(st.just("void"), st.integers(0, 5)),
    st.tuples(st.just("write_off"), st.integers(0, 5)),
    st.tuples(
        st.just("apply_credit"),
    ),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(operation, min_size=1, max_size=12))
async def test_balance_is_invoices_minus_applications_minus_credit_notes_for_random_histories(
    invoicing: RunningService, history: list[Operation]
) -> None:
    clock = FixedClock(invoicing.app.state.clock.now())
    async with invoicing.app.state.db.sessions() as session:
        transaction = await session.begin()
        try:
            customer = await create_customer(
                session, actor=SYSTEM, clock=clock, data=CustomerCreate(legal_name="性质测试")
            )
            invoices: list[uuid.UUID] = []
            payments: list[tuple[uuid.UUID, Decimal]] = []
            day = date(2026, 1, 1)
            for step in history:
                day += timedelta(days=1)
                try:
                    async with session.begin_nested():
                        await _run(session, clock, customer.id, step, invoices, payments, day)
                except Problem:
                    pass  # refused operations (e.g. voiding a paid invoice) change nothing
            # no rows yet reads as None (the rows are read only, so widening their type is sound)
            rows = cast("Sequence[Row[Any] | None]", await ledger_totals(session, customer.id))
            [totals] = rows or [None]
            if totals is not None:
                assert totals.invoiced - totals.applied - totals.credited == totals.balances
            for invoice_id in invoices:
                invoice = await get_invoice(session, invoice_id)
                assert invoice is not None
                assert 0 <= invoice.balance <= invoice.total
                if invoice.status != "void":
                    assert (invoice.status == "paid") == (invoice.balance == 0)
            # money is conserved: what came in and was not reversed is applied or still credit
            credit = (await unapplied_credit_totals(session, customer.id)).get("CNY", Decimal(0))
            applied = totals.applied if totals is not None else Decimal(0)
            assert credit >= 0
            assert applied + credit <= sum(amount for _, amount in payments)
        finally:
            await transaction.rollback()


async def _run(
    session: AsyncSession,
    clock: Clock,
    customer_id: uuid.UUID,
    step: Operation,
    invoices: list[uuid.UUID],
    payments: list[tuple[uuid.UUID, Decimal]],
    day: date,
) -> None:
    # declared once: the branches bind different types to these names
    event: PaymentReceived | PaymentReversed
    invoice: Invoice | None
    kind = step[0]
    pick = (lambda n: invoices[n % len(invoices)]) if invoices else None
    if kind == "issue":
        invoice = await create_invoice(
            session,
            actor=SYSTEM,
            clock=clock,
            data=InvoiceCreate(
                customer_id=customer_id,
                invoice_date=day,
                issue=True,
                lines=[InvoiceLineIn(description="x", unit_price=step[1])],
            ),
            apply_credit=True,
        )
        invoices.append(invoice.id)
    elif kind == "pay":
        payment_id = uuid.uuid4()
        allocations: list[Allocation] = []
        if step[2] is not None and pick:
            allocations = [Allocation(invoice_id=pick(step[2]), amount=Money.of(step[1], "CNY"))]
        event = PaymentReceived(
            customer_id=customer_id,
            payment_id=payment_id,
            amount=Money.of(step[1], "CNY"),
            received_on=day,
            source="manual",
            allocations=allocations,
        )
        await apply_payment(session, actor=SYSTEM, clock=clock, event=event)
        payments.append((payment_id, step[1]))
    elif kind == "credit" and pick:
        invoice = await get_invoice(session, pick(step[1]))
        assert invoice is not None
        amount = (invoice.balance * step[2]).quantize(Decimal("0.01"))
        await issue_credit_note(
            session,
            actor=SYSTEM,
            clock=clock,
            invoice_id=invoice.id,
            data=CreditNoteCreate(amount=amount or None, reason="x"),
        )
    elif kind == "reverse" and payments:
        payment_id, amount = payments[step[1] % len(payments)]
        undone = (amount * step[2]).quantize(Decimal("0.01"))
        event = PaymentReversed(
            customer_id=customer_id,
            payment_id=payment_id,
            amount=Money.of(undone, "CNY"),
            reason="chargeback",
            reversed_on=day,
        )
        await reverse_payment(session, actor=SYSTEM, clock=clock, event=event)
        payments[step[1] % len(payments)] = (payment_id, amount - undone)
    elif kind == "void" and pick:
        await void_invoice(session, actor=SYSTEM, clock=clock, invoice_id=pick(step[1]), reason="x")
    elif kind == "write_off" and pick:
        await write_off_invoice(
            session, actor=SYSTEM, clock=clock, invoice_id=pick(step[1]), reason="x", written_off_on=day
        )
    elif kind == "apply_credit":
        await apply_unapplied_credit(session, actor=SYSTEM, clock=clock, customer_id=customer_id)
