"""A manual credit limit far above the recommended one cannot be set without a second person (issue 18)."""

from __future__ import annotations

import secrets
from typing import Any
from uuid import UUID

from arflow.events.catalog import APPROVALS, CustomerUpserted, topic_of
from arflow.ids import uuid7
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import collect_events, publish_events
from arflow.testing.services import RunningService
from arflow.testing.tokens import person

ANALYST = {"credit-scoring:read", "credit-scoring:write"}
MANAGER = {"credit-scoring:read", "credit-scoring:write", "credit-scoring:approve"}


def as_(service: RunningService, username: str, scopes: set[str]) -> dict[str, str]:
    return {**person(username, scopes, now=service.app.state.clock.now()), "Idempotency-Key": secrets.token_hex(8)}


async def known_customer(service: RunningService, infra: TestInfrastructure) -> UUID:
    """A customer credit-scoring knows, never billed: no recommended limit, so all of a manual one is above it."""
    customer_id = uuid7()
    await publish_events(infra.bootstrap, CustomerUpserted(customer_id=customer_id, revision=1, legal_name="某公司"))

    async def known() -> bool:
        return (await service.client.get(f"/credit-files/{customer_id}")).status_code == 200

    await eventually(known, what="the customer")
    return customer_id


async def override(service: RunningService, customer_id: UUID, amount: str, who: dict[str, str]) -> Any:
    body = {"amount": amount, "currency": "CNY", "reason": "战略客户，总经理特批", "expires_on": "2026-12-31"}
    return await service.client.post(f"/credit-files/{customer_id}/limit/override", json=body, headers=who)


async def test_a_manual_limit_up_to_the_threshold_above_the_recommended_is_set_at_once(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id = await known_customer(credit_scoring, infra)
    done = await override(credit_scoring, customer_id, "100000.00", as_(credit_scoring, "zhaolei", ANALYST))
    assert done.status_code == 201, done.text
    assert (done.json()["limit"], done.json()["override_by"]) == ("100000.00", "user:zhaolei")


async def test_a_manual_limit_far_above_the_recommended_waits_and_is_set_as_asked_when_approved(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id = await known_customer(credit_scoring, infra)
    analyst = as_(credit_scoring, "zhaolei", ANALYST)
    asked = await override(credit_scoring, customer_id, "150000.00", analyst)
    assert asked.status_code == 202, asked.text
    approval = asked.json()
    assert (approval["action"], approval["status"], approval["amount"]) == (
        "credit_limit.override",
        "pending",
        "150000.00",
    )
    assert approval["requested_by"] == "user:zhaolei" and approval["title_zh"] == "人工信用额度"
    assert "高于建议额度 150,000.00" in approval["reason"]
    replay = await override(credit_scoring, customer_id, "150000.00", analyst)
    assert replay.status_code == 202 and replay.json()["id"] == approval["id"]  # the same key asks once
    assert (await credit_scoring.client.get(f"/credit-files/{customer_id}/limit")).status_code == 404  # nothing set

    own = await credit_scoring.client.post(
        f"/approvals/{approval['id']}/approve", json={}, headers=as_(credit_scoring, "zhaolei", MANAGER)
    )
    assert own.status_code == 403 and own.json()["code"] == "self_approval", own.text
    colleague = await credit_scoring.client.post(
        f"/approvals/{approval['id']}/approve", json={}, headers=as_(credit_scoring, "sunli", ANALYST)
    )
    assert colleague.status_code == 403 and colleague.json()["code"] == "approver_scope_missing"

    approved = await credit_scoring.client.post(
        f"/approvals/{approval['id']}/approve",
        json={"comment": "已核对担保函"},
        headers=as_(credit_scoring, "qianmin", MANAGER),
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["decided_by"] == "user:qianmin"
    assert approved.json()["result"]["override_amount"] == "150000.00"
    limit = (await credit_scoring.client.get(f"/credit-files/{customer_id}/limit")).json()
    assert (limit["limit"], limit["override_by"], limit["override_expires_on"]) == (
        "150000.00",
        "user:zhaolei",
        "2026-12-31",
    )
    again = await credit_scoring.client.post(
        f"/approvals/{approval['id']}/approve", json={}, headers=as_(credit_scoring, "qianmin", MANAGER)
    )
    assert again.status_code == 409 and again.json()["code"] == "approval_not_pending"
    # The approvers' inbox (people) hears of the request and of its decision.
    told = await collect_events(
        infra.bootstrap,
        topic_of(APPROVALS),
        lambda e: e.data.get("approval_id") == approval["id"],
        count=2,
    )
    requested, decided = sorted(told, key=lambda e: e.type, reverse=True)
    assert (requested.type, requested.data["service"], requested.data["approver_scope"]) == (
        "ApprovalRequested",
        "credit-scoring",
        "credit-scoring:approve",
    )
    assert requested.data["amount"] == {"amount": "150000.00", "currency": "CNY"}
    assert (decided.type, decided.data["status"], decided.data["decided_by"]) == (
        "ApprovalDecided",
        "approved",
        "user:qianmin",
    )


async def test_a_manual_limit_set_meanwhile_makes_the_approval_a_409(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id = await known_customer(credit_scoring, infra)
    approval = (
        await override(credit_scoring, customer_id, "300000.00", as_(credit_scoring, "zhaolei", ANALYST))
    ).json()
    meanwhile = await override(credit_scoring, customer_id, "60000.00", as_(credit_scoring, "sunli", ANALYST))
    assert meanwhile.status_code == 201, meanwhile.text
    changed = await credit_scoring.client.post(
        f"/approvals/{approval['id']}/approve", json={}, headers=as_(credit_scoring, "qianmin", MANAGER)
    )
    assert changed.status_code == 409 and changed.json()["code"] == "approval_subject_changed", changed.text
    limit = (await credit_scoring.client.get(f"/credit-files/{customer_id}/limit")).json()
    assert limit["limit"] == "60000.00"


async def test_lowering_a_limit_never_waits_and_the_threshold_is_data(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id = await known_customer(credit_scoring, infra)
    policies = {p["action"]: p for p in (await credit_scoring.client.get("/approval-policies")).json()}
    assert policies["credit_limit.override"]["threshold"] == "100000.00"
    assert policies["credit_limit.override"]["approver_scope"] == "credit-scoring:approve"
    every = await credit_scoring.client.put(
        "/approval-policies/credit_limit.override",
        json={"threshold": None, "approver_scope": "credit-scoring:approve"},
    )
    assert every.status_code == 200, every.text
    try:
        raised = await override(credit_scoring, customer_id, "1.00", as_(credit_scoring, "zhaolei", ANALYST))
        assert raised.status_code == 202  # every raise above the recommended limit waits now
        nothing = await override(credit_scoring, customer_id, "0.00", as_(credit_scoring, "zhaolei", ANALYST))
        assert nothing.status_code == 201 and nothing.json()["limit"] == "0.00"  # not above it: at once
    finally:
        reset = await credit_scoring.client.put(
            "/approval-policies/credit_limit.override",
            json={"threshold": "100000.00", "approver_scope": "credit-scoring:approve"},
        )
        assert reset.status_code == 200


async def test_a_manual_limit_the_direct_call_would_refuse_is_refused_before_anyone_is_asked(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id = await known_customer(credit_scoring, infra)
    body = {"amount": "500000.00", "currency": "CNY", "reason": "旺季", "expires_on": "2026-01-31"}
    path = f"/credit-files/{customer_id}/limit/override"
    past = await credit_scoring.client.post(path, json=body, headers=as_(credit_scoring, "zhaolei", ANALYST))
    assert past.status_code == 422 and past.json()["code"] == "override_expired", past.text
    pending = (await credit_scoring.client.get("/approvals", params={"status": "pending"})).json()["data"]
    assert str(customer_id) not in [a["subject_id"] for a in pending]
