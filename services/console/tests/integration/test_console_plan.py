"""每月催账计划: dunning's plan of a month as the page shows it, drawn up from the page when there is none."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from .conftest import ConsoleFactory, Platform
from .pages import csrf, page, raw_codes, sign_in, text


async def test_a_month_without_a_plan_can_have_one_drawn_up_and_shows_dunnings_figures(
    console: ConsoleFactory, platform: Platform
) -> None:
    manager, password = await platform.person(["finance_manager"])
    await platform.collector(manager)
    await platform.overdue_case_for(manager, amount="3100.00", name=f"台州路桥机电有限公司 {secrets.token_hex(2)}")
    month = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    browser = await console()
    await sign_in(browser, manager, password)
    async with platform.client("dunning") as dunning:
        existing = await dunning.get(f"/plans/{month}")
    before = await browser.get("/plan")
    if existing.status_code == 404:
        assert text(page(before), "//p[@id='plan-empty']") == "这个月还没有催账计划。"
    drawn = await browser.post("/plan", data={"month": month, "csrf_token": csrf(before)})
    assert drawn.status_code == 303 and drawn.headers["location"] == f"/plan?month={month}"
    doc = page(await browser.get(drawn.headers["location"]))
    async with platform.client("dunning") as dunning:
        plan = (await dunning.get(f"/plans/{month}")).json()
        csv = await dunning.get(f"/plans/{month}/csv")
    assert plan["lines"], plan
    assert doc.xpath("//section[@id='plan-lines']//tr/@data-case") == [line["case_id"] for line in plan["lines"]]
    mine = [c for c in plan["collectors"] if c["collector"] == manager]
    shown = doc.xpath(f"//section[@id='plan-collectors']//tbody/tr[@data-collector='{manager}']")
    assert mine and shown
    assert text(shown[0], "./td[1]") == "李娜"  # the collector's name in dunning, not their username
    assert raw_codes(doc) == []  # steps, policies and pauses in words
    assert text(shown[0], "./td[contains(@class,'amount')]") == f"{Decimal(mine[0]['amount_overdue']):,.2f} CNY"
    downloaded = await browser.get(f"/plan/{month}.csv")
    assert downloaded.status_code == 200 and downloaded.content == csv.content


async def test_a_month_that_is_no_month_is_a_404(console: ConsoleFactory, platform: Platform) -> None:
    username, password = await platform.person(["auditor"])
    browser = await console()
    await sign_in(browser, username, password)
    assert (await browser.get("/plan", params={"month": "2026-13"})).status_code == 404
    forged = await browser.post("/plan", data={"month": "2026-01"})
    assert forged.status_code == 403
