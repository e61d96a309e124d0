"""Payment plans (分期还款协议, issue 18): instalments pause the case, payments keep them, one unpaid by its date
breaks the plan and the chasing resumes; a large or long plan waits for a second person. Through the API, on
real PostgreSQL and the broker (payments arrive as PaymentApplied)."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

from arflow.clock import FixedClock
from arflow.events.catalog import ContactInfo, CustomerUpserted, InvoiceOverdue, PaymentApplied
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService
from arflow.testing.tokens import person

DUE = date(2026, 3, 1)
COLLECTOR = {"dunning:read", "dunning:write"}
MANAGER = {"dunning:read", "dunning:write", "dunning:approve"}


def at(day: date, hour: int = 2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def as_(dunning: RunningService, username: str, scopes: set[str]) -> dict[str, str]:
    return {**person(username, scopes, now=dunning.app.state.clock.now()), "Idempotency-Key": secrets.token_hex(8)}


async def open_case(infra: Infrastructure, dunning: RunningService, amount: str) -> dict[str, Any]:
    customer_id, invoice_id, number = uuid4(), uuid4(), f"INV-2026-{uuid4().hex[:8].upper()}"
    await publish_events(
        infra.bootstrap,
        CustomerUpserted(
            customer_id=customer_id,
            revision=1,
            legal_name="杭州云栖科技有限公司",
            contacts=[ContactInfo(name="陈静", role="billing", email=f"{uuid4().hex[:10]}@example.cn")],
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
    )

    async def probe() -> list[dict[str, Any]]:
        return (await dunning.client.get("/cases", params={"customer_id": str(customer_id)})).json()["data"]  # type: ignore[no-any-return]

    case = (await eventually(probe, what="the case"))[0]
    return {**case, "invoice_id": invoice_id, "invoice_number": number, "customer_id": customer_id}


async def pay(infra: Infrastructure, case: dict[str, Any], amount: str, on: date, balance_after: str) -> None:
    await publish_events(
        infra.bootstrap,
        PaymentApplied(
            customer_id=case["customer_id"],
            application_id=uuid4(),
            payment_id=uuid4(),
            invoice_id=case["invoice_id"],
            invoice_number=case["invoice_number"],
            amount=Money.of(amount, "CNY"),
            applied_on=on,
            due_date=DUE,
            invoice_balance_after=Money.of(balance_after, "CNY"),
            days_after_due=(on - DUE).days,
        ),
    )


def three_instalments(each: str = "10000.00") -> dict[str, Any]:
    total = format(3 * float(each), ".2f")
    return {
        "amount_covered": total,
        "instalments": [
            {"due_date": "2026-03-15", "amount": each},
            {"due_date": "2026-04-15", "amount": each},
            {"due_date": "2026-05-15", "amount": each},
        ],
        "note": "客户资金周转困难，同意分三期还款",
    }


async def plans_of(dunning: RunningService, case_id: str) -> list[dict[str, Any]]:
    response = await dunning.client.get(f"/cases/{case_id}/payment-plans")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def dry_run(dunning: RunningService, case_id: str, day: date) -> dict[str, Any]:
    response = await dunning.client.get("/dry-run", params={"case_id": case_id, "as_of": at(day).isoformat()})
    assert response.status_code == 200, response.text
    return response.json()["data"][0]  # type: ignore[no-any-return]


async def tick(dunning: RunningService, clock: FixedClock, day: date) -> None:
    clock.set(at(day))
    response = await dunning.client.post("/admin/jobs/dunning-tick/runs", json={"as_of": at(day).isoformat()})
    assert response.status_code == 200, response.text


async def test_a_plan_pauses_the_case_an_instalment_paid_keeps_it_one_unpaid_breaks_it(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    walking_clock.set(at(DUE + timedelta(days=1)))
    case = await open_case(infra, dunning, "30000.00")
    made = await dunning.client.post(
        f"/cases/{case['id']}/payment-plans", json=three_instalments(), headers=as_(dunning, "liqiang", COLLECTOR)
    )
    assert made.status_code == 201, made.text
    plan = made.json()
    assert plan["status"] == "active" and plan["amount_covered"] == "30000.00" and plan["made_by"] == "user:liqiang"
    assert [i["status"] for i in plan["instalments"]] == ["open", "open", "open"]
    # Paused until the last instalment, even on a day a step would be due.
    assert "promise_to_pay" in str((await dry_run(dunning, case["id"], date(2026, 4, 20)))["reason"])

    # The first instalment paid (PaymentApplied): kept.
    await pay(infra, case, "10000.00", date(2026, 3, 14), "20000.00")

    async def first_kept() -> bool:
        return bool((await plans_of(dunning, case["id"]))[0]["instalments"][0]["status"] == "kept")

    await eventually(first_kept, what="the first instalment kept")
    # The second is not paid by 15 April: the tick breaks the plan, the third is cancelled, chasing resumes.
    await tick(dunning, walking_clock, date(2026, 4, 16))
    [ended] = await plans_of(dunning, case["id"])
    assert ended["status"] == "broken" and ended["ended_on"] == "2026-04-16", ended
    assert [i["status"] for i in ended["instalments"]] == ["kept", "broken", "cancelled"]
    assert "promise_to_pay" not in str((await dry_run(dunning, case["id"], date(2026, 4, 20)))["reason"])
    entries = (await dunning.client.get("/audit", params={"object": ended["id"]})).json()["data"]
    assert any(e["action"].startswith("payment_plan") for e in entries), entries


async def test_a_plan_kept_to_the_end_completes(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    walking_clock.set(at(DUE + timedelta(days=1)))
    case = await open_case(infra, dunning, "40000.00")
    body = three_instalments()
    made = await dunning.client.post(
        f"/cases/{case['id']}/payment-plans", json=body, headers=as_(dunning, "liqiang", COLLECTOR)
    )
    assert made.status_code == 201, made.text
    # One payment early for all three instalments: each is kept (the debt fell by the instalments up to it).
    await pay(infra, case, "30000.00", date(2026, 3, 10), "10000.00")

    async def completed() -> dict[str, Any] | None:
        plan = (await plans_of(dunning, case["id"]))[0]
        return plan if plan["status"] == "completed" else None

    plan = await eventually(completed, what="the plan completed")
    assert [i["status"] for i in plan["instalments"]] == ["kept", "kept", "kept"]
    again = await dunning.client.post(
        f"/cases/{case['id']}/payment-plans",
        json={"amount_covered": "10000.00", "instalments": [{"due_date": "2026-04-01", "amount": "10000.00"}]},
        headers=as_(dunning, "liqiang", COLLECTOR),
    )
    assert again.status_code == 201, again.text  # the first one ended: another may be agreed


async def test_a_bad_plan_is_refused_in_both_languages_and_changes_nothing(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    walking_clock.set(at(DUE + timedelta(days=1)))
    case = await open_case(infra, dunning, "30000.00")
    body = {**three_instalments(), "amount_covered": "29000.00"}
    refused = await dunning.client.post(
        f"/cases/{case['id']}/payment-plans", json=body, headers=as_(dunning, "liqiang", COLLECTOR)
    )
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_payment_plan", refused.text
    assert "add up to 30,000.00" in refused.json()["detail"]
    zh = await dunning.client.post(
        f"/cases/{case['id']}/payment-plans",
        json=body,
        headers={**as_(dunning, "liqiang", COLLECTOR), "Accept-Language": "zh-CN"},
    )
    assert zh.status_code == 422 and "与协议金额 29,000.00 不符" in zh.json()["detail"], zh.text
    too_much = {**three_instalments("20000.00")}
    over = await dunning.client.post(
        f"/cases/{case['id']}/payment-plans", json=too_much, headers=as_(dunning, "liqiang", COLLECTOR)
    )
    assert over.status_code == 422 and "more than the 30,000.00 the case owes" in over.json()["detail"]
    assert await plans_of(dunning, case["id"]) == []
    made = await dunning.client.post(
        f"/cases/{case['id']}/payment-plans", json=three_instalments(), headers=as_(dunning, "liqiang", COLLECTOR)
    )
    assert made.status_code == 201
    twice = await dunning.client.post(
        f"/cases/{case['id']}/payment-plans", json=three_instalments(), headers=as_(dunning, "liqiang", COLLECTOR)
    )
    assert twice.status_code == 409 and twice.json()["code"] == "payment_plan_exists"


async def test_a_large_plan_waits_for_a_second_person_and_the_requester_cannot_approve_it(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    walking_clock.set(at(DUE + timedelta(days=1)))
    case = await open_case(infra, dunning, "90000.00")
    asked = await dunning.client.post(
        f"/cases/{case['id']}/payment-plans",
        json=three_instalments("20000.00"),
        headers=as_(dunning, "zhaolei", MANAGER),
    )
    assert asked.status_code == 202, asked.text
    approval = asked.json()
    assert approval["action"] == "case.payment_plan" and approval["status"] == "pending"
    assert await plans_of(dunning, case["id"]) == []
    own = await dunning.client.post(
        f"/approvals/{approval['id']}/approve", json={}, headers=as_(dunning, "zhaolei", MANAGER)
    )
    assert own.json()["code"] == "self_approval", own.text
    assert await plans_of(dunning, case["id"]) == []
    approved = await dunning.client.post(
        f"/approvals/{approval['id']}/approve", json={}, headers=as_(dunning, "wangfang", MANAGER)
    )
    assert approved.status_code == 200, approved.text
    [plan] = await plans_of(dunning, case["id"])
    assert plan["status"] == "active" and plan["made_by"] == "user:zhaolei" and plan["amount_covered"] == "60000.00"
    # Approving again applies nothing twice.
    again = await dunning.client.post(
        f"/approvals/{approval['id']}/approve", json={}, headers=as_(dunning, "wangfang", MANAGER)
    )
    assert again.status_code == 409 and again.json()["code"] == "approval_not_pending", again.text
    assert len(await plans_of(dunning, case["id"])) == 1


async def test_a_long_plan_waits_whatever_its_amount_and_a_payment_meanwhile_makes_approving_409(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    walking_clock.set(at(DUE + timedelta(days=1)))
    case = await open_case(infra, dunning, "7000.00")
    months = [f"2026-{m:02d}-10" for m in range(4, 11)]  # 7 instalments, April to October
    body = {"amount_covered": "7000.00", "instalments": [{"due_date": d, "amount": "1000.00"} for d in months]}
    asked = await dunning.client.post(
        f"/cases/{case['id']}/payment-plans", json=body, headers=as_(dunning, "liqiang", COLLECTOR)
    )
    assert asked.status_code == 202, asked.text
    await pay(infra, case, "500.00", date(2026, 3, 5), "6500.00")

    async def lowered() -> bool:
        detail = (await dunning.client.get(f"/cases/{case['id']}")).json()
        return [i["amount_due"] for i in detail["items"]] == ["6500.00"]

    await eventually(lowered, what="the payment recorded")
    changed = await dunning.client.post(
        f"/approvals/{asked.json()['id']}/approve", json={}, headers=as_(dunning, "wangfang", MANAGER)
    )
    assert changed.status_code == 409 and changed.json()["code"] == "approval_subject_changed", changed.text
    assert await plans_of(dunning, case["id"]) == []
