"""今日工作's "send the next step now": one click in the worklist's row or the case's panel, through dunning's
POST /cases/{id}/steps/next; what was sent is shown in words, a refusal in the page's language and never as a code.

Each send is checked where it lands: dunning's own case (its actions) and audit of the step taken now.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from console.labels import LABELS

from .conftest import ConsoleFactory, Platform
from .pages import csrf, page, raw_codes, sign_in, text

HTMX = {"HX-Request": "true"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


async def signed_in_collector(console: ConsoleFactory, platform: Platform) -> tuple[httpx.AsyncClient, str]:
    username, password = await platform.person(["collector"])
    await platform.collector(username)
    browser = await console()
    await sign_in(browser, username, password)
    return browser, username


async def taken_now(platform: Platform, case_id: str) -> list[dict[str, Any]]:
    """The case's actions dunning took ahead of their day (its tick's own steps are not among them)."""
    async with platform.client("dunning") as dunning:
        case = (await dunning.get(f"/cases/{case_id}")).json()
    return [a for a in case["actions"] if a["status"] != "cancelled"]


async def test_the_next_step_is_sent_from_the_worklists_row_and_shown_in_words(
    console: ConsoleFactory, platform: Platform
) -> None:
    browser, username = await signed_in_collector(console, platform)
    case_id = (await platform.overdue_case_for(username, amount="2300.00"))["case"]["id"]
    async with platform.client("dunning") as dunning:
        [plan] = (await dunning.get("/dry-run", params={"case_id": case_id})).json()["data"]
    before = await taken_now(platform, case_id)
    listed = await browser.get("/worklist")
    row = page(listed).xpath(f"//tr[@data-case='{case_id}']")[0]
    # the row names the step its reason is about (dunning's `step` field), so a stale page is refused
    assert row.xpath(".//form[contains(@class,'step-now')]/input[@name='step']/@value") == [plan["step"]]
    forged = await browser.post(f"/worklist/{case_id}/next-step", data={"step": plan["step"]}, headers=HTMX)
    assert forged.status_code == 403
    assert await taken_now(platform, case_id) == before

    sent = await browser.post(
        f"/worklist/{case_id}/next-step",
        data={"step": plan["step"]},
        headers={**HTMX, "HX-Target": f"step-{case_id}", "X-CSRF-Token": csrf(listed)},
    )
    assert sent.status_code == 200, sent.text
    doc = page(sent)
    assert doc.xpath("//span[contains(@class,'step-sent')]"), sent.text
    [shown] = doc.xpath("//span[contains(@class,'step-sent')]")
    assert (shown.get("data-step"), shown.get("data-channel")) == (plan["step"], plan["channel"])
    said = text(shown, ".")
    assert said == f"已发送：{LABELS['step'][plan['step']][0]} · {LABELS['channel'][plan['channel']][0]}", said
    assert raw_codes(doc) == []
    after = await taken_now(platform, case_id)
    [new] = [a for a in after if a["id"] not in {b["id"] for b in before}]
    assert (new["step"], new["channel"]) == (plan["step"], plan["channel"])
    async with platform.client("dunning") as dunning:
        [plan_now] = (await dunning.get("/dry-run", params={"case_id": case_id})).json()["data"]
    assert plan["step"] in plan_now["done_steps"]


async def test_a_refusal_is_the_problems_detail_in_the_pages_language_without_a_code(
    console: ConsoleFactory, platform: Platform
) -> None:
    browser, username = await signed_in_collector(console, platform)
    case_id = (await platform.overdue_case_for(username, amount="2400.00"))["case"]["id"]
    panel = await browser.get(f"/worklist/{case_id}", headers=HTMX)
    doc = page(panel)
    [step] = doc.xpath("//div[@id='next-step']//input[@name='step']/@value")
    token = csrf(panel)
    first = page(
        await browser.post(
            f"/worklist/{case_id}/next-step",
            data={"csrf_token": token, "step": step, "reason": "客户要求立即寄送"},
            headers=HTMX,
        )
    )
    assert first.xpath("//p[@id='step-sent']/@data-step") == [step]
    assert LABELS["step"][step][0] in text(first, "//p[@id='step-sent']")
    assert raw_codes(first) == []
    count = len(await taken_now(platform, case_id))

    # The same page again: its step is taken, so dunning's next is another one (next_step_changed).
    stale = page(
        await browser.post(f"/worklist/{case_id}/next-step", data={"csrf_token": token, "step": step}, headers=HTMX)
    )
    error = text(stale, "//p[@id='work-error']")
    assert "请刷新后再试" in error and LABELS["step"][step][0] in error, error
    assert step not in error and not UUID.search(error) and raw_codes(stale) == []
    # The panel drawn again names dunning's next step now; nothing more was sent.
    [fresh] = stale.xpath("//div[@id='next-step']//input[@name='step']/@value")
    assert fresh != step and LABELS["step"][fresh][0] in error
    assert len(await taken_now(platform, case_id)) == count

    browser.cookies.set("console_lang", "en")
    english = page(
        await browser.post(f"/worklist/{case_id}/next-step", data={"csrf_token": token, "step": step}, headers=HTMX)
    )
    error = text(english, "//p[@id='work-error']")
    assert "look at the case again" in error and LABELS["step"][fresh][1] in error, error
    assert not UUID.search(error) and raw_codes(english, chinese=False) == []
    assert len(await taken_now(platform, case_id)) == count


async def test_a_held_case_says_why_it_takes_no_step_from_its_row(console: ConsoleFactory, platform: Platform) -> None:
    browser, username = await signed_in_collector(console, platform)
    case_id = (await platform.overdue_case_for(username, amount="2500.00"))["case"]["id"]
    listed = await browser.get("/worklist")
    row = page(listed).xpath(f"//tr[@data-case='{case_id}']")[0]
    [step] = row.xpath(".//form[contains(@class,'step-now')]/input[@name='step']/@value")
    before = await taken_now(platform, case_id)
    async with platform.client("dunning") as dunning:
        held = await dunning.post(f"/cases/{case_id}/hold", json={"reason": "客户财务休假"})
        assert held.status_code == 200, held.text
    refused = await browser.post(
        f"/worklist/{case_id}/next-step",
        data={"step": step},
        headers={**HTMX, "HX-Target": f"step-{case_id}", "X-CSRF-Token": csrf(listed)},
    )
    assert refused.status_code == 200  # htmx swaps no 4xx answer in
    said = text(page(refused), "//span[contains(@class,'step-refused')]")
    assert "暂停" in said and "case_paused" not in said and not UUID.search(said), said
    assert await taken_now(platform, case_id) == before
    # the held case's panel offers no step to send, and says why in words
    panel = page(await browser.get(f"/worklist/{case_id}", headers=HTMX))
    assert not panel.xpath("//div[@id='next-step']//form")
    assert text(panel, "//p[@id='no-step']") == "没有可发送的下一步（人工暂停）。"
