"""Sending a case's next ladder step now (POST /cases/{id}/steps/next, issue 19): taken as the tick takes it,
never again by a tick, the later steps on their own days; refused (409) whenever the tick would not take it
but for its day. Through the API, on real PostgreSQL, the broker and the SMTP sink."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from arflow.clock import FixedClock
from arflow.events.catalog import (
    ContactInfo,
    CustomerUpserted,
    DisputeOpened,
    InvoiceOverdue,
    InvoicePaid,
)
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService
from arflow.testing.smtp import SmtpSink
from arflow.testing.tokens import person

DUE = date(2026, 3, 1)
NOTICE_AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, the day after the due date
AFTER_GAP = datetime(2026, 3, 4, 3, 0, tzinfo=UTC)  # 49 hours after the notice, 11:00 in Shanghai
COLLECTOR = {"dunning:read", "dunning:write"}
REASON = "客户来电要求尽快寄出跟进通知"


def at(day: date, hour: int = 2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


class Case:
    """A case opened by one overdue invoice (its overdue notice sent at NOTICE_AT), and how to reach it."""

    def __init__(self, case: dict[str, Any], *, invoice_id: UUID, number: str, email: str, phone: str) -> None:
        self.id: str = case["id"]
        self.customer_id = UUID(case["customer_id"])
        self.invoice_id, self.number, self.email, self.phone = invoice_id, number, email, phone


async def open_case(
    infra: Infrastructure, dunning: RunningService, clock: FixedClock, *, tags: list[str] | None = None
) -> Case:
    clock.set(NOTICE_AT)
    customer_id, invoice_id, number = uuid4(), uuid4(), f"INV-2026-{uuid4().hex[:8].upper()}"
    email, phone = f"ap-{uuid4().hex[:10]}@example.cn", f"+86137{uuid4().int % 10**8:08d}"
    await publish_events(
        infra.bootstrap,
        CustomerUpserted(
            customer_id=customer_id,
            revision=1,
            legal_name="杭州云帆科技有限公司",
            contacts=[ContactInfo(name="李娜", role="billing", email=email, phone=phone, language="zh-CN")],
            tags=tags or [],
        ),
        InvoiceOverdue(
            customer_id=customer_id,
            invoice_id=invoice_id,
            invoice_number=number,
            invoice_date=DUE - timedelta(days=30),
            due_date=DUE,
            total=Money.of("5000.00", "CNY"),
            amount_due=Money.of("5000.00", "CNY"),
            days_overdue=1,
            bucket="1-30",
            as_of=DUE + timedelta(days=1),
        ),
    )

    async def noticed() -> dict[str, Any] | None:
        found = (await get(dunning, "/cases", customer_id=customer_id))["data"]
        return found[0] if found and found[0]["last_contact_at"] else None

    case = await eventually(noticed, what="the case and its overdue notice")
    return Case(case, invoice_id=invoice_id, number=number, email=email, phone=phone)


async def get(dunning: RunningService, path: str, **params: Any) -> Any:
    response = await dunning.client.get(path, params={k: str(v) for k, v in params.items()})
    assert response.status_code == 200, response.text
    return response.json()


async def steps_taken(dunning: RunningService, case: Case) -> list[tuple[str, str]]:
    """The case's actions as (step, business date taken), oldest first."""
    actions = (await get(dunning, f"/cases/{case.id}"))["actions"]
    return sorted((a["step"], a["created_at"][:10]) for a in actions)


async def send_now(dunning: RunningService, case: Case, *, headers: dict[str, str] | None = None, **body: Any) -> Any:
    return await dunning.client.post(
        f"/cases/{case.id}/steps/next", json={"reason": REASON, **body}, headers=headers or {}
    )


async def tick(dunning: RunningService, clock: FixedClock, day: date) -> None:
    clock.set(at(day))
    response = await dunning.client.post("/admin/jobs/dunning-tick/runs", json={"as_of": at(day).isoformat()})
    assert response.status_code == 200, response.text


async def tagged_policy(dunning: RunningService, steps: list[dict[str, Any]]) -> str:
    """A ladder of its own for customers with a new tag (above the tier ladders), returned as the tag."""
    tag = f"next-step-{uuid4().hex[:8]}"
    body = {"code": tag, "name": "送达测试", "tags": [tag], "priority": 50, "steps": [NOTICE_STEP, *steps]}
    created = await dunning.client.post("/policies", json=body, headers={"Idempotency-Key": tag})
    assert created.status_code == 201, created.text
    return tag


NOTICE_STEP = {
    "name": "overdue_notice",
    "offset_days": 1,
    "channel": "email",
    "level": 1,
    "templates": {"zh-CN": "overdue_notice", "en": "overdue_notice"},
}


def refused(response: Any, code: str, **fields: Any) -> dict[str, Any]:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["code"] == code, problem
    for name, value in fields.items():
        assert problem[name] == value, problem
    return problem


# --- taken now, and never again ------------------------------------------------------------


async def test_the_next_step_goes_out_now_and_no_tick_sends_it_again(
    infra: Infrastructure,
    dunning: RunningService,
    dunning_smtp: SmtpSink,
    dunning_carrier: Any,
    walking_clock: FixedClock,
) -> None:
    case = await open_case(infra, dunning, walking_clock)
    walking_clock.set(AFTER_GAP)

    # Tier B's follow-up is due on 8 March (due date + 7): a collector sends it on 4 March.
    answer = await send_now(dunning, case, step="follow_up", headers=person("li.na", COLLECTOR, now=AFTER_GAP))
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    taken = shown["step_taken"]
    assert (taken["step"], taken["channel"], taken["level"], taken["recipient"]) == (
        "follow_up",
        "email",
        2,
        case.email,
    )
    assert taken["created_at"].startswith("2026-03-04") and shown["due_on"] == "2026-03-08"
    assert (shown["id"], shown["level"], shown["policy_code"]) == (case.id, 2, "tier-b")
    assert datetime.fromisoformat(shown["last_contact_at"]) == AFTER_GAP

    # The same sender and template as the tick's follow-up: the email names the invoice and its days late.
    async def follow_up() -> list[Any]:
        mails = [m for m in dunning_smtp.messages if m["To"] == case.email]
        return mails if len(mails) == 2 else []

    mails = await eventually(follow_up, what="the follow-up email")
    body = mails[1].get_body(("plain",))
    assert body is not None and case.number in body.get_content() and "已逾期：3 天" in body.get_content()

    # The follow-up's own day: the tick takes nothing (the step counts as taken); the SMS keeps its day (+10).
    await tick(dunning, walking_clock, date(2026, 3, 8))
    assert await steps_taken(dunning, case) == [("follow_up", "2026-03-04"), ("overdue_notice", "2026-03-02")]
    await tick(dunning, walking_clock, date(2026, 3, 10))
    assert len(await steps_taken(dunning, case)) == 2
    await tick(dunning, walking_clock, date(2026, 3, 11))
    assert await steps_taken(dunning, case) == [
        ("follow_up", "2026-03-04"),
        ("overdue_notice", "2026-03-02"),
        ("sms_reminder", "2026-03-11"),
    ]
    await eventually(lambda: _async(dunning_carrier.to(case.phone)), what="the SMS on its own day")
    assert len([m for m in dunning_smtp.messages if m["To"] == case.email]) == 2  # no second follow-up


async def _async(value: Any) -> Any:
    return value


async def test_the_step_sent_now_is_audited_with_the_collector_and_the_reason(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    case = await open_case(infra, dunning, walking_clock)
    walking_clock.set(AFTER_GAP)
    answer = await send_now(dunning, case, headers=person("zhao.lei", COLLECTOR, now=AFTER_GAP))
    assert answer.status_code == 200, answer.text
    action_id = answer.json()["step_taken"]["id"]

    entries = (await get(dunning, "/audit", object=case.id, limit=100))["data"]
    [entry] = [e for e in entries if e["action"] == "dunning_case.step_taken_now"]
    assert (entry["actor"], entry["actor_kind"], entry["reason_code"], entry["comment"]) == (
        "user:zhao.lei",
        "user",
        "step_now",
        REASON,
    )
    assert entry["object_type"] == "dunning_case"
    assert entry["after"] == {
        "step": "follow_up",
        "channel": "email",
        "level": 2,
        "action_id": action_id,
        "due_on": "2026-03-08",
        "taken_on": "2026-03-04",
    }
    # The action itself, as every ORM change, is an entry of the same call with the same reason.
    of_action = (await get(dunning, "/audit", object=action_id))["data"]
    [created] = [e for e in of_action if e["action"] == "dunning_action.created"]
    assert (created["action"], created["actor"], created["reason_code"], created["comment"]) == (
        "dunning_action.created",
        "user:zhao.lei",
        "step_now",
        REASON,
    )


async def test_a_retry_with_the_same_idempotency_key_sends_nothing_more(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    case = await open_case(infra, dunning, walking_clock)
    walking_clock.set(AFTER_GAP)
    key = {"Idempotency-Key": secrets.token_hex(8)}
    first = await send_now(dunning, case, headers=key)
    assert first.status_code == 200, first.text
    again = await send_now(dunning, case, headers=key)
    assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    # Without the key, a second press is refused by the tick's own rule: the customer was just contacted.
    refused(await send_now(dunning, case), "contact_not_allowed", reason="minimum_gap")
    assert [s for s, _ in await steps_taken(dunning, case)] == ["follow_up", "overdue_notice"]


# --- refused: nothing sent -----------------------------------------------------------------


async def test_refused_within_the_minimum_gap_between_contacts_in_chinese(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    case = await open_case(infra, dunning, walking_clock)
    walking_clock.set(NOTICE_AT + timedelta(hours=3))
    answer = await send_now(dunning, case, headers={"Accept-Language": "zh-CN"})
    problem = refused(answer, "contact_not_allowed", reason="minimum_gap", step="follow_up")
    assert datetime.fromisoformat(problem["not_before"]) == NOTICE_AT + timedelta(hours=48)
    assert problem["title"] == "现在不能联系客户" and "距上次联系未满最短间隔" in problem["detail"]
    english = refused(await send_now(dunning, case), "contact_not_allowed")
    assert "minimum gap between two contacts" in english["detail"]
    assert await steps_taken(dunning, case) == [("overdue_notice", "2026-03-02")]


async def test_refused_in_the_customers_quiet_hours_for_an_sms(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    sms = {"name": "sms_nudge", "offset_days": 3, "channel": "sms", "level": 2}
    tag = await tagged_policy(dunning, [{**sms, "templates": {"zh-CN": "sms_reminder", "en": "sms_reminder"}}])
    case = await open_case(infra, dunning, walking_clock, tags=[tag])
    walking_clock.set(datetime(2026, 3, 4, 14, 30, tzinfo=UTC))  # 22:30 in Shanghai, the gap long past
    problem = refused(await send_now(dunning, case), "contact_not_allowed", reason="quiet_hours", step="sms_nudge")
    assert datetime.fromisoformat(problem["not_before"]) == datetime(2026, 3, 5, 0, 0, tzinfo=UTC)  # 08:00 there
    assert await steps_taken(dunning, case) == [("overdue_notice", "2026-03-02")]
    # Once the quiet hours are over it goes.
    walking_clock.set(datetime(2026, 3, 5, 1, 0, tzinfo=UTC))
    answer = await send_now(dunning, case)
    assert answer.status_code == 200 and answer.json()["step_taken"]["recipient"] == case.phone, answer.text


async def test_refused_on_a_resolved_case(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    case = await open_case(infra, dunning, walking_clock)
    paid = InvoicePaid(
        customer_id=case.customer_id,
        invoice_id=case.invoice_id,
        invoice_number=case.number,
        total=Money.of("5000.00", "CNY"),
        invoice_date=DUE - timedelta(days=30),
        due_date=DUE,
        paid_on=date(2026, 3, 3),
        days_beyond_terms=2,
    )
    await publish_events(infra.bootstrap, paid)

    async def resolved() -> bool:
        return bool((await get(dunning, f"/cases/{case.id}"))["status"] == "resolved")

    await eventually(resolved, what="the case resolved")
    walking_clock.set(AFTER_GAP)
    refused(await send_now(dunning, case), "case_not_open")
    assert await steps_taken(dunning, case) == [("overdue_notice", "2026-03-02")]


async def test_refused_on_hold_then_sent_once_released(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    case = await open_case(infra, dunning, walking_clock)
    walking_clock.set(AFTER_GAP)
    held = await dunning.client.post(f"/cases/{case.id}/hold", json={"reason": "客户财务休假"})
    assert held.status_code == 200, held.text
    problem = refused(await send_now(dunning, case), "case_paused", reason="manual_hold")
    assert "on hold" in problem["detail"]
    assert await steps_taken(dunning, case) == [("overdue_notice", "2026-03-02")]
    released = await dunning.client.delete(f"/cases/{case.id}/hold")
    assert released.status_code == 200, released.text
    assert (await send_now(dunning, case)).status_code == 200


async def test_refused_while_every_invoice_of_the_case_is_disputed(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    case = await open_case(infra, dunning, walking_clock)
    opened = DisputeOpened(
        customer_id=case.customer_id,
        dispute_id=uuid4(),
        invoice_id=case.invoice_id,
        amount=Money.of("5000.00", "CNY"),
        reason="金额不符",
        opened_at=NOTICE_AT + timedelta(hours=1),
    )
    await publish_events(infra.bootstrap, opened)

    async def disputed() -> bool:
        return all(i["disputed"] for i in (await get(dunning, f"/cases/{case.id}"))["items"])

    await eventually(disputed, what="the invoice disputed")
    walking_clock.set(AFTER_GAP)
    refused(await send_now(dunning, case, headers={"Accept-Language": "zh-CN"}), "case_paused", reason="dispute")
    assert await steps_taken(dunning, case) == [("overdue_notice", "2026-03-02")]


async def test_refused_while_a_payment_plan_runs(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    case = await open_case(infra, dunning, walking_clock)
    walking_clock.set(AFTER_GAP)
    plan = {
        "amount_covered": "3000.00",
        "instalments": [
            {"due_date": "2026-03-15", "amount": "1000.00"},
            {"due_date": "2026-04-15", "amount": "2000.00"},
        ],
    }
    made = await dunning.client.post(
        f"/cases/{case.id}/payment-plans", json=plan, headers={"Idempotency-Key": secrets.token_hex(8)}
    )
    assert made.status_code == 201, made.text
    problem = refused(await send_now(dunning, case), "case_paused", reason="payment_plan")
    assert "payment plan" in problem["detail"]
    assert await steps_taken(dunning, case) == [("overdue_notice", "2026-03-02")]


async def test_a_legal_handover_is_refused_it_goes_through_the_approval(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    handover = {"name": "legal_handover", "offset_days": 5, "channel": "legal_handover", "level": 6}
    tag = await tagged_policy(dunning, [handover])
    case = await open_case(infra, dunning, walking_clock, tags=[tag])
    walking_clock.set(AFTER_GAP)
    problem = refused(await send_now(dunning, case), "step_needs_approval", step="legal_handover", approval_id=None)
    assert "2026-03-06" in problem["detail"]  # the tick asks a second person on the rung's day

    # On its day the tick asks; sending it now still refuses, and names the approval waiting.
    await tick(dunning, walking_clock, date(2026, 3, 6))
    detail = await get(dunning, f"/cases/{case.id}")
    assert detail["awaiting_approval"] is True
    waiting = detail["handover_approval"]["id"]
    refused(await send_now(dunning, case), "step_needs_approval", approval_id=waiting)
    detail = await get(dunning, f"/cases/{case.id}")
    assert detail["frozen_at"] is None and [a["step"] for a in detail["actions"]] == ["overdue_notice"]


async def test_refused_when_the_ladder_has_no_next_step(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    tag = await tagged_policy(dunning, [])
    case = await open_case(infra, dunning, walking_clock, tags=[tag])
    walking_clock.set(AFTER_GAP)
    refused(await send_now(dunning, case), "no_next_step", reason="ladder_done")
    assert await steps_taken(dunning, case) == [("overdue_notice", "2026-03-02")]


async def test_refused_when_the_step_named_is_no_longer_the_next(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    case = await open_case(infra, dunning, walking_clock)
    walking_clock.set(AFTER_GAP)
    refused(await send_now(dunning, case, step="sms_reminder"), "next_step_changed", step="follow_up")
    assert await steps_taken(dunning, case) == [("overdue_notice", "2026-03-02")]


async def test_sending_a_step_needs_the_write_scope(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    case = await open_case(infra, dunning, walking_clock)
    walking_clock.set(AFTER_GAP)
    reader = person("auditor", {"dunning:read"}, now=AFTER_GAP)
    answer = await send_now(dunning, case, headers=reader)
    assert answer.status_code == 403 and answer.json()["code"] == "missing_scope", answer.text
    missing = await dunning.client.post(f"/cases/{uuid4()}/steps/next", json={"reason": REASON})
    assert missing.status_code == 404 and missing.json()["code"] == "case_not_found"
    assert await steps_taken(dunning, case) == [("overdue_notice", "2026-03-02")]
