"""One journey in a real browser (Debian's Chromium driven by Playwright) against the console as a process:
sign in, see today's work and work a case (a promise from its panel), open a customer's 360, read the
reports, search by name and by invoice number, upload a real bank statement and watch its import, confirm a
match from the keyboard, allocate another payment by hand, approve the write-off a clerk asked for.

Screenshots go to ARFLOW_CONSOLE_SCREENSHOTS when it is set (docs/console/ holds the README's).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright, expect

from .conftest import Platform
from .test_console_review import queued_payment
from .test_console_review_by_hand import SAMPLES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")  # a service's code as it is (sms_reminder), not in words


async def test_a_finance_manager_signs_in_sees_the_worklist_and_approves_a_write_off(
    platform: Platform, tmp_path: Path
) -> None:
    if CHROMIUM is None:
        pytest.fail("Debian's chromium is not installed: apt-get install chromium fonts-noto-cjk (.ci/run does)")
    shots = Path(os.environ.get("ARFLOW_CONSOLE_SCREENSHOTS") or tmp_path)
    clerk = await platform.person(["ar_clerk"], display_name="张伟")
    asked = await platform.write_off_requested(clerk, amount="1580.00")
    manager = await platform.person(["finance_manager"], display_name="陈静")
    await platform.collector(manager[0])
    seeded = [
        await platform.overdue_case_for(manager[0], amount=amount, name=name, also=also)
        for name, amount, also in [
            ("杭州云帆科技有限公司", "8600.00", ("1200.00",)),
            ("苏州启明会计服务有限公司", "2350.00", ()),
            ("上海浦江物流有限公司", "1280.00", ()),
        ]
    ]
    top = seeded[0]["customer_id"]
    queued = (await queued_payment(platform))["payment"]
    by_hand = await queued_payment(platform)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--lang=zh-CN"])
        try:
            context = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 760})
            tab = await context.new_page()
            await tab.goto(platform.urls["console"] + "/")
            await expect(tab.locator("h1")).to_have_text("登录")
            await tab.screenshot(path=str(shots / "sign-in.png"))
            await tab.fill("input[name=username]", manager[0])
            await tab.fill("input[name=password]", manager[1])
            await tab.click("form#sign-in button[type=submit]")

            await expect(tab.locator("h1")).to_have_text("今日工作")
            rows = tab.locator("table#worklist tbody tr[data-case]")
            await expect(rows).to_have_count(3)
            await expect(rows.first.locator("td.amount")).to_have_text("9,800.00 CNY")  # 8,600 and 1,200 overdue
            await tab.screenshot(path=str(shots / "worklist.png"), full_page=True)
            # the ladder's steps in words, never as dunning's codes (sms_reminder, pre_due_reminder …)
            assert not SNAKE.search(await tab.locator("table#worklist").inner_text())

            # Send the second case's next step now from its row: what was sent is said in words in place.
            second = seeded[1]["case"]["id"]
            async with platform.client("dunning") as dunning:
                [before] = (await dunning.get("/dry-run", params={"case_id": second})).json()["data"]
            await tab.locator(f"tr[data-case='{second}'] form.step-now button").click()
            sent = tab.locator(f"#step-{second} .step-sent")
            await expect(sent).to_contain_text("已发送：")
            assert await sent.get_attribute("data-step") == before["step"]
            assert not SNAKE.search(await sent.inner_text())
            async with platform.client("dunning") as dunning:
                [after] = (await dunning.get("/dry-run", params={"case_id": second})).json()["data"]
            assert before["step"] in after["done_steps"]
            await tab.screenshot(path=str(shots / "worklist-step-sent.png"), full_page=True)

            # Work the top case in place: its panel opens under the row, a promise is recorded from it.
            case_id = seeded[0]["case"]["id"]
            await rows.first.locator("a.work-link").click()
            panel = tab.locator(f"#work-{case_id} section.casework")
            await expect(panel.locator("#promise form")).to_be_visible()
            await panel.locator("#promise input[name=amount]").fill("5000.00")
            await panel.locator("#promise input[name=promised_date]").fill("2026-12-31")
            await panel.locator("#promise input[name=made_by]").fill("杭州云帆 财务 王芳")
            await tab.screenshot(path=str(shots / "worklist-case.png"), full_page=True)
            await panel.locator("#promise button[type=submit]").click()
            await expect(tab.locator(f"#work-{case_id} #work-done")).to_have_text("已记录承诺付款，到期前暂停催收。")
            async with platform.client("dunning") as dunning:
                [promise] = (await dunning.get("/promises", params={"case_id": case_id})).json()["data"]
            shown = tab.locator(f"#work-{case_id} li[data-promise='{promise['id']}']")
            await expect(shown).to_contain_text(f"{Decimal(promise['amount']):,.2f} CNY · {promise['promised_date']}")
            phone = await browser.new_context(
                locale="zh-CN", viewport={"width": 390, "height": 844}, storage_state=await context.storage_state()
            )
            small = await phone.new_page()
            await small.goto(platform.urls["console"] + "/worklist")
            await expect(small.locator("table#worklist")).to_be_visible()
            await small.screenshot(path=str(shots / "worklist-phone.png"), full_page=True)
            await small.goto(platform.urls["console"] + f"/worklist/{case_id}")
            await expect(small.locator("section.casework #promise form")).to_be_visible()
            await small.screenshot(path=str(shots / "worklist-case-phone.png"), full_page=True)
            await phone.close()

            # The first case's customer, whole: the balance on screen is invoicing's; its statement of account.
            async with platform.client("invoicing") as invoicing:
                issued = await invoicing.post(
                    "/statements", json={"customer_id": top}, headers={"Idempotency-Key": secrets.token_hex(8)}
                )
                assert issued.status_code == 201, issued.text
            await rows.first.locator("a.customer").click()
            await expect(tab.locator("h1#customer-name")).to_have_text("杭州云帆科技有限公司")
            async with platform.client("invoicing") as invoicing:
                balance = (await invoicing.get(f"/customers/{top}/balance")).json()["balances"][0]["balance"]
            await expect(tab.locator("#balances .balance")).to_have_text(f"{Decimal(balance):,.2f} CNY")
            await expect(tab.locator("#invoices tr[data-invoice]")).to_have_count(2)
            await expect(tab.locator(f"#statement-list tr[data-statement='{issued.json()['id']}']")).to_be_visible()
            assert not SNAKE.search(await tab.locator("div.columns").inner_text())
            await tab.screenshot(path=str(shots / "customer-360.png"), full_page=True)
            phone = await browser.new_context(
                locale="zh-CN", viewport={"width": 390, "height": 844}, storage_state=await context.storage_state()
            )
            small = await phone.new_page()
            await small.goto(tab.url)
            await expect(small.locator("h1#customer-name")).to_have_text("杭州云帆科技有限公司")
            await small.screenshot(path=str(shots / "customer-360-phone.png"), full_page=True)
            await phone.close()

            await tab.click("nav >> text=报表")
            await tab.goto(platform.urls["console"] + "/reports?as_of=2026-02-28&months=6")
            async with platform.client("invoicing") as invoicing:
                aging = (await invoicing.get("/reports/aging", params={"as_of": "2026-02-28"})).json()
            cny = next(t for t in aging["totals"] if t["currency"] == "CNY")
            await expect(tab.locator("#report-aging tbody tr").first.locator("td").nth(6)).to_have_text(
                f"{Decimal(cny['buckets']['total']):,.2f}"
            )
            await tab.screenshot(path=str(shots / "reports.png"), full_page=True)
            await tab.fill("form.top-search input[name=q]", "杭州云帆")
            await tab.press("form.top-search input[name=q]", "Enter")
            await expect(tab.locator("table#results tr[data-customer]").first).to_be_visible()
            await tab.screenshot(path=str(shots / "search.png"), full_page=True)
            number = seeded[0]["invoice"]["number"]
            await tab.fill("form.top-search input[name=q]", number.lower())
            await tab.press("form.top-search input[name=q]", "Enter")
            found = tab.locator(f"table#invoice-results tr[data-invoice='{seeded[0]['invoice']['id']}']")
            await expect(found.locator("td.number")).to_have_text(number)
            await expect(found.locator("td").nth(1)).to_have_text("杭州云帆科技有限公司")
            await tab.screenshot(path=str(shots / "search-invoice.png"), full_page=True)

            await tab.click("nav >> text=每月催账计划")
            if await tab.locator("#draw-up").count():
                await tab.click("#draw-up")
            await expect(tab.locator(f"#plan-lines tr[data-case='{seeded[1]['case']['id']}']")).to_be_visible()
            await tab.screenshot(path=str(shots / "plan.png"), full_page=True)

            # 待核对: a real bank statement uploaded and watched to the end; its lines join the queue.
            await tab.click("nav >> text=待核对")
            await expect(tab.locator(f"article[data-payment='{queued['id']}']")).to_be_visible()
            await tab.screenshot(path=str(shots / "review.png"), full_page=True)
            await tab.set_input_files("#statement-upload input[type=file]", str(SAMPLES / "mt940" / "jejik-ing.sta"))
            await tab.click("#statement-upload button[type=submit]")
            imported = tab.locator("#import-status div.import[data-status=succeeded]")
            await expect(imported).to_be_visible(timeout=30_000)
            import_id = (await imported.get_attribute("id") or "")[len("import-") :]
            async with platform.client("reconciliation") as reconciliation:
                record = (await reconciliation.get(f"/statement-imports/{import_id}")).json()
            await expect(imported.locator("dd[data-key=payments]")).to_have_text(str(record["summary"]["payments"]))
            await expect(imported.locator("#import-lines tbody tr")).to_have_count(record["lines_total"])
            for line in await reconciliation_lines(platform, import_id):
                if line["payment_id"]:  # each payment of the file waits in the queue, reloaded
                    await expect(tab.locator(f"#queue article#payment-{line['payment_id']}")).to_be_visible()
            await tab.screenshot(path=str(shots / "review-import.png"), full_page=True)

            # The payment's best suggestion confirmed from the keyboard (focus on its button, Enter).
            card = tab.locator(f"article[data-payment='{queued['id']}']")
            best = queued["suggestions"][0]
            await expect(card.locator("ol.suggestions > li").first.locator(".confidence")).to_have_text(
                f"{best['confidence'] * 100:.0f}%"
            )
            await card.locator("button.primary").focus()
            await tab.keyboard.press("Enter")
            await expect(card.locator(".done")).to_contain_text("已确认")

            # Another payment allocated by hand: its customer's open invoice, an amount a person changed.
            other = tab.locator(f"article[data-payment='{by_hand['payment']['id']}']")
            await other.locator("a.allocate-link").click()
            invoice_id = by_hand["invoices"][0]["id"]
            await other.locator(f"input[name='amount:{invoice_id}']").fill("650.00")
            await tab.screenshot(path=str(shots / "review-allocate.png"), full_page=True)
            await other.locator("form.work button[type=submit]").click()
            await expect(other.locator(".done")).to_contain_text("已确认")
            async with platform.client("reconciliation") as reconciliation:
                allocated = (await reconciliation.get(f"/payments/{by_hand['payment']['id']}")).json()
            [given] = allocated["allocations"]
            await expect(other.locator(".done")).to_contain_text(
                f"{given['invoice_number']} {Decimal(given['amount']):,.2f} CNY"
            )
            phone = await browser.new_context(
                locale="zh-CN", viewport={"width": 390, "height": 844}, storage_state=await context.storage_state()
            )
            small = await phone.new_page()
            await small.goto(platform.urls["console"] + "/review")
            await expect(small.locator("#statement-upload")).to_be_visible()
            await small.screenshot(path=str(shots / "review-phone.png"), full_page=True)
            await phone.close()

            await tab.click("nav >> text=审批")
            row = tab.locator(f"tr[data-approval='{asked['approval']['id']}']")
            await expect(row.locator("td.amount")).to_have_text("1,580.00 CNY")
            await expect(row.locator("span.invoice")).to_have_text(f"账单 {asked['invoice']['number']}")
            await row.locator("input[name=comment]").fill("已核实破产公告")
            await tab.screenshot(path=str(shots / "approvals.png"), full_page=True)
            await row.locator("button.primary").click()
            await expect(row.locator(".done")).to_have_text("已批准")
        finally:
            await browser.close()

    async with platform.client("invoicing") as invoicing:
        invoice = (await invoicing.get(f"/invoices/{asked['invoice']['id']}")).json()
        decided = (await invoicing.get(f"/approvals/{asked['approval']['id']}")).json()
    assert invoice["status"] == "uncollectible"
    assert (decided["status"], decided["decision_comment"]) == ("approved", "已核实破产公告")
    async with platform.client("reconciliation") as reconciliation:
        matched = (await reconciliation.get(f"/payments/{queued['id']}")).json()
    assert matched["status"] == "matched" and matched["decided_by"]


async def reconciliation_lines(platform: Platform, import_id: str) -> list[dict[str, Any]]:
    async with platform.client("reconciliation") as reconciliation:
        page = await reconciliation.get(f"/statement-imports/{import_id}/lines", params={"limit": 1000})
        return list(page.json()["data"])
