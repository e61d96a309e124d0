"""The escalation ladder walked with as-of ticks: every channel, tasks, promises, the payment that stops it."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from uuid import UUID, uuid4

from arflow.clock import FixedClock
from arflow.events.catalog import (
    DUNNING,
    ContactInfo,
    CreditScoreChanged,
    CustomerUpserted,
    Event,
    InvoiceOverdue,
    InvoicePaid,
    PaymentApplied,
    topic_of,
)
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure
from arflow.testing.kafka import collect_events, publish_events
from arflow.testing.pdf import layout_problems, text
from arflow.testing.services import RunningService
from arflow.testing.smtp import SmtpSink
from arflow.testing.tokens import person

DUE = date(2026, 3, 1)


def at(day: date, hour: int = 2) -> datetime:
    """02:00 UTC is 10:00 in Shanghai: inside office hours."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def customer(
    customer_id: UUID, email: str, phone: str | None = None, *, tags: list[str] | None = None
) -> CustomerUpserted:
    return CustomerUpserted(
        customer_id=customer_id,
        revision=1,
        legal_name="杭州云帆科技有限公司",
        contacts=[ContactInfo(name="李娜", role="billing", email=email, phone=phone, language="zh-CN")],
        tags=tags or [],
    )


def overdue(
    customer_id: UUID, invoice_id: UUID, number: str, *, amount: str = "5000.00", due: date = DUE
) -> InvoiceOverdue:
    return InvoiceOverdue(
        customer_id=customer_id,
        invoice_id=invoice_id,
        invoice_number=number,
        invoice_date=due - timedelta(days=30),
        due_date=due,
        total=Money.of(amount, "CNY"),
        amount_due=Money.of(amount, "CNY"),
        days_overdue=1,
        bucket="1-30",
        as_of=due + timedelta(days=1),
        payment_reference=f"RF18{number[-8:]}",
    )


def applied(
    customer_id: UUID, invoice_id: UUID, number: str, *, amount: str, balance_after: str, on: date
) -> PaymentApplied:
    return PaymentApplied(
        customer_id=customer_id,
        application_id=uuid4(),
        payment_id=uuid4(),
        invoice_id=invoice_id,
        invoice_number=number,
        amount=Money.of(amount, "CNY"),
        applied_on=on,
        due_date=DUE,
        invoice_balance_after=Money.of(balance_after, "CNY"),
        days_after_due=(on - DUE).days,
    )


def paid(customer_id: UUID, invoice_id: UUID, number: str, *, on: date) -> InvoicePaid:
    return InvoicePaid(
        customer_id=customer_id,
        invoice_id=invoice_id,
        invoice_number=number,
        total=Money.of("5000.00", "CNY"),
        invoice_date=DUE - timedelta(days=30),
        due_date=DUE,
        paid_on=on,
        days_beyond_terms=(on - DUE).days,
    )


def new_ids() -> tuple[UUID, UUID, str, str]:
    return uuid4(), uuid4(), f"INV-2026-{uuid4().hex[:8].upper()}", f"ap-{uuid4().hex[:10]}@example.cn"


async def tick(dunning: RunningService, clock: FixedClock, day: date, hour: int = 2) -> dict[str, Any]:
    clock.set(at(day, hour))
    response = await dunning.client.post("/admin/jobs/dunning-tick/runs", json={"as_of": at(day, hour).isoformat()})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def get(dunning: RunningService, path: str, **params: Any) -> Any:
    response = await dunning.client.get(path, params={k: str(v) for k, v in params.items()})
    assert response.status_code == 200, response.text
    return response.json()


async def open_case(dunning: RunningService, customer_id: UUID) -> dict[str, Any]:
    async def probe() -> list[dict[str, Any]]:
        return (await get(dunning, "/cases", customer_id=customer_id))["data"]  # type: ignore[no-any-return]

    return (await eventually(probe, what="the case"))[0]


async def actions(dunning: RunningService, case_id: str) -> list[dict[str, Any]]:
    return (await get(dunning, f"/cases/{case_id}"))["actions"]  # type: ignore[no-any-return]


async def wait_until(dunning: RunningService, case_id: str, condition: Any, what: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        detail = await get(dunning, f"/cases/{case_id}")
        return detail if condition(detail) else None

    return await eventually(probe, what=what)


def mail(sink: SmtpSink, address: str) -> list[EmailMessage]:
    return [m for m in sink.messages if m["To"] == address]


def sequence_of(number: str) -> int:
    """催字〔2026〕第0007号 -> 7."""
    found = re.fullmatch(r"催字〔2026〕第(\d{4,})号", number)
    assert found is not None, number
    return int(found.group(1))


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def open_task(dunning: RunningService, case_id: str, kind: str) -> dict[str, Any]:
    async def probe() -> list[dict[str, Any]]:
        tasks = (await get(dunning, "/tasks", case_id=case_id, status="open"))["data"]
        return [t for t in tasks if t["kind"] == kind]

    return (await eventually(probe, what=f"an open {kind} task"))[0]


async def complete(dunning: RunningService, task_id: str, **body: Any) -> dict[str, Any]:
    response = await dunning.client.post(f"/tasks/{task_id}/complete", json=body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def dunning_events(infra: Infrastructure, case_id: str, event_type: str, count: int = 1) -> list[Any]:
    return await collect_events(
        infra.bootstrap,
        topic_of(DUNNING),
        lambda e: e.type == event_type and e.data.get("case_id") == case_id,
        count=count,
    )


async def publish(infra: Infrastructure, *events: Event) -> None:
    await publish_events(infra.bootstrap, *events)


# --- the whole ladder ----------------------------------------------------------------------


async def test_one_customer_walks_the_whole_ladder_over_three_months(
    infra: Infrastructure,
    dunning: RunningService,
    dunning_smtp: SmtpSink,
    dunning_carrier: Any,
    walking_clock: FixedClock,
) -> None:
    customer_id, invoice_id, number, email = new_ids()
    phone = f"+86138{uuid4().int % 10**8:08d}"
    walking_clock.set(at(DUE + timedelta(days=1)))
    await publish(infra, customer(customer_id, email, phone), overdue(customer_id, invoice_id, number))

    # Day 1: the overdue notice, at once and without a tick.
    case = await open_case(dunning, customer_id)
    case_id = case["id"]
    await eventually(lambda: _async(mail(dunning_smtp, email)), what="the overdue notice")

    day = DUE + timedelta(days=1)
    promise_kept = promise_broken = False
    while day <= date(2026, 6, 10):
        await tick(dunning, walking_clock, day)
        detail = await get(dunning, f"/cases/{case_id}")
        if detail["awaiting_approval"]:  # the legal handover waits for a second person: the finance manager
            manager = person("wangfang", {"dunning:read", "dunning:approve"}, now=walking_clock.now())
            approval_id = detail["handover_approval"]["id"]
            approved = await dunning.client.post(f"/approvals/{approval_id}/approve", json={}, headers=manager)
            assert approved.status_code == 200, approved.text
            detail = await get(dunning, f"/cases/{case_id}")
        tasks = (await get(dunning, "/tasks", case_id=case_id, status="open"))["data"]
        for task in tasks:
            if task["kind"] == "registered_mail":
                await complete(dunning, task["id"], outcome="reached", note="挂号信已寄出 (registered mail sent)")
            elif task["kind"] == "phone_call" and not promise_kept:
                # The call ends in a promise of 2000 by 10 April, which the customer keeps.
                await complete(
                    dunning,
                    task["id"],
                    outcome="promise_to_pay",
                    operator="collector-wang",
                    promised_date="2026-04-10",
                    promised_amount="2000.00",
                )
                await publish(
                    infra,
                    applied(
                        customer_id,
                        invoice_id,
                        number,
                        amount="2000.00",
                        balance_after="3000.00",
                        on=day + timedelta(days=3),
                    ),
                )
                await eventually(lambda: _kept(dunning, case_id), what="the promise kept after the partial payment")
                promise_kept = True
            elif task["kind"] == "visit" and not promise_broken:
                # The visit ends in a promise of 1000 within a week, which the customer breaks.
                await complete(
                    dunning,
                    task["id"],
                    outcome="promise_to_pay",
                    operator="collector-wang",
                    promised_date=(day + timedelta(days=7)).isoformat(),
                    promised_amount="1000.00",
                )
                promise_broken = True
        if detail["frozen_at"]:
            break
        day += timedelta(days=1)

    detail = await wait_until(
        dunning, case_id, lambda d: all(a["status"] != "pending" for a in d["actions"]), "every action delivered"
    )
    steps = [(a["step"], a["channel"], a["status"], a["outcome"], a["created_at"][:10]) for a in detail["actions"]]
    names = [s[0] for s in steps]
    assert names == [
        "overdue_notice",
        "follow_up",
        "sms_reminder",
        "formal_letter",
        "phone_call",
        "visit",
        "account_manager_alert",
        "legal_handover",
    ], steps
    by_name = {s[0]: s for s in steps}
    assert by_name["follow_up"][4] == "2026-03-08"  # due date + 7
    assert by_name["sms_reminder"][4] == "2026-03-11"  # due date + 10
    assert by_name["formal_letter"][4] == "2026-03-22"  # due date + 21
    assert by_name["phone_call"][4] == "2026-03-31"  # due date + 30
    # The partial payment on 3 April re-anchored the rest: the visit comes 30 days after it, not on 30 April.
    assert by_name["visit"][4] == "2026-05-03"
    assert by_name["phone_call"][3] == "promise_to_pay" and by_name["visit"][3] == "promise_to_pay"
    assert by_name["legal_handover"][3] == "handed_over"
    assert detail["level"] == 6 and detail["frozen_at"] is not None and detail["status"] == "open"
    assert detail["amount_overdue"] == "3000.00"
    # The timeline also holds the collectors' tasks and the promises.
    # Two letters go by registered mail: the 催款函 and the notice of the handover to legal proceedings.
    assert sorted(t["kind"] for t in detail["tasks"]) == ["phone_call", "registered_mail", "registered_mail", "visit"]
    assert sorted(p["status"] for p in detail["promises"]) == ["broken", "kept"]

    # The emails: the notice, the follow-up and the letter, naming the invoice, amounts, days late, how to pay.
    messages = mail(dunning_smtp, email)
    assert len(messages) == 3
    follow_up = text_of(messages[1])
    assert number in follow_up and "CNY 5,000.00" in follow_up and "2026年3月1日" in follow_up
    assert "已逾期：7 天" in follow_up and "违约金" not in follow_up  # no interest of dunning's own (issue 14)
    assert "账号：1219 0880 1510 001" in follow_up and f"RF18{number[-8:]}" in follow_up

    # The SMS, short and in Chinese, through the local carrier.
    [sms] = dunning_carrier.to(phone)
    assert "逾期" in sms["text"] and "CNY 5,000.00" in sms["text"] and len(sms["text"]) < 140

    # The letters: the 催款函 of day 21 and, newest first, the notice of the handover; numbered one after the other.
    documents = (await get(dunning, f"/cases/{case_id}/documents"))["data"]
    handover_letter, letter = [d for d in documents if d["kind"] == "letter"]
    # Later letters have higher numbers (other tests' letters may come between: they share one sequence).
    assert sequence_of(handover_letter["number"]) > sequence_of(letter["number"])
    response = await dunning.client.get(f"/documents/{letter['id']}")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    pdf_text = text(response.content)
    assert "催 款 函" in pdf_text and number in pdf_text and "杭州云帆科技有限公司" in pdf_text
    assert "21 天" in pdf_text and re.search(r"催字〔2026〕第\d{4}号", pdf_text)
    assert "催款函" in messages[2]["Subject"] and letter["number"] in messages[2]["Subject"]

    # The account manager was alerted by email.
    alerts = [m for m in mail(dunning_smtp, "am@arflow.example") if "杭州云帆科技有限公司" in text_of(m)]
    assert alerts and "CNY 3,000.00" in text_of(alerts[-1])

    # Promises: one kept, one broken; events for both, and the escalation and handover.
    promises = (await get(dunning, "/promises", case_id=case_id))["data"]
    assert sorted(p["status"] for p in promises) == ["broken", "kept"]
    await dunning_events(infra, case_id, "PromiseToPayKept")
    [broken] = await dunning_events(infra, case_id, "PromiseToPayBroken")
    assert broken.data["amount_received"] == {"amount": "0.00", "currency": "CNY"}
    [handover] = await dunning_events(infra, case_id, "LegalHandover")
    assert handover.data["amount_outstanding"] == {"amount": "3000.00", "currency": "CNY"}
    # The pack handed over is kept as it was at the handover, and named in the event.
    [kept] = [d for d in documents if d["kind"] == "evidence_pack"]
    assert handover.data["evidence_pack_id"] == kept["id"]
    stored = zipfile.ZipFile(io.BytesIO((await dunning.client.get(f"/documents/{kept['id']}")).content))
    assert "handed_over" in stored.read("actions.csv").decode("utf-8-sig")
    assert any(name.startswith("letters/") for name in stored.namelist())
    escalations = await dunning_events(infra, case_id, "DunningEscalated", count=6)
    assert [e.data["to_level"] for e in escalations] == [1, 2, 3, 4, 5, 6]

    # The evidence pack: statement PDF, invoices and the full action log.
    response = await dunning.client.get(f"/cases/{case_id}/evidence-pack")
    assert response.status_code == 200
    pack = zipfile.ZipFile(io.BytesIO(response.content))
    assert {"cover.pdf", "statement.pdf", "invoices.csv", "actions.csv"} <= set(pack.namelist())
    for document in ("cover.pdf", "statement.pdf"):
        assert layout_problems(pack.read(document)) == [], document
    cover = text(pack.read("cover.pdf"))
    assert "逾期账款案件移交材料" in cover and "CNY 3,000.00" in cover and "人民币叁仟元整" in cover
    assert letter["number"] in cover  # the letters sent, by number
    log_csv = pack.read("actions.csv").decode("utf-8-sig")
    assert log_csv.count("\n") == 1 + len(steps) and "collector-wang" in log_csv

    # Frozen: later ticks take no step.
    await tick(dunning, walking_clock, date(2026, 7, 1))
    assert len(await actions(dunning, case_id)) == len(steps)


async def _async(value: Any) -> Any:
    return value


async def _kept(dunning: RunningService, case_id: str) -> bool:
    promises = (await get(dunning, "/promises", case_id=case_id))["data"]
    return any(p["status"] == "kept" for p in promises)


async def test_a_payment_stops_the_ladder_at_once(
    infra: Infrastructure, dunning: RunningService, dunning_smtp: SmtpSink, walking_clock: FixedClock
) -> None:
    customer_id, invoice_id, number, email = new_ids()
    walking_clock.set(at(DUE + timedelta(days=1)))
    await publish(infra, customer(customer_id, email), overdue(customer_id, invoice_id, number))
    case_id = (await open_case(dunning, customer_id))["id"]
    await tick(dunning, walking_clock, date(2026, 3, 8))  # the follow-up is queued
    await publish(infra, paid(customer_id, invoice_id, number, on=date(2026, 3, 8)))
    detail = await wait_until(dunning, case_id, lambda d: d["status"] == "resolved", "the case resolved")
    assert detail["resolution"] == "paid"
    count = len(detail["actions"])
    for day in (date(2026, 3, 11), date(2026, 3, 22), date(2026, 4, 30)):
        await tick(dunning, walking_clock, day)
    assert len(await actions(dunning, case_id)) == count
    assert (await get(dunning, "/dry-run", case_id=case_id))["data"] == []


# --- tier changes -----------------------------------------------------------------------------


async def test_a_tier_change_moves_the_case_to_the_new_ladder_without_repeating_steps(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    customer_id, invoice_id, number, email = new_ids()
    walking_clock.set(at(DUE + timedelta(days=1)))
    await publish(infra, customer(customer_id, email), overdue(customer_id, invoice_id, number))
    case_id = (await open_case(dunning, customer_id))["id"]
    await tick(dunning, walking_clock, date(2026, 3, 8))
    assert [a["step"] for a in await actions(dunning, case_id)] == ["overdue_notice", "follow_up"]

    plan = (await get(dunning, "/dry-run", case_id=case_id, as_of=at(date(2026, 3, 12)).isoformat()))["data"]
    assert plan[0]["policy"] == "tier-b" and plan[0]["step"] == "sms_reminder"

    await publish(
        infra,
        CreditScoreChanged(
            customer_id=customer_id, score=420, tier="D", model_version="test", scored_at=at(date(2026, 3, 9))
        ),
    )

    async def on_tier_d() -> list[dict[str, Any]] | None:
        data = (await get(dunning, "/dry-run", case_id=case_id, as_of=at(date(2026, 3, 12)).isoformat()))["data"]
        return data if data[0]["policy"] == "tier-d" else None

    [entry] = await eventually(on_tier_d, what="the case on the tier-D ladder")
    # Tier D's sms (+2) and letter (+7) are due already; the follow-up done on tier B is not repeated.
    assert entry["step"] == "sms_reminder" and entry["decision"] == "execute"
    await tick(dunning, walking_clock, date(2026, 3, 12))
    await tick(dunning, walking_clock, date(2026, 3, 14))
    steps = [a["step"] for a in await actions(dunning, case_id)]
    assert steps == ["overdue_notice", "follow_up", "sms_reminder", "formal_letter"]
    assert (await get(dunning, f"/cases/{case_id}"))["policy_code"] == "tier-d"


# --- pauses ---------------------------------------------------------------------------------


async def test_manual_hold_pauses_the_case_until_released(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    customer_id, invoice_id, number, email = new_ids()
    walking_clock.set(at(DUE + timedelta(days=1)))
    await publish(infra, customer(customer_id, email), overdue(customer_id, invoice_id, number))
    case_id = (await open_case(dunning, customer_id))["id"]
    response = await dunning.client.post(f"/cases/{case_id}/hold", json={"reason": "客户经理要求暂停 (CFO on leave)"})
    assert response.status_code == 200, response.text
    assert response.json()["hold_reason"].startswith("客户经理")
    await tick(dunning, walking_clock, date(2026, 3, 9))
    assert [a["step"] for a in await actions(dunning, case_id)] == ["overdue_notice"]
    [entry] = (await get(dunning, "/dry-run", case_id=case_id, as_of=at(date(2026, 3, 9)).isoformat()))["data"]
    assert (entry["decision"], entry["reason"]) == ("blocked", "manual_hold")
    [paused] = await dunning_events(infra, case_id, "DunningPaused")
    assert paused.data["reason"] == "manual_hold"

    assert (await dunning.client.delete(f"/cases/{case_id}/hold")).status_code == 200
    await tick(dunning, walking_clock, date(2026, 3, 10))
    assert [a["step"] for a in await actions(dunning, case_id)] == ["overdue_notice", "follow_up"]


async def test_an_open_promise_holds_back_the_notice_of_a_newly_overdue_invoice(
    infra: Infrastructure, dunning: RunningService, dunning_smtp: SmtpSink, walking_clock: FixedClock
) -> None:
    customer_id, invoice_id, number, email = new_ids()
    walking_clock.set(at(DUE + timedelta(days=1)))
    await publish(infra, customer(customer_id, email), overdue(customer_id, invoice_id, number))
    case_id = (await open_case(dunning, customer_id))["id"]
    await wait_until(dunning, case_id, lambda d: len(d["actions"]) == 1, "the first notice")
    response = await dunning.client.post(
        f"/cases/{case_id}/promises", json={"amount": "5000.00", "promised_date": "2026-03-20"}
    )
    assert response.status_code in (200, 201), response.text

    later_invoice, later_number = uuid4(), f"INV-2026-{uuid4().hex[:8].upper()}"
    walking_clock.set(at(date(2026, 3, 6)))
    await publish(infra, overdue(customer_id, later_invoice, later_number, due=date(2026, 3, 5)))
    detail = await wait_until(
        dunning, case_id, lambda d: any(i["invoice_id"] == str(later_invoice) for i in d["items"]), "the new item"
    )
    assert [a["step"] for a in detail["actions"]] == ["overdue_notice"]
    assert not [m for m in mail(dunning_smtp, email) if later_number in text_of(m)]


async def test_a_dispute_pauses_only_the_disputed_invoice(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    from arflow.events.catalog import DisputeOpened

    customer_id, invoice_id, number, email = new_ids()
    other_id, other_number = uuid4(), f"INV-2026-{uuid4().hex[:8].upper()}"
    walking_clock.set(at(DUE + timedelta(days=1)))
    await publish(
        infra,
        customer(customer_id, email),
        overdue(customer_id, invoice_id, number, amount="1000.00"),
        overdue(customer_id, other_id, other_number, amount="2000.00"),
    )
    case_id = (await open_case(dunning, customer_id))["id"]
    await wait_until(dunning, case_id, lambda d: len(d["items"]) == 2, "both invoices in the case")
    await publish(
        infra,
        DisputeOpened(
            customer_id=customer_id,
            dispute_id=uuid4(),
            invoice_id=other_id,
            amount=Money.of("2000.00", "CNY"),
            reason="服务未完成",
            opened_at=at(date(2026, 3, 3)),
        ),
    )
    await eventually(lambda: _dispute_paused(infra, case_id), what="DunningPaused for the dispute")
    await tick(dunning, walking_clock, date(2026, 3, 8))
    follow_up = [a for a in await actions(dunning, case_id) if a["step"] == "follow_up"]
    assert [a["invoice_ids"] for a in follow_up] == [[str(invoice_id)]]
    assert follow_up[0]["amount_overdue"] == "1000.00"


async def _dispute_paused(infra: Infrastructure, case_id: str) -> bool:
    return bool(await dunning_events(infra, case_id, "DunningPaused"))


async def test_excluded_customer_takes_no_ladder_step(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    customer_id, invoice_id, number, email = new_ids()
    walking_clock.set(at(DUE + timedelta(days=1)))
    await publish(infra, customer(customer_id, email), overdue(customer_id, invoice_id, number))
    case_id = (await open_case(dunning, customer_id))["id"]
    excluded = customer(customer_id, email).model_copy(update={"revision": 2, "dunning_excluded": True})
    await publish(infra, excluded)

    async def blocked() -> dict[str, Any] | None:
        [entry] = (await get(dunning, "/dry-run", case_id=case_id, as_of=at(date(2026, 3, 9)).isoformat()))["data"]
        return entry if entry["reason"] == "customer_excluded" else None

    await eventually(blocked, what="the case blocked by the exclusion")
    [paused] = await dunning_events(infra, case_id, "DunningPaused")
    assert paused.data["reason"] == "customer_excluded"
    await tick(dunning, walking_clock, date(2026, 3, 9))
    assert [a["step"] for a in await actions(dunning, case_id)] == ["overdue_notice"]


# --- guardrails ------------------------------------------------------------------------------


async def test_no_sms_in_the_customers_quiet_hours(
    infra: Infrastructure, dunning: RunningService, dunning_carrier: Any, walking_clock: FixedClock
) -> None:
    customer_id, invoice_id, number, email = new_ids()
    phone = f"+86139{uuid4().int % 10**8:08d}"
    walking_clock.set(at(DUE + timedelta(days=1)))
    await publish(infra, customer(customer_id, email, phone), overdue(customer_id, invoice_id, number))
    case_id = (await open_case(dunning, customer_id))["id"]
    await tick(dunning, walking_clock, date(2026, 3, 8))  # follow-up email
    await tick(dunning, walking_clock, date(2026, 3, 11), hour=14)  # 22:00 in Shanghai: quiet
    assert [a["step"] for a in await actions(dunning, case_id)] == ["overdue_notice", "follow_up"]
    [entry] = (await get(dunning, "/dry-run", case_id=case_id, as_of=at(date(2026, 3, 11), 14).isoformat()))["data"]
    assert (entry["step"], entry["reason"]) == ("sms_reminder", "quiet_hours")
    await tick(dunning, walking_clock, date(2026, 3, 12), hour=1)  # 09:00 in Shanghai
    assert [a["step"] for a in await actions(dunning, case_id)][-1] == "sms_reminder"
    await eventually(lambda: _async(dunning_carrier.to(phone)), what="the SMS at the carrier")


async def test_minimum_gap_between_contacts_delays_the_next_step(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    customer_id, invoice_id, number, email = new_ids()
    walking_clock.set(at(DUE + timedelta(days=1)))
    await publish(infra, customer(customer_id, email), overdue(customer_id, invoice_id, number))
    case_id = (await open_case(dunning, customer_id))["id"]
    # Far behind the ladder on 1 May: one step per tick, each at least 48 hours after the last contact.
    await tick(dunning, walking_clock, date(2026, 5, 1))
    await tick(dunning, walking_clock, date(2026, 5, 2))
    [entry] = (await get(dunning, "/dry-run", case_id=case_id, as_of=at(date(2026, 5, 2)).isoformat()))["data"]
    assert (entry["step"], entry["reason"]) == ("sms_reminder", "minimum_gap")
    await tick(dunning, walking_clock, date(2026, 5, 3))
    assert [a["step"] for a in await actions(dunning, case_id)] == ["overdue_notice", "follow_up", "sms_reminder"]


async def test_no_dunning_below_the_minimum_amount(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    customer_id, invoice_id, number, email = new_ids()
    walking_clock.set(at(DUE + timedelta(days=1)))
    await publish(infra, customer(customer_id, email), overdue(customer_id, invoice_id, number))
    case_id = (await open_case(dunning, customer_id))["id"]
    await publish(infra, applied(customer_id, invoice_id, number, amount="4995.00", balance_after="5.00", on=DUE))

    async def small() -> dict[str, Any] | None:
        [entry] = (await get(dunning, "/dry-run", case_id=case_id, as_of=at(date(2026, 3, 9)).isoformat()))["data"]
        return entry if entry["reason"] == "below_minimum_amount" else None

    await eventually(small, what="the case below the minimum amount")
    await tick(dunning, walking_clock, date(2026, 3, 9))
    assert [a["step"] for a in await actions(dunning, case_id)] == ["overdue_notice"]
