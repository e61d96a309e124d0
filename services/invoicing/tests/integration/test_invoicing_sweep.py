"""The overdue sweep gives the notices the domain's thresholds say, as the catalog's events in wrap()'s envelope."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from arflow.events.catalog import INVOICING, InvoiceDueSoon, InvoiceOverdue, topic_of
from arflow.events.envelope import Envelope, wrap
from arflow.messaging.outbox import row_of
from arflow.persistence import outbox_message
from arflow.testing.services import RunningService
from invoicing import domain
from invoicing.models import OverdueNotice

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
NewInvoice = Callable[..., Awaitable[dict[str, Any]]]
Recorded = Callable[..., Awaitable[list[dict[str, Any]]]]


async def sweep(invoicing: RunningService, day: date) -> None:
    """Run the sweep at noon of `day` in Shanghai (the customers' time zone)."""
    response = await invoicing.client.post("/admin/jobs/overdue-sweep/runs", json={"as_of": f"{day}T04:00:00Z"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "succeeded", response.text


async def overdue_notices(invoicing: RunningService, invoice_id: str) -> set[str]:
    async with invoicing.app.state.db.sessions() as session:
        query = select(OverdueNotice.threshold).where(
            OverdueNotice.invoice_id == uuid.UUID(invoice_id), OverdueNotice.threshold != domain.DUE_SOON
        )
        return set((await session.execute(query)).scalars())


async def test_overdue_notices_are_the_thresholds_the_domain_says_reached(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice, recorded: Recorded
) -> None:
    customer = await new_customer()
    invoices = {
        grace: await new_invoice(customer["id"], invoice_date="2030-01-05", net_days=30, grace_days=grace)
        for grace in (0, 5, 40)
    }
    due = date(2030, 2, 4)
    for days in (0, 1, 5, 6, 30, 31, 40, 41, 60, 61, 90, 91, 120):
        await sweep(invoicing, due + timedelta(days=days))
        for grace, invoice in invoices.items():
            reached = domain.thresholds_reached(days, grace)
            assert await overdue_notices(invoicing, invoice["id"]) == set(reached), (days, grace)
            assert len(await recorded("InvoiceOverdue", invoice_id=invoice["id"])) == len(reached), (days, grace)


async def test_every_sweep_payload_is_its_catalog_event_in_the_envelope_wrap_gives_it(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    customer = await new_customer()
    await new_invoice(customer["id"], "300.00", invoice_date="2031-01-05", net_days=30)
    await new_invoice(customer["id"], "12345", currency="JPY", invoice_date="2031-01-05", net_days=30)  # no decimals
    credited = await new_invoice(customer["id"], "500.00", invoice_date="2031-01-05", net_days=30, grace_days=3)
    response = await invoicing.client.post(
        f"/invoices/{credited['id']}/credit-notes", json={"amount": "120.50", "reason": "部分冲减"}
    )
    assert response.status_code == 201, response.text  # amount due 379.50 of 500.00
    await new_invoice(customer["id"], "80.00", invoice_date="2031-02-10", net_days=30)  # due 2031-03-12
    await sweep(invoicing, date(2031, 3, 10))  # 34 days past due, and 2 before the last one's due date

    async with invoicing.app.state.db.sessions() as session:
        rows = (
            await session.execute(
                select(outbox_message).where(
                    outbox_message.c.event_type.in_((InvoiceOverdue.event_type(), InvoiceDueSoon.event_type()))
                )
            )
        ).all()
    kinds = {row.event_type for row in rows if row.payload["data"]["customer_id"] == customer["id"]}
    assert kinds == {"InvoiceOverdue", "InvoiceDueSoon"}
    for row in rows:
        envelope = Envelope.model_validate(row.payload)
        event = envelope.to_event()
        assert isinstance(event, InvoiceOverdue | InvoiceDueSoon)
        wrapped = wrap(event, occurred_at=envelope.time, traceparent=envelope.traceparent)
        expected = row_of(wrapped, topic=topic_of(INVOICING))
        assert without_id_and_time(row.payload) == without_id_and_time(expected["payload"])
        assert (row.topic, row.key, row.event_type) == (expected["topic"], expected["key"], expected["event_type"])
        assert sorted(map(tuple, row.headers)) == sorted(map(tuple, expected["headers"]))


def without_id_and_time(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in ("id", "time")}
