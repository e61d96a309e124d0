"""A firm loading six months of history gets what it would have had living through them (issue 21).

Two platforms of their own (databases and broker), the same facts with the same ids: one lives through
October 2025 - March 2026 day by day (each day's facts, then a credit review as of that day), the other
gets them all at once afterwards and one review as of 2026-03-31. As of that date both must show the
same credit files, scores, limits, holds and alerts (with the business dates they were raised on).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select

from arflow.clock import FixedClock
from arflow.events.catalog import (
    DUNNING,
    INVOICING,
    CustomerUpserted,
    DunningEscalated,
    Event,
    InvoiceIssued,
    InvoiceOverdue,
    InvoicePaid,
    PaymentApplied,
    topic_of,
)
from arflow.ids import uuid7
from arflow.messaging.kafka import ensure_topics
from arflow.money import Money
from arflow.persistence import inbox_message
from arflow.testing import eventually
from arflow.testing import services as testing_services
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService, running_service
from credit_scoring.config import CreditScoringSettings
from credit_scoring.main import create_app

CNY = "CNY"
FIRST, LAST = date(2025, 10, 1), date(2026, 3, 31)
PROMPT, SLIPPING = uuid7(), uuid7()
ONBOARDING = {
    "years_in_business": "8",
    "registered_capital": "3000000",
    "industry": "professional_services",
    "tax_credit_rating": "B",
    "requested_net_days": 30,
    "monthly_billing": "2000.00",
    "assessed_on": "2025-09-25",
}


def issued(customer_id: UUID, on: date, amount: str = "2000.00") -> InvoiceIssued:
    invoice_id, total = uuid7(), Money.of(amount, CNY)
    return InvoiceIssued(
        customer_id=customer_id,
        invoice_id=invoice_id,
        invoice_number=f"INV-{invoice_id.hex[-8:]}",
        currency=CNY,
        subtotal=total,
        tax_total=Money.zero(CNY),
        total=total,
        invoice_date=on,
        due_date=on + timedelta(days=30),
        net_days=30,
        payment_reference=f"RF18{invoice_id.hex[-8:]}",
        issued_at=datetime(2026, 4, 15, 2, 0, tzinfo=UTC),  # recorded "today": a back-dated load
    )


def paid(invoice: InvoiceIssued, on: date) -> list[Event]:
    return [
        PaymentApplied(
            customer_id=invoice.customer_id,
            application_id=uuid7(),
            payment_id=uuid7(),
            invoice_id=invoice.invoice_id,
            invoice_number=invoice.invoice_number,
            amount=invoice.total,
            applied_on=on,
            due_date=invoice.due_date,
            invoice_balance_after=Money.zero(CNY),
            days_after_due=(on - invoice.due_date).days,
        ),
        InvoicePaid(
            customer_id=invoice.customer_id,
            invoice_id=invoice.invoice_id,
            invoice_number=invoice.invoice_number,
            total=invoice.total,
            invoice_date=invoice.invoice_date,
            due_date=invoice.due_date,
            paid_on=on,
            days_beyond_terms=max(0, (on - invoice.due_date).days),
        ),
    ]


def overdue(invoice: InvoiceIssued, on: date) -> InvoiceOverdue:
    days = (on - invoice.due_date).days
    return InvoiceOverdue(
        customer_id=invoice.customer_id,
        invoice_id=invoice.invoice_id,
        invoice_number=invoice.invoice_number,
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        total=invoice.total,
        amount_due=invoice.total,
        days_overdue=days,
        bucket="1-30" if days <= 30 else "31-60" if days <= 60 else "61-90" if days <= 90 else "90+",
        as_of=on,
    )


def history() -> dict[date, list[Event]]:
    """Six months of two clients, by business date: one pays on time, one slips into dunning."""
    facts: dict[date, list[Event]] = {}

    def on(day: date, *events: Event) -> None:
        facts.setdefault(day, []).extend(events)

    on(FIRST, CustomerUpserted(customer_id=PROMPT, revision=1, legal_name="杭州准时财务咨询有限公司"))
    on(FIRST, CustomerUpserted(customer_id=SLIPPING, revision=1, legal_name="宁波迟缓贸易有限公司"))
    slipping_days_late = [0, 4, 51, None, None, None]  # None: still open on 2026-03-31
    for month in range(6):
        day = date(2025 + (9 + month) // 12, (9 + month) % 12 + 1, 1)
        prompt, slipping = issued(PROMPT, day), issued(SLIPPING, day, "3000.00")
        on(day, prompt, slipping)
        if prompt.due_date <= LAST:
            on(prompt.due_date - timedelta(days=2), *paid(prompt, prompt.due_date - timedelta(days=2)))
        late = slipping_days_late[month]
        for notice in (1, 31):
            noticed = slipping.due_date + timedelta(days=notice)
            if (late is None or late >= notice) and noticed <= LAST:
                on(noticed, overdue(slipping, noticed))
        if late is not None:
            on(slipping.due_date + timedelta(days=late), *paid(slipping, slipping.due_date + timedelta(days=late)))
        if month == 2:  # its December invoice reaches the formal letter (催账函) at 30 days
            letter = slipping.due_date + timedelta(days=30)
            on(
                letter,
                DunningEscalated(
                    customer_id=SLIPPING,
                    case_id=uuid7(),
                    from_level=2,
                    to_level=3,
                    channel="letter",
                    amount_overdue=slipping.total,
                    escalated_at=datetime(letter.year, letter.month, letter.day, 2, 0, tzinfo=UTC),
                ),
            )
    return facts


@asynccontextmanager
async def platform(infra: TestInfrastructure, api_key: str) -> AsyncIterator[tuple[TestInfrastructure, RunningService]]:
    """Credit scoring on a platform of its own (its database and broker)."""
    own = infra.isolated()
    try:
        await ensure_topics(own.bootstrap, [topic_of(INVOICING), topic_of(DUNNING)])
        settings = testing_services.test_settings(CreditScoringSettings, own, api_key)
        clock = FixedClock(datetime(2026, 4, 15, 2, 0, tzinfo=UTC))
        async with running_service("credit-scoring", create_app, settings, own, api_key, clock=clock) as running:
            yield own, running
    finally:
        await own.stop()


async def deliver(own: TestInfrastructure, running: RunningService, events: list[Event], total: int) -> None:
    """Publish the events and wait until the service has applied `total` events in all."""
    await publish_events(own.bootstrap, *events)

    async def applied() -> bool:
        async with running.app.state.db.sessions() as session:
            return bool(await session.scalar(select(func.count()).select_from(inbox_message)) == total)

    await eventually(applied, within=30, what=f"{total} events applied")


async def review(running: RunningService, day: date) -> None:
    response = await running.client.post("/admin/jobs/credit-review/runs", json={"as_of": f"{day}T02:00:00Z"})
    assert response.status_code == 200 and response.json()["status"] == "succeeded", response.text


async def what_it_shows(running: RunningService, customer_id: UUID) -> dict[str, Any]:
    """Everything a credit manager sees of the client as of the last day (instants of recording left out)."""
    client, as_of = running.client, {"as_of": LAST.isoformat()}
    file = (await client.get(f"/credit-files/{customer_id}", params=as_of)).json()
    score = (await client.get(f"/credit-files/{customer_id}/score", params=as_of)).json()
    current = (await client.get(f"/credit-files/{customer_id}/scores", params={"limit": 1})).json()["data"][0]
    limit = (await client.get(f"/credit-files/{customer_id}/limit")).json()
    alerts = (await client.get("/alerts", params={"customer_id": str(customer_id), **as_of, "limit": 100})).json()
    return {
        "file": file,
        "score": score,
        "current": {
            k: current[k] for k in ("score", "tier", "payment_index", "credit_hold", "reasons", "model_version")
        },
        "limit": {k: v for k, v in limit.items() if k != "updated_at"},
        "alerts": sorted(
            (a["raised_on"], a["kind"], a["severity"], a["message_en"], str(a["details"])) for a in alerts["data"]
        ),
    }


async def test_loading_six_months_at_once_ends_as_living_through_them(infra: TestInfrastructure, api_key: str) -> None:
    facts = history()
    async with platform(infra, api_key) as (own, lived):
        put = await lived.client.put(f"/credit-files/{PROMPT}/onboarding", json=ONBOARDING)
        assert put.status_code == 201, put.text
        delivered, day = 0, FIRST
        while day <= LAST:
            if facts.get(day):
                delivered += len(facts[day])
                await deliver(own, lived, facts[day], delivered)
            await review(lived, day)
            day += timedelta(days=1)
        lived_shows = {c: await what_it_shows(lived, c) for c in (PROMPT, SLIPPING)}
    async with platform(infra, api_key) as (own, loaded):
        put = await loaded.client.put(f"/credit-files/{PROMPT}/onboarding", json=ONBOARDING)
        assert put.status_code == 201, put.text
        everything = [e for d in sorted(facts) for e in facts[d]]
        await deliver(own, loaded, everything, len(everything))
        await review(loaded, LAST)
        loaded_shows = {c: await what_it_shows(loaded, c) for c in (PROMPT, SLIPPING)}

    slipping = lived_shows[SLIPPING]
    assert slipping["alerts"] and slipping["current"]["credit_hold"], slipping  # the history is not a quiet one
    assert not lived_shows[PROMPT]["current"]["credit_hold"] and not lived_shows[PROMPT]["alerts"]
    for customer_id in (PROMPT, SLIPPING):
        for part in ("file", "score", "current", "limit", "alerts"):
            assert loaded_shows[customer_id][part] == lived_shows[customer_id][part], (customer_id, part)
