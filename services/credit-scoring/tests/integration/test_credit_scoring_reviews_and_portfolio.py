"""Reviews, retraining and drift as jobs run "as of"; the portfolio, models and onboarding over REST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx

from arflow.events.catalog import CREDIT_SCORING, InvoiceIssued, InvoicePaid, topic_of
from arflow.ids import uuid7
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import collect_events, publish_events
from arflow.testing.services import RunningService


def issued_and_paid(customer_id: UUID, invoice_date: date, dbt: int) -> list[Any]:
    invoice_id, amount = uuid7(), Money.of("2000.00", "CNY")
    due = invoice_date + timedelta(days=30)
    issued = InvoiceIssued(
        customer_id=customer_id,
        invoice_id=invoice_id,
        invoice_number=f"INV-{invoice_id.hex[-8:]}",
        currency="CNY",
        subtotal=amount,
        tax_total=Money.zero("CNY"),
        total=amount,
        invoice_date=invoice_date,
        due_date=due,
        net_days=30,
        payment_reference="RF18INV2026000001",
        issued_at=datetime(invoice_date.year, invoice_date.month, invoice_date.day, 2, tzinfo=UTC),
    )
    paid = InvoicePaid(
        customer_id=customer_id,
        invoice_id=invoice_id,
        invoice_number=issued.invoice_number,
        total=amount,
        invoice_date=invoice_date,
        due_date=due,
        paid_on=due + timedelta(days=dbt),
        days_beyond_terms=dbt,
    )
    return [issued, paid]


async def scored_customer(client: httpx.AsyncClient, infra: TestInfrastructure) -> UUID:
    customer_id = uuid7()
    events = [e for month in (1, 2) for e in issued_and_paid(customer_id, date(2026, month, 1), 0)]
    await publish_events(infra.bootstrap, *events)

    async def scored() -> bool:
        page = (await client.get(f"/credit-files/{customer_id}/scores")).json()
        return bool(page.get("data"))

    await eventually(scored, what="the first score")
    return customer_id


async def run(client: httpx.AsyncClient, job: str, as_of: str) -> dict[str, Any]:
    response = await client.post(f"/admin/jobs/{job}/runs", json={"as_of": as_of})
    assert response.status_code == 200, response.text
    return response.json()["result"]  # type: ignore[no-any-return]


async def test_a_review_is_logged_when_due_and_not_again_before_the_next_date(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id = await scored_customer(credit_scoring.client, infra)
    first = await run(credit_scoring.client, "credit-review", "2026-04-15T02:00:00Z")
    assert first["reviewed"] >= 1
    reviews = (await credit_scoring.client.get("/reviews", params={"customer_id": str(customer_id)})).json()["data"]
    (review,) = reviews
    assert review["reviewed_on"] == "2026-04-15"
    months = {"A": 12, "B": 6, "C": 3, "D": 1}[review["tier"]]
    assert review["next_review_on"] == date(2026 + (3 + months) // 12, (3 + months) % 12 + 1, 15).isoformat()
    assert review["findings"][0].startswith("评分")
    await run(credit_scoring.client, "credit-review", "2026-04-16T02:00:00Z")
    again = (await credit_scoring.client.get("/reviews", params={"customer_id": str(customer_id)})).json()["data"]
    assert len(again) == 1


async def test_a_review_rescores_publishes_the_changed_score_and_logs_it(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id = uuid7()
    # Two invoices paid on time, a third not yet due on 2026-04-15 (due 04-19): tier A today.
    events = [e for month in (1, 2) for e in issued_and_paid(customer_id, date(2026, month, 1), 0)]
    events.append(issued_and_paid(customer_id, date(2026, 3, 20), 0)[0])
    await publish_events(infra.bootstrap, *events)

    async def arrived() -> bool:
        body = (await credit_scoring.client.get(f"/credit-files/{customer_id}")).json()
        return (body.get("invoices_issued"), body.get("invoices_paid")) == (3, 2)

    await eventually(arrived, what="three invoices, two paid")
    before = (await credit_scoring.client.get(f"/credit-files/{customer_id}/scores")).json()["data"][0]
    # Reviewed on 2026-06-15: the third invoice is 57 days past due, so the score has moved.
    result = await run(credit_scoring.client, "credit-review", "2026-06-15T02:00:00Z")
    assert result["scores_published"] >= 1
    (review,) = (await credit_scoring.client.get("/reviews", params={"customer_id": str(customer_id)})).json()["data"]
    latest = (await credit_scoring.client.get(f"/credit-files/{customer_id}/scores")).json()["data"][0]
    assert latest["trigger"] == "credit_review" and latest["as_of"] == "2026-06-15"
    assert review["score"] == latest["score"] < before["score"]
    assert review["tier"] == latest["tier"]
    published = await collect_events(
        infra.bootstrap,
        topic_of(CREDIT_SCORING),
        lambda e: (
            e.type == "CreditScoreChanged"
            and e.subject == str(customer_id)
            and e.data["score"] == review["score"]
            and e.data["previous_score"] == before["score"]
        ),
    )
    assert published[0].data["tier"] == review["tier"]
    # Run again the same day: the customer is not due, and a recheck finds nothing new to publish or log.
    scores_before = (await credit_scoring.client.get(f"/credit-files/{customer_id}/scores")).json()["data"]
    await run(credit_scoring.client, "credit-review", "2026-06-15T08:00:00Z")
    reviews = (await credit_scoring.client.get("/reviews", params={"customer_id": str(customer_id)})).json()["data"]
    assert len(reviews) == 1
    scores_after = (await credit_scoring.client.get(f"/credit-files/{customer_id}/scores")).json()["data"]
    assert scores_after == scores_before


async def test_retraining_on_too_little_data_keeps_the_shipped_models(credit_scoring: RunningService) -> None:
    result = await run(credit_scoring.client, "model-retrain", "2026-04-15T02:00:00Z")
    assert result["scorecard"].startswith("skipped") and result["late_payment"].startswith("skipped")
    models = (await credit_scoring.client.get("/models")).json()["data"]
    assert {(m["kind"], m["source"]) for m in models} == {
        ("scorecard", "shipped_default"),
        ("late_payment", "shipped_default"),
    }
    scorecard = next(m for m in models if m["kind"] == "scorecard")
    assert scorecard["details"]["scaling"] == {"pdo": 20.0, "base_score": 600.0, "base_odds": 50.0}
    assert scorecard["version"] == "scorecard-sim-2026.1"


async def test_portfolio_counts_clients_and_exposure_by_tier(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    await scored_customer(credit_scoring.client, infra)
    portfolio = (await credit_scoring.client.get("/portfolio")).json()
    assert portfolio["scored_clients"] >= 1
    assert [t["tier"] for t in portfolio["tiers"]] == ["A", "B", "C", "D"]
    assert sum(t["clients"] for t in portfolio["tiers"]) == portfolio["scored_clients"]
    assert abs(sum(portfolio["score_bands"]) - 1) < 1e-3
    assert portfolio["psi"] >= 0 and isinstance(portfolio["psi_alert"], bool)
    drift = await run(credit_scoring.client, "portfolio-drift", "2026-04-15T02:00:00Z")
    assert drift["alert"] == portfolio["psi_alert"] or drift["scored_clients"] != portfolio["scored_clients"]
    metrics = (await credit_scoring.client.get("/metrics")).text
    assert 'arflow_credit_scoring_clients{tier="A"}' in metrics
    assert "arflow_credit_scoring_score_psi" in metrics


async def test_onboarding_assessment_returns_tier_limit_terms_and_reasons(credit_scoring: RunningService) -> None:
    body = {
        "legal_name": "苏州启明软件有限公司",
        "years_in_business": "6",
        "registered_capital": "2000000",
        "industry": "software",
        "tax_credit_rating": "B",
        "requested_net_days": 45,
        "monthly_billing": "1500.00",
    }
    response = await credit_scoring.client.post("/onboarding-assessments", json=body)
    assert response.status_code == 200, response.text
    found = response.json()
    # 50 + 15 + 20 + 5 = 90 → B; terms min(45, 30) = 30; limit 1500 × 30 / 30 × 2.5 = 3750 → 3700.
    assert (found["tier"], found["points"], found["recommended_net_days"], found["limit"]) == ("B", 90, 30, "3700.00")
    assert all(r["text_zh"] and r["text_en"] for r in found["reasons"])


async def test_onboarding_refuses_an_unknown_tax_rating(credit_scoring: RunningService) -> None:
    body = {
        "years_in_business": "6",
        "registered_capital": "2000000",
        "industry": "software",
        "tax_credit_rating": "AAA",
        "requested_net_days": 45,
        "monthly_billing": "1500.00",
    }
    response = await credit_scoring.client.post("/onboarding-assessments", json=body)
    assert response.status_code == 422 and response.json()["code"] == "validation_failed"
