"""Credit files built from invoicing's facts, fed through the real broker."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from arflow.events.catalog import (
    INVOICING,
    CustomerUpserted,
    Event,
    InvoiceIssued,
    InvoiceOverdue,
    InvoicePaid,
    InvoiceVoided,
    InvoiceWrittenOff,
    PaymentApplicationReversed,
    PaymentApplied,
    topic_of,
)
from arflow.events.envelope import Envelope, wrap
from arflow.ids import uuid7
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.services import RunningService

DUE = date(2026, 3, 1)


async def send(producer: AIOKafkaProducer, envelope: Envelope) -> None:
    """Put an envelope on invoicing's topic, keyed by customer, as its outbox relay does."""
    await producer.send_and_wait(
        topic_of(INVOICING), envelope.to_bytes(), key=envelope.subject.encode(), headers=envelope.kafka_headers()
    )


async def publish(producer: AIOKafkaProducer, event: Event, *, occurred_at: datetime | None = None) -> Envelope:
    envelope = wrap(event, occurred_at=occurred_at or datetime(2026, 1, 5, 2, 0, tzinfo=UTC), traceparent=None)
    await send(producer, envelope)
    return envelope


def customer(customer_id: uuid.UUID, *, revision: int = 1, legal_name: str = "杭州云帆财税咨询有限公司") -> Event:
    return CustomerUpserted(customer_id=customer_id, revision=revision, legal_name=legal_name)


def issued(customer_id: uuid.UUID, invoice_id: uuid.UUID, total: str = "1000.00", **overrides: Any) -> InvoiceIssued:
    amount = Money.of(total, "CNY")
    fields: dict[str, Any] = {
        "customer_id": customer_id,
        "invoice_id": invoice_id,
        "invoice_number": f"INV-2026-{invoice_id.hex[-6:]}",
        "currency": "CNY",
        "subtotal": amount,
        "tax_total": Money.zero("CNY"),
        "total": amount,
        "invoice_date": DUE - timedelta(days=30),
        "due_date": DUE,
        "net_days": 30,
        "payment_reference": "RF18INV2026000001",
        "issued_at": datetime(2026, 1, 30, 2, 0, tzinfo=UTC),
        **overrides,
    }
    return InvoiceIssued(**fields)


def paid(customer_id: uuid.UUID, invoice_id: uuid.UUID, paid_on: date, total: str = "1000.00") -> InvoicePaid:
    return InvoicePaid(
        customer_id=customer_id,
        invoice_id=invoice_id,
        invoice_number=f"INV-2026-{invoice_id.hex[-6:]}",
        total=Money.of(total, "CNY"),
        invoice_date=DUE - timedelta(days=30),
        due_date=DUE,
        paid_on=paid_on,
        days_beyond_terms=max(0, (paid_on - DUE).days),
    )


def applied(customer_id: uuid.UUID, invoice_id: uuid.UUID, amount: str, applied_on: date) -> PaymentApplied:
    return PaymentApplied(
        customer_id=customer_id,
        application_id=uuid7(),
        payment_id=uuid7(),
        invoice_id=invoice_id,
        invoice_number=f"INV-2026-{invoice_id.hex[-6:]}",
        amount=Money.of(amount, "CNY"),
        applied_on=applied_on,
        due_date=DUE,
        invoice_balance_after=Money.of("0", "CNY"),
        days_after_due=(applied_on - DUE).days,
    )


def reversal_of(
    application: PaymentApplied, reversed_on: date, *, amount: str | None = None
) -> PaymentApplicationReversed:
    """invoicing undoing the application (a bounced payment) and reopening the paid invoice."""
    return PaymentApplicationReversed(
        customer_id=application.customer_id,
        application_id=application.application_id,
        payment_id=application.payment_id,
        invoice_id=application.invoice_id,
        invoice_number=application.invoice_number,
        amount=Money.of(amount, "CNY") if amount else application.amount,
        reversed_on=reversed_on,
        reason="bounced",
        invoice_balance_after=Money.of("1000.00", "CNY"),
        invoice_reopened=True,
    )


async def credit_file(client: httpx.AsyncClient, customer_id: uuid.UUID, **params: str) -> dict[str, Any] | None:
    response = await client.get(f"/credit-files/{customer_id}", params=params)
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def file_when(
    client: httpx.AsyncClient, customer_id: uuid.UUID, condition: Any, what: str, **params: str
) -> dict[str, Any]:
    """Poll the credit file until `condition(file)` holds."""

    async def probe() -> dict[str, Any] | None:
        file = await credit_file(client, customer_id, **params)
        return file if file is not None and condition(file) else None

    return await eventually(probe, within=15, what=what)


# --- the walking skeleton ----------------------------------------------------------------


async def test_invoice_paid_five_days_late_shows_in_the_credit_file(
    credit_scoring: RunningService, credit_scoring_producer: AIOKafkaProducer
) -> None:
    customer_id, invoice_id = uuid7(), uuid7()
    await publish(credit_scoring_producer, customer(customer_id))
    await publish(credit_scoring_producer, issued(customer_id, invoice_id))
    await publish(credit_scoring_producer, paid(customer_id, invoice_id, DUE + timedelta(days=5)))

    file = await file_when(
        credit_scoring.client, customer_id, lambda f: f["invoices_paid"] == 1, "the paid invoice in the file"
    )
    assert file["legal_name"] == "杭州云帆财税咨询有限公司"
    assert file["as_of"] == "2026-04-15"
    assert (file["invoices_issued"], file["invoices_paid_late"], file["invoices_paid_on_time"]) == (1, 1, 0)
    assert file["ratio_late_by_count"] == "1.0000"
    assert file["average_dbt"] == "5.00"
    assert file["max_dbt_12m"] == 5
    assert file["tenure_days"] == (date(2026, 4, 15) - date(2026, 1, 5)).days
    assert file["by_currency"] == [
        {
            "currency": "CNY",
            "paid_amount": "1000.00",
            "paid_late_amount": "1000.00",
            "ratio_late_by_amount": "1.0000",
            "amount_weighted_dbt": "5.00",
            "outstanding": "0.00",
            "overdue": "0.00",
            # Invoice dated 2026-01-30, in the 90 days before 2026-04-15; nothing outstanding.
            "credit_sales_90d": "1000.00",
            "dso": "0.00",
            "best_possible_dso": "0.00",
            "average_days_delinquent": "0.00",
        }
    ]
    (experience,) = file["payment_experiences"]
    assert experience["invoice_number"] == f"INV-2026-{invoice_id.hex[-6:]}"
    assert experience["due_date"] == "2026-03-01"
    assert experience["paid_on"] == "2026-03-06"
    assert experience["days_beyond_terms"] == 5
    assert experience["status"] == "paid"


async def test_file_as_of_a_past_date_treats_the_later_payment_as_unpaid(
    credit_scoring: RunningService, credit_scoring_producer: AIOKafkaProducer
) -> None:
    customer_id, invoice_id = uuid7(), uuid7()
    await publish(credit_scoring_producer, customer(customer_id))
    await publish(credit_scoring_producer, issued(customer_id, invoice_id, total="2500.00"))
    await publish(credit_scoring_producer, paid(customer_id, invoice_id, date(2026, 3, 20), total="2500.00"))
    await file_when(credit_scoring.client, customer_id, lambda f: f["invoices_paid"] == 1, "the payment")

    before = await credit_file(credit_scoring.client, customer_id, as_of="2026-03-10")
    assert before is not None
    assert (before["invoices_paid"], before["invoices_open"]) == (0, 1)
    assert before["by_currency"][0]["outstanding"] == "2500.00"
    assert before["by_currency"][0]["overdue"] == "2500.00"
    (experience,) = before["payment_experiences"]
    assert (experience["status"], experience["paid_on"], experience["days_past_due"]) == ("open", None, 9)

    not_yet_issued = await credit_file(credit_scoring.client, customer_id, as_of="2026-01-29")
    assert not_yet_issued is not None
    assert not_yet_issued["invoices_issued"] == 0
    assert not_yet_issued["payment_experiences"] == []


async def test_a_reversed_payment_reopens_the_invoice_from_its_date(
    credit_scoring: RunningService, credit_scoring_producer: AIOKafkaProducer
) -> None:
    customer_id, invoice_id = uuid7(), uuid7()
    await publish(credit_scoring_producer, customer(customer_id))
    await publish(credit_scoring_producer, issued(customer_id, invoice_id))
    application = applied(customer_id, invoice_id, "1000.00", date(2026, 3, 5))
    await publish(credit_scoring_producer, application)
    await publish(credit_scoring_producer, paid(customer_id, invoice_id, date(2026, 3, 5)))
    reversal = reversal_of(application, date(2026, 3, 20))
    await publish(credit_scoring_producer, reversal)
    await publish(credit_scoring_producer, reversal)  # re-published under a new event id: counts once
    # Open before the payment as after its reversal: a last fact tells when every one has arrived.
    await publish(credit_scoring_producer, customer(customer_id, revision=2, legal_name="最后到达"))

    # The reversal used to be ignored: the invoice stayed paid for good.
    file = await file_when(credit_scoring.client, customer_id, lambda f: f["legal_name"] == "最后到达", "every fact")
    assert file["invoices_open"] == 1
    assert (file["invoices_paid"], file["by_currency"][0]["outstanding"]) == (0, "1000.00")
    (experience,) = file["payment_experiences"]
    assert (experience["status"], experience["paid_on"], experience["amount_paid"]) == ("open", None, "0.00")
    assert experience["days_past_due"] == (date(2026, 4, 15) - DUE).days

    before = await credit_file(credit_scoring.client, customer_id, as_of="2026-03-10")
    assert before is not None
    (then,) = before["payment_experiences"]
    assert (then["status"], then["amount_paid"], then["amount_outstanding"]) == ("paid", "1000.00", "0.00")


# --- delivery: duplicates, replays, order --------------------------------------------------


async def test_a_reversal_arriving_before_the_payment_it_undoes_still_counts(
    credit_scoring: RunningService, credit_scoring_producer: AIOKafkaProducer
) -> None:
    customer_id, invoice_id = uuid7(), uuid7()
    application = applied(customer_id, invoice_id, "1000.00", date(2026, 3, 5))
    await publish(credit_scoring_producer, reversal_of(application, date(2026, 3, 20), amount="600.00"))
    await publish(credit_scoring_producer, issued(customer_id, invoice_id))
    await publish(credit_scoring_producer, application)
    await publish(credit_scoring_producer, paid(customer_id, invoice_id, date(2026, 3, 5)))
    await publish(credit_scoring_producer, customer(customer_id, legal_name="最后到达"))

    file = await file_when(credit_scoring.client, customer_id, lambda f: f["legal_name"] == "最后到达", "every fact")
    (experience,) = file["payment_experiences"]
    assert (experience["status"], experience["amount_paid"], experience["amount_outstanding"]) == (
        "open",
        "400.00",
        "600.00",
    )


async def test_duplicate_envelopes_and_a_replayed_application_count_once(
    credit_scoring: RunningService, credit_scoring_producer: AIOKafkaProducer
) -> None:
    customer_id, invoice_id = uuid7(), uuid7()
    await publish(credit_scoring_producer, customer(customer_id))
    issue = await publish(credit_scoring_producer, issued(customer_id, invoice_id))
    await send(credit_scoring_producer, issue)  # the same envelope again: the inbox absorbs it
    application = applied(customer_id, invoice_id, "400.00", date(2026, 3, 5))
    envelope = await publish(credit_scoring_producer, application)
    await send(credit_scoring_producer, envelope)
    # The same application under a new event id (a re-published fact): only its id can dedupe it.
    await publish(credit_scoring_producer, application)
    # A later fact of the same customer, on the same partition: once it shows, the duplicates are behind us.
    marker = InvoiceOverdue(
        customer_id=customer_id,
        invoice_id=invoice_id,
        invoice_number=f"INV-2026-{invoice_id.hex[-6:]}",
        invoice_date=DUE - timedelta(days=30),
        due_date=DUE,
        total=Money.of("1000.00", "CNY"),
        amount_due=Money.of("600.00", "CNY"),
        days_overdue=31,
        bucket="31-60",
        as_of=date(2026, 4, 1),
    )
    await publish(credit_scoring_producer, marker)

    file = await file_when(
        credit_scoring.client,
        customer_id,
        lambda f: f["payment_experiences"] and f["payment_experiences"][0]["max_days_overdue_noticed"] == 31,
        "the overdue notice",
    )
    assert file["invoices_issued"] == 1
    (experience,) = file["payment_experiences"]
    assert experience["amount_paid"] == "400.00"
    assert experience["amount_outstanding"] == "600.00"
    assert file["by_currency"][0]["overdue"] == "600.00"


async def test_invoice_paid_before_invoice_issued_ends_with_a_correct_file(
    credit_scoring: RunningService, credit_scoring_producer: AIOKafkaProducer
) -> None:
    customer_id, invoice_id = uuid7(), uuid7()
    # Recorded on 2026-02-03 for an invoice dated 2026-01-30: a business fact of 2026-01-30 all the same.
    late_issue = issued(customer_id, invoice_id, issued_at=datetime(2026, 2, 3, 2, 0, tzinfo=UTC))
    await publish(credit_scoring_producer, paid(customer_id, invoice_id, DUE + timedelta(days=12)))
    await file_when(
        credit_scoring.client,
        customer_id,
        lambda f: f["invoices_issued"] == 1,
        "the invoice known from its payment alone",
        as_of="2026-02-01",
    )

    await publish(credit_scoring_producer, late_issue)
    # Published after the issue on the customer's partition, so once it shows the issue has been applied.
    await publish(credit_scoring_producer, customer(customer_id, legal_name="后到客户有限公司"))
    as_of_feb_1 = await file_when(
        credit_scoring.client, customer_id, lambda f: f["legal_name"] is not None, "the issue", as_of="2026-02-01"
    )
    # When invoicing recorded it does not un-know an invoice dated before the as-of date.
    assert as_of_feb_1["invoices_issued"] == 1
    file = await credit_file(credit_scoring.client, customer_id)
    assert file is not None
    assert (file["invoices_issued"], file["invoices_paid"], file["invoices_paid_late"]) == (1, 1, 1)
    (experience,) = file["payment_experiences"]
    assert (experience["status"], experience["paid_on"], experience["days_beyond_terms"]) == ("paid", "2026-03-13", 12)
    assert experience["total"] == "1000.00"
    assert file["by_currency"][0]["amount_weighted_dbt"] == "12.00"


async def test_an_older_customer_revision_arriving_late_is_ignored(
    credit_scoring: RunningService, credit_scoring_producer: AIOKafkaProducer
) -> None:
    customer_id = uuid7()
    await publish(credit_scoring_producer, customer(customer_id, revision=2, legal_name="新名称有限公司"))
    await publish(credit_scoring_producer, customer(customer_id, revision=1, legal_name="旧名称有限公司"))
    await publish(credit_scoring_producer, issued(customer_id, uuid7()))  # the marker behind the stale revision

    file = await file_when(
        credit_scoring.client, customer_id, lambda f: f["invoices_issued"] == 1, "the invoice after both revisions"
    )
    assert file["legal_name"] == "新名称有限公司"


async def test_tenure_starts_at_the_earliest_fact_whatever_the_arrival_order(
    credit_scoring: RunningService, credit_scoring_producer: AIOKafkaProducer
) -> None:
    customer_id = uuid7()
    await publish(
        credit_scoring_producer, issued(customer_id, uuid7()), occurred_at=datetime(2026, 2, 1, 2, 0, tzinfo=UTC)
    )
    await publish(credit_scoring_producer, customer(customer_id), occurred_at=datetime(2025, 4, 15, 2, 0, tzinfo=UTC))
    file = await file_when(
        credit_scoring.client, customer_id, lambda f: f["legal_name"] is not None, "the customer record"
    )
    assert file["tenure_days"] == 365


async def test_voided_and_written_off_invoices_leave_nothing_outstanding(
    credit_scoring: RunningService, credit_scoring_producer: AIOKafkaProducer
) -> None:
    customer_id, voided_id, lost_id = uuid7(), uuid7(), uuid7()
    await publish(credit_scoring_producer, issued(customer_id, voided_id, total="300.00"))
    await publish(credit_scoring_producer, issued(customer_id, lost_id, total="700.00"))
    await publish(
        credit_scoring_producer,
        InvoiceVoided(
            customer_id=customer_id,
            invoice_id=voided_id,
            invoice_number=f"INV-2026-{voided_id.hex[-6:]}",
            total=Money.of("300.00", "CNY"),
            reason="开错抬头",
            voided_at=datetime(2026, 2, 2, 2, 0, tzinfo=UTC),
        ),
    )
    await publish(
        credit_scoring_producer,
        InvoiceWrittenOff(
            customer_id=customer_id,
            invoice_id=lost_id,
            invoice_number=f"INV-2026-{lost_id.hex[-6:]}",
            amount_written_off=Money.of("700.00", "CNY"),
            reason="客户注销",
            written_off_on=date(2026, 4, 1),
        ),
    )

    file = await file_when(
        credit_scoring.client, customer_id, lambda f: f["invoices_written_off"] == 1, "the write-off"
    )
    assert (file["invoices_issued"], file["invoices_open"]) == (1, 0)
    assert {e["invoice_id"]: e["status"] for e in file["payment_experiences"]} == {
        str(voided_id): "void",
        str(lost_id): "written_off",
    }
    assert file["by_currency"][0]["outstanding"] == "0.00"

    before_write_off = await credit_file(credit_scoring.client, customer_id, as_of="2026-03-31")
    assert before_write_off is not None
    assert before_write_off["by_currency"][0]["overdue"] == "700.00"


async def test_a_customer_with_an_unknown_time_zone_still_has_a_credit_file(
    credit_scoring: RunningService, credit_scoring_producer: AIOKafkaProducer
) -> None:
    customer_id = uuid7()
    odd = CustomerUpserted(customer_id=customer_id, revision=1, legal_name="火星有限公司", time_zone="Mars/Olympus")
    await publish(credit_scoring_producer, odd)
    file = await file_when(credit_scoring.client, customer_id, lambda f: f["legal_name"] is not None, "the customer")
    assert file["legal_name"] == "火星有限公司"


# --- the API ---------------------------------------------------------------------------------


async def test_unknown_customer_is_a_404_problem(credit_scoring: RunningService) -> None:
    response = await credit_scoring.client.get(f"/credit-files/{uuid7()}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "customer_unknown"


async def test_as_of_in_the_future_is_refused(credit_scoring: RunningService) -> None:
    response = await credit_scoring.client.get(f"/credit-files/{uuid7()}", params={"as_of": "2026-04-16"})
    assert response.status_code == 422
    assert response.json()["code"] == "as_of_in_future"


async def test_as_of_before_2000_is_refused_on_every_read(credit_scoring: RunningService) -> None:
    # Year 1 used to overflow the two-year look-back into a 500.
    for path in (f"/credit-files/{uuid7()}", f"/credit-files/{uuid7()}/score", "/credit-files"):
        response = await credit_scoring.client.get(path, params={"as_of": "0001-01-01"})
        assert response.status_code == 422, path
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "as_of_too_early"


async def test_malformed_as_of_is_a_validation_problem(credit_scoring: RunningService) -> None:
    response = await credit_scoring.client.get("/credit-files", params={"as_of": "2026-13-01"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert [e["location"] for e in body["errors"]] == ["query.as_of"]


async def test_credit_files_need_an_api_key(credit_scoring: RunningService) -> None:
    response = await credit_scoring.client.get("/credit-files", headers={"Authorization": ""})
    assert response.status_code == 401


async def test_credit_files_list_pages_newest_customer_first(
    credit_scoring: RunningService, credit_scoring_producer: AIOKafkaProducer
) -> None:
    # Ids made in the same millisecond are ordered by their random bits: sort them as the list does.
    third, second, first = sorted((uuid7(), uuid7(), uuid7()), reverse=True)
    for customer_id in (first, second, third):
        await publish(credit_scoring_producer, customer(customer_id, legal_name=f"客户 {customer_id.hex[-4:]}"))
    for customer_id in (first, second, third):
        await file_when(credit_scoring.client, customer_id, lambda f: True, "the customer")

    page = (await credit_scoring.client.get("/credit-files", params={"limit": 2})).json()
    assert [f["customer_id"] for f in page["data"]] == [str(third), str(second)]
    assert page["has_more"] is True
    assert page["next_cursor"] == str(second)
    assert "payment_experiences" not in page["data"][0]

    rest = (
        await credit_scoring.client.get("/credit-files", params={"limit": 2, "starting_after": page["next_cursor"]})
    ).json()
    assert rest["data"][0]["customer_id"] == str(first)
    assert rest["data"][0]["legal_name"] == f"客户 {first.hex[-4:]}"
    assert rest["data"][0]["invoices_issued"] == 0


async def test_open_invoice_is_outstanding_and_overdue_in_decimal_strings(
    credit_scoring: RunningService, credit_scoring_producer: AIOKafkaProducer
) -> None:
    customer_id, invoice_id = uuid7(), uuid7()
    await publish(credit_scoring_producer, issued(customer_id, invoice_id, total="1234.56"))
    file = await file_when(credit_scoring.client, customer_id, lambda f: f["invoices_issued"] == 1, "the invoice")
    assert file["by_currency"][0]["outstanding"] == file["by_currency"][0]["overdue"] == "1234.56"
    (experience,) = file["payment_experiences"]
    assert (experience["total"], experience["days_past_due"]) == ("1234.56", (date(2026, 4, 15) - DUE).days)
    assert file["max_days_past_due"] == 45
