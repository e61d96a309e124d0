"""审批: one inbox across the services; approving or rejecting calls the service the approval lives in."""

from __future__ import annotations

import secrets

from arflow.testing import eventually

from .conftest import ConsoleFactory, Platform
from .pages import csrf, page, sign_in, text


async def test_the_finance_manager_sees_a_clerks_write_off_and_approves_it(
    console: ConsoleFactory, platform: Platform
) -> None:
    clerk = await platform.person(["ar_clerk"], display_name="张伟")
    asked = await platform.write_off_requested(clerk, amount="1500.00")
    approval_id, invoice_id = asked["approval"]["id"], asked["invoice"]["id"]
    manager = await platform.person(["finance_manager"], display_name="陈静")
    browser = await console()
    await sign_in(browser, *manager)
    inbox = await browser.get("/approvals")
    row = page(inbox).xpath(f"//table[@id='approvals']//tr[@data-approval='{approval_id}']")
    assert row, inbox.text
    assert text(row[0], "./td[1]") == "开票"
    assert text(row[0], ".//td[contains(@class,'amount')]") == "1,500.00 CNY"
    assert text(row[0], "./td[4]") == clerk[0]
    assert text(row[0], "./td[6]") == "客户已破产清算"
    # what is to be approved, named: the action, the invoice's number, its customer (linked to the 360)
    async with platform.client("invoicing") as invoicing:
        customer = (await invoicing.get(f"/customers/{asked['invoice']['customer_id']}")).json()
    assert text(row[0], ".//b[@class='what']") == "坏账核销"
    assert text(row[0], ".//span[@class='invoice']") == f"账单 {asked['invoice']['number']}"
    [link] = row[0].xpath(".//a[@class='customer']")
    assert (text(link, "."), link.get("href")) == (customer["legal_name"], f"/customers/{customer['id']}")
    approved = await browser.post(
        f"/approvals/invoicing/{approval_id}/approve",
        data={"csrf_token": csrf(inbox), "comment": "已核实破产公告"},
        headers={"HX-Request": "true"},
    )
    assert approved.status_code == 200 and text(page(approved), "//span") == "已批准"
    async with platform.client("invoicing") as invoicing:
        decided = (await invoicing.get(f"/approvals/{approval_id}")).json()
        invoice = (await invoicing.get(f"/invoices/{invoice_id}")).json()
    assert (decided["status"], decided["decided_by"]) == ("approved", f"user:{manager[0]}")
    assert invoice["status"] == "uncollectible"
    again = page(await browser.get("/approvals"))
    assert not again.xpath(f"//tr[@data-approval='{approval_id}']")


async def test_a_rejection_needs_a_comment_and_is_sent_with_it(console: ConsoleFactory, platform: Platform) -> None:
    asked = await platform.write_off_requested(await platform.person(["ar_clerk"]))
    approval_id = asked["approval"]["id"]
    browser = await console()
    await sign_in(browser, *await platform.person(["finance_manager"]))
    inbox = await browser.get("/approvals")
    bare = await browser.post(
        f"/approvals/invoicing/{approval_id}/reject", data={"csrf_token": csrf(inbox)}, headers={"HX-Request": "true"}
    )
    assert text(page(bare), "//span[@role='alert']") == "驳回时必须填写意见。"
    assert page(bare).xpath("//form[contains(@class,'decide')]")  # the form again, to try once more
    async with platform.client("invoicing") as invoicing:
        assert (await invoicing.get(f"/approvals/{approval_id}")).json()["status"] == "pending"
        rejected = await browser.post(
            f"/approvals/invoicing/{approval_id}/reject",
            data={"csrf_token": csrf(inbox), "comment": "请先发催款函"},
            headers={"HX-Request": "true"},
        )
        assert text(page(rejected), "//span") == "已驳回"
        decided = (await invoicing.get(f"/approvals/{approval_id}")).json()
    assert (decided["status"], decided["decision_comment"]) == ("rejected", "请先发催款函")


async def test_the_service_refusing_a_decision_is_shown_in_the_persons_language(
    console: ConsoleFactory, platform: Platform
) -> None:
    clerk = await platform.person(["ar_clerk"])
    approval_id = (await platform.write_off_requested(clerk))["approval"]["id"]
    browser = await console(**{"Accept-Language": "en"})
    await sign_in(browser, *clerk)  # the requester: may read the inbox, may not approve their own request
    inbox = await browser.get("/approvals")
    assert page(inbox).xpath(f"//tr[@data-approval='{approval_id}']")
    refused = await browser.post(
        f"/approvals/invoicing/{approval_id}/approve", data={"csrf_token": csrf(inbox)}, headers={"HX-Request": "true"}
    )
    message = text(page(refused), "//span[@role='alert']")
    assert message and not any("\u4e00" <= c <= "\u9fff" for c in message), message
    async with platform.client("invoicing") as invoicing:
        assert (await invoicing.get(f"/approvals/{approval_id}")).json()["status"] == "pending"
    without_token = await browser.post(f"/approvals/invoicing/{approval_id}/approve", data={"comment": "x"})
    assert without_token.status_code == 403
    unknown = await browser.post(f"/approvals/billing/{approval_id}/approve", data={"csrf_token": csrf(inbox)})
    assert unknown.status_code == 404


async def test_a_credit_limit_override_names_its_customer_and_its_reason_in_the_persons_language(
    console: ConsoleFactory, platform: Platform
) -> None:
    name = f"衢州柯城化工有限公司 {secrets.token_hex(2)}"
    async with platform.client("invoicing") as invoicing, platform.client("credit-scoring") as credit:
        made = await invoicing.post(
            "/customers", json={"legal_name": name}, headers={"Idempotency-Key": secrets.token_hex(8)}
        )
        assert made.status_code == 201, made.text
        customer_id = made.json()["id"]

        async def known() -> bool:
            return bool((await credit.get(f"/credit-files/{customer_id}")).status_code == 200)

        await eventually(known, within=30, what="credit-scoring to know the customer")
        asked = await credit.post(
            f"/credit-files/{customer_id}/limit/override",
            json={"amount": "250000.00", "currency": "CNY", "reason": "战略客户"},
            headers={"Idempotency-Key": secrets.token_hex(8)},
        )
        assert asked.status_code == 202, asked.text
    approval = asked.json()
    assert " / " in approval["reason"]  # credit-scoring writes it in both languages
    browser = await console()
    await sign_in(browser, *await platform.person(["finance_manager"]))
    [row] = page(await browser.get("/approvals")).xpath(f"//tr[@data-approval='{approval['id']}']")
    assert text(row, ".//b[@class='what']") == "人工信用额度"
    [link] = row.xpath(".//a[@class='customer']")
    assert (text(link, "."), link.get("href")) == (name, f"/customers/{customer_id}")
    chinese = text(row, ".//td[contains(@class,'reason')]")
    assert chinese == approval["reason"].rpartition(" / ")[2] and "战略客户" in chinese
    browser.cookies.set("console_lang", "en")
    [english] = page(await browser.get("/approvals")).xpath(f"//tr[@data-approval='{approval['id']}']")
    assert text(english, ".//td[contains(@class,'reason')]").startswith("manual limit 250,000.00 CNY")


async def test_a_payment_plan_on_a_dunning_case_names_the_cases_customer(
    console: ConsoleFactory, platform: Platform
) -> None:
    collector, _ = await platform.person(["collector"])
    await platform.collector(collector)
    name = f"金华婺城五金有限公司 {secrets.token_hex(2)}"
    seeded = await platform.overdue_case_for(collector, amount="2000.00", name=name)
    instalments = [{"due_date": f"2027-{month:02d}-15", "amount": "100.00"} for month in range(1, 8)]
    async with platform.client("dunning") as dunning:
        asked = await dunning.post(
            f"/cases/{seeded['case']['id']}/payment-plans",
            json={"amount_covered": "700.00", "instalments": instalments},
            headers={"Idempotency-Key": secrets.token_hex(8)},
        )
    assert asked.status_code == 202, asked.text  # seven instalments always wait for a second person
    browser = await console()
    await sign_in(browser, *await platform.person(["finance_manager"]))
    [row] = page(await browser.get("/approvals")).xpath(f"//tr[@data-approval='{asked.json()['id']}']")
    assert text(row, ".//b[@class='what']") == "分期还款协议"
    [link] = row.xpath(".//a[@class='customer']")
    assert (text(link, "."), link.get("href")) == (name, f"/customers/{seeded['customer_id']}")
    assert text(row, ".//td[contains(@class,'reason')]").startswith("分期还款 700.00 CNY，共 7 期")
