"""Invoicing's facts, published to the real broker, drive cases, reminders and resolutions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from uuid import UUID, uuid4

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from arflow.clock import FixedClock
from arflow.events.catalog import (
    DUNNING,
    ContactInfo,
    CreditNoteIssued,
    CustomerUpserted,
    Event,
    InvoiceOverdue,
    InvoicePaid,
    InvoiceVoided,
    InvoiceWrittenOff,
    PaymentApplicationReversed,
    PaymentApplied,
    topic_of,
)
from arflow.events.envelope import Envelope, wrap
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure  # not Test*: pytest would collect it
from arflow.testing.services import RunningService
from arflow.testing.smtp import SmtpSink

OCCURRED_AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
DUE_DATE = date(2026, 2, 10)


def new_email() -> str:
    return f"billing-{uuid4().hex[:12]}@example.cn"


def new_number() -> str:
    return f"INV-2026-{uuid4().int % 10**6:06d}{uuid4().hex[:4].upper()}"


def customer_upserted(
    customer_id: UUID,
    *,
    email: str | None = None,
    language: str = "zh-CN",
    revision: int = 1,
    excluded: bool = False,
    contacts: list[ContactInfo] | None = None,
) -> CustomerUpserted:
    if contacts is None:
        contacts = [ContactInfo(name="王芳", role="billing", email=email or new_email(), language=language)]  # type: ignore[arg-type]
    return CustomerUpserted(
        customer_id=customer_id,
        revision=revision,
        legal_name="上海星河代理记账有限公司",
        preferred_language=language,  # type: ignore[arg-type]
        contacts=contacts,
        dunning_excluded=excluded,
        dunning_exclusion_reason="VIP client, chased by the partner" if excluded else None,
    )


def invoice_overdue(
    customer_id: UUID,
    invoice_id: UUID,
    number: str,
    *,
    amount_due: str = "1060.00",
    currency: str = "CNY",
    days_overdue: int = 20,
    bucket: str = "1-30",
) -> InvoiceOverdue:
    return InvoiceOverdue(
        customer_id=customer_id,
        invoice_id=invoice_id,
        invoice_number=number,
        invoice_date=date(2026, 1, 11),
        due_date=DUE_DATE,
        total=Money.of("1060.00", currency),
        amount_due=Money.of(amount_due, currency),
        days_overdue=days_overdue,
        bucket=bucket,  # type: ignore[arg-type]
        as_of=date.fromordinal(DUE_DATE.toordinal() + days_overdue),
        payment_reference=f"RF18{number.replace('-', '')}"[:25],
    )


def invoice_paid(customer_id: UUID, invoice_id: UUID, number: str) -> InvoicePaid:
    return InvoicePaid(
        customer_id=customer_id,
        invoice_id=invoice_id,
        invoice_number=number,
        total=Money.of("1060.00", "CNY"),
        invoice_date=date(2026, 1, 11),
        due_date=DUE_DATE,
        paid_on=date(2026, 3, 3),
        days_beyond_terms=21,
    )


def payment_applied(customer_id: UUID, invoice_id: UUID, number: str, *, balance_after: str) -> PaymentApplied:
    return PaymentApplied(
        customer_id=customer_id,
        application_id=uuid4(),
        payment_id=uuid4(),
        invoice_id=invoice_id,
        invoice_number=number,
        amount=Money.of("560.00", "CNY"),
        applied_on=date(2026, 3, 2),
        due_date=DUE_DATE,
        invoice_balance_after=Money.of(balance_after, "CNY"),
        days_after_due=20,
    )


def payment_reversed(
    customer_id: UUID, invoice_id: UUID, number: str, *, balance_after: str, reopened: bool
) -> PaymentApplicationReversed:
    return PaymentApplicationReversed(
        customer_id=customer_id,
        application_id=uuid4(),
        payment_id=uuid4(),
        invoice_id=invoice_id,
        invoice_number=number,
        amount=Money.of("560.00", "CNY"),
        reversed_on=date(2026, 3, 4),
        reason="chargeback",
        invoice_balance_after=Money.of(balance_after, "CNY"),
        invoice_reopened=reopened,
    )


def credit_note(
    customer_id: UUID, invoice_id: UUID, number: str, *, amount: str, balance_after: str, version: int | None = None
) -> CreditNoteIssued:
    return CreditNoteIssued(
        customer_id=customer_id,
        credit_note_id=uuid4(),
        credit_note_number=f"CN-{number}",
        invoice_id=invoice_id,
        invoice_number=number,
        amount=Money.of(amount, "CNY"),
        reason="price adjusted",
        issued_on=date(2026, 3, 2),
        invoice_balance_after=Money.of(balance_after, "CNY"),
        invoice_ledger_version=version,
    )


async def publish(producer: AIOKafkaProducer, *facts: Event | Envelope) -> list[Envelope]:
    """Publish facts to their publisher's topic, keyed by customer, as the outbox relay does."""
    envelopes = []
    for fact in facts:
        envelope = fact if isinstance(fact, Envelope) else wrap(fact, occurred_at=OCCURRED_AT, traceparent=None)
        topic = envelope.source.rsplit("/", 1)[1]
        await producer.send_and_wait(
            topic_of(topic),
            envelope.to_bytes(),
            key=envelope.subject.encode(),
            headers=envelope.kafka_headers(),
        )
        envelopes.append(envelope)
    return envelopes


async def dunning_event(bootstrap: str, event_type: str, **data: Any) -> Envelope:
    """The first event of `event_type` on arflow.dunning whose data has the given values."""
    consumer = AIOKafkaConsumer(
        topic_of(DUNNING), bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:

        async def probe() -> Envelope | None:
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    envelope = Envelope.from_bytes(record.value or b"")
                    if envelope.type == event_type and all(envelope.data.get(k) == v for k, v in data.items()):
                        return envelope
            return None

        return await eventually(probe, within=20, what=f"{event_type} {data} on {topic_of(DUNNING)}")
    finally:
        await consumer.stop()


# --- reading the service -----------------------------------------------------------------


def mail_to(sink: SmtpSink, address: str) -> list[EmailMessage]:
    return [m for m in sink.messages if m["To"] == address]


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html_text(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content())


async def cases_of(dunning: RunningService, customer_id: UUID, **params: str) -> list[dict[str, Any]]:
    response = await dunning.client.get("/cases", params={"customer_id": str(customer_id), **params})
    assert response.status_code == 200, response.text
    return response.json()["data"]  # type: ignore[no-any-return]


async def case_detail(dunning: RunningService, case_id: str) -> dict[str, Any]:
    response = await dunning.client.get(f"/cases/{case_id}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def actions_of(dunning: RunningService, customer_id: UUID) -> list[dict[str, Any]]:
    response = await dunning.client.get("/actions", params={"customer_id": str(customer_id)})
    assert response.status_code == 200, response.text
    return response.json()["data"]  # type: ignore[no-any-return]


async def wait_for_mail(sink: SmtpSink, address: str) -> EmailMessage:
    async def probe() -> list[EmailMessage]:
        return mail_to(sink, address)

    return (await eventually(probe, what=f"an email to {address}"))[0]


async def wait_for_case(dunning: RunningService, customer_id: UUID, **params: str) -> dict[str, Any]:
    async def probe() -> list[dict[str, Any]]:
        return await cases_of(dunning, customer_id, **params)

    return (await eventually(probe, what=f"a case of {customer_id}"))[0]


async def wait_for_case_detail(dunning: RunningService, case_id: str, condition: Any, what: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        detail = await case_detail(dunning, case_id)
        return detail if condition(detail) else None

    return await eventually(probe, what=what)


# --- reminders ------------------------------------------------------------------------------


async def test_overdue_invoice_sends_a_chinese_notice_and_logs_it(
    infra: Infrastructure,
    dunning: RunningService,
    dunning_producer: AIOKafkaProducer,
    dunning_smtp: SmtpSink,
    dunning_clock: FixedClock,
) -> None:
    customer_id, invoice_id, number, email = uuid4(), uuid4(), new_number(), new_email()
    overdue = invoice_overdue(customer_id, invoice_id, number, amount_due="1060.00", days_overdue=20)
    await publish(dunning_producer, customer_upserted(customer_id, email=email, language="zh-CN"), overdue)

    message = await wait_for_mail(dunning_smtp, email)
    assert number in message["Subject"]
    assert message["Subject"].startswith("逾期付款提醒")
    for body in (plain_text(message), html_text(message)):
        assert number in body
        assert "CNY 1,060.00" in body
        assert "2026年2月10日" in body
        assert "20 天" in body
        assert str(overdue.payment_reference) in body

    case = await wait_for_case(dunning, customer_id)
    detail = await wait_for_case_detail(
        dunning, case["id"], lambda d: d["actions"][0]["status"] == "sent", "the action marked sent"
    )
    assert detail["status"] == "open"
    assert detail["level"] == 1
    assert detail["amount_overdue"] == "1060.00"
    assert [(i["invoice_number"], i["amount_due"], i["days_overdue"], i["status"]) for i in detail["items"]] == [
        (number, "1060.00", 20, "open")
    ]
    [action] = detail["actions"]
    assert action["step"] == "overdue_notice"
    assert action["channel"] == "email"
    assert action["recipient"] == email
    assert action["language"] == "zh-CN"
    assert action["outcome"] == "sent"
    assert action["attempts"] == 1
    assert action["invoice_ids"] == [str(invoice_id)]
    assert action["subject"] == message["Subject"]
    assert action["sent_at"] == dunning_clock.now().isoformat().replace("+00:00", "Z")
    executed = await dunning_event(infra.bootstrap, "DunningStepExecuted", action_id=action["id"])
    assert executed.data["outcome"] == "sent"
    assert executed.data["amount_overdue"] == {"amount": "1060.00", "currency": "CNY"}


async def test_english_contact_gets_an_english_notice(
    dunning: RunningService, dunning_producer: AIOKafkaProducer, dunning_smtp: SmtpSink
) -> None:
    customer_id, number, email = uuid4(), new_number(), new_email()
    contacts = [
        ContactInfo(name="Boss", role="legal_representative", email=new_email(), language="zh-CN"),
        ContactInfo(name="Anna", role="billing", email=email, language="en"),
    ]
    await publish(
        dunning_producer,
        customer_upserted(customer_id, contacts=contacts),
        invoice_overdue(customer_id, uuid4(), number, amount_due="12345.6", currency="USD", days_overdue=3),
    )

    message = await wait_for_mail(dunning_smtp, email)
    assert message["Subject"].startswith("Payment overdue")
    assert message["Content-Language"] == "en"
    body = plain_text(message)
    assert number in body
    assert "USD 12,345.60" in body
    assert "10 February 2026" in body
    assert "Days overdue:      3" in body


async def test_same_overdue_envelope_delivered_twice_sends_one_email(
    dunning: RunningService, dunning_producer: AIOKafkaProducer, dunning_smtp: SmtpSink
) -> None:
    customer_id, invoice_id, number, email = uuid4(), uuid4(), new_number(), new_email()
    [_, envelope] = await publish(
        dunning_producer, customer_upserted(customer_id, email=email), invoice_overdue(customer_id, invoice_id, number)
    )
    await wait_for_mail(dunning_smtp, email)

    later_bucket = invoice_overdue(
        customer_id, invoice_id, number, amount_due="1000.00", days_overdue=35, bucket="31-60"
    )
    await publish(dunning_producer, envelope, later_bucket)  # the duplicate, then a new aging bucket

    case = await wait_for_case(dunning, customer_id)
    detail = await wait_for_case_detail(
        dunning, case["id"], lambda d: d["items"][0]["bucket"] == "31-60", "the item moved to 31-60"
    )
    assert detail["items"][0]["days_overdue"] == 35
    assert detail["items"][0]["amount_due"] == "1000.00"
    assert len(await actions_of(dunning, customer_id)) == 1
    assert len(mail_to(dunning_smtp, email)) == 1


async def test_excluded_customer_gets_a_case_but_no_email(
    dunning: RunningService, dunning_producer: AIOKafkaProducer, dunning_smtp: SmtpSink
) -> None:
    customer_id, email = uuid4(), new_email()
    await publish(
        dunning_producer,
        customer_upserted(customer_id, email=email, excluded=True),
        invoice_overdue(customer_id, uuid4(), new_number()),
    )

    case = await wait_for_case(dunning, customer_id)
    assert case["status"] == "open"
    assert case["level"] == 0
    assert await actions_of(dunning, customer_id) == []
    assert mail_to(dunning_smtp, email) == []


async def test_customer_without_email_is_logged_as_no_recipient(
    infra: Infrastructure, dunning: RunningService, dunning_producer: AIOKafkaProducer
) -> None:
    customer_id = uuid4()
    contacts = [ContactInfo(name="李雷", role="billing", phone="+8613812345678")]
    await publish(
        dunning_producer,
        customer_upserted(customer_id, contacts=contacts),
        invoice_overdue(customer_id, uuid4(), new_number()),
    )

    async def probe() -> list[dict[str, Any]]:
        return await actions_of(dunning, customer_id)

    [action] = await eventually(probe, what="the action")
    assert (action["status"], action["outcome"], action["recipient"]) == ("skipped", "no_recipient", None)
    executed = await dunning_event(infra.bootstrap, "DunningStepExecuted", action_id=action["id"])
    assert executed.data["outcome"] == "no_recipient"


async def test_overdue_before_the_customer_is_known_is_sent_once_it_is(
    dunning: RunningService, dunning_producer: AIOKafkaProducer, dunning_smtp: SmtpSink
) -> None:
    customer_id, number, email = uuid4(), new_number(), new_email()
    await publish(dunning_producer, invoice_overdue(customer_id, uuid4(), number))

    async def waiting() -> list[dict[str, Any]]:
        return [a for a in await actions_of(dunning, customer_id) if a["status"] == "pending"]

    [action] = await eventually(waiting, what="a pending action")
    assert action["recipient"] is None

    await publish(dunning_producer, customer_upserted(customer_id, email=email, language="en"))
    message = await wait_for_mail(dunning_smtp, email)
    assert number in plain_text(message)
    assert "Dear 上海星河代理记账有限公司" in plain_text(message)


async def test_an_older_customer_revision_does_not_overwrite_a_newer_one(
    dunning: RunningService, dunning_producer: AIOKafkaProducer, dunning_smtp: SmtpSink
) -> None:
    customer_id, old_email, new_email_ = uuid4(), new_email(), new_email()
    await publish(
        dunning_producer,
        customer_upserted(customer_id, email=new_email_, language="en", revision=2),
        customer_upserted(customer_id, email=old_email, language="zh-CN", revision=1),
        invoice_overdue(customer_id, uuid4(), new_number()),
    )

    message = await wait_for_mail(dunning_smtp, new_email_)
    assert message["Subject"].startswith("Payment overdue")
    assert mail_to(dunning_smtp, old_email) == []


# --- closing invoices ------------------------------------------------------------------------


async def test_paid_invoice_resolves_the_case_and_publishes_dunning_resolved(
    infra: Infrastructure, dunning: RunningService, dunning_producer: AIOKafkaProducer, dunning_smtp: SmtpSink
) -> None:
    customer_id, invoice_id, number, email = uuid4(), uuid4(), new_number(), new_email()
    await publish(
        dunning_producer, customer_upserted(customer_id, email=email), invoice_overdue(customer_id, invoice_id, number)
    )
    await wait_for_mail(dunning_smtp, email)
    case = await wait_for_case(dunning, customer_id)

    await publish(dunning_producer, invoice_paid(customer_id, invoice_id, number))

    detail = await wait_for_case_detail(dunning, case["id"], lambda d: d["status"] == "resolved", "the case resolved")
    assert detail["resolution"] == "paid"
    assert detail["resolved_at"] is not None
    assert detail["amount_overdue"] == "0.00"
    assert [(i["status"], i["closure"]) for i in detail["items"]] == [("closed", "paid")]
    resolved = await dunning_event(infra.bootstrap, "DunningResolved", case_id=case["id"])
    assert resolved.data["resolution"] == "paid"
    assert resolved.data["highest_level"] == 1
    assert resolved.subject == str(customer_id)


async def test_case_stays_open_until_its_last_invoice_closes(
    dunning: RunningService, dunning_producer: AIOKafkaProducer
) -> None:
    customer_id, first, second = uuid4(), uuid4(), uuid4()
    first_number, second_number = new_number(), new_number()
    await publish(
        dunning_producer,
        customer_upserted(customer_id),
        invoice_overdue(customer_id, first, first_number),
        invoice_overdue(customer_id, second, second_number, amount_due="200.00"),
        InvoiceVoided(
            customer_id=customer_id,
            invoice_id=first,
            invoice_number=first_number,
            total=Money.of("1060.00", "CNY"),
            reason="issued twice",
            voided_at="2026-03-02T01:00:00Z",  # type: ignore[arg-type]
        ),
    )
    case = await wait_for_case(dunning, customer_id)
    detail = await wait_for_case_detail(
        dunning, case["id"], lambda d: any(i["status"] == "closed" for i in d["items"]), "the voided item closed"
    )
    assert detail["status"] == "open"
    assert detail["amount_overdue"] == "200.00"

    await publish(
        dunning_producer,
        InvoiceWrittenOff(
            customer_id=customer_id,
            invoice_id=second,
            invoice_number=second_number,
            amount_written_off=Money.of("200.00", "CNY"),
            reason="customer dissolved",
            written_off_on="2026-03-02",  # type: ignore[arg-type]
        ),
    )
    detail = await wait_for_case_detail(dunning, case["id"], lambda d: d["status"] == "resolved", "the case resolved")
    assert detail["resolution"] == "written_off"


async def test_paid_before_overdue_opens_no_case_for_that_invoice(
    dunning: RunningService, dunning_producer: AIOKafkaProducer, dunning_smtp: SmtpSink
) -> None:
    customer_id, paid_id, paid_number, other_number, email = uuid4(), uuid4(), new_number(), new_number(), new_email()
    await publish(
        dunning_producer,
        customer_upserted(customer_id, email=email),
        invoice_paid(customer_id, paid_id, paid_number),
        invoice_overdue(customer_id, paid_id, paid_number),
        invoice_overdue(customer_id, uuid4(), other_number),  # arrives last: once it shows, the rest was applied
    )

    case = await wait_for_case(dunning, customer_id)
    detail = await case_detail(dunning, case["id"])
    assert [i["invoice_number"] for i in detail["items"]] == [other_number]
    assert [a["invoice_ids"] for a in detail["actions"]] == [[detail["items"][0]["invoice_id"]]]
    message = await wait_for_mail(dunning_smtp, email)
    assert paid_number not in plain_text(message)


async def test_payment_lowers_the_amount_due(dunning: RunningService, dunning_producer: AIOKafkaProducer) -> None:
    customer_id, invoice_id, number = uuid4(), uuid4(), new_number()
    await publish(
        dunning_producer,
        customer_upserted(customer_id),
        invoice_overdue(customer_id, invoice_id, number, amount_due="1060.00"),
        payment_applied(customer_id, invoice_id, number, balance_after="500.00"),
    )

    async def probe() -> list[dict[str, Any]]:
        return [c for c in await cases_of(dunning, customer_id) if c["amount_overdue"] == "500.00"]

    [case] = await eventually(probe, what="the amount due lowered to 500.00")
    assert case["status"] == "open"


async def test_an_older_balance_arriving_late_does_not_undo_a_payment(
    dunning: RunningService, dunning_producer: AIOKafkaProducer
) -> None:
    customer_id, invoice_id, number = uuid4(), uuid4(), new_number()
    stale = wrap(
        invoice_overdue(customer_id, invoice_id, number, amount_due="1060.00", days_overdue=21),
        occurred_at=OCCURRED_AT - timedelta(minutes=30),
        traceparent=None,
    )
    await publish(
        dunning_producer,
        customer_upserted(customer_id),
        wrap(
            invoice_overdue(customer_id, invoice_id, number),
            occurred_at=OCCURRED_AT - timedelta(hours=1),
            traceparent=None,
        ),
        payment_applied(customer_id, invoice_id, number, balance_after="500.00"),
        stale,  # e.g. replayed from a dead letter after the payment
    )

    async def probe() -> list[dict[str, Any]]:
        cases = await cases_of(dunning, customer_id)
        if not cases:
            return []
        detail = await case_detail(dunning, cases[0]["id"])
        return detail["items"] if detail["items"][0]["days_overdue"] == 21 else []

    [item] = await eventually(probe, what="the stale notice applied")
    assert item["amount_due"] == "500.00"


async def test_a_reversed_payment_puts_a_paid_invoice_back_in_the_chase(
    dunning: RunningService, dunning_producer: AIOKafkaProducer, dunning_smtp: SmtpSink
) -> None:
    customer_id, invoice_id, number, email = uuid4(), uuid4(), new_number(), new_email()
    await publish(
        dunning_producer, customer_upserted(customer_id, email=email), invoice_overdue(customer_id, invoice_id, number)
    )
    await wait_for_mail(dunning_smtp, email)
    resolved = await wait_for_case(dunning, customer_id)
    await publish(dunning_producer, invoice_paid(customer_id, invoice_id, number))
    await wait_for_case_detail(dunning, resolved["id"], lambda d: d["status"] == "resolved", "the case resolved")

    await publish(
        dunning_producer,
        payment_reversed(customer_id, invoice_id, number, balance_after="1060.00", reopened=True),
        invoice_overdue(customer_id, invoice_id, number, days_overdue=35, bucket="31-60"),
    )

    reopened = await wait_for_case(dunning, customer_id, status="open")
    assert reopened["id"] != resolved["id"]
    detail = await wait_for_case_detail(
        dunning,
        reopened["id"],
        lambda d: [i["bucket"] for i in d["items"]] == ["31-60"],
        "the reopened invoice aged by the next overdue notice",
    )
    assert [(i["invoice_id"], i["status"], i["amount_due"]) for i in detail["items"]] == [
        (str(invoice_id), "open", "1060.00")
    ]
    assert detail["amount_overdue"] == "1060.00"
    assert (await case_detail(dunning, resolved["id"]))["status"] == "resolved"


async def test_a_paid_invoice_reopened_before_it_had_a_case_is_chased_when_overdue(
    dunning: RunningService, dunning_producer: AIOKafkaProducer
) -> None:
    customer_id, invoice_id, number = uuid4(), uuid4(), new_number()
    await publish(
        dunning_producer,
        customer_upserted(customer_id),
        invoice_paid(customer_id, invoice_id, number),
        payment_reversed(customer_id, invoice_id, number, balance_after="1060.00", reopened=True),
        invoice_overdue(customer_id, invoice_id, number),
    )

    case = await wait_for_case(dunning, customer_id)
    detail = await case_detail(dunning, case["id"])
    assert [(i["invoice_number"], i["status"]) for i in detail["items"]] == [(number, "open")]


async def test_a_reversed_partial_payment_raises_the_amount_due_again(
    dunning: RunningService, dunning_producer: AIOKafkaProducer
) -> None:
    customer_id, invoice_id, number = uuid4(), uuid4(), new_number()
    await publish(
        dunning_producer,
        customer_upserted(customer_id),
        invoice_overdue(customer_id, invoice_id, number, amount_due="1060.00"),
        payment_applied(customer_id, invoice_id, number, balance_after="500.00"),
    )

    def owing(amount: str) -> Any:
        async def probe() -> list[dict[str, Any]]:
            return [c for c in await cases_of(dunning, customer_id) if c["amount_overdue"] == amount]

        return probe

    await eventually(owing("500.00"), what="the amount due lowered to 500.00")
    await publish(
        dunning_producer,
        payment_reversed(customer_id, invoice_id, number, balance_after="1060.00", reopened=False),
    )
    await eventually(owing("1060.00"), what="the amount due raised back to 1060.00")


async def test_a_credit_note_lowers_the_amount_chased(
    dunning: RunningService, dunning_producer: AIOKafkaProducer
) -> None:
    customer_id, invoice_id, number = uuid4(), uuid4(), new_number()
    await publish(
        dunning_producer,
        customer_upserted(customer_id),
        invoice_overdue(customer_id, invoice_id, number, amount_due="10000.00"),
    )
    await wait_for_case(dunning, customer_id)

    await publish(
        dunning_producer, credit_note(customer_id, invoice_id, number, amount="4000.00", balance_after="6000.00")
    )

    async def probe() -> list[dict[str, Any]]:
        return [c for c in await cases_of(dunning, customer_id) if c["amount_overdue"] == "6000.00"]

    [case] = await eventually(probe, what="the amount due lowered by the credit note")
    detail = await case_detail(dunning, case["id"])
    assert [i["amount_due"] for i in detail["items"]] == ["6000.00"]


async def test_a_credit_note_of_an_older_ledger_version_does_not_undo_a_later_payment(
    dunning: RunningService, dunning_producer: AIOKafkaProducer
) -> None:
    customer_id, invoice_id, number, marker = uuid4(), uuid4(), new_number(), new_number()
    payment = payment_applied(customer_id, invoice_id, number, balance_after="2000.00").model_copy(
        update={"invoice_ledger_version": 3}
    )
    await publish(
        dunning_producer,
        customer_upserted(customer_id),
        invoice_overdue(customer_id, invoice_id, number, amount_due="10000.00"),
        payment,
        credit_note(customer_id, invoice_id, number, amount="4000.00", balance_after="6000.00", version=2),
        invoice_overdue(customer_id, uuid4(), marker, amount_due="100.00"),  # arrives last
    )

    async def probe() -> dict[str, Any] | None:
        cases = await cases_of(dunning, customer_id)
        if not cases:
            return None
        detail = await case_detail(dunning, cases[0]["id"])
        return detail if len(detail["items"]) == 2 else None

    detail = await eventually(probe, what="both invoices in the case")
    assert {i["invoice_number"]: i["amount_due"] for i in detail["items"]} == {number: "2000.00", marker: "100.00"}


async def test_customer_excluded_later_cancels_its_pending_reminder(
    dunning: RunningService, dunning_producer: AIOKafkaProducer, dunning_smtp: SmtpSink
) -> None:
    customer_id, email = uuid4(), new_email()
    await publish(dunning_producer, invoice_overdue(customer_id, uuid4(), new_number()))  # customer not known yet

    async def pending() -> list[dict[str, Any]]:
        return [a for a in await actions_of(dunning, customer_id) if a["status"] == "pending"]

    await eventually(pending, what="a pending action")
    await publish(dunning_producer, customer_upserted(customer_id, email=email, excluded=True))

    async def cancelled() -> list[dict[str, Any]]:
        return [a for a in await actions_of(dunning, customer_id) if a["status"] == "cancelled"]

    [action] = await eventually(cancelled, what="the action cancelled")
    assert action["outcome"] == "customer_excluded"
    assert mail_to(dunning_smtp, email) == []


# --- the API ----------------------------------------------------------------------------------


async def test_cases_are_listed_newest_first_page_by_page(
    dunning: RunningService, dunning_producer: AIOKafkaProducer
) -> None:
    customer_id = uuid4()
    await publish(
        dunning_producer,
        customer_upserted(customer_id),
        invoice_overdue(customer_id, uuid4(), new_number(), currency="CNY"),
        invoice_overdue(customer_id, uuid4(), new_number(), currency="USD"),
    )

    async def both() -> list[dict[str, Any]]:
        cases = await cases_of(dunning, customer_id)
        return cases if len(cases) == 2 else []

    newest, oldest = await eventually(both, what="a case per currency")
    assert {newest["currency"], oldest["currency"]} == {"CNY", "USD"}
    assert UUID(newest["id"]) > UUID(oldest["id"])
    first = (await dunning.client.get("/cases", params={"customer_id": str(customer_id), "limit": 1})).json()
    assert first["has_more"] is True
    assert [c["id"] for c in first["data"]] == [newest["id"]]
    second = (
        await dunning.client.get(
            "/cases", params={"customer_id": str(customer_id), "limit": 1, "starting_after": first["next_cursor"]}
        )
    ).json()
    assert [c["id"] for c in second["data"]] == [oldest["id"]]
    assert second["has_more"] is False
    assert await cases_of(dunning, customer_id, status="resolved") == []


async def test_unknown_status_filter_is_a_422_problem(dunning: RunningService) -> None:
    response = await dunning.client.get("/cases", params={"status": "closed"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "validation_failed"


async def test_malformed_customer_id_is_a_422_problem(dunning: RunningService) -> None:
    response = await dunning.client.get("/actions", params={"customer_id": "not-a-uuid"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == "query.customer_id"


async def test_unknown_case_is_a_404_problem(dunning: RunningService) -> None:
    response = await dunning.client.get(f"/cases/{uuid4()}")
    assert response.status_code == 404
    assert response.json()["code"] == "case_not_found"


async def test_reading_cases_needs_an_api_key(dunning: RunningService) -> None:
    response = await dunning.client.get("/cases", headers={"Authorization": ""})
    assert response.status_code == 401
