"""Collectors: cases assigned by the rules and the load, reassignment recorded, the worklist ranked, the results
recomputed from the facts.

On a platform of its own (databases and broker): the collectors here would otherwise take the shared
service's cases, and its cases would count in their load. Each test uses its own tier and amount band.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select

from arflow.clock import FixedClock
from arflow.events.catalog import (
    ALL_TOPICS,
    ContactInfo,
    CreditScoreChanged,
    CustomerUpserted,
    InvoiceOverdue,
    PaymentApplied,
)
from arflow.messaging.kafka import ensure_topics
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService, running_service
from arflow.testing.services import test_settings as settings_for
from arflow.testing.smtp import SmtpSink
from arflow.tokens import TokenClaims, generate_signing_key, sign
from dunning.config import DunningSettings
from dunning.main import create_app
from dunning.models import CustomerTier

DUE = date(2026, 3, 1)
OPENED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def at(day: date, hour: int = 2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@dataclass
class Platform:
    dunning: RunningService
    infra: TestInfrastructure
    clock: FixedClock
    signing_key: str


@pytest.fixture(scope="module")
async def own(api_key: str, infra: TestInfrastructure, dunning_smtp: SmtpSink) -> AsyncIterator[Platform]:
    """Dunning on databases and a broker of its own, accepting sign-in tokens of a key made here."""
    private_pem, public_pem = generate_signing_key()
    platform = infra.isolated()
    clock = FixedClock(OPENED)
    try:
        await ensure_topics(platform.bootstrap, list(ALL_TOPICS))
        settings = settings_for(
            DunningSettings,
            platform,
            api_key,
            smtp_port=dunning_smtp.port,
            email_poll_seconds=0.1,
            smtp_timeout=5.0,
            token_public_key=public_pem,
        )
        async with running_service("dunning", create_app, settings, platform, api_key, clock=clock) as running:
            yield Platform(running, platform, clock, private_pem)
    finally:
        await platform.stop()


async def put_collector(own: Platform, username: str, **rules: Any) -> dict[str, Any]:
    active = rules.pop("active", True)
    body = {"display_name": f"催收员{username}", "email": f"{username}@example.cn", "active": active, "rules": rules}
    response = await own.dunning.client.put(f"/collectors/{username}", json=body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def open_case(
    own: Platform, *, tier: str | None, amount: str, invoice_date: date = DUE - timedelta(days=30)
) -> dict[str, Any]:
    """A customer (scored `tier` first, unless None) whose invoice falls overdue: its case, once open."""
    customer_id, invoice_id = uuid4(), uuid4()
    number = f"INV-2026-{uuid4().hex[:8].upper()}"
    if tier is not None:
        await publish_events(
            own.infra.bootstrap,
            CreditScoreChanged(customer_id=customer_id, score=500, tier=tier, model_version="t", scored_at=at(DUE)),  # type: ignore[arg-type]
        )

        async def tier_known() -> bool:
            async with own.dunning.app.state.db.unit_of_work() as session:
                found: str | None = await session.scalar(
                    select(CustomerTier.tier).where(CustomerTier.customer_id == customer_id)
                )
            return found == tier

        await eventually(tier_known, what="the customer's tier")
    await publish_events(
        own.infra.bootstrap,
        CustomerUpserted(
            customer_id=customer_id,
            revision=1,
            legal_name=f"客户{number[-4:]}有限公司",
            contacts=[ContactInfo(name="张伟", email=f"{uuid4().hex[:10]}@example.cn", phone="+8613800000000")],
        ),
        InvoiceOverdue(
            customer_id=customer_id,
            invoice_id=invoice_id,
            invoice_number=number,
            invoice_date=invoice_date,
            due_date=DUE,
            total=Money.of(amount, "CNY"),
            amount_due=Money.of(amount, "CNY"),
            days_overdue=1,
            bucket="1-30",
            as_of=DUE + timedelta(days=1),
        ),
    )

    async def probe() -> list[dict[str, Any]]:
        response = await own.dunning.client.get("/cases", params={"customer_id": str(customer_id)})
        return response.json()["data"]  # type: ignore[no-any-return]

    case = (await eventually(probe, what="the case"))[0]
    return {**case, "invoice_id": invoice_id, "invoice_number": number}


async def history(own: Platform, case_id: str) -> list[dict[str, Any]]:
    detail = (await own.dunning.client.get(f"/cases/{case_id}")).json()
    return detail["assignments"]  # type: ignore[no-any-return]


async def test_new_cases_go_to_the_least_loaded_collector_whose_rules_take_them(own: Platform) -> None:
    own.clock.set(OPENED)
    await put_collector(own, "ann", tiers=["C", "D"], min_amount="1000", max_amount="50000", max_open_cases=2)
    await put_collector(own, "bob", tiers=["C", "D"], min_amount="1000", max_amount="50000")
    await put_collector(own, "dan", tiers=["C", "D"], min_amount="1000", max_amount="50000", active=False)
    again = await put_collector(own, "bob", tiers=["D", "C"], min_amount="1000.00", max_amount="50000")
    assert again["revision"] == 1, "the same rules again change nothing"

    first = await open_case(own, tier="D", amount="2000.00")
    second = await open_case(own, tier="C", amount="3000.00")
    third = await open_case(own, tier="D", amount="4000.00")
    fourth = await open_case(own, tier="D", amount="5000.00")
    # 0/0: a tie, by username; then bob is the less loaded; 1/1 a tie again; ann is at her cap of 2.
    assert [first["collector"], second["collector"], third["collector"], fourth["collector"]] == [
        "ann",
        "bob",
        "ann",
        "bob",
    ]
    loads = {c["username"]: c["open_cases"] for c in (await own.dunning.client.get("/collectors")).json()["data"]}
    assert (loads["ann"], loads["bob"], loads["dan"]) == (2, 2, 0)

    unscored = await open_case(own, tier=None, amount="2000.00")  # tier B: nobody takes B
    too_large = await open_case(own, tier="D", amount="60000.00")  # above every band
    for waiting in (unscored, too_large):
        assert waiting["collector"] is None and "No active collector" in waiting["assignment_reason"]
    listed = (await own.dunning.client.get("/cases", params={"unassigned": "true"})).json()["data"]
    assert {unscored["id"], too_large["id"]} <= {c["id"] for c in listed}
    [recorded] = await history(own, first["id"])
    assert (recorded["collector"], recorded["basis"], recorded["assigned_by"], recorded["assigned_on"]) == (
        "ann",
        "rules",
        "system:dunning",
        "2026-03-02",
    )

    # A collector for what nobody took: the tick gives the waiting cases to the rules before the ladder runs.
    await put_collector(own, "eve", tiers=["B", "D"], min_amount="1000", max_amount="60000")
    run = await own.dunning.client.post(
        "/admin/jobs/dunning-tick/runs", json={"as_of": at(date(2026, 3, 3)).isoformat()}
    )
    assert run.status_code in (200, 201), run.text
    for waiting in (unscored, too_large):
        assert (await own.dunning.client.get(f"/cases/{waiting['id']}")).json()["collector"] == "eve"
        assert [a["collector"] for a in await history(own, waiting["id"])] == [None, "eve"]


async def test_reassignment_by_hand_and_when_a_collector_leaves_is_recorded(own: Platform) -> None:
    own.clock.set(OPENED)
    await put_collector(own, "kai", tiers=["A"], min_amount="20000", max_amount="29999")
    await put_collector(own, "lin", tiers=["A"], min_amount="20000", max_amount="29999")
    await put_collector(own, "mo", tiers=["A"], min_amount="20000", max_amount="29999", active=False)
    case = await open_case(own, tier="A", amount="21000.00")
    other = await open_case(own, tier="A", amount="22000.00")
    assert (case["collector"], other["collector"]) == ("kai", "lin")

    client = own.dunning.client
    no_reason = await client.post(f"/cases/{case['id']}/assignment", json={"collector": "lin"})
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "validation_failed"
    unknown = await client.post(f"/cases/{case['id']}/assignment", json={"collector": "nobody", "reason": "试试"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "collector_not_found"
    inactive = await client.post(
        f"/cases/{case['id']}/assignment",
        json={"collector": "mo", "reason": "试试"},
        headers={"Accept-Language": "zh-CN"},
    )
    assert inactive.status_code == 409 and inactive.json()["code"] == "collector_inactive"
    assert "未在岗" in inactive.json()["detail"]

    own.clock.set(OPENED + timedelta(hours=3))
    moved = await client.post(f"/cases/{case['id']}/assignment", json={"collector": "lin", "reason": "客户要求换人"})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["collector"], moved.json()["assignment_reason"]) == ("lin", "客户要求换人")
    steps = await history(own, case["id"])
    assert [(a["collector"], a["previous_collector"], a["basis"], a["reason"], a["assigned_by"]) for a in steps][
        1:
    ] == [("lin", "kai", "manual", "客户要求换人", "test")]

    # lin leaves: both her cases go back to the rules, her excluded - to kai, the only other one who takes them.
    await put_collector(own, "lin", tiers=["A"], min_amount="20000", max_amount="29999", active=False)
    left = await client.post("/collectors/lin/reassign", json={"reason": "离职交接"})
    assert left.status_code == 200, left.text
    assert (left.json()["moved"], left.json()["unassigned"]) == (2, 0)
    for moved_case in (case, other):
        last = (await history(own, moved_case["id"]))[-1]
        assert (last["collector"], last["previous_collector"], last["basis"]) == ("kai", "lin", "reassigned")
        assert last["reason"].startswith("离职交接")
    resolved = await client.post(f"/collectors/{uuid4().hex}/reassign", json={"reason": "x"})
    assert resolved.json()["code"] == "collector_not_found"


async def test_the_worklist_ranks_a_broken_promise_above_a_step_due_in_a_week(own: Platform) -> None:
    own.clock.set(OPENED)
    await put_collector(own, "wl", tiers=["A"], min_amount="70000", max_amount="80000")
    promised = await open_case(own, tier="A", amount="70000.00")
    larger = await open_case(own, tier="A", amount="79000.00")
    response = await own.dunning.client.post(
        f"/cases/{promised['id']}/promises", json={"amount": "5000.00", "promised_date": "2026-03-05"}
    )
    assert response.status_code in (200, 201), response.text

    # 9 March: the promise of the 5th is unpaid; the larger case's follow-up (due + 14) comes on the 15th.
    as_of = at(date(2026, 3, 9))
    page = (await own.dunning.client.get("/collectors/wl/worklist", params={"as_of": as_of.isoformat()})).json()
    ranked = [item["id"] for item in page["data"]]
    assert ranked == [promised["id"], larger["id"]], page
    first, second = page["data"]
    assert first["reasons"][0]["code"] == "promise_broken" and "2026年3月5日" in first["reasons"][0]["text_zh"]
    assert [r["code"] for r in second["reasons"]] == ["step_soon", "open_balance"]
    assert (second["reasons"][0]["step"], second["reasons"][0]["channel"]) == ("follow_up", "email")
    assert second["reasons"][1]["step"] is None
    assert "6 days" in second["reasons"][0]["text"] and second["reasons"][0]["on"] == "2026-03-15"
    assert second["expected_recovery"] == "632000.00"  # 79,000 × 8 days overdue
    # Without the promise's urgency the larger balance would come first.
    assert Decimal(second["expected_recovery"]) > Decimal(first["expected_recovery"])

    one = (
        await own.dunning.client.get("/collectors/wl/worklist", params={"as_of": as_of.isoformat(), "limit": 1})
    ).json()
    assert [i["id"] for i in one["data"]] == [promised["id"]] and one["has_more"]
    rest = await own.dunning.client.get(
        "/collectors/wl/worklist",
        params={"as_of": as_of.isoformat(), "limit": 1, "starting_after": one["next_cursor"]},
    )
    assert [i["id"] for i in rest.json()["data"]] == [larger["id"]] and not rest.json()["has_more"]

    # The signed-in collector sees their own; an API key must name one.
    token = sign(
        own.signing_key,
        TokenClaims(
            subject=str(uuid4()),
            name="wl",
            scopes=frozenset({"dunning:read"}),
            roles=("collector",),
            session_id=str(uuid4()),
            expires_at=OPENED + timedelta(hours=8),
        ),
        issued_at=OPENED,
        token_id=str(uuid4()),
    )
    mine = await own.dunning.client.get(
        "/worklist", params={"as_of": as_of.isoformat()}, headers={"Authorization": f"Bearer {token}"}
    )
    assert mine.status_code == 200, mine.text
    assert [i["id"] for i in mine.json()["data"]] == ranked
    by_key = await own.dunning.client.get("/worklist")
    assert by_key.status_code == 422 and by_key.json()["code"] == "collector_required"
    named = await own.dunning.client.get("/worklist", params={"collector": "wl", "as_of": as_of.isoformat()})
    assert [i["id"] for i in named.json()["data"]] == ranked


async def test_a_case_paused_by_a_promise_lists_no_coming_step(own: Platform) -> None:
    own.clock.set(OPENED)
    await put_collector(own, "wlp", tiers=["A"], min_amount="81000", max_amount="85000")
    promised = await open_case(own, tier="A", amount="81000.00")
    plain = await open_case(own, tier="A", amount="82000.00")
    response = await own.dunning.client.post(
        f"/cases/{promised['id']}/promises", json={"amount": "81000.00", "promised_date": "2026-03-20"}
    )
    assert response.status_code in (200, 201), response.text

    # 9 March: both cases' follow-up comes on the 15th; the promise of the 20th pauses one of them.
    page = (
        await own.dunning.client.get("/collectors/wlp/worklist", params={"as_of": at(date(2026, 3, 9)).isoformat()})
    ).json()
    reasons = {item["id"]: [r["code"] for r in item["reasons"]] for item in page["data"]}
    assert reasons[plain["id"]] == ["step_soon", "open_balance"], page
    assert reasons[promised["id"]] == ["promise_coming", "open_balance"], page


async def _actions_sent(own: Platform, case_id: str) -> int:
    actions = (await own.dunning.client.get(f"/cases/{case_id}")).json()["actions"]
    return sum(1 for a in actions if a["channel"] in ("email", "sms", "letter") and a["status"] == "sent")


async def test_results_equal_a_recomputation_from_the_facts(own: Platform) -> None:
    own.clock.set(OPENED)
    client = own.dunning.client
    # A ladder of its own for this band: a call two days after the due date, so a call is logged.
    policy = await client.post(
        "/policies",
        headers={"Idempotency-Key": str(uuid4())},
        json={
            "code": f"results-{uuid4().hex[:6]}",
            "name": "结果测试",
            "tiers": ["D"],
            "min_amount": "90000",
            "priority": 50,
            "steps": [
                {"name": "overdue_notice", "offset_days": 1, "channel": "email", "level": 1,
                 "templates": {"zh-CN": "overdue_notice", "en": "overdue_notice"}},
                {"name": "phone_call", "offset_days": 3, "channel": "phone_task", "level": 4},
            ],
        },
    )  # fmt: skip
    assert policy.status_code == 201, policy.text
    await put_collector(own, "res", tiers=["D"], min_amount="90000", max_amount="99999")
    await put_collector(own, "sam", tiers=["D"], min_amount="90000", max_amount="99999", max_open_cases=0)
    one = await open_case(own, tier="D", amount="95000.00", invoice_date=date(2026, 1, 30))
    two = await open_case(own, tier="D", amount="97000.00", invoice_date=date(2026, 2, 14))
    assert (one["collector"], two["collector"]) == ("res", "res")

    async def notices_sent() -> bool:
        return await _actions_sent(own, one["id"]) == 1 and await _actions_sent(own, two["id"]) == 1

    await eventually(notices_sent, what="both overdue notices sent")

    promise = await client.post(
        f"/cases/{one['id']}/promises", json={"amount": "1000.00", "promised_date": "2026-03-10"}
    )
    assert promise.status_code in (200, 201), promise.text

    # 4 March: the tick opens the call on case two (case one is paused by its promise); res logs it.
    own.clock.set(at(date(2026, 3, 4), hour=4))  # 12:00 in Shanghai, 50 h after the notices
    await client.post("/admin/jobs/dunning-tick/runs", json={"as_of": at(date(2026, 3, 4), hour=4).isoformat()})
    tasks = (await client.get("/tasks", params={"case_id": two["id"], "status": "open"})).json()["data"]
    assert [(t["kind"], t["assignee"]) for t in tasks] == [("phone_call", "res")]
    done = await client.post(f"/tasks/{tasks[0]['id']}/complete", json={"outcome": "reached", "note": "已联系"})
    assert done.status_code == 200, done.text

    # 1,000 paid on case one's invoice on the 5th keeps the promise.
    await publish_events(
        own.infra.bootstrap,
        PaymentApplied(
            customer_id=UUID(one["customer_id"]),
            application_id=uuid4(),
            payment_id=uuid4(),
            invoice_id=one["invoice_id"],
            invoice_number=one["invoice_number"],
            amount=Money.of("1000.00", "CNY"),
            applied_on=date(2026, 3, 5),
            due_date=DUE,
            invoice_balance_after=Money.of("94000.00", "CNY"),
            days_after_due=4,
        ),
    )

    async def kept() -> bool:
        found = (await client.get("/promises", params={"case_id": one["id"]})).json()["data"]
        return [p["status"] for p in found] == ["kept"]

    await eventually(kept, what="the promise kept")

    # The recomputation, from what the API shows of the facts made above.
    sent = await _actions_sent(own, one["id"]) + await _actions_sent(own, two["id"])
    calls = [
        t
        for case in (one, two)
        for t in (await client.get("/tasks", params={"case_id": case["id"]})).json()["data"]
        if t["kind"] in ("phone_call", "visit") and t["status"] == "done"
    ]
    promises = [
        p for case in (one, two) for p in (await client.get("/promises", params={"case_id": case["id"]})).json()["data"]
    ]
    items = [
        i
        for case in (one, two)
        for i in (await client.get(f"/cases/{case['id']}")).json()["items"]
        if i["status"] == "open"
    ]
    end = date(2026, 3, 31)
    ages = {
        str(one["invoice_id"]): (end - date(2026, 1, 30)).days,
        str(two["invoice_id"]): (end - date(2026, 2, 14)).days,
    }
    open_amount = sum((Decimal(i["amount_due"]) for i in items), Decimal(0))
    weighted = sum((Decimal(i["amount_due"]) * ages[i["invoice_id"]] for i in items), Decimal(0))
    dso = (weighted / open_amount).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")

    response = await client.get("/collectors/res/results", params={"from": "2026-03-01", "to": "2026-03-31"})
    assert response.status_code == 200, response.text
    figures = response.json()
    assert (sent, len(calls), len(promises)) == (2, 1, 1)
    assert figures["actions_sent"] == sent
    assert figures["calls_logged"] == len(calls)
    assert figures["contacts_made"] == sent + len(calls)
    assert figures["promises_made"] == len(promises)
    assert figures["promises_kept"] == sum(1 for p in promises if p["status"] == "kept") == 1
    assert figures["cases_worked"] == 2
    assert figures["amount_collected"] == [{"amount": "1000.00", "currency": "CNY"}]
    assert open_amount == Decimal("191000")
    assert figures["book"] == [
        {"currency": "CNY", "open_amount": "191000.00", "cases": 2, "dso_days": format(dso, "f")}
    ]
    assert dso == Decimal("52.4")  # (94,000 × 60 + 97,000 × 45) / 191,000

    # Before the facts nothing counts, and the book is what was open on 1 March (nothing yet).
    early = (await client.get("/collectors/res/results", params={"from": "2026-02-01", "to": "2026-03-01"})).json()
    assert (early["contacts_made"], early["promises_made"], early["amount_collected"], early["book"]) == (0, 0, [], [])
    # Sam takes no case (a cap of 0): every figure is zero.
    everyone = (await client.get("/collector-results", params={"from": "2026-03-01", "to": "2026-03-31"})).json()
    sam = next(r for r in everyone["data"] if r["collector"] == "sam")
    assert (sam["cases_worked"], sam["contacts_made"], sam["book"]) == (0, 0, [])
    assert next(r for r in everyone["data"] if r["collector"] == "res") == figures

    exported = await client.get("/collector-results/csv", params={"from": "2026-03-01", "to": "2026-03-31"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = {r["collector"]: r for r in csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")))}
    assert (rows["res"]["contacts_made"], rows["res"]["amount_collected"], rows["res"]["dso_days"]) == (
        "3",
        "1000.00",
        "52.4",
    )

    backwards = await client.get(
        "/collector-results", params={"from": "2026-03-31", "to": "2026-03-01"}, headers={"Accept-Language": "zh-CN"}
    )
    assert backwards.status_code == 422 and backwards.json()["code"] == "invalid_period"
    assert "晚于" in backwards.json()["detail"]


async def test_a_collectors_rules_are_refused_whole_when_wrong(own: Platform) -> None:
    client = own.dunning.client
    band = await client.put(
        "/collectors/zed", json={"display_name": "Zed", "rules": {"min_amount": "500", "max_amount": "100"}}
    )
    assert band.status_code == 422 and band.json()["code"] == "invalid_amount_band"
    tier = await client.put("/collectors/zed", json={"display_name": "Zed", "rules": {"tiers": ["E"]}})
    assert tier.status_code == 422 and tier.json()["code"] == "validation_failed"
    name = await client.put("/collectors/has space", json={"display_name": "Zed"})
    assert name.status_code == 422
    assert (await client.get("/collectors/zed")).json()["code"] == "collector_not_found"
