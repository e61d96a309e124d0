"""The legal handover waits for a second person (issue 18's internal control): asked once by the tick, taken
when someone holding dunning:approve approves it, not taken when rejected or when the case changed meanwhile."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from arflow.clock import FixedClock
from arflow.events.catalog import (
    DUNNING,
    ContactInfo,
    CustomerUpserted,
    InvoiceOverdue,
    InvoicePaid,
    PaymentApplied,
    topic_of,
)
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure
from arflow.testing.kafka import collect_events, publish_events
from arflow.testing.services import RunningService
from arflow.testing.tokens import person

DUE = date(2026, 3, 1)
HANDOVER = "case.legal_handover"
MANAGER = {"dunning:read", "dunning:approve"}
COLLECTOR = {"dunning:read", "dunning:write"}


def at(day: date, hour: int = 2) -> datetime:
    """02:00 UTC is 10:00 in Shanghai."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def as_(dunning: RunningService, username: str, scopes: set[str]) -> dict[str, str]:
    return {**person(username, scopes, now=dunning.app.state.clock.now()), "Idempotency-Key": secrets.token_hex(8)}


async def get(dunning: RunningService, path: str, **params: Any) -> Any:
    response = await dunning.client.get(path, params={k: str(v) for k, v in params.items()})
    assert response.status_code == 200, response.text
    return response.json()


async def tick(dunning: RunningService, clock: FixedClock, day: date) -> None:
    clock.set(at(day))
    response = await dunning.client.post("/admin/jobs/dunning-tick/runs", json={"as_of": at(day).isoformat()})
    assert response.status_code == 200, response.text


async def requests_of(dunning: RunningService, case_id: str) -> list[dict[str, Any]]:
    """The handover approvals asked for the case, newest first."""
    found = (await get(dunning, "/approvals", action=HANDOVER, limit=100))["data"]
    return [a for a in found if a["subject_id"] == case_id]


async def handover_case(
    infra: Infrastructure, dunning: RunningService, clock: FixedClock, amount: str = "8000.00"
) -> tuple[str, UUID, UUID, str]:
    """A customer on a short ladder of its own (notice on day 1, legal handover on day 3), overdue on 1 March."""
    tag = f"approvals-{uuid4().hex[:8]}"
    steps = [
        {
            "name": "overdue_notice",
            "offset_days": 1,
            "channel": "email",
            "level": 1,
            "templates": {"zh-CN": "overdue_notice", "en": "overdue_notice"},
        },
        {"name": "legal_handover", "offset_days": 3, "channel": "legal_handover", "level": 6},
    ]
    created = await dunning.client.post(
        "/policies", json={"code": tag, "name": "移交法务须审批", "tags": [tag], "priority": 50, "steps": steps}
    )
    assert created.status_code == 201, created.text
    clock.set(at(DUE + timedelta(days=1)))
    customer_id, invoice_id, number = uuid4(), uuid4(), f"INV-2026-{uuid4().hex[:8].upper()}"
    await publish_events(
        infra.bootstrap,
        CustomerUpserted(
            customer_id=customer_id,
            revision=1,
            legal_name="苏州工业园区恒润贸易有限公司",
            contacts=[ContactInfo(name="赵敏", role="billing", email=f"{uuid4().hex[:10]}@example.cn")],
            tags=[tag],
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

    async def noticed() -> str | None:
        cases = (await get(dunning, "/cases", customer_id=customer_id))["data"]
        if not cases:
            return None
        detail = await get(dunning, f"/cases/{cases[0]['id']}")
        return str(detail["id"]) if [a["step"] for a in detail["actions"]] == ["overdue_notice"] else None

    case_id = await eventually(noticed, what="the case with its overdue notice")
    return case_id, customer_id, invoice_id, number


async def asked_case(infra: Infrastructure, dunning: RunningService, clock: FixedClock) -> tuple[str, Any, Any]:
    """A case the tick reached the handover of on 4 March: its one pending approval, and the case ids."""
    case_id, customer_id, invoice_id, number = await handover_case(infra, dunning, clock)
    await tick(dunning, clock, DUE + timedelta(days=3))
    [approval] = await requests_of(dunning, case_id)
    return case_id, approval, (customer_id, invoice_id, number)


async def test_the_handover_rung_asks_for_approval_once_and_the_case_waits(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    policies = {p["action"]: p for p in await get(dunning, "/approval-policies")}
    assert policies[HANDOVER]["threshold"] is None and policies[HANDOVER]["approver_scope"] == "dunning:approve"
    case_id, approval, _ = await asked_case(infra, dunning, walking_clock)
    assert approval["status"] == "pending" and approval["requested_by"] == "system:dunning"
    assert approval["amount"] == "8000.00" and approval["currency"] == "CNY"
    assert "legal_handover" in approval["reason"] and "8,000.00 CNY" in approval["reason"]
    assert approval["title_zh"] == "移交法务" and approval["request"]["step"] == "legal_handover"

    detail = await get(dunning, f"/cases/{case_id}")
    assert detail["awaiting_approval"] is True and detail["handover_approval"]["id"] == approval["id"]
    assert detail["frozen_at"] is None and detail["level"] == 1
    assert [a["step"] for a in detail["actions"]] == ["overdue_notice"]  # not taken

    # The next ticks do not ask again while it is pending; the dry run says why the case waits.
    await tick(dunning, walking_clock, DUE + timedelta(days=4))
    await tick(dunning, walking_clock, DUE + timedelta(days=5))
    assert [a["id"] for a in await requests_of(dunning, case_id)] == [approval["id"]]
    [entry] = (await get(dunning, "/dry-run", case_id=case_id))["data"]
    assert entry["decision"] == "blocked" and entry["reason"] == "awaiting_approval"
    assert [a["step"] for a in (await get(dunning, f"/cases/{case_id}"))["actions"]] == ["overdue_notice"]


async def test_an_approved_handover_is_taken_as_the_systems_with_the_approver_in_the_trail(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    case_id, approval, _ = await asked_case(infra, dunning, walking_clock)
    # Not by a collector (no dunning:approve); the system that asked cannot sign in to approve at all.
    collector = await dunning.client.post(
        f"/approvals/{approval['id']}/approve", json={}, headers=as_(dunning, "liqiang", COLLECTOR)
    )
    assert collector.status_code == 403 and collector.json()["code"] == "approver_scope_missing", collector.text
    assert "dunning:approve" in collector.json()["detail"]
    assert (await get(dunning, f"/cases/{case_id}"))["frozen_at"] is None

    approved = await dunning.client.post(
        f"/approvals/{approval['id']}/approve",
        json={"comment": "多次催收无果，同意移交律所"},
        headers=as_(dunning, "wangfang", MANAGER),
    )
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "approved" and body["decided_by"] == "user:wangfang"
    assert body["result"]["frozen_at"] is not None and body["result"]["evidence_pack_id"]

    detail = await get(dunning, f"/cases/{case_id}")
    assert detail["frozen_at"] is not None and detail["level"] == 6 and detail["awaiting_approval"] is False
    assert detail["handover_approval"]["status"] == "approved"
    [handover] = [a for a in detail["actions"] if a["step"] == "legal_handover"]
    assert handover["outcome"] == "handed_over" and handover["status"] == "sent"
    documents = (await get(dunning, f"/cases/{case_id}/documents"))["data"]
    [pack] = [d for d in documents if d["kind"] == "evidence_pack"]
    assert pack["id"] == body["result"]["evidence_pack_id"]
    [event] = await collect_events(
        infra.bootstrap,
        topic_of(DUNNING),
        lambda e: e.type == "LegalHandover" and e.data.get("case_id") == case_id,
        count=1,
    )
    assert event.data["evidence_pack_id"] == pack["id"]
    assert event.data["amount_outstanding"] == {"amount": "8000.00", "currency": "CNY"}

    # Who, when, why, approved by whom: the handover is the system's, approved by the manager.
    trail = (await get(dunning, "/audit", object=case_id, limit=100))["data"]
    frozen = [e for e in trail if (e["after"] or {}).get("frozen_at")]
    assert frozen and frozen[0]["actor"] == "system:dunning" and frozen[0]["reason_code"] == "approved"
    assert "approved by user:wangfang" in frozen[0]["comment"] and "同意移交律所" in frozen[0]["comment"]

    again = await dunning.client.post(
        f"/approvals/{approval['id']}/approve", json={}, headers=as_(dunning, "wangfang", MANAGER)
    )
    assert again.status_code == 409 and again.json()["code"] == "approval_not_pending"
    # Frozen: later ticks neither take nor ask anything.
    await tick(dunning, walking_clock, DUE + timedelta(days=40))
    assert len(await requests_of(dunning, case_id)) == 1
    assert len((await get(dunning, f"/cases/{case_id}"))["actions"]) == len(detail["actions"])


async def test_a_rejected_handover_is_not_taken_and_asked_again_only_30_days_later(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    case_id, approval, _ = await asked_case(infra, dunning, walking_clock)
    rejected = await dunning.client.post(
        f"/approvals/{approval['id']}/reject",
        json={"comment": "客户已提出分期方案"},
        headers=as_(dunning, "wangfang", MANAGER),
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected", rejected.text
    detail = await get(dunning, f"/cases/{case_id}")
    assert detail["frozen_at"] is None and detail["level"] == 1 and detail["awaiting_approval"] is False
    assert [a["step"] for a in detail["actions"]] == ["overdue_notice"]
    shown = detail["handover_approval"]
    assert shown["status"] == "rejected" and shown["decision_comment"] == "客户已提出分期方案"
    decided = datetime.fromisoformat(shown["decided_at"])
    assert datetime.fromisoformat(shown["ask_again_after"]) == decided + timedelta(days=30)

    await tick(dunning, walking_clock, DUE + timedelta(days=10))
    [entry] = (await get(dunning, "/dry-run", case_id=case_id))["data"]
    assert entry["decision"] == "blocked" and entry["reason"] == "handover_rejected"
    assert len(await requests_of(dunning, case_id)) == 1
    # 30 days after the rejection the tick asks again (the case is still at that rung).
    await tick(dunning, walking_clock, DUE + timedelta(days=34))
    newest, first = await requests_of(dunning, case_id)
    assert first["id"] == approval["id"] and newest["status"] == "pending"
    assert (await get(dunning, f"/cases/{case_id}"))["frozen_at"] is None


async def test_a_payment_meanwhile_makes_the_approval_answer_409_and_nothing_is_handed_over(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    case_id, approval, (customer_id, invoice_id, number) = await asked_case(infra, dunning, walking_clock)
    await publish_events(
        infra.bootstrap,
        InvoicePaid(
            customer_id=customer_id,
            invoice_id=invoice_id,
            invoice_number=number,
            total=Money.of("8000.00", "CNY"),
            invoice_date=DUE - timedelta(days=30),
            due_date=DUE,
            paid_on=DUE + timedelta(days=4),
            days_beyond_terms=4,
        ),
    )

    async def resolved() -> dict[str, Any] | None:
        detail = await get(dunning, f"/cases/{case_id}")
        return detail if detail["status"] == "resolved" else None

    await eventually(resolved, what="the case resolved by the payment")
    changed = await dunning.client.post(
        f"/approvals/{approval['id']}/approve", json={}, headers=as_(dunning, "wangfang", MANAGER)
    )
    assert changed.status_code == 409 and changed.json()["code"] == "approval_subject_changed", changed.text
    detail = await get(dunning, f"/cases/{case_id}")
    assert detail["frozen_at"] is None and "legal_handover" not in [a["step"] for a in detail["actions"]]
    assert (await get(dunning, f"/approvals/{approval['id']}"))["status"] == "pending"


async def test_after_a_partial_payment_the_stale_request_answers_409_and_the_tick_asks_anew(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    case_id, stale, (customer_id, invoice_id, number) = await asked_case(infra, dunning, walking_clock)
    await publish_events(
        infra.bootstrap,
        PaymentApplied(
            customer_id=customer_id,
            application_id=uuid4(),
            payment_id=uuid4(),
            invoice_id=invoice_id,
            invoice_number=number,
            amount=Money.of("3000.00", "CNY"),
            applied_on=DUE + timedelta(days=3),
            due_date=DUE,
            invoice_balance_after=Money.of("5000.00", "CNY"),
            days_after_due=3,
        ),
    )

    async def lowered() -> dict[str, Any] | None:
        detail = await get(dunning, f"/cases/{case_id}")
        return detail if detail["amount_overdue"] == "5000.00" else None

    await eventually(lowered, what="the case lowered by the payment")
    changed = await dunning.client.post(
        f"/approvals/{stale['id']}/approve", json={}, headers=as_(dunning, "wangfang", MANAGER)
    )
    assert changed.status_code == 409 and changed.json()["code"] == "approval_subject_changed", changed.text
    # The payment re-anchored the ladder (the handover comes 2 days after it): then it is asked for 5,000.00.
    await tick(dunning, walking_clock, DUE + timedelta(days=5))
    newest, first = await requests_of(dunning, case_id)
    assert first["id"] == stale["id"] and newest["status"] == "pending" and newest["amount"] == "5000.00"
    approved = await dunning.client.post(
        f"/approvals/{newest['id']}/approve", json={}, headers=as_(dunning, "wangfang", MANAGER)
    )
    assert approved.status_code == 200, approved.text
    assert (await get(dunning, f"/cases/{case_id}"))["frozen_at"] is not None
