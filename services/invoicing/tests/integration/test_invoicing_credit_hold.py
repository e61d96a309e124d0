"""A credit hold acts (issue 14): no invoice issued, no contract started or billed for a held customer
without a credit manager's override; drafts stay possible; the hold's reason is said in both languages."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from arflow.auth import Principal
from arflow.events.catalog import CreditScoreChanged, ReasonCode
from arflow.problems import Forbidden
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService
from invoicing.customers.credit_hold import CreditHoldOverrideIn, check_credit
from invoicing.customers.errors import CustomerOnCreditHold
from invoicing.models import Customer

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
LINES = [{"description": "代理记账服务费", "unit_price": "300.00", "tax_rate": "0.06"}]
SLOW_PAYER = ReasonCode(
    code="MAX_DBT_12M",
    characteristic="max_dbt_12m",
    points_lost=40,
    text_zh="近 12 个月最长逾期 75 天",
    text_en="paid 75 days late in the last 12 months",
)


def scored(customer_id: str, *, hold: bool, at: datetime) -> CreditScoreChanged:
    return CreditScoreChanged(
        customer_id=uuid.UUID(customer_id),
        score=420 if hold else 700,
        tier="D" if hold else "B",
        reasons=[SLOW_PAYER] if hold else [],
        credit_hold=hold,
        model_version="test",
        scored_at=at,
    )


async def held_customer(invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer) -> str:
    customer = await new_customer()
    await publish_events(infra.bootstrap, scored(customer["id"], hold=True, at=datetime(2026, 3, 1, 8, tzinfo=UTC)))

    async def held() -> bool:
        return bool((await invoicing.client.get(f"/customers/{customer['id']}")).json()["credit_hold"])

    await eventually(held, what="the credit hold")
    return str(customer["id"])


async def test_a_held_customer_gets_a_draft_but_no_issued_invoice_and_is_told_why(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer
) -> None:
    customer_id = await held_customer(invoicing, infra, new_customer)
    shown = (await invoicing.client.get(f"/customers/{customer_id}")).json()
    assert shown["credit_hold_reason"] == "tier D, score 420: paid 75 days late in the last 12 months"

    refused = await invoicing.client.post("/invoices", json={"customer_id": customer_id, "lines": LINES, "issue": True})
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["code"] == "customer_on_credit_hold"
    assert problem["credit_hold_since"] == "2026-03-01" and "tier D, score 420" in problem["detail"]
    chinese = await invoicing.client.post(
        "/invoices",
        json={"customer_id": customer_id, "lines": LINES, "issue": True},
        headers={"Accept-Language": "zh-CN"},
    )
    assert chinese.json()["title"] == "客户处于信用冻结" and "信用经理" in chinese.json()["detail"]
    listed = await invoicing.client.get("/invoices", params={"customer_id": customer_id})
    assert listed.json()["data"] == []  # the refusal changed nothing

    draft = await invoicing.client.post("/invoices", json={"customer_id": customer_id, "lines": LINES})
    assert draft.status_code == 201 and draft.json()["status"] == "draft"
    issue = await invoicing.client.post(f"/invoices/{draft.json()['id']}/issue")
    assert issue.status_code == 409 and issue.json()["code"] == "customer_on_credit_hold"
    still = (await invoicing.client.get(f"/invoices/{draft.json()['id']}")).json()
    assert (still["status"], still["number"]) == ("draft", None)


async def test_a_credit_manager_overrides_the_hold_and_the_invoice_says_who_and_why(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer
) -> None:
    customer_id = await held_customer(invoicing, infra, new_customer)
    draft = (await invoicing.client.post("/invoices", json={"customer_id": customer_id, "lines": LINES})).json()
    issued = await invoicing.client.post(
        f"/invoices/{draft['id']}/issue", json={"credit_hold_override": {"reason": "已签还款计划，总经理批准"}}
    )
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["status"] == "open" and body["number"]
    assert body["credit_hold_at_issue"] is True
    assert (body["credit_hold_override_by"], body["credit_hold_override_reason"]) == (
        "test",
        "已签还款计划，总经理批准",
    )
    empty = await invoicing.client.post(
        "/invoices",
        json={"customer_id": customer_id, "lines": LINES, "issue": True, "credit_hold_override": {"reason": ""}},
    )
    assert empty.status_code == 422  # an override says why


async def test_no_contract_starts_or_bills_for_a_held_customer_until_the_hold_lifts(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer
) -> None:
    customer = await new_customer()
    contract = {"customer_id": customer["id"], "cycle": "monthly", "start_date": "2026-02-01", "lines": LINES}
    started = await invoicing.client.post("/contracts", json=contract)
    assert started.status_code == 201, started.text
    await publish_events(infra.bootstrap, scored(customer["id"], hold=True, at=datetime(2026, 3, 1, 8, tzinfo=UTC)))

    async def held() -> bool:
        return bool((await invoicing.client.get(f"/customers/{customer['id']}")).json()["credit_hold"])

    await eventually(held, what="the credit hold")
    second = await invoicing.client.post("/contracts", json=contract)
    assert second.status_code == 409 and second.json()["code"] == "customer_on_credit_hold"
    overridden = await invoicing.client.post(
        "/contracts", json={**contract, "credit_hold_override": {"reason": "预付三个月"}}
    )
    assert overridden.status_code == 201 and overridden.json()["credit_hold_override_by"] == "test"

    run = await invoicing.client.post("/admin/jobs/recurring-billing/runs", json={"as_of": "2026-03-02T02:00:00Z"})
    result = run.json()["result"]
    withheld = [p for p in result["credit_hold"] if p["contract_id"] == started.json()["id"]]
    assert [p["period_start"] for p in withheld] == ["2026-02-01", "2026-03-01"]
    invoices = (await invoicing.client.get("/invoices", params={"customer_id": customer["id"]})).json()["data"]
    # Only the overridden contract billed, each of its invoices marked as issued on hold.
    assert {i["contract_id"] for i in invoices} == {overridden.json()["id"]}
    assert all(i["credit_hold_at_issue"] and i["credit_hold_override_by"] == "test" for i in invoices)

    await publish_events(infra.bootstrap, scored(customer["id"], hold=False, at=datetime(2026, 3, 2, 8, tzinfo=UTC)))

    async def lifted() -> bool:
        return not (await invoicing.client.get(f"/customers/{customer['id']}")).json()["credit_hold"]

    await eventually(lifted, what="the hold lifted")
    assert (await invoicing.client.get(f"/customers/{customer['id']}")).json()["credit_hold_reason"] is None
    await invoicing.client.post("/admin/jobs/recurring-billing/runs", json={"as_of": "2026-03-02T03:00:00Z"})
    invoices = (await invoicing.client.get("/invoices", params={"customer_id": customer["id"]})).json()["data"]
    caught_up = sorted(i["invoice_date"] for i in invoices if i["contract_id"] == started.json()["id"])
    assert caught_up == ["2026-02-01", "2026-03-01"]


def _held(policy_reason: str | None = "tier D, score 420") -> Customer:
    return Customer(
        id=uuid.uuid4(),
        legal_name="宁波海晨贸易有限公司",
        credit_hold=True,
        credit_hold_reason=policy_reason,
        credit_hold_scored_at=datetime(2026, 3, 1, 8, tzinfo=UTC),
    )


def test_an_override_needs_the_credit_override_scope() -> None:
    clerk = Principal("ar-clerk", frozenset({"invoicing:write"}))
    manager = Principal("credit-manager", frozenset({"invoicing:write", "invoicing:credit-override"}))
    override = CreditHoldOverrideIn(reason="担保已到位")
    with pytest.raises(Forbidden) as refused:
        check_credit(_held(), policy="refuse", override=override, actor=clerk, what="issue")
    assert refused.value.code == "missing_scope"
    decision = check_credit(_held(), policy="refuse", override=override, actor=manager, what="issue")
    assert (decision.held, decision.override_by) == (True, "credit-manager")
    with pytest.raises(CustomerOnCreditHold):
        check_credit(_held(), policy="refuse", override=None, actor=manager, what="contract")


def test_the_flag_policy_lets_it_through_marked_and_an_unheld_customer_is_never_marked() -> None:
    clerk = Principal("ar-clerk", frozenset({"invoicing:write"}))
    flagged = check_credit(_held(), policy="flag", override=None, actor=clerk, what="issue")
    assert (flagged.held, flagged.override_by) == (True, None)
    free = Customer(id=uuid.uuid4(), legal_name="x", credit_hold=False)
    assert not check_credit(free, policy="refuse", override=None, actor=clerk, what="issue").held
