"""A write-off over the threshold cannot happen without a second person (issue 18's internal control)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from arflow.testing.services import RunningService
from arflow.testing.tokens import person

Make = Callable[..., Awaitable[dict[str, Any]]]
CLERK = {"invoicing:read", "invoicing:write"}
MANAGER = {"invoicing:read", "invoicing:approve"}


def as_(invoicing: RunningService, username: str, scopes: set[str]) -> dict[str, str]:
    return {**person(username, scopes, now=invoicing.app.state.clock.now()), "Idempotency-Key": secrets.token_hex(8)}


async def write_off(invoicing: RunningService, invoice: dict[str, Any], who: dict[str, str]) -> Any:
    return await invoicing.client.post(
        f"/invoices/{invoice['id']}/write-off", json={"reason": "客户破产，无法收回"}, headers=who
    )


async def test_a_write_off_over_the_threshold_waits_for_a_second_person_and_is_then_the_requesters(
    invoicing: RunningService, new_customer: Make, new_invoice: Make
) -> None:
    invoice = await new_invoice((await new_customer())["id"], amount="1500.00")
    clerk = as_(invoicing, "zhangwei", CLERK)
    asked = await write_off(invoicing, invoice, clerk)
    assert asked.status_code == 202, asked.text
    approval = asked.json()
    assert approval["status"] == "pending" and approval["action"] == "invoice.write_off"
    assert approval["amount"] == "1500.00" and approval["requested_by"] == "user:zhangwei"
    assert approval["title_zh"] == "坏账核销" and approval["reason"] == "客户破产，无法收回"
    assert (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()["status"] == "open"
    replay = await invoicing.client.post(
        f"/invoices/{invoice['id']}/write-off", json={"reason": "客户破产，无法收回"}, headers=clerk
    )
    assert replay.status_code == 202 and replay.json()["id"] == approval["id"]  # the same key asks once

    own = await invoicing.client.post(
        f"/approvals/{approval['id']}/approve", json={}, headers=as_(invoicing, "zhangwei", CLERK | MANAGER)
    )
    assert own.status_code == 403 and own.json()["code"] == "self_approval", own.text
    other_clerk = await invoicing.client.post(
        f"/approvals/{approval['id']}/approve", json={}, headers=as_(invoicing, "lina", CLERK)
    )
    assert other_clerk.status_code == 403 and other_clerk.json()["code"] == "approver_scope_missing"
    assert "invoicing:approve" in other_clerk.json()["detail"]
    pending = (await invoicing.client.get("/approvals", params={"status": "pending"})).json()["data"]
    assert approval["id"] in [a["id"] for a in pending]

    approved = await invoicing.client.post(
        f"/approvals/{approval['id']}/approve",
        json={"comment": "已核实破产公告"},
        headers=as_(invoicing, "wangfang", MANAGER),
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["decided_by"] == "user:wangfang"
    assert approved.json()["result"]["status"] == "uncollectible"
    shown = (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()
    assert shown["status"] == "uncollectible" and shown["amount_written_off"] == "1500.00"
    again = await invoicing.client.post(
        f"/approvals/{approval['id']}/approve", json={}, headers=as_(invoicing, "wangfang", MANAGER)
    )
    assert again.status_code == 409 and again.json()["code"] == "approval_not_pending"
    # Who, when, why, approved by whom: the write-off is the clerk's, approved by the manager.
    trail = (await invoicing.client.get("/audit", params={"object": invoice["id"]})).json()["data"]
    written = [
        e for e in trail if e["action"] == "invoice.updated" and (e["after"] or {}).get("status") == "uncollectible"
    ]
    assert written and written[0]["actor"] == "user:zhangwei" and written[0]["reason_code"] == "approved"
    assert "approved by user:wangfang" in written[0]["comment"] and "已核实破产公告" in written[0]["comment"]
    assert any(e["action"] == "approval.requested" and e["actor"] == "user:zhangwei" for e in trail)


async def test_under_the_threshold_a_write_off_is_done_at_once(
    invoicing: RunningService, new_customer: Make, new_invoice: Make
) -> None:
    invoice = await new_invoice((await new_customer())["id"], amount="800.00")
    done = await write_off(invoicing, invoice, as_(invoicing, "zhangwei", CLERK))
    assert done.status_code == 200 and done.json()["status"] == "uncollectible"


async def test_a_changed_invoice_a_rejection_and_an_expiry_stop_the_write_off(
    invoicing: RunningService, new_customer: Make, new_invoice: Make
) -> None:
    customer = (await new_customer())["id"]
    voided = await new_invoice(customer, amount="2000.00")
    approval = (await write_off(invoicing, voided, as_(invoicing, "zhangwei", CLERK))).json()
    void = await invoicing.client.post(f"/invoices/{voided['id']}/void", json={"reason": "开错了"})
    assert void.status_code == 200, void.text
    changed = await invoicing.client.post(
        f"/approvals/{approval['id']}/approve", json={}, headers=as_(invoicing, "wangfang", MANAGER)
    )
    assert changed.status_code == 409 and changed.json()["code"] == "approval_subject_changed"

    rejected_invoice = await new_invoice(customer, amount="2000.00")
    approval = (await write_off(invoicing, rejected_invoice, as_(invoicing, "zhangwei", CLERK))).json()
    no_reason = await invoicing.client.post(
        f"/approvals/{approval['id']}/reject", json={}, headers=as_(invoicing, "wangfang", MANAGER)
    )
    assert no_reason.status_code == 422
    rejected = await invoicing.client.post(
        f"/approvals/{approval['id']}/reject",
        json={"comment": "客户已承诺分期"},
        headers=as_(invoicing, "wangfang", MANAGER),
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert (await invoicing.client.get(f"/invoices/{rejected_invoice['id']}")).json()["status"] == "open"

    late = await new_invoice(customer, amount="2000.00")
    approval = (await write_off(invoicing, late, as_(invoicing, "zhangwei", CLERK))).json()
    clock = invoicing.app.state.clock
    clock.advance(timedelta(hours=73))  # the default policy: requests expire after 72 hours
    try:
        expired = await invoicing.client.post(
            f"/approvals/{approval['id']}/approve", json={}, headers=as_(invoicing, "wangfang", MANAGER)
        )
        assert expired.status_code == 409 and expired.json()["code"] == "approval_not_pending"
        assert "expired" in expired.json()["detail"]
        shown = (await invoicing.client.get(f"/approvals/{approval['id']}")).json()
        assert shown["status"] == "expired"
    finally:
        clock.advance(timedelta(hours=-73))


async def test_the_policy_is_data_an_admin_sets(
    invoicing: RunningService, new_customer: Make, new_invoice: Make
) -> None:
    policies = {p["action"]: p for p in (await invoicing.client.get("/approval-policies")).json()}
    assert (
        policies["invoice.write_off"]["threshold"] == "1000.00" and policies["invoice.write_off"]["updated_at"] is None
    )
    not_admin = await invoicing.client.put(
        "/approval-policies/invoice.write_off",
        json={"threshold": None, "approver_scope": "invoicing:approve"},
        headers=as_(invoicing, "zhangwei", CLERK),
    )
    assert not_admin.status_code == 403
    unknown = await invoicing.client.put(
        "/approval-policies/invoice.teleport", json={"threshold": "1", "approver_scope": "invoicing:approve"}
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "approval_action_unknown"
    every = await invoicing.client.put(
        "/approval-policies/invoice.write_off", json={"threshold": None, "approver_scope": "invoicing:approve"}
    )
    assert every.status_code == 200 and every.json()["threshold"] is None
    try:
        small = await new_invoice((await new_customer())["id"], amount="10.00")
        assert (await write_off(invoicing, small, as_(invoicing, "zhangwei", CLERK))).status_code == 202
    finally:
        await invoicing.client.put(
            "/approval-policies/invoice.write_off", json={"threshold": "1000.00", "approver_scope": "invoicing:approve"}
        )


async def test_a_credit_note_over_its_threshold_waits_for_a_second_person(
    invoicing: RunningService, new_customer: Make, new_invoice: Make
) -> None:
    invoice = await new_invoice((await new_customer())["id"], amount="8000.00")
    clerk = as_(invoicing, "zhangwei", CLERK)
    small = await invoicing.client.post(
        f"/invoices/{invoice['id']}/credit-notes", json={"amount": "1000.00", "reason": "价格调整"}, headers=clerk
    )
    assert small.status_code == 201, small.text  # within the default 5,000.00: at once
    asked = await invoicing.client.post(
        f"/invoices/{invoice['id']}/credit-notes",
        json={"amount": "6000.00", "reason": "服务未完成，退还部分费用"},
        headers=as_(invoicing, "zhangwei", CLERK),
    )
    assert asked.status_code == 202, asked.text
    approval = asked.json()
    assert approval["action"] == "credit_note.issue" and approval["amount"] == "6000.00"
    assert (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()["balance"] == "7000.00"
    approved = await invoicing.client.post(
        f"/approvals/{approval['id']}/approve", json={}, headers=as_(invoicing, "wangfang", MANAGER)
    )
    assert approved.status_code == 200, approved.text
    note = approved.json()["result"]
    assert note["amount"] == "6000.00" and note["number"].startswith("CN-")
    assert (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()["balance"] == "1000.00"
    listed = (await invoicing.client.get("/credit-notes", params={"invoice_id": invoice["id"]})).json()["data"]
    assert sorted(n["amount"] for n in listed) == ["1000.00", "6000.00"]
