"""Pre-due reminders, SMS failures, promises through the API, disputes resolved, filters, two ticks at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select

from arflow.clock import FixedClock
from arflow.db import Database
from arflow.events.catalog import (
    DUNNING,
    ContactInfo,
    CustomerUpserted,
    DisputeOpened,
    DisputeResolved,
    InvoiceDueSoon,
    InvoiceOverdue,
    PaymentApplied,
    topic_of,
)
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure
from arflow.testing.infrastructure import spec
from arflow.testing.kafka import collect_events, publish_events
from arflow.testing.services import RunningService
from arflow.testing.smtp import SmtpSink
from dunning.models import InvoiceDispute

DUE = date(2026, 3, 1)


def at(day: date, hour: int = 2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def customer(customer_id: UUID, email: str, phone: str | None = None, language: str = "zh-CN") -> CustomerUpserted:
    return CustomerUpserted(
        customer_id=customer_id,
        revision=1,
        legal_name="深圳前海宏图贸易有限公司",
        preferred_language=language,  # type: ignore[arg-type]
        contacts=[ContactInfo(name="Anna", email=email, phone=phone, language=language)],  # type: ignore[arg-type]
    )


def overdue(customer_id: UUID, invoice_id: UUID, *, amount: str = "2000.00") -> InvoiceOverdue:
    return InvoiceOverdue(
        customer_id=customer_id,
        invoice_id=invoice_id,
        invoice_number=f"INV-2026-{uuid4().hex[:8].upper()}",
        invoice_date=DUE - timedelta(days=30),
        due_date=DUE,
        total=Money.of(amount, "CNY"),
        amount_due=Money.of(amount, "CNY"),
        days_overdue=1,
        bucket="1-30",
        as_of=DUE + timedelta(days=1),
    )


async def case_of(dunning: RunningService, customer_id: UUID) -> dict[str, Any]:
    async def probe() -> list[dict[str, Any]]:
        return (await dunning.client.get("/cases", params={"customer_id": str(customer_id)})).json()["data"]  # type: ignore[no-any-return]

    return (await eventually(probe, what="the case"))[0]


async def tick(dunning: RunningService, clock: FixedClock, day: date, hour: int = 2) -> None:
    clock.set(at(day, hour))
    response = await dunning.client.post("/admin/jobs/dunning-tick/runs", json={"as_of": at(day, hour).isoformat()})
    assert response.status_code == 200, response.text


async def steps(dunning: RunningService, case_id: str) -> list[str]:
    return [a["step"] for a in (await dunning.client.get(f"/cases/{case_id}")).json()["actions"]]


async def test_invoice_due_soon_gets_a_pre_due_reminder_in_english(
    infra: Infrastructure, dunning: RunningService, dunning_smtp: SmtpSink, walking_clock: FixedClock
) -> None:
    customer_id, invoice_id, email = uuid4(), uuid4(), f"{uuid4().hex[:10]}@example.com"
    await publish_events(
        infra.bootstrap,
        customer(customer_id, email, language="en"),
        InvoiceDueSoon(
            customer_id=customer_id,
            invoice_id=invoice_id,
            invoice_number="INV-2026-PREDUE1",
            due_date=DUE,
            amount_due=Money.of("1500.00", "CNY"),
            days_until_due=7,
            payment_reference="RF18PREDUE1",
        ),
    )
    case = await case_of(dunning, customer_id)
    await tick(dunning, walking_clock, date(2026, 2, 25))  # tier B: 3 days before, not yet
    assert await steps(dunning, case["id"]) == []
    await tick(dunning, walking_clock, date(2026, 2, 26))
    assert await steps(dunning, case["id"]) == ["pre_due_reminder"]

    async def mail() -> list[EmailMessage]:
        return [m for m in dunning_smtp.messages if m["To"] == email]

    [message] = await eventually(mail, what="the pre-due reminder")
    assert message["Subject"].startswith("Payment reminder")
    body = message.get_body(("plain",))
    assert body is not None
    text = str(body.get_content())
    assert "INV-2026-PREDUE1" in text and "Days until due:    3" in text and "RF18PREDUE1" in text

    # Once overdue, the overdue notice follows at once, and the pre-due rung is not repeated.
    await publish_events(
        infra.bootstrap,
        InvoiceOverdue(
            customer_id=customer_id,
            invoice_id=invoice_id,
            invoice_number="INV-2026-PREDUE1",
            invoice_date=DUE - timedelta(days=30),
            due_date=DUE,
            total=Money.of("1500.00", "CNY"),
            amount_due=Money.of("1500.00", "CNY"),
            days_overdue=1,
            bucket="1-30",
            as_of=DUE + timedelta(days=1),
        ),
    )

    async def noticed() -> list[str] | None:
        found = await steps(dunning, case["id"])
        return found if "overdue_notice" in found else None

    assert await eventually(noticed, what="the overdue notice") == ["pre_due_reminder", "overdue_notice"]


async def test_sms_provider_failure_is_recorded_and_retried(
    infra: Infrastructure, dunning: RunningService, dunning_carrier: Any, walking_clock: FixedClock
) -> None:
    customer_id, invoice_id = uuid4(), uuid4()
    phone = f"+86137{uuid4().int % 10**8:08d}"
    walking_clock.set(at(DUE + timedelta(days=1)))
    await publish_events(
        infra.bootstrap, customer(customer_id, f"{uuid4().hex[:8]}@example.cn", phone), overdue(customer_id, invoice_id)
    )
    case = await case_of(dunning, customer_id)
    await tick(dunning, walking_clock, date(2026, 3, 8))
    dunning_carrier.fail = True
    try:
        await tick(dunning, walking_clock, date(2026, 3, 11))

        async def failed_once() -> dict[str, Any] | None:
            actions = (await dunning.client.get(f"/cases/{case['id']}")).json()["actions"]
            sms = [a for a in actions if a["channel"] == "sms"]
            return sms[0] if sms and sms[0]["attempts"] == 1 else None

        sms = await eventually(failed_once, what="a failed SMS attempt")
        assert sms["status"] == "pending" and "503" in sms["last_error"]
    finally:
        dunning_carrier.fail = False
    walking_clock.advance(timedelta(hours=1))  # past the first retry delay

    async def sent() -> list[Any]:
        return dunning_carrier.to(phone)  # type: ignore[no-any-return]

    [message] = await eventually(sent, what="the SMS after the retry")
    assert message["reference"] == sms["id"]


async def test_promise_made_through_the_api_pauses_the_case_and_is_kept_by_payment(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    customer_id, invoice_id = uuid4(), uuid4()
    walking_clock.set(at(DUE + timedelta(days=1)))
    invoice = overdue(customer_id, invoice_id)
    await publish_events(infra.bootstrap, customer(customer_id, f"{uuid4().hex[:8]}@example.cn"), invoice)
    case = await case_of(dunning, customer_id)
    response = await dunning.client.post(
        f"/cases/{case['id']}/promises",
        json={"amount": "2000.00", "promised_date": "2026-03-15"},
        headers={"Idempotency-Key": str(uuid4())},
    )
    assert response.status_code == 201, response.text
    promise = response.json()
    assert promise["status"] == "open" and promise["owed_at_promise"] == "2000.00"
    await tick(dunning, walking_clock, date(2026, 3, 10))
    assert await steps(dunning, case["id"]) == ["overdue_notice"]  # paused: the follow-up waits

    await publish_events(
        infra.bootstrap,
        PaymentApplied(
            customer_id=customer_id,
            application_id=uuid4(),
            payment_id=uuid4(),
            invoice_id=invoice_id,
            invoice_number=invoice.invoice_number,
            amount=Money.of("2000.00", "CNY"),
            applied_on=date(2026, 3, 12),
            due_date=DUE,
            invoice_balance_after=Money.of("0.00", "CNY"),
            days_after_due=11,
        ),
    )

    async def kept() -> bool:
        data = (await dunning.client.get("/promises", params={"case_id": case["id"]})).json()["data"]
        status: str = data[0]["status"]
        return status == "kept"

    await eventually(kept, what="the promise kept")
    made = await collect_events(
        infra.bootstrap,
        topic_of(DUNNING),
        lambda e: (
            e.type in ("PromiseToPayMade", "PromiseToPayKept", "DunningPaused") and e.data.get("case_id") == case["id"]
        ),
        count=3,
    )
    assert {e.type for e in made} == {"PromiseToPayMade", "PromiseToPayKept", "DunningPaused"}


async def test_a_resolved_dispute_puts_the_invoice_back_in_the_chase(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    customer_id, invoice_id, dispute_id = uuid4(), uuid4(), uuid4()
    walking_clock.set(at(DUE + timedelta(days=1)))
    await publish_events(
        infra.bootstrap, customer(customer_id, f"{uuid4().hex[:8]}@example.cn"), overdue(customer_id, invoice_id)
    )
    case = await case_of(dunning, customer_id)
    await publish_events(
        infra.bootstrap,
        DisputeOpened(
            customer_id=customer_id,
            dispute_id=dispute_id,
            invoice_id=invoice_id,
            amount=Money.of("2000.00", "CNY"),
            reason="金额有误",
            opened_at=at(date(2026, 3, 3)),
        ),
    )

    async def paused() -> dict[str, Any] | None:
        [entry] = (
            await dunning.client.get(
                "/dry-run", params={"case_id": case["id"], "as_of": at(date(2026, 3, 9)).isoformat()}
            )
        ).json()["data"]
        return entry if entry["reason"] == "dispute" else None

    await eventually(paused, what="the case paused by the dispute")
    await tick(dunning, walking_clock, date(2026, 3, 9))
    assert await steps(dunning, case["id"]) == ["overdue_notice"]
    await publish_events(
        infra.bootstrap,
        DisputeResolved(
            customer_id=customer_id,
            dispute_id=dispute_id,
            invoice_id=invoice_id,
            resolution="customer_wrong",
            resolved_at=at(date(2026, 3, 10)),
        ),
    )

    async def resumed() -> dict[str, Any] | None:
        [entry] = (
            await dunning.client.get(
                "/dry-run", params={"case_id": case["id"], "as_of": at(date(2026, 3, 11)).isoformat()}
            )
        ).json()["data"]
        return entry if entry["decision"] == "execute" else None

    await eventually(resumed, what="the case chased again")


def dispute_opened(customer_id: UUID, invoice_id: UUID, dispute_id: UUID) -> DisputeOpened:
    return DisputeOpened(
        customer_id=customer_id,
        dispute_id=dispute_id,
        invoice_id=invoice_id,
        amount=Money.of("500.00", "CNY"),
        reason="金额有误",
        opened_at=at(date(2026, 3, 3)),
    )


def dispute_resolved(customer_id: UUID, invoice_id: UUID, dispute_id: UUID) -> DisputeResolved:
    return DisputeResolved(
        customer_id=customer_id,
        dispute_id=dispute_id,
        invoice_id=invoice_id,
        resolution="adjusted",
        resolved_at=at(date(2026, 3, 10)),
    )


async def dry_run(dunning: RunningService, case_id: str, day: date) -> dict[str, Any]:
    params = {"case_id": case_id, "as_of": at(day).isoformat()}
    [entry] = (await dunning.client.get("/dry-run", params=params)).json()["data"]
    return entry  # type: ignore[no-any-return]


async def test_an_invoice_disputed_before_it_is_overdue_is_not_chased(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    customer_id, disputed_id, other_id = uuid4(), uuid4(), uuid4()
    walking_clock.set(at(DUE + timedelta(days=1)))
    await publish_events(
        infra.bootstrap,
        customer(customer_id, f"{uuid4().hex[:8]}@example.cn"),
        dispute_opened(customer_id, disputed_id, uuid4()),
    )
    # The dispute comes on reconciliation's topic and the overdue notices on invoicing's: no order holds
    # between two topics, so the notices are sent only once the dispute is recorded.
    db = Database(await infra.migrated_database(spec("dunning")), pool_size=1)
    try:

        async def dispute_recorded() -> bool:
            async with db.unit_of_work() as session:
                found = await session.scalar(
                    select(InvoiceDispute.dispute_id).where(InvoiceDispute.invoice_id == disputed_id)
                )
            return found is not None

        await eventually(dispute_recorded, what="the dispute recorded")
    finally:
        await db.dispose()
    await publish_events(
        infra.bootstrap,
        overdue(customer_id, disputed_id),
        overdue(customer_id, other_id),  # arrives last on the same topic: once it shows, the other was applied
    )

    async def both_items() -> dict[str, Any] | None:
        case = await case_of(dunning, customer_id)
        detail = (await dunning.client.get(f"/cases/{case['id']}")).json()
        return detail if len(detail["items"]) == 2 else None

    detail = await eventually(both_items, what="both invoices in the case")
    assert [a["invoice_ids"] for a in detail["actions"]] == [[str(other_id)]]


async def test_an_invoice_stays_disputed_until_its_last_dispute_is_resolved(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    customer_id, invoice_id, first, second = uuid4(), uuid4(), uuid4(), uuid4()
    walking_clock.set(at(DUE + timedelta(days=1)))
    await publish_events(
        infra.bootstrap, customer(customer_id, f"{uuid4().hex[:8]}@example.cn"), overdue(customer_id, invoice_id)
    )
    case = await case_of(dunning, customer_id)
    later = overdue(customer_id, invoice_id).model_copy(update={"days_overdue": 9})
    await publish_events(
        infra.bootstrap,
        dispute_opened(customer_id, invoice_id, first),
        dispute_opened(customer_id, invoice_id, second),
        dispute_resolved(customer_id, invoice_id, first),
        later,  # arrives last: once it shows, the disputes were applied
    )

    async def aged() -> bool:
        detail = (await dunning.client.get(f"/cases/{case['id']}")).json()
        return bool(detail["items"][0]["days_overdue"] == 9)

    await eventually(aged, what="the later overdue notice applied")
    assert (await dry_run(dunning, case["id"], date(2026, 3, 11)))["reason"] == "dispute"

    await publish_events(infra.bootstrap, dispute_resolved(customer_id, invoice_id, second))

    async def resumed() -> dict[str, Any] | None:
        entry = await dry_run(dunning, case["id"], date(2026, 3, 11))
        return entry if entry["decision"] == "execute" else None

    await eventually(resumed, what="the case chased again")


async def test_two_ticks_at_once_take_each_step_once(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    customer_id, invoice_id = uuid4(), uuid4()
    walking_clock.set(at(DUE + timedelta(days=1)))
    await publish_events(
        infra.bootstrap, customer(customer_id, f"{uuid4().hex[:8]}@example.cn"), overdue(customer_id, invoice_id)
    )
    case = await case_of(dunning, customer_id)
    walking_clock.set(at(date(2026, 3, 8)))
    body = {"as_of": at(date(2026, 3, 8)).isoformat()}
    responses = await asyncio.gather(
        *(dunning.client.post("/admin/jobs/dunning-tick/runs", json=body) for _ in range(2))
    )
    assert [r.status_code for r in responses] == [200, 200]
    assert await steps(dunning, case["id"]) == ["overdue_notice", "follow_up"]


async def test_cases_filter_by_level_collector_and_amount(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    customer_id = uuid4()
    walking_clock.set(at(DUE + timedelta(days=1)))
    await publish_events(
        infra.bootstrap,
        customer(customer_id, f"{uuid4().hex[:8]}@example.cn"),
        overdue(customer_id, uuid4(), amount="123456.78"),
    )
    case = await case_of(dunning, customer_id)
    collector = f"collector-{uuid4().hex[:6]}"
    await dunning.client.post(f"/cases/{case['id']}/assign", json={"collector": collector})
    found = (
        await dunning.client.get("/cases", params={"collector": collector, "level": 1, "min_amount": "123456.78"})
    ).json()
    assert [c["id"] for c in found["data"]] == [case["id"]]
    assert (await dunning.client.get("/cases", params={"collector": collector, "min_amount": "123456.79"})).json()[
        "data"
    ] == []
    assert (await dunning.client.get("/cases", params={"collector": collector, "level": 2})).json()["data"] == []
    assert (await dunning.client.get("/cases", params={"level": "x"})).status_code == 422
