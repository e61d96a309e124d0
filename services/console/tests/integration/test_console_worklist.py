"""今日工作: the collector's ranked worklist from dunning, paged, and holding a case in one click."""

from __future__ import annotations

import httpx
from console.labels import LABELS
from console.main import create_app

from arflow.devstack.broker import free_port

from .conftest import ConsoleFactory, Platform
from .pages import csrf, page, raw_codes, sign_in, text


async def test_a_collector_sees_their_cases_with_reasons_amount_and_days_overdue(
    console: ConsoleFactory, platform: Platform
) -> None:
    username, password = await platform.person(["collector"])
    await platform.collector(username)
    seeded = await platform.overdue_case_for(username, amount="2000.00")
    browser = await console()
    await sign_in(browser, username, password)
    response = await browser.get("/worklist")
    assert response.status_code == 200
    doc = page(response)
    row = doc.xpath(f"//table[@id='worklist']//tr[@data-case='{seeded['case']['id']}']")
    assert row, response.text
    assert text(row[0], ".//td[contains(@class,'amount')]") == "2,000.00 CNY"
    assert int(text(row[0], ".//td[contains(@class,'days')]")) > 30  # due 2026-02-04
    reasons = row[0].xpath(".//ul[@class='why']/li")
    assert reasons and reasons[-1].get("data-code") == "open_balance"
    assert "逾期" in "".join(reasons[-1].itertext())  # the reason in Chinese
    english = await browser.get("/lang/en", params={"next": "/worklist"})
    doc = page(await browser.get(english.headers["location"]))
    assert text(doc, "//h1") == "Today's work"
    assert "overdue" in text(doc, f"//tr[@data-case='{seeded['case']['id']}']//ul[@class='why']/li[last()]")


async def test_the_worklist_and_the_case_panel_name_the_ladders_steps_in_words_never_as_codes(
    console: ConsoleFactory, platform: Platform
) -> None:
    username, password = await platform.person(["collector"])
    await platform.collector(username)
    seeded = await platform.overdue_case_for(username, amount="2100.00")
    case_id = seeded["case"]["id"]
    async with platform.client("dunning") as dunning:
        [plan] = (await dunning.get("/dry-run", params={"case_id": case_id})).json()["data"]
    assert plan["step"], plan  # overdue since February: the ladder has a next step
    browser = await console()
    await sign_in(browser, username, password)
    doc = page(await browser.get("/worklist"))
    assert raw_codes(doc) == []
    [step_reason] = doc.xpath(f"//tr[@data-case='{case_id}']//li[starts-with(@data-code, 'step_')]")
    said = text(step_reason, ".")
    assert plan["step"] not in said and LABELS["step"][plan["step"]][0] in said, said
    panel = page(await browser.get(f"/worklist/{case_id}"))
    assert raw_codes(panel) == []
    assert panel.xpath("//b[@class='next-step']/@data-step") == [plan["step"]]
    assert text(panel, "//b[@class='next-step']") == LABELS["step"][plan["step"]][0]
    assert "下一步：" in text(panel, "//header")  # a full-width colon in Chinese
    browser.cookies.set("console_lang", "en")
    english = page(await browser.get("/worklist"))
    assert raw_codes(english, chinese=False) == []
    assert LABELS["step"][plan["step"]][1] in text(english, f"//tr[@data-case='{case_id}']//ul[@class='why']")
    assert raw_codes(page(await browser.get(f"/worklist/{case_id}")), chinese=False) == []


async def test_the_worklist_pages_and_has_an_empty_state(console: ConsoleFactory, platform: Platform) -> None:
    username, password = await platform.person(["collector"])
    await platform.collector(username)
    browser = await console()
    await sign_in(browser, username, password)
    empty = page(await browser.get("/worklist"))
    assert text(empty, "//p[@id='worklist-empty']") == "今天没有待办案件。"
    cases = [
        (await platform.overdue_case_for(username, amount))["case"]["id"]
        for amount in ("1100.00", "1200.00", "1300.00")
    ]
    first = page(await browser.get("/worklist", params={"limit": 2}))
    shown = first.xpath("//table[@id='worklist']//tr/@data-case")
    assert len(shown) == 2
    following = first.xpath("//a[@id='next-page']/@href")[0]
    second = page(await browser.get(following))
    rest = second.xpath("//table[@id='worklist']//tr/@data-case")
    assert sorted([*shown, *rest]) == sorted(cases)
    assert not second.xpath("//a[@id='next-page']") and second.xpath("//a[@id='first-page']")


async def test_a_person_who_is_no_collector_is_told_so(console: ConsoleFactory, platform: Platform) -> None:
    username, password = await platform.person(["collector"])  # has the role, not registered in dunning
    browser = await console()
    await sign_in(browser, username, password)
    doc = page(await browser.get("/worklist"))
    assert "您还不是催收员" in text(doc, "//p[contains(@class,'notice')]")


async def test_holding_a_case_takes_one_click_with_the_csrf_token(console: ConsoleFactory, platform: Platform) -> None:
    username, password = await platform.person(["collector"])
    await platform.collector(username)
    case_id = (await platform.overdue_case_for(username))["case"]["id"]
    browser = await console()
    await sign_in(browser, username, password)
    listed = await browser.get("/worklist")
    forged = await browser.post(f"/worklist/{case_id}/hold", headers={"HX-Request": "true"})
    assert forged.status_code == 403
    async with platform.client("dunning") as dunning:
        assert (await dunning.get(f"/cases/{case_id}")).json()["hold_reason"] is None
        held = await browser.post(
            f"/worklist/{case_id}/hold", headers={"HX-Request": "true", "X-CSRF-Token": csrf(listed)}
        )
        assert held.status_code == 200 and text(page(held), "//span") == "已暂停催收"
        case = (await dunning.get(f"/cases/{case_id}")).json()
    assert case["hold_reason"] == "控制台：催收员暂停，等待客户回复"


async def test_a_service_that_does_not_answer_is_a_503_page_not_a_crash(platform: Platform) -> None:
    username, password = await platform.person(["collector"])
    settings = platform.console_settings()
    settings.dunning_url = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as browser:
        await sign_in(browser, username, password)
        response = await browser.get("/worklist")
        assert response.status_code == 503
        assert text(page(response), "//section//p[1]") == "服务暂时不可用，请稍后再试。"
    await app.state.backend.close()
