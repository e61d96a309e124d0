"""The monthly collection plan, the action log as CSV, collectors' task lists and the business metrics."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from arflow.clock import FixedClock
from arflow.events.catalog import ContactInfo, CreditScoreChanged, CustomerUpserted, InvoiceOverdue
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService

DUE = date(2026, 3, 1)


def at(day: date, hour: int = 2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


async def new_case(
    infra: Infrastructure, dunning: RunningService, *, amount: str, tier: str | None = None
) -> tuple[UUID, str]:
    customer_id, invoice_id = uuid4(), uuid4()
    number = f"INV-2026-{uuid4().hex[:8].upper()}"
    events: list[Any] = [
        CustomerUpserted(
            customer_id=customer_id,
            revision=1,
            legal_name=f"客户{number[-4:]}有限公司",
            contacts=[ContactInfo(name="张伟", email=f"{uuid4().hex[:10]}@example.cn")],
        ),
        InvoiceOverdue(
            customer_id=customer_id,
            invoice_id=invoice_id,
            invoice_number=number,
            invoice_date=DUE - timedelta(days=30),
            due_date=DUE,
            total=Money.of(amount, "CNY"),
            amount_due=Money.of(amount, "CNY"),
            days_overdue=1,
            bucket="1-30",
            as_of=DUE + timedelta(days=1),
        ),
    ]
    if tier:
        events.insert(
            0,
            CreditScoreChanged(customer_id=customer_id, score=500, tier=tier, model_version="t", scored_at=at(DUE)),  # type: ignore[arg-type]
        )
    await publish_events(infra.bootstrap, *events)

    async def probe() -> list[dict[str, Any]]:
        response = await dunning.client.get("/cases", params={"customer_id": str(customer_id)})
        return response.json()["data"]  # type: ignore[no-any-return]

    case = (await eventually(probe, what="the case"))[0]
    return customer_id, case["id"]


async def test_monthly_plan_ranks_cases_by_amount_times_risk_with_totals_per_collector(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    walking_clock.set(at(DUE + timedelta(days=1)))
    _, small_risky = await new_case(infra, dunning, amount="3000.00", tier="D")
    _, large_safe = await new_case(infra, dunning, amount="5000.00", tier="A")
    await eventually(lambda: _tier_known(dunning, small_risky), what="the tier D customer on its ladder")
    assert (
        await dunning.client.post(f"/cases/{large_safe}/assign", json={"collector": "collector-li"})
    ).status_code == 200

    response = await dunning.client.post("/plans", json={"month": "2026-03", "as_of": at(date(2026, 3, 2)).isoformat()})
    assert response.status_code == 201, response.text
    plan = response.json()
    ranked = [line["case_id"] for line in plan["lines"]]
    # 3000 × D(4) = 12000 comes before 5000 × A(1) = 5000.
    assert ranked.index(small_risky) < ranked.index(large_safe)
    risky = next(line for line in plan["lines"] if line["case_id"] == small_risky)
    assert risky["tier"] == "D" and risky["priority"] == "12000.00" and risky["policy"] == "tier-d"
    steps = [(s["step"], s["date"]) for s in risky["planned_steps"]]
    assert steps[:3] == [("sms_reminder", "2026-03-03"), ("follow_up", "2026-03-04"), ("formal_letter", "2026-03-08")]
    assert all(s["date"] <= "2026-03-31" for s in risky["planned_steps"])
    li = [t for t in plan["collectors"] if t["collector"] == "collector-li"]
    assert li == [
        {"collector": "collector-li", "currency": "CNY", "cases": 1, "amount_overdue": "5000.00", "planned_steps": 2}
    ]

    assert (await dunning.client.get("/plans/2026-03")).json()["id"] == plan["id"]
    csv_response = await dunning.client.get("/plans/2026-03/csv")
    assert csv_response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["rank", "customer_name", "customer_id"]
    assert any(r[-3:] == ["formal_letter", "letter", "2026-03-08"] for r in rows)
    assert ["collector-li", "CNY", "1", "5000.00", "2"] in rows


async def _tier_known(dunning: RunningService, case_id: str) -> bool:
    response = await dunning.client.get("/dry-run", params={"case_id": case_id})
    tier: str = response.json()["data"][0]["tier"]
    return tier == "D"


async def test_plan_job_draws_up_the_plan_on_the_first_only(dunning: RunningService) -> None:
    response = await dunning.client.post(
        "/admin/jobs/monthly-collection-plan/runs", json={"as_of": "2026-07-02T02:00:00Z"}
    )
    assert response.json()["result"] == {"skipped": "not the first day of the month"}
    response = await dunning.client.post(
        "/admin/jobs/monthly-collection-plan/runs",
        json={"as_of": "2026-06-30T17:00:00Z"},  # 1 July in Shanghai
    )
    assert response.json()["result"]["month"] == "2026-07-01"
    assert (await dunning.client.get("/plans/2026-07")).status_code == 200
    assert (await dunning.client.get("/plans/2031-01")).json()["code"] == "plan_not_found"


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "1999-12", "2026-13"])
async def test_a_month_outside_2000_to_2999_is_refused_as_input(dunning: RunningService, month: str) -> None:
    """Year 0 is no date and December 9999 has no month after it: both were 500s."""
    for response in (
        await dunning.client.get(f"/plans/{month}"),
        await dunning.client.get(f"/plans/{month}/csv"),
        await dunning.client.post("/plans", json={"month": month}),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "validation_failed"


async def test_action_log_exports_as_csv(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    walking_clock.set(at(DUE + timedelta(days=1)))
    customer_id, case_id = await new_case(infra, dunning, amount="800.00")
    await dunning.client.post("/admin/jobs/dunning-tick/runs", json={"as_of": at(date(2026, 3, 8)).isoformat()})
    response = await dunning.client.get("/actions/export", params={"customer_id": str(customer_id)})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["step"] for r in rows] == ["overdue_notice", "follow_up"]
    assert {r["case_id"] for r in rows} == {case_id} and rows[0]["channel"] == "email"


async def test_collectors_list_their_tasks_for_the_day_and_assign_them(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    walking_clock.set(at(DUE + timedelta(days=1)))
    _, case_id = await new_case(infra, dunning, amount="900.00", tier="D")
    await eventually(lambda: _tier_known(dunning, case_id), what="the tier D ladder")
    for day in (3, 5, 7, 9, 11):  # sms, follow-up, letter, call
        await dunning.client.post("/admin/jobs/dunning-tick/runs", json={"as_of": at(date(2026, 3, day)).isoformat()})
    tasks = (await dunning.client.get("/tasks", params={"case_id": case_id, "status": "open"})).json()["data"]
    assert sorted(t["kind"] for t in tasks) == ["phone_call", "registered_mail"]
    call = next(t for t in tasks if t["kind"] == "phone_call")
    assert (
        await dunning.client.post(f"/tasks/{call['id']}/assign", json={"assignee": "collector-zhao"})
    ).status_code == 200
    mine = (await dunning.client.get("/tasks", params={"assignee": "collector-zhao", "due_on": "2026-03-11"})).json()
    assert [t["id"] for t in mine["data"]] == [call["id"]]
    done = await dunning.client.post(f"/tasks/{call['id']}/complete", json={"outcome": "no_answer"})
    assert done.json()["status"] == "done" and done.json()["completed_by"] == "test"
    again = await dunning.client.post(f"/tasks/{call['id']}/complete", json={"outcome": "reached"})
    assert again.status_code == 409 and again.json()["code"] == "task_closed"
    mail_task = next(t for t in tasks if t["kind"] == "registered_mail")
    await dunning.client.post(f"/tasks/{mail_task['id']}/assign", json={"assignee": "test"})  # the API key's name
    mine = (await dunning.client.get("/tasks", params={"assignee": "me", "status": "open"})).json()["data"]
    assert mail_task["id"] in [t["id"] for t in mine]
    incomplete = await dunning.client.post(
        f"/tasks/{next(t for t in tasks if t['kind'] == 'registered_mail')['id']}/complete",
        json={"outcome": "promise_to_pay"},
    )
    assert incomplete.status_code == 422 and incomplete.json()["code"] == "promise_incomplete"


async def test_business_metrics_are_served(infra: Infrastructure, dunning: RunningService) -> None:
    await new_case(infra, dunning, amount="700.00")

    async def metrics() -> str | None:
        text = (await dunning.client.get("/metrics")).text
        return text if 'arflow_dunning_steps_executed_total{channel="email",outcome="sent"}' in text else None

    text = await eventually(metrics, what="the step counter")
    assert 'arflow_dunning_open_cases{level="1"}' in text
    assert 'arflow_dunning_open_amount{currency="CNY",level="1"}' in text
    assert "arflow_dunning_promises_kept_ratio" in text
    assert 'arflow_dunning_step_cure_rate{policy="none",step="overdue_notice"}' in text
