"""What a payment costs reconciliation in SQL statements: a ceiling per webhook and per consumer batch.

Counted on the service's own engine (SQLAlchemy's before_cursor_execute) for the calls made inside
`statements()` only: a context variable the listener reads, which the consumer's and the jobs' own tasks
do not carry. BEGIN and COMMIT are not statements here: each transaction adds those two round trips.

Before the webhook path was cut to three statements (issue 17) it took twelve (fourteen round trips), the
consumer five per payment (PaymentApplied: read, update, allocation; InvoicePaid: read, update).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest
import stripe
from aiokafka import ConsumerRecord, TopicPartition
from sqlalchemy import event, select, text

from arflow.auth import Principal
from arflow.events.catalog import Event, InvoiceIssued, InvoicePaid, PaymentApplied
from arflow.events.envelope import wrap
from arflow.money import Money
from arflow.persistence import audit_entry, outbox_message
from arflow.testing import eventually
from arflow.testing.services import RunningService
from reconciliation.gateways.providers import read_stripe
from reconciliation.gateways.service import record_notification
from reconciliation.models import Allocation, OpenItem, Payment, PaymentAttempt

if TYPE_CHECKING:  # the fixtures' types; conftest is not importable at run time (--import-mode=importlib)
    from conftest import Books, GatewayKeys

# The ceilings. A webhook: what is known of the notification, its attempt and trade (1), the match's lookup
# (1), the write of notification, payment, allocations, event, audit entries and attempt (1). A retry: 1.
WEBHOOK_STATEMENTS = 3
RETRY_STATEMENTS = 1
# A consumer batch of invoice facts, whatever its size: the inbox (1), the items read locked (1), updated
# (1), the applied allocations released (1).
BATCH_STATEMENTS = 4

_counting: ContextVar[list[str] | None] = ContextVar("statement_budget", default=None)


@contextmanager
def statements(reconciliation: RunningService) -> Iterator[list[str]]:
    """The SQL statements the service executes for the calls made inside the block."""
    engine = reconciliation.app.state.db.engine.sync_engine
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        executed = _counting.get()
        if executed is not None:
            executed.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", count)
    token = _counting.set(seen)
    try:
        yield seen
    finally:
        _counting.reset(token)
        event.remove(engine, "before_cursor_execute", count)


async def post_stripe(reconciliation: RunningService, keys: GatewayKeys, payload: str) -> Any:
    timestamp = int(reconciliation.app.state.clock.now().timestamp())
    header = stripe.WebhookSignature.generate_signature_header(payload, keys.stripe_secret, timestamp=timestamp)
    return await reconciliation.client.post(
        "/webhooks/stripe",
        content=payload,
        headers={"Stripe-Signature": header, "Content-Type": "application/json", "Authorization": ""},
    )


def intent_succeeded(minor: int, *, invoice_number: str | None, name: str | None, intent: str | None = None) -> str:
    """A payment_intent.succeeded as bench/pipeline.py sends it: the invoice number and the payer's name."""
    metadata = {k: v for k, v in (("invoice_number", invoice_number), ("customer_name", name)) if v}
    return json.dumps(
        {
            "id": f"evt_{secrets.token_hex(8)}",
            "type": "payment_intent.succeeded",
            "created": int(datetime(2026, 2, 20, 15, 30, tzinfo=UTC).timestamp()),
            "data": {
                "object": {
                    "id": intent or f"pi_{secrets.token_hex(8)}",
                    "amount": minor,
                    "amount_received": minor,
                    "currency": "cny",
                    "metadata": metadata,
                }
            },
        }
    )


async def payments_of(reconciliation: RunningService, customer_id: UUID) -> list[dict[str, Any]]:
    response = await reconciliation.client.get("/payments", params={"customer_id": str(customer_id), "limit": 100})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


@pytest.mark.parametrize(
    "payer",
    [
        "customer",  # the customer's own name (bench/pipeline.py)
        "person",  # a person's name, no customer's: no similar-name lookup, the invoice number named it
        None,
    ],
)
async def test_a_webhook_paying_a_named_invoice_stays_within_its_statement_budget(
    reconciliation: RunningService, reconciliation_books: Books, gateway_keys: GatewayKeys, payer: str | None
) -> None:
    customer_id, name = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "318.00", date(2026, 2, 28))
    payer_name = {"customer": name, "person": "欧阳明远"}.get(payer or "")
    payload = intent_succeeded(31800, invoice_number=invoice.invoice_number, name=payer_name)
    with statements(reconciliation) as first:
        response = await post_stripe(reconciliation, gateway_keys, payload)
    assert response.status_code == 200 and response.json()["outcome"] == "payment", response.text
    assert len(first) <= WEBHOOK_STATEMENTS, first
    with statements(reconciliation) as retry:
        again = await post_stripe(reconciliation, gateway_keys, payload)
    assert again.status_code == 200 and again.json()["outcome"] == "payment", again.text
    assert len(retry) <= RETRY_STATEMENTS, retry
    (payment,) = await payments_of(reconciliation, customer_id)
    assert payment["status"] == "matched"
    assert [a["invoice_id"] for a in payment["allocations"]] == [str(invoice.invoice_id)]


async def test_a_webhook_naming_only_its_payer_stays_within_its_statement_budget(
    reconciliation: RunningService, reconciliation_books: Books, gateway_keys: GatewayKeys
) -> None:
    customer_id, name = await reconciliation_books.customer()
    await reconciliation_books.issued(customer_id, "212.00", date(2026, 2, 28))
    with statements(reconciliation) as executed:
        response = await post_stripe(
            reconciliation, gateway_keys, intent_succeeded(21200, invoice_number=None, name=name)
        )
    assert response.status_code == 200 and response.json()["outcome"] == "payment", response.text
    assert len(executed) <= WEBHOOK_STATEMENTS, executed


async def test_a_booked_webhook_leaves_its_audit_entries_and_event(
    reconciliation: RunningService, reconciliation_books: Books, gateway_keys: GatewayKeys
) -> None:
    customer_id, name = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "96.00", date(2026, 2, 28))
    response = await post_stripe(
        reconciliation, gateway_keys, intent_succeeded(9600, invoice_number=invoice.invoice_number, name=name)
    )
    assert response.status_code == 200 and response.json()["outcome"] == "payment", response.text
    (payment,) = await payments_of(reconciliation, customer_id)
    async with reconciliation.app.state.db.unit_of_work() as session:
        entries = (
            await session.execute(select(audit_entry).where(audit_entry.c.after["id"].astext == payment["id"]))
        ).all()
        allocations = (
            await session.execute(
                select(audit_entry).where(
                    audit_entry.c.object_type == "allocation", audit_entry.c.after["payment_id"].astext == payment["id"]
                )
            )
        ).all()
        events = (
            await session.execute(
                select(outbox_message.c.event_type).where(
                    outbox_message.c.payload["data"]["payment_id"].astext == payment["id"]
                )
            )
        ).scalars()
        event_types = list(events)
    ((entry,),) = [[e for e in entries if e.action == "payment.created"]]
    assert entry.object_id == payment["id"] and entry.after["status"] == "matched"
    assert entry.after["amount"] == "96.00" and entry.after["external_id"] == payment["external_id"]
    assert [(a.action, a.after["invoice_id"]) for a in allocations] == [("allocation.created", str(invoice.invoice_id))]
    assert event_types == ["PaymentReceived"]


async def test_one_notification_delivered_twice_at_once_books_one_payment(
    reconciliation: RunningService, reconciliation_books: Books, gateway_keys: GatewayKeys
) -> None:
    customer_id, name = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "450.00", date(2026, 2, 28))
    payload = intent_succeeded(45000, invoice_number=invoice.invoice_number, name=name)
    answers = await asyncio.gather(*(post_stripe(reconciliation, gateway_keys, payload) for _ in range(3)))
    assert [(a.status_code, a.json()["outcome"]) for a in answers] == [(200, "payment")] * 3
    (payment,) = await payments_of(reconciliation, customer_id)
    assert payment["status"] == "matched"


async def test_one_trade_told_by_two_notifications_at_once_books_one_payment(
    reconciliation: RunningService, reconciliation_books: Books, gateway_keys: GatewayKeys
) -> None:
    customer_id, name = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "120.00", date(2026, 2, 28))
    intent = f"pi_{secrets.token_hex(8)}"
    payloads = [intent_succeeded(12000, invoice_number=invoice.invoice_number, name=name, intent=intent) for _ in "ab"]
    answers = await asyncio.gather(*(post_stripe(reconciliation, gateway_keys, p) for p in payloads))
    assert sorted(a.json()["outcome"] for a in answers) == ["duplicate_payment", "payment"]
    (payment,) = await payments_of(reconciliation, customer_id)
    assert payment["external_id"] == intent
    notifications = (
        await reconciliation.client.get("/gateway-notifications", params={"provider": "stripe", "limit": 100})
    ).json()["data"]
    told = [n for n in notifications if n["payment_id"] == payment["id"]]
    assert sorted(n["outcome"] for n in told) == ["duplicate_payment", "payment"]


async def test_a_callback_while_the_checkout_job_books_its_order_waits_and_books_nothing(
    reconciliation: RunningService, reconciliation_books: Books, gateway_keys: GatewayKeys
) -> None:
    # The late-callback job holds the attempt while it asks the gateway and books the answer; the callback
    # itself arrives meanwhile. It must wait for the job before it writes anything (else each would wait for
    # the other: its payment for the attempt, the job's payment for its), then find the trade booked.
    app = reconciliation.app
    customer_id, _ = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "260.00", date(2026, 2, 28))
    order_id = f"ORDER{secrets.token_hex(6).upper()}"
    made = await reconciliation.client.post(
        "/payment-attempts",
        json={"provider": "stripe", "invoice_id": str(invoice.invoice_id), "order_id": order_id},
        headers={"Idempotency-Key": secrets.token_hex(8)},
    )
    assert made.status_code == 201, made.text
    intent = f"pi_{secrets.token_hex(8)}"
    callback = json.loads(intent_succeeded(26000, invoice_number=None, name=None, intent=intent))
    callback["data"]["object"]["metadata"] = {"order_id": order_id}
    answer = read_stripe({**callback, "id": f"query_{secrets.token_hex(8)}"})  # what the gateway answered the job
    async with app.state.db.unit_of_work() as job:
        locked = select(PaymentAttempt).where(PaymentAttempt.order_id == order_id).with_for_update()
        assert (await job.execute(locked)).scalar_one().status == "open"
        arriving = asyncio.create_task(post_stripe(reconciliation, gateway_keys, json.dumps(callback)))

        async def waiting() -> bool:
            async with app.state.db.unit_of_work() as look:
                query = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                return bool(await look.scalar(query))

        await eventually(waiting, within=10, what="the callback to wait for the attempt")
        outcome, paid = await record_notification(
            job,
            clock=app.state.clock,
            settings=app.state.settings,
            notice=answer,
            headers={"x-arflow-source": "query"},
            body=json.dumps(callback),
            actor=Principal(name="gateway:stripe:query", scopes=frozenset()),
        )
        assert outcome == "payment"
    response = await arriving
    assert response.status_code == 200 and response.json()["outcome"] == "duplicate_payment", response.text
    (payment,) = await payments_of(reconciliation, customer_id)
    assert payment["id"] == str(paid) and payment["external_id"] == intent
    (attempt,) = (
        await reconciliation.client.get("/payment-attempts", params={"invoice_id": str(invoice.invoice_id)})
    ).json()["data"]
    assert (attempt["status"], attempt["payment_id"]) == ("paid", str(paid))


# --- the consumer: a batch of invoice facts ------------------------------------------------------------------


def record_of(event: Event, offset: int, clock: Any) -> ConsumerRecord[bytes, bytes]:
    """An event as the consumer fetches it from invoicing's topic."""
    envelope = wrap(event, occurred_at=clock.now(), traceparent=None)
    value = envelope.to_bytes()
    return ConsumerRecord(
        topic="arflow.invoicing",
        partition=0,
        offset=offset,
        timestamp=int(time.time() * 1000),
        timestamp_type=0,
        key=envelope.subject.encode(),
        value=value,
        checksum=None,
        serialized_key_size=len(envelope.subject),
        serialized_value_size=len(value),
        headers=tuple(envelope.kafka_headers()),
    )


def paid_facts(invoice: InvoiceIssued, payment_id: UUID) -> list[Event]:
    """What invoicing tells of a payment that pays an invoice in full: PaymentApplied, then InvoicePaid."""
    return [
        PaymentApplied(
            customer_id=invoice.customer_id,
            application_id=uuid_of(payment_id, invoice.invoice_id),
            payment_id=payment_id,
            invoice_id=invoice.invoice_id,
            invoice_number=invoice.invoice_number,
            amount=invoice.total,
            applied_on=date(2026, 3, 1),
            due_date=invoice.due_date,
            invoice_balance_after=Money.zero(invoice.currency),
            days_after_due=1,
            invoice_ledger_version=1,
        ),
        InvoicePaid(
            customer_id=invoice.customer_id,
            invoice_id=invoice.invoice_id,
            invoice_number=invoice.invoice_number,
            total=invoice.total,
            invoice_date=invoice.invoice_date,
            due_date=invoice.due_date,
            paid_on=date(2026, 3, 1),
            days_beyond_terms=1,
        ),
    ]


def uuid_of(*parts: UUID) -> UUID:
    return UUID(int=sum(p.int for p in parts) % 2**128)


async def test_a_batch_of_payments_applied_and_paid_is_projected_in_a_few_statements(
    reconciliation: RunningService, reconciliation_books: Books, gateway_keys: GatewayKeys
) -> None:
    customer_id, name = await reconciliation_books.customer()
    invoices = [await reconciliation_books.issued(customer_id, f"{100 + n}.00", date(2026, 2, 28)) for n in range(8)]
    for invoice in invoices:
        payload = intent_succeeded(int(invoice.total.amount * 100), invoice_number=invoice.invoice_number, name=name)
        assert (await post_stripe(reconciliation, gateway_keys, payload)).json()["outcome"] == "payment"
    paid = {p["allocations"][0]["invoice_id"]: UUID(p["id"]) for p in await payments_of(reconciliation, customer_id)}
    facts = [fact for invoice in invoices for fact in paid_facts(invoice, paid[str(invoice.invoice_id)])]
    clock = reconciliation.app.state.clock
    records = [record_of(fact, offset, clock) for offset, fact in enumerate(facts)]
    # (a partition of a topic nobody produces to: the real consumer's own offsets are left alone)
    partition = TopicPartition("statement-budget", 0)
    with statements(reconciliation) as executed:
        await reconciliation.app.state.consumer.handle_records(partition, records)
    assert len(executed) <= BATCH_STATEMENTS, executed
    async with reconciliation.app.state.db.unit_of_work() as session:
        ids = [i.invoice_id for i in invoices]
        items = (await session.execute(select(OpenItem).where(OpenItem.invoice_id.in_(ids)))).scalars().all()
        pending = await session.scalar(
            select(Allocation.id)
            .join(Payment, Payment.id == Allocation.payment_id)
            .where(Allocation.invoice_id.in_(ids), Allocation.applied_at.is_(None))
        )
    assert {(i.status, i.balance, i.ledger_version) for i in items} == {("paid", 0, 1)} and len(items) == len(ids)
    assert pending is None  # every allocation was applied
    # The same batch again is a run of duplicates: the inbox alone.
    with statements(reconciliation) as again:
        await reconciliation.app.state.consumer.handle_records(partition, records)
    assert len(again) == 1, again
