"""The ledger applies PaymentReceived from the bus; the sweep publishes overdue facts once."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, text

from arflow.events.catalog import Allocation, PaymentReceived, topic_of
from arflow.money import Money
from arflow.persistence import outbox_message
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure, embedded_server_url
from arflow.testing.kafka import collect_events, publish_events
from arflow.testing.services import RunningService, running_service
from arflow.testing.services import test_settings as settings_for
from arflow.tracing import new_traceparent, trace_id_of
from invoicing.config import InvoicingSettings
from invoicing.main import create_app

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
SEEDED, BACKLOG = 50, 1200  # overdue invoices: enough for the planner to memoize a per-row subquery


async def issue(
    invoicing: RunningService, customer_id: str, amount: str, invoice_date: str = "2026-01-05"
) -> dict[str, Any]:
    response = await invoicing.client.post(
        "/invoices",
        json={
            "customer_id": customer_id,
            "invoice_date": invoice_date,
            "net_days": 30,
            "issue": True,
            "lines": [{"description": "代理记账", "unit_price": amount}],
        },
    )
    assert response.status_code == 201, response.text
    invoice: dict[str, Any] = response.json()
    return invoice


def payment(customer_id: str, amount: str, allocations: list[tuple[str, str]], received_on: date) -> PaymentReceived:
    return PaymentReceived(
        customer_id=uuid.UUID(customer_id),
        payment_id=uuid.uuid4(),
        amount=Money.of(amount, "CNY"),
        received_on=received_on,
        source="manual",
        allocations=[Allocation(invoice_id=uuid.UUID(i), amount=Money.of(a, "CNY")) for i, a in allocations],
    )


async def invoice_state(invoicing: RunningService, invoice_id: str) -> dict[str, Any]:
    state: dict[str, Any] = (await invoicing.client.get(f"/invoices/{invoice_id}")).json()
    return state


async def test_payment_received_pays_the_invoice_and_publishes_the_facts(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer
) -> None:
    customer = await new_customer()
    invoice = await issue(invoicing, customer["id"], "300.00")
    await publish_events(
        infra.bootstrap, payment(customer["id"], "300.00", [(invoice["id"], "300.00")], date(2026, 2, 9))
    )

    async def paid() -> dict[str, Any] | None:
        state = await invoice_state(invoicing, invoice["id"])
        return state if state["status"] == "paid" else None

    state = await eventually(paid, what="the invoice to be paid")
    assert state["balance"] == "0.00"
    assert state["paid_on"] == "2026-02-09"
    [event] = await collect_events(
        infra.bootstrap,
        topic_of("invoicing"),
        lambda e: e.type == "InvoicePaid" and e.data["invoice_id"] == invoice["id"],
    )
    assert event.data["days_beyond_terms"] == 5  # due 2026-02-04


async def test_what_no_longer_fits_stays_unapplied_and_oldest_due_goes_first(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer
) -> None:
    customer = await new_customer()
    older = await issue(invoicing, customer["id"], "100.00", invoice_date="2026-01-01")
    newer = await issue(invoicing, customer["id"], "100.00", invoice_date="2026-01-20")
    await publish_events(infra.bootstrap, payment(customer["id"], "150.00", [], date(2026, 2, 1)))

    async def settled() -> bool:
        amount_paid: str = (await invoice_state(invoicing, newer["id"]))["amount_paid"]
        return amount_paid == "50.00"

    await eventually(settled, what="the payment to be applied")
    assert (await invoice_state(invoicing, older["id"]))["status"] == "paid"
    applied = await collect_events(
        infra.bootstrap,
        topic_of("invoicing"),
        lambda e: e.type == "PaymentApplied" and e.data["customer_id"] == customer["id"],
        count=2,
    )
    assert sorted(e.data["amount"]["amount"] for e in applied) == ["100.00", "50.00"]


async def test_overdue_sweep_publishes_each_threshold_once(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer
) -> None:
    customer = await new_customer(time_zone="Asia/Shanghai")
    invoice = await issue(invoicing, customer["id"], "300.00", invoice_date="2026-01-05")  # due 2026-02-04

    async def sweep(as_of: str) -> dict[str, Any]:
        response = await invoicing.client.post("/admin/jobs/overdue-sweep/runs", json={"as_of": as_of})
        assert response.status_code == 200, response.text
        run: dict[str, Any] = response.json()
        return run

    # 2026-02-04T16:30Z is already 2026-02-05 in Shanghai: one day past due.
    first = await sweep("2026-02-04T16:30:00Z")
    assert first["status"] == "succeeded"
    again = await sweep("2026-02-04T17:00:00Z")
    later = await sweep("2026-03-10T00:00:00Z")  # 34 days past due: bucket 31-60
    assert first["result"]["notices"] >= 1
    assert later["result"]["by_threshold"].get("31-60", 0) >= 1
    events = await collect_events(
        infra.bootstrap,
        topic_of("invoicing"),
        lambda e: e.type == "InvoiceOverdue" and e.data["invoice_id"] == invoice["id"],
        count=2,
    )
    assert [(e.data["bucket"], e.data["days_overdue"]) for e in events] == [("1-30", 1), ("31-60", 34)]
    assert again["status"] == "succeeded"
    with pytest.raises(AssertionError, match="found 2 of 3"):  # the re-run published nothing more for it
        await collect_events(
            infra.bootstrap,
            topic_of("invoicing"),
            lambda e: e.type == "InvoiceOverdue" and e.data["invoice_id"] == invoice["id"],
            count=3,
            within=3,
        )


async def test_each_overdue_notice_keeps_the_invoices_page_open_up_to_120_days_past_due(
    invoicing: RunningService, new_customer: NewCustomer
) -> None:
    """A reminder sent 40 days past due must not link a dead page: each notice carries the link 30 days on,
    never past due + 120 days (Stripe's longest), never shorter than it was; a revoked link stays revoked."""
    customer = await new_customer(time_zone="Asia/Shanghai")
    chased = await issue(invoicing, customer["id"], "300.00", invoice_date="2026-01-05")  # due 2026-02-04
    stopped = await issue(invoicing, customer["id"], "80.00", invoice_date="2026-01-05")
    assert (await invoicing.client.delete(f"/invoices/{stopped['id']}/hosted-link")).status_code == 204

    async def expiry_after_sweep(as_of: str) -> str:
        response = await invoicing.client.post("/admin/jobs/overdue-sweep/runs", json={"as_of": as_of})
        assert response.status_code == 200, response.text
        link = (await invoicing.client.get(f"/invoices/{chased['id']}/hosted-link")).json()
        expires_on: str = link["expires_on"]
        return expires_on

    # Made on 2026-03-02 (the clock), it works to 04-01 already; a notice of 02-05 would give only 03-07.
    assert await expiry_after_sweep("2026-02-04T16:30:00Z") == "2026-04-01"
    assert await expiry_after_sweep("2026-03-10T00:00:00Z") == "2026-04-09"  # 31-60 noticed 03-10
    assert await expiry_after_sweep("2026-04-06T00:00:00Z") == "2026-05-06"  # 61-90 noticed 04-06
    assert await expiry_after_sweep("2026-05-06T00:00:00Z") == "2026-06-04"  # 90+ on 05-06: capped at due + 120
    assert await expiry_after_sweep("2026-05-20T00:00:00Z") == "2026-06-04"  # no new notice, nothing moves
    revoked = (await invoicing.client.get(f"/invoices/{stopped['id']}/hosted-link")).json()
    assert revoked["status"] == "revoked" and revoked["expires_on"] == "2026-04-01"


async def test_unknown_job_is_404(invoicing: RunningService) -> None:
    response = await invoicing.client.post("/admin/jobs/no-such-job/runs", json={})
    assert response.status_code == 404
    assert response.json()["code"] == "job_not_found"


async def test_the_request_trace_travels_with_the_event(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer
) -> None:
    customer = await new_customer()
    parent = new_traceparent()
    response = await invoicing.client.post(
        "/invoices",
        json={"customer_id": customer["id"], "issue": True, "lines": [{"description": "x", "unit_price": "1.00"}]},
        headers={"traceparent": parent},
    )
    assert response.status_code == 201, response.text
    [issued] = await collect_events(
        infra.bootstrap,
        topic_of("invoicing"),
        lambda e: e.type == "InvoiceIssued" and e.data["invoice_id"] == response.json()["id"],
    )
    assert trace_id_of(issued.traceparent) == trace_id_of(parent)


async def test_a_sweep_over_a_backlog_gives_every_notice_its_own_event(infra: TestInfrastructure, api_key: str) -> None:
    """Every notice of a sweep gets its own event id, whatever plan PostgreSQL picks.

    The sweep once drew the id in a LATERAL subquery keyed by threshold. Once the notice table's statistics
    say there are few thresholds (PostgreSQL 17+ carries them into the CTE), a large backlog makes the
    planner memoize that subquery: every notice of one threshold got the same id and the sweep failed
    (500). A platform of its own, so the backlog does not reach the other tests' invoices, and on the
    embedded PostgreSQL 18 even where the suite runs on an older server (CI's is 15).
    """
    own = infra.isolated(server_url=embedded_server_url())
    try:
        settings = settings_for(InvoicingSettings, own, api_key)
        async with running_service("invoicing", create_app, settings, own, api_key) as service:
            customer = (await service.client.post("/customers", json={"legal_name": "积压客户有限公司"})).json()
            template = await issue(service, customer["id"], "120.00", invoice_date="2026-01-05")

            async def copy_template(copies: int, label: str) -> None:
                async with service.app.state.db.sessions() as session, session.begin():
                    await session.execute(
                        text(
                            """
                            INSERT INTO invoice (id, customer_id, number, status, currency, invoice_date, due_date,
                                   net_days, grace_days, subtotal, tax_total, total, created_at, updated_at)
                            SELECT gen_random_uuid(), customer_id, number || :label || n, status, currency,
                                   invoice_date, due_date, net_days, grace_days, subtotal, tax_total, total,
                                   created_at, updated_at
                            FROM invoice CROSS JOIN generate_series(1, :copies) AS n WHERE id = :id
                            """
                        ),
                        {"copies": copies, "label": label, "id": template["id"]},
                    )

            async def sweep() -> int:
                response = await service.client.post(
                    "/admin/jobs/overdue-sweep/runs", json={"as_of": "2026-06-30T00:00:00Z"}
                )
                assert response.status_code == 200, response.text
                notices: int = response.json()["result"]["notices"]
                return notices

            await copy_template(SEEDED - 1, "-s")
            assert await sweep() == SEEDED * 4  # overdue, 31-60, 61-90, 90+
            await copy_template(BACKLOG, "-b")
            async with service.app.state.db.sessions() as session, session.begin():
                await session.execute(text("ANALYZE invoice"))
                await session.execute(text("ANALYZE overdue_notice"))  # now it knows: four thresholds
            assert await sweep() == BACKLOG * 4
            async with service.app.state.db.sessions() as session:
                event_ids = list(
                    (
                        await session.execute(
                            select(outbox_message.c.event_id).where(outbox_message.c.event_type == "InvoiceOverdue")
                        )
                    ).scalars()
                )
            assert len(event_ids) == (SEEDED + BACKLOG) * 4
            assert len(set(event_ids)) == len(event_ids)
    finally:
        await own.stop()
