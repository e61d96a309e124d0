"""今日工作's one-click work on a case: a call's outcome, a promise, a dispute, a hold and its release.

Each action is checked where it lands, in dunning's (or reconciliation's) own API. The call needs an
open phone task, which only dunning's tick makes: this module runs the tick, for every case on the
test platform, so it is named to run after the other console modules.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx

from arflow.testing import eventually

from .conftest import ConsoleFactory, Platform
from .pages import csrf, page, sign_in, text

HTMX = {"HX-Request": "true"}


async def phone_task_of(platform: Platform, case_id: str) -> dict[str, Any]:
    """Run the tick day by day (at 10:00 in Shanghai, outside quiet hours) until the case's ladder asks for a call."""
    async with platform.client("dunning") as dunning:
        day = date(2026, 2, 11)
        while day < date(2026, 6, 1):
            at = datetime.combine(day, time(2), tzinfo=UTC).isoformat()
            ran = await dunning.post("/admin/jobs/dunning-tick/runs", json={"as_of": at})
            assert ran.status_code == 200, ran.text
            tasks = (await dunning.get("/tasks", params={"case_id": case_id, "status": "open"})).json()["data"]
            calls = [t for t in tasks if t["kind"] == "phone_call"]
            if calls:
                return dict(calls[0])
            day += timedelta(days=3)
    raise AssertionError("the ladder never asked for a call")


async def signed_in_collector(console: ConsoleFactory, platform: Platform) -> tuple[httpx.AsyncClient, str]:
    username, password = await platform.person(["collector"])
    await platform.collector(username)
    browser = await console()
    await sign_in(browser, username, password)
    return browser, username


async def test_a_calls_outcome_is_logged_from_the_worklist_with_the_promise_it_ended_in(
    console: ConsoleFactory, platform: Platform
) -> None:
    browser, username = await signed_in_collector(console, platform)
    seeded = await platform.overdue_case_for(username, amount="3200.00")
    case_id = seeded["case"]["id"]
    task = await phone_task_of(platform, case_id)
    listed = await browser.get("/worklist")
    row = page(listed).xpath(f"//tr[@data-case='{case_id}']")[0]
    assert row.xpath(".//a[contains(@class,'work-link')]/@hx-get") == [f"/worklist/{case_id}"]
    panel = page(await browser.get(f"/worklist/{case_id}", headers=HTMX))
    form = panel.xpath(f"//form[@data-task='{task['id']}']")
    assert form and text(form[0], ".//p/b") == "电话催收"
    logged = await browser.post(
        f"/worklist/{case_id}/tasks/{task['id']}",
        data={
            "csrf_token": csrf(listed),
            "outcome": "promise_to_pay",
            "note": "财务说月底付",
            "promised_date": "2026-06-30",
            "promised_amount": "3200.00",
        },
        headers=HTMX,
    )
    assert logged.status_code == 200, logged.text
    after = page(logged)
    assert after.xpath("//p[@id='work-done']/@data-done") == ["outcome_logged"]
    assert not after.xpath(f"//form[@data-task='{task['id']}']")  # done: no longer open
    async with platform.client("dunning") as dunning:
        done = (await dunning.get("/tasks", params={"case_id": case_id})).json()["data"]
        promises = (await dunning.get("/promises", params={"case_id": case_id})).json()["data"]
    [completed] = [t for t in done if t["id"] == task["id"]]
    assert (completed["status"], completed["outcome"], completed["note"]) == ("done", "promise_to_pay", "财务说月底付")
    assert [(p["amount"], p["promised_date"]) for p in promises] == [("3200.00", "2026-06-30")]
    assert text(after, f"//li[@data-promise='{promises[0]['id']}']").startswith("3,200.00 CNY · 2026-06-30")


async def test_a_promise_recorded_without_htmx_comes_back_to_the_case_page(
    console: ConsoleFactory, platform: Platform
) -> None:
    browser, username = await signed_in_collector(console, platform)
    seeded = await platform.overdue_case_for(username, amount="1800.00")
    case_id = seeded["case"]["id"]
    shown = await browser.get(f"/worklist/{case_id}")
    assert shown.status_code == 200
    assert text(page(shown), "//h1") == text(page(shown), "//p[@class='crumb']/a[2]")  # the customer's name
    made = await browser.post(
        f"/worklist/{case_id}/promise",
        data={"csrf_token": csrf(shown), "amount": "1,000.00", "promised_date": "2026-07-15", "made_by": "周敏"},
    )
    assert made.status_code == 303 and made.headers["location"] == f"/worklist/{case_id}?done=promise_recorded"
    back = page(await browser.get(made.headers["location"]))
    assert text(back, "//p[@id='work-done']") == "已记录承诺付款，到期前暂停催收。"
    async with platform.client("dunning") as dunning:
        [promise] = (await dunning.get("/promises", params={"case_id": case_id})).json()["data"]
    assert (promise["amount"], promise["promised_date"], promise["made_by"]) == ("1000.00", "2026-07-15", "周敏")


async def test_a_bad_promise_is_refused_in_the_persons_language_and_changes_nothing(
    console: ConsoleFactory, platform: Platform
) -> None:
    browser, username = await signed_in_collector(console, platform)
    case_id = (await platform.overdue_case_for(username))["case"]["id"]
    shown = await browser.get(f"/worklist/{case_id}")
    forged = await browser.post(f"/worklist/{case_id}/promise", data={"amount": "10.00", "promised_date": "2026-07-01"})
    assert forged.status_code == 403
    refused = await browser.post(
        f"/worklist/{case_id}/promise",
        data={"csrf_token": csrf(shown), "amount": "很多", "promised_date": "2026-07-01"},
    )
    assert refused.status_code == 422
    assert "amount" in text(page(refused), "//p[@id='work-error']") or "金额" in text(
        page(refused), "//p[@id='work-error']"
    )
    async with platform.client("dunning") as dunning:
        assert (await dunning.get("/promises", params={"case_id": case_id})).json()["data"] == []


async def test_a_case_is_held_and_released_from_its_row_and_from_its_panel(
    console: ConsoleFactory, platform: Platform
) -> None:
    browser, username = await signed_in_collector(console, platform)
    case_id = (await platform.overdue_case_for(username))["case"]["id"]
    listed = await browser.get("/worklist")
    token = csrf(listed)
    row_target = {**HTMX, "HX-Target": f"hold-{case_id}", "X-CSRF-Token": token}
    held = page(await browser.post(f"/worklist/{case_id}/hold", headers=row_target))
    assert held.xpath(f"//button[@id='release-{case_id}']")
    released = await browser.post(f"/worklist/{case_id}/release", headers=row_target)
    assert text(page(released), "//span[@class='done']") == "已恢复催收"
    async with platform.client("dunning") as dunning:
        assert (await dunning.get(f"/cases/{case_id}")).json()["hold_reason"] is None
        panel = await browser.post(
            f"/worklist/{case_id}/panel-hold",
            data={"csrf_token": token, "reason": "客户财务休假，下周再联系", "until": "2026-07-01"},
            headers=HTMX,
        )
        doc = page(panel)
        assert doc.xpath("//p[@id='work-done']/@data-done") == ["held"]
        assert "2026-07-01" in text(doc, "//span[@id='on-hold']")
        case = (await dunning.get(f"/cases/{case_id}")).json()
        assert (case["hold_reason"], case["held_until"]) == ("客户财务休假，下周再联系", "2026-07-01")
        again = page(await browser.post(f"/worklist/{case_id}/release", data={"csrf_token": token}, headers=HTMX))
        assert again.xpath("//p[@id='work-done']/@data-done") == ["released"] and not again.xpath(
            "//span[@id='on-hold']"
        )
        assert (await dunning.get(f"/cases/{case_id}")).json()["hold_reason"] is None


async def test_a_finance_manager_records_a_dispute_and_a_collector_is_sent_to_the_calls_outcome(
    console: ConsoleFactory, platform: Platform
) -> None:
    manager, manager_password = await platform.person(["finance_manager"], display_name="陈静")
    await platform.collector(manager)
    seeded = await platform.overdue_case_for(manager, amount="2600.00")
    case_id, invoice = seeded["case"]["id"], seeded["invoice"]
    browser = await console()
    await sign_in(browser, manager, manager_password)
    shown = await browser.get(f"/worklist/{case_id}")
    options = page(shown).xpath("//div[@id='dispute']//select[@name='invoice_id']/option/@value")
    assert options == [invoice["id"]]
    recorded = await browser.post(
        f"/worklist/{case_id}/dispute",
        data={"csrf_token": csrf(shown), "invoice_id": invoice["id"], "reason": "服务内容与合同不符"},
        headers=HTMX,
    )
    assert page(recorded).xpath("//p[@id='work-done']/@data-done") == ["dispute_recorded"], recorded.text
    async with platform.client("reconciliation") as reconciliation, platform.client("dunning") as dunning:
        [dispute] = (await reconciliation.get("/disputes", params={"invoice_id": invoice["id"]})).json()["data"]
        assert (dispute["status"], dispute["reason"]) == ("open", "服务内容与合同不符")

        async def disputed_in_dunning() -> bool:
            items = (await dunning.get(f"/cases/{case_id}")).json()["items"]
            return any(i["invoice_id"] == invoice["id"] and i["disputed"] for i in items)

        await eventually(disputed_in_dunning, within=30, what="dunning to stop chasing the disputed invoice")
    collector, _ = await signed_in_collector(console, platform)
    told = page(await collector.get(f"/worklist/{case_id}"))
    assert not told.xpath("//div[@id='dispute']//form")
    assert "记录电话或拜访结果时登记争议" in text(told, "//div[@id='dispute']/p")
