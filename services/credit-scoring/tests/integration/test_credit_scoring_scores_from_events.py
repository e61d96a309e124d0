"""Scores, limits and warnings published from real events, read back over REST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx

from arflow.clock import FixedClock
from arflow.events.catalog import (
    CREDIT_SCORING,
    CustomerUpserted,
    DunningEscalated,
    InvoiceIssued,
    InvoicePaid,
    LegalHandover,
    topic_of,
)
from arflow.events.envelope import Envelope
from arflow.ids import uuid7
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import collect_events, publish_events
from arflow.testing.services import RunningService
from arflow.testing.tokens import person

CNY = "CNY"


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


def invoice(customer_id: UUID, invoice_id: UUID, invoice_date: date, total: str = "1000.00") -> InvoiceIssued:
    amount = Money.of(total, CNY)
    return InvoiceIssued(
        customer_id=customer_id,
        invoice_id=invoice_id,
        invoice_number=f"INV-{invoice_id.hex[-8:]}",
        currency=CNY,
        subtotal=amount,
        tax_total=Money.zero(CNY),
        total=amount,
        invoice_date=invoice_date,
        due_date=invoice_date + timedelta(days=30),
        net_days=30,
        payment_reference="RF18INV2026000001",
        issued_at=at(invoice_date),
    )


def paid(issued: InvoiceIssued, days_late: int) -> InvoicePaid:
    return InvoicePaid(
        customer_id=issued.customer_id,
        invoice_id=issued.invoice_id,
        invoice_number=issued.invoice_number,
        total=issued.total,
        invoice_date=issued.invoice_date,
        due_date=issued.due_date,
        paid_on=issued.due_date + timedelta(days=days_late),
        days_beyond_terms=max(0, days_late),
    )


async def history(infra: TestInfrastructure, customer_id: UUID, days_late: list[int]) -> list[InvoiceIssued]:
    """Monthly invoices from 2025-11 on (today is 2026-04-15), each paid `days_late` after its due date."""
    issued = [
        invoice(customer_id, uuid7(), date(2025, 11 + i, 1) if i < 2 else date(2026, i - 1, 1))
        for i in range(len(days_late))
    ]
    events: list[Any] = [CustomerUpserted(customer_id=customer_id, revision=1, legal_name="宁波海晨贸易有限公司")]
    for inv, late in zip(issued, days_late, strict=True):
        events.append(inv)
        if inv.due_date + timedelta(days=late) <= date(2026, 4, 15):
            events.append(paid(inv, late))
    await publish_events(infra.bootstrap, *events)
    return issued


async def all_arrived(client: httpx.AsyncClient, customer_id: UUID, *, issued: int, paid: int) -> None:
    """Wait until the credit file holds every invoice and payment published."""

    async def probe() -> bool:
        response = await client.get(f"/credit-files/{customer_id}")
        body = response.json()
        return response.status_code == 200 and (body["invoices_issued"], body["invoices_paid"]) == (issued, paid)

    await eventually(probe, what=f"{issued} invoices, {paid} paid")


def about(customer_id: UUID, event_type: str) -> Any:
    def match(envelope: Envelope) -> bool:
        return envelope.type == event_type and envelope.subject == str(customer_id)

    return match


async def test_a_customer_paying_on_time_is_scored_tier_a_with_its_reasons_and_model_version(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id = uuid7()
    await history(infra, customer_id, [0, 0, -2, 0])
    await all_arrived(credit_scoring.client, customer_id, issued=4, paid=4)
    topic = topic_of(CREDIT_SCORING)
    changes = await collect_events(infra.bootstrap, topic, about(customer_id, "CreditScoreChanged"), count=1)
    data = changes[0].data
    assert data["model_version"] and 1 <= len(data["reasons"]) <= 4

    score = (await credit_scoring.client.get(f"/credit-files/{customer_id}/score")).json()
    assert score["tier"] == "A", score
    assert score["payment_index"] == 80  # prompt: amount-weighted DBT 0 (early payment floored at the due date)
    assert score["score"] == sum(score["points"].values())
    history_page = (await credit_scoring.client.get(f"/credit-files/{customer_id}/scores")).json()
    # The score is published in the same transaction as the last payment's projection.
    assert history_page["data"][0]["score"] == score["score"]
    assert history_page["data"][0]["tier"] == "A" and history_page["data"][0]["credit_hold"] is False
    limit = (await credit_scoring.client.get(f"/credit-files/{customer_id}/limit")).json()
    assert limit["currency"] == CNY and limit["override_amount"] is None
    limit_events = await collect_events(infra.bootstrap, topic, about(customer_id, "CreditLimitChanged"), count=1)
    assert limit_events[0].data["manual_override"] is False


async def test_a_customer_paying_later_and_later_drops_tier_is_put_on_hold_and_warned(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id = uuid7()
    await history(infra, customer_id, [0, 0, 45, 60, 200])
    topic = topic_of(CREDIT_SCORING)
    await collect_events(infra.bootstrap, topic, about(customer_id, "CreditRiskAlert"), count=1)

    async def on_hold() -> dict[str, Any] | None:
        page = (await credit_scoring.client.get(f"/credit-files/{customer_id}/scores")).json()
        return page if page["data"] and page["data"][0]["credit_hold"] else None

    page = await eventually(on_hold, what="the credit hold")
    assert page["data"][0]["tier"] == "D"
    alerts = (await credit_scoring.client.get("/alerts", params={"customer_id": str(customer_id)})).json()["data"]
    assert {"tier_drop"} <= {a["kind"] for a in alerts}
    changed = await collect_events(
        infra.bootstrap, topic, lambda e: about(customer_id, "CreditScoreChanged")(e) and e.data["credit_hold"], count=1
    )
    assert changed[0].data["tier"] == "D"


async def test_open_invoices_get_a_late_payment_probability_with_the_model_version(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id = uuid7()
    issued = await history(infra, customer_id, [40, 45, 50, 400, 400])
    await all_arrived(credit_scoring.client, customer_id, issued=5, paid=3)
    response = await credit_scoring.client.get(f"/credit-files/{customer_id}/predictions")
    predictions = response.json()["data"]
    assert [p["invoice_id"] for p in predictions] == [str(i.invoice_id) for i in issued[3:]]
    for p in predictions:
        assert 0 <= p["probability_late"] <= 1 and p["days_late"] == 30 and p["model_version"]
    # A customer paying 40-50 days late: far above the simulated portfolio's base rate of about 8%.
    assert predictions[0]["probability_late"] > 0.25


async def test_a_dunning_letter_and_a_legal_handover_raise_one_alert_each_and_an_alert_can_be_acknowledged(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id, case_id = uuid7(), uuid7()
    overdue = Money.of("3000.00", CNY)
    letter = DunningEscalated(
        customer_id=customer_id,
        case_id=case_id,
        from_level=2,
        to_level=3,
        channel="letter",
        amount_overdue=overdue,
        escalated_at=at(date(2026, 4, 1)),
    )
    handover = LegalHandover(
        customer_id=customer_id,
        case_id=case_id,
        amount_outstanding=overdue,
        invoice_ids=[uuid7()],
        handed_over_at=at(date(2026, 4, 10)),
    )
    await publish_events(infra.bootstrap, letter, letter, handover)
    found = await collect_events(
        infra.bootstrap, topic_of(CREDIT_SCORING), about(customer_id, "CreditRiskAlert"), count=2
    )
    assert sorted(e.data["kind"] for e in found) == ["dunning_letter", "legal_handover"]

    async def listed() -> list[dict[str, Any]] | None:
        data = (await credit_scoring.client.get("/alerts", params={"customer_id": str(customer_id)})).json()["data"]
        return data if len(data) == 2 else None

    alerts = await eventually(listed, what="both alerts listed once")
    letter_alert = next(a for a in alerts if a["kind"] == "dunning_letter")
    assert "催收升级" in letter_alert["message_zh"] and letter_alert["acknowledged_at"] is None
    response = await credit_scoring.client.post(
        f"/alerts/{letter_alert['id']}/acknowledge", json={"note": "已电话联系"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["acknowledged_by"] == "test"
    open_ones = (
        await credit_scoring.client.get("/alerts", params={"customer_id": str(customer_id), "acknowledged": "false"})
    ).json()["data"]
    assert [a["kind"] for a in open_ones] == ["legal_handover"]


async def test_a_manual_limit_override_stands_until_it_expires_and_is_published(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id = uuid7()
    await history(infra, customer_id, [0, 0, 0])
    await all_arrived(credit_scoring.client, customer_id, issued=3, paid=3)

    async def limited() -> dict[str, Any] | None:
        response = await credit_scoring.client.get(f"/credit-files/{customer_id}/limit")
        return response.json() if response.status_code == 200 else None

    await eventually(limited, what="the recommended limit")
    body = {"amount": "88000.00", "currency": "CNY", "reason": "总经理特批", "expires_on": "2026-06-30"}
    headers = {"Idempotency-Key": f"override-{customer_id}"}
    first = await credit_scoring.client.post(f"/credit-files/{customer_id}/limit/override", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert (first.json()["limit"], first.json()["override_reason"]) == ("88000.00", "总经理特批")
    again = await credit_scoring.client.post(f"/credit-files/{customer_id}/limit/override", json=body, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true"
    published = await collect_events(
        infra.bootstrap,
        topic_of(CREDIT_SCORING),
        lambda e: about(customer_id, "CreditLimitChanged")(e) and e.data["manual_override"],
        count=1,
    )
    assert published[0].data["limit"] == {"amount": "88000.00", "currency": "CNY"}
    assert published[0].data["expires_on"] == "2026-06-30"


async def test_an_override_already_expired_is_refused(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id = uuid7()
    await publish_events(infra.bootstrap, CustomerUpserted(customer_id=customer_id, revision=1, legal_name="某公司"))

    async def known() -> bool:
        return (await credit_scoring.client.get(f"/credit-files/{customer_id}")).status_code == 200

    await eventually(known, what="the customer")
    body = {"amount": "1000", "reason": "试用", "expires_on": "2026-01-01"}
    response = await credit_scoring.client.post(f"/credit-files/{customer_id}/limit/override", json=body)
    assert response.status_code == 422 and response.json()["code"] == "override_expired"


async def test_a_manual_limit_keeps_its_own_currency_when_invoices_in_another_arrive(
    credit_scoring: RunningService, infra: TestInfrastructure, credit_scoring_clock: FixedClock
) -> None:
    customer_id = uuid7()
    upserted = CustomerUpserted(customer_id=customer_id, revision=1, legal_name="某外贸公司")
    await publish_events(infra.bootstrap, upserted)

    async def known() -> bool:
        return (await credit_scoring.client.get(f"/credit-files/{customer_id}")).status_code == 200

    await eventually(known, what="the customer")
    path = f"/credit-files/{customer_id}/limit/override"
    body = {"amount": "50000.00", "currency": "USD", "reason": "海外订单", "expires_on": None}
    asked = await credit_scoring.client.post(path, json=body)
    # No CNY threshold says anything of USD: a credit manager approves it (credit_limit.override, issue 18).
    assert asked.status_code == 202, asked.text
    manager = person("qianmin", {"credit-scoring:read", "credit-scoring:approve"}, now=credit_scoring_clock.now())
    response = await credit_scoring.client.post(f"/approvals/{asked.json()['id']}/approve", json={}, headers=manager)
    assert response.status_code == 200, response.text
    # It was stored as 50000 CNY: the rescore relabelled it with the default currency.
    assert (response.json()["result"]["currency"], response.json()["result"]["limit"]) == ("USD", "50000.00")

    await publish_events(infra.bootstrap, invoice(customer_id, uuid7(), date(2026, 4, 1)))
    await all_arrived(credit_scoring.client, customer_id, issued=1, paid=0)
    limit = (await credit_scoring.client.get(f"/credit-files/{customer_id}/limit")).json()
    assert (limit["currency"], limit["limit"], limit["override_amount"]) == ("USD", "50000.00", "50000.00")
    # The customer is now billed in CNY: a new manual limit in USD is refused, not relabelled.
    refused = await credit_scoring.client.post(path, json=body)
    assert refused.status_code == 422 and refused.json()["code"] == "currency_mismatch"


async def test_score_of_an_unknown_customer_is_a_404(credit_scoring: RunningService) -> None:
    for path in ("score", "scores", "predictions", "limit"):
        response = await credit_scoring.client.get(f"/credit-files/{uuid7()}/{path}")
        assert response.status_code == 404, path


async def test_an_expired_override_lapses_at_the_next_review_run(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id = uuid7()
    await history(infra, customer_id, [0, 0, 0])
    await all_arrived(credit_scoring.client, customer_id, issued=3, paid=3)

    async def limited() -> dict[str, Any] | None:
        response = await credit_scoring.client.get(f"/credit-files/{customer_id}/limit")
        return response.json() if response.status_code == 200 else None

    await eventually(limited, what="the recommended limit")
    body = {"amount": "50000.00", "reason": "旺季临时额度", "expires_on": "2026-04-30"}
    response = await credit_scoring.client.post(f"/credit-files/{customer_id}/limit/override", json=body)
    assert response.status_code == 201, response.text
    run = await credit_scoring.client.post("/admin/jobs/credit-review/runs", json={"as_of": "2026-05-01T02:00:00Z"})
    assert run.status_code == 200 and run.json()["result"]["overrides_lapsed"] >= 1
    after = (await credit_scoring.client.get(f"/credit-files/{customer_id}/limit")).json()
    # Back to the formula's limit as of the review (nothing billed in its 90 days: 0).
    assert (after["override_amount"], after["limit"], after["recommended"]) == (None, "0.00", "0.00")
    await collect_events(
        infra.bootstrap,
        topic_of(CREDIT_SCORING),
        lambda e: (
            about(customer_id, "CreditLimitChanged")(e)
            and not e.data["manual_override"]
            and (e.data.get("previous_limit") or {}).get("amount") == "50000.00"
        ),
        count=1,
    )


async def test_a_lifted_override_gives_the_recommended_limit_back(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id = uuid7()
    await history(infra, customer_id, [0, 0, 0])
    await all_arrived(credit_scoring.client, customer_id, issued=3, paid=3)

    async def limited() -> dict[str, Any] | None:
        response = await credit_scoring.client.get(f"/credit-files/{customer_id}/limit")
        return response.json() if response.status_code == 200 else None

    recommended = (await eventually(limited, what="the recommended limit"))["recommended"]
    path = f"/credit-files/{customer_id}/limit/override"
    assert (await credit_scoring.client.delete(path)).json()["code"] == "override_not_found"
    body = {"amount": "12345.00", "reason": "试用期", "expires_on": None}
    assert (await credit_scoring.client.post(path, json=body)).status_code == 201
    key = {"Idempotency-Key": f"lift-{customer_id}"}
    lifted = await credit_scoring.client.delete(path, headers=key)
    assert lifted.status_code == 200, lifted.text
    assert (lifted.json()["override_amount"], lifted.json()["limit"]) == (None, recommended)
    # A retried lift with its key answers as the first did; without a key there is nothing left to lift.
    again = await credit_scoring.client.delete(path, headers=key)
    assert (again.status_code, again.json()) == (200, lifted.json())
    assert (await credit_scoring.client.delete(path)).json()["code"] == "override_not_found"
