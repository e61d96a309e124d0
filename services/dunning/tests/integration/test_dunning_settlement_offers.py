"""Settlement offers (和解折让, issue 18): an amount paid by a date for the whole balance; once paid, dunning
publishes SettlementPaid with the balances invoicing is to write off. A discount over 10,000 CNY or over 10%
of the balance waits for a second person. Through the API, on real PostgreSQL and the broker."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from arflow.clock import FixedClock
from arflow.events.catalog import DUNNING, topic_of
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure
from arflow.testing.kafka import collect_events
from arflow.testing.services import RunningService

from .test_dunning_payment_plans import COLLECTOR, DUE, MANAGER, as_, at, dry_run, open_case, pay, tick


async def offers_of(dunning: RunningService, case_id: str) -> list[dict[str, Any]]:
    response = await dunning.client.get(f"/cases/{case_id}/settlement-offers")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_small_discount_is_agreed_at_once_and_once_paid_the_rest_is_asked_written_off(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    walking_clock.set(at(DUE + timedelta(days=1)))
    case = await open_case(infra, dunning, "20000.00")
    made = await dunning.client.post(
        f"/cases/{case['id']}/settlement-offers",
        json={"amount": "19000.00", "pay_by": "2026-03-20", "note": "一次性付清"},
        headers=as_(dunning, "liqiang", COLLECTOR),
    )
    assert made.status_code == 201, made.text
    offer = made.json()
    assert offer["status"] == "open" and offer["discount"] == "1000.00" and offer["approved"] is False
    assert "promise_to_pay" in str((await dry_run(dunning, case["id"], date(2026, 3, 18)))["reason"])

    await pay(infra, case, "19000.00", date(2026, 3, 15), "1000.00")

    async def paid() -> dict[str, Any] | None:
        found = (await offers_of(dunning, case["id"]))[0]
        return found if found["status"] == "paid" else None

    settled = await eventually(paid, what="the settlement paid")
    assert settled["written_off"] == "1000.00"
    [event] = await collect_events(
        infra.bootstrap,
        topic_of(DUNNING),
        lambda e: e.type == "SettlementPaid" and e.data.get("case_id") == case["id"],
    )
    assert event.data["amount_paid"] == {"amount": "19000.00", "currency": "CNY"}
    assert event.data["write_off"] == {"amount": "1000.00", "currency": "CNY"}
    assert [i["invoice_number"] for i in event.data["invoices"]] == [case["invoice_number"]]
    assert event.data["invoices"][0]["write_off"] == {"amount": "1000.00", "currency": "CNY"}
    assert event.data["approved"] is False


async def test_an_offer_unpaid_by_its_date_lapses_and_the_chasing_resumes(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    walking_clock.set(at(DUE + timedelta(days=1)))
    case = await open_case(infra, dunning, "20000.00")
    made = await dunning.client.post(
        f"/cases/{case['id']}/settlement-offers",
        json={"amount": "19500.00", "pay_by": "2026-03-10"},
        headers=as_(dunning, "liqiang", COLLECTOR),
    )
    assert made.status_code == 201, made.text
    await tick(dunning, walking_clock, date(2026, 3, 11))
    [offer] = await offers_of(dunning, case["id"])
    assert offer["status"] == "lapsed" and offer["written_off"] is None
    assert "promise_to_pay" not in str((await dry_run(dunning, case["id"], date(2026, 3, 12)))["reason"])


async def test_a_large_discount_waits_for_a_second_person(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    walking_clock.set(at(DUE + timedelta(days=1)))
    case = await open_case(infra, dunning, "50000.00")
    # 15% off (7,500 CNY): under the 10,000 CNY threshold, but over the 10% share.
    asked = await dunning.client.post(
        f"/cases/{case['id']}/settlement-offers",
        json={"amount": "42500.00", "pay_by": "2026-03-31"},
        headers=as_(dunning, "liqiang", COLLECTOR),
    )
    assert asked.status_code == 202, asked.text
    approval = asked.json()
    assert approval["action"] == "case.settlement_discount" and approval["amount"] in ("7500.00", "7500")
    assert await offers_of(dunning, case["id"]) == []
    own = await dunning.client.post(
        f"/approvals/{approval['id']}/approve", json={}, headers=as_(dunning, "liqiang", MANAGER)
    )
    assert own.status_code == 403 and own.json()["code"] == "self_approval", own.text
    approved = await dunning.client.post(
        f"/approvals/{approval['id']}/approve", json={}, headers=as_(dunning, "wangfang", MANAGER)
    )
    assert approved.status_code == 200, approved.text
    [offer] = await offers_of(dunning, case["id"])
    assert offer["approved"] is True and offer["made_by"] == "user:liqiang" and offer["discount"] == "7500.00"


async def test_a_bad_offer_is_refused_in_both_languages(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    walking_clock.set(at(DUE + timedelta(days=1)))
    case = await open_case(infra, dunning, "20000.00")
    body = {"amount": "20000.00", "pay_by": "2026-03-20"}
    refused = await dunning.client.post(
        f"/cases/{case['id']}/settlement-offers", json=body, headers=as_(dunning, "liqiang", COLLECTOR)
    )
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_settlement", refused.text
    zh = await dunning.client.post(
        f"/cases/{case['id']}/settlement-offers",
        json=body,
        headers={**as_(dunning, "liqiang", COLLECTOR), "Accept-Language": "zh-CN"},
    )
    assert "请改为记录付款承诺" in zh.json()["detail"]
    assert await offers_of(dunning, case["id"]) == []
