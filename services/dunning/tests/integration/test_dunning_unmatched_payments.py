"""An unmatched payment that is probably the customer's holds their chase until it is resolved, at most 7 days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from arflow.clock import FixedClock
from arflow.events.catalog import (
    DUNNING,
    ContactInfo,
    CreditScoreChanged,
    CustomerUpserted,
    InvoiceOverdue,
    PaymentReceived,
    PaymentUnmatched,
    topic_of,
)
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure
from arflow.testing.kafka import collect_events, publish_events
from arflow.testing.services import RunningService

DUE = date(2026, 3, 1)


def at(day: date, hour: int = 2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


async def get(dunning: RunningService, path: str, **params: Any) -> Any:
    response = await dunning.client.get(path, params={k: str(v) for k, v in params.items()})
    assert response.status_code == 200, response.text
    return response.json()


async def open_case(infra: Infrastructure, dunning: RunningService) -> tuple[UUID, str]:
    """A tier D customer (an SMS on day 2, a follow-up on day 3) with one overdue invoice of 1000."""
    customer_id = uuid4()
    await publish_events(
        infra.bootstrap,
        CreditScoreChanged(customer_id=customer_id, score=500, tier="D", model_version="t", scored_at=at(DUE)),
        CustomerUpserted(
            customer_id=customer_id,
            revision=1,
            legal_name="苏州工业园区明达有限公司",
            contacts=[ContactInfo(name="陈静", email=f"{uuid4().hex[:10]}@example.cn")],
        ),
        InvoiceOverdue(
            customer_id=customer_id,
            invoice_id=uuid4(),
            invoice_number=f"INV-2026-{uuid4().hex[:8].upper()}",
            invoice_date=DUE - timedelta(days=30),
            due_date=DUE,
            total=Money.of("1000.00", "CNY"),
            amount_due=Money.of("1000.00", "CNY"),
            days_overdue=1,
            bucket="1-30",
            as_of=DUE + timedelta(days=1),
        ),
    )

    async def ready() -> str | None:
        cases = (await get(dunning, "/cases", customer_id=customer_id))["data"]
        if not cases:
            return None
        [entry] = (await get(dunning, "/dry-run", case_id=cases[0]["id"]))["data"]
        return str(cases[0]["id"]) if entry["tier"] == "D" else None

    return customer_id, await eventually(ready, what="the tier D case")


def unmatched(customer_id: UUID | None, payment_id: UUID) -> PaymentUnmatched:
    return PaymentUnmatched(
        customer_id=customer_id,
        payment_id=payment_id,
        amount=Money.of("1000.00", "CNY"),
        received_on=date(2026, 3, 2),
        source="bank_statement",
        payer_name="苏州明达",
        remittance_info="货款",
    )


def received(customer_id: UUID, payment_id: UUID, supersedes: UUID | None = None) -> PaymentReceived:
    return PaymentReceived(
        customer_id=customer_id,
        payment_id=payment_id,
        amount=Money.of("1000.00", "CNY"),
        received_on=date(2026, 3, 2),
        source="manual" if supersedes else "bank_statement",
        supersedes_payment_id=supersedes,
    )


async def decision(dunning: RunningService, case_id: str, as_of: datetime) -> tuple[str, str | None]:
    [entry] = (await get(dunning, "/dry-run", case_id=case_id, as_of=as_of.isoformat()))["data"]
    return entry["decision"], entry["reason"]


async def held(dunning: RunningService, case_id: str, as_of: datetime) -> bool:
    return await decision(dunning, case_id, as_of) == ("blocked", "unmatched_payment")


async def test_chasing_waits_for_an_unmatched_payment_and_resumes_when_it_is_matched(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    walking_clock.set(at(date(2026, 3, 2)))
    customer_id, case_id = await open_case(infra, dunning)
    payment_id = uuid4()
    await publish_events(infra.bootstrap, unmatched(customer_id, payment_id))
    [paused] = await collect_events(
        infra.bootstrap,
        topic_of(DUNNING),
        lambda e: e.type == "DunningPaused" and e.data.get("case_id") == case_id,
    )
    assert paused.data["reason"] == "unmatched_payment" and paused.data["until"] == "2026-03-09"
    assert str(payment_id) in paused.data["note"]

    assert await held(dunning, case_id, at(date(2026, 3, 5)))
    walking_clock.set(at(date(2026, 3, 5)))
    response = await dunning.client.post(
        "/admin/jobs/dunning-tick/runs", json={"as_of": at(date(2026, 3, 5)).isoformat()}
    )
    assert response.status_code == 200, response.text
    steps = [a["step"] for a in (await get(dunning, f"/cases/{case_id}"))["actions"]]
    assert steps == ["overdue_notice"]  # the SMS and the follow-up wait

    # Reconciliation's review matches it: the same payment, now received for the customer.
    walking_clock.set(at(date(2026, 3, 6)))
    await publish_events(infra.bootstrap, received(customer_id, payment_id))

    async def resumed() -> bool:
        return not await held(dunning, case_id, at(date(2026, 3, 6), 3))

    await eventually(resumed, what="the chase resumed after the match")
    response = await dunning.client.post(
        "/admin/jobs/dunning-tick/runs", json={"as_of": at(date(2026, 3, 6)).isoformat()}
    )
    assert response.status_code == 200, response.text
    steps = [a["step"] for a in (await get(dunning, f"/cases/{case_id}"))["actions"]]
    assert len(steps) > 1 and steps[0] == "overdue_notice"


async def test_a_re_matched_payment_resolves_the_one_it_supersedes(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    walking_clock.set(at(date(2026, 3, 2)))
    customer_id, case_id = await open_case(infra, dunning)
    payment_id = uuid4()
    await publish_events(infra.bootstrap, unmatched(customer_id, payment_id))
    await eventually(lambda: held(dunning, case_id, at(date(2026, 3, 4))), what="the hold")
    walking_clock.set(at(date(2026, 3, 4)))
    await publish_events(infra.bootstrap, received(customer_id, uuid4(), supersedes=payment_id))

    async def resumed() -> bool:
        return not await held(dunning, case_id, at(date(2026, 3, 4), 3))

    await eventually(resumed, what="the chase resumed after the re-match")
    assert await held(dunning, case_id, at(date(2026, 3, 3)))  # before the re-match it was held


async def test_an_unreviewed_payment_holds_the_chase_for_seven_days_only(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    walking_clock.set(at(date(2026, 3, 2)))
    customer_id, case_id = await open_case(infra, dunning)
    other_id, other_case = await open_case(infra, dunning)
    await publish_events(infra.bootstrap, unmatched(customer_id, uuid4()), unmatched(None, uuid4()))
    await eventually(lambda: held(dunning, case_id, at(date(2026, 3, 9), 1)), what="the hold")
    assert await decision(dunning, case_id, at(date(2026, 3, 9), 2)) != ("blocked", "unmatched_payment")
    assert not await held(dunning, other_case, at(date(2026, 3, 5)))  # another customer is still chased
    assert other_id != customer_id
