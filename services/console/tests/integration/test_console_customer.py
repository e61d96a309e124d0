"""客户全景: one customer as the four services see them, every figure read from the page against the API's."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any

from console.labels import LABELS
from stdnum.cn import uscc

from arflow.ids import uuid7
from arflow.testing import eventually

from .conftest import ConsoleFactory, Platform
from .pages import page, raw_codes, sign_in, text


def money(amount: str) -> str:
    return f"{Decimal(amount):,.2f} CNY"


def new_uscc() -> str:
    body = f"91330100MA{secrets.randbelow(10**7):07d}"
    return body + uscc.calc_check_digit(body)


async def seeded_customer(platform: Platform, collector: str) -> dict[str, Any]:
    """An overdue customer with a contact, a part payment, a promise, a dispute and a score."""
    code = new_uscc()
    seeded = await platform.overdue_case_for(
        collector,
        amount="2000.00",
        also=("500.00",),
        name=f"温州瓯江机电有限公司 {secrets.token_hex(2)}",
        unified_social_credit_code=code,
        contacts=[
            {"name": "周敏", "role": "finance_manager", "email": "zhoumin@oujiang.example", "phone": "+8657788886666"}
        ],
    )
    customer_id, first = seeded["customer_id"], seeded["invoice"]
    async with (
        platform.client("invoicing") as invoicing,
        platform.client("reconciliation") as reconciliation,
        platform.client("dunning") as dunning,
        platform.client("credit-scoring") as credit,
    ):
        [second] = seeded["also"]

        async def projected() -> bool:
            items = (await reconciliation.get("/open-items", params={"customer_id": customer_id})).json()["data"]
            return {i["invoice_id"] for i in items} >= {first["id"], second["id"]}

        await eventually(projected, within=30, what="reconciliation's projection of both invoices")
        paid = await reconciliation.post(
            "/payments",
            json={
                "customer_id": customer_id,
                "amount": "300.00",
                "currency": "CNY",
                "received_on": "2026-02-12",
                "payer_name": "温州瓯江机电",
                "allocations": [{"invoice_id": first["id"], "amount": "300.00"}],
            },
        )
        assert paid.status_code == 201, paid.text
        disputed = await reconciliation.post(
            "/disputes", json={"invoice_id": second["id"], "reason": "服务内容与合同不符"}
        )
        assert disputed.status_code == 201, disputed.text
        promised = await dunning.post(
            f"/cases/{seeded['case']['id']}/promises",
            json={"amount": "700.00", "promised_date": "2026-02-20", "made_by": "周敏"},
        )
        assert promised.status_code == 201, promised.text

        async def applied() -> bool:
            return bool((await invoicing.get(f"/invoices/{first['id']}")).json()["balance"] == "1700.00")

        await eventually(applied, within=30, what="invoicing to apply the part payment")

        async def scored() -> Any:
            response = await credit.get(f"/credit-files/{customer_id}/scores")
            return response.json()["data"] if response.status_code == 200 else None

        await eventually(scored, within=30, what="a credit score")
    return {**seeded, "second": second, "uscc": code}


async def api(platform: Platform, service: str, path: str, **params: Any) -> Any:
    async with platform.client(service) as client:
        response = await client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()


async def test_the_360_shows_every_service_figure_as_its_api_says(console: ConsoleFactory, platform: Platform) -> None:
    username, password = await platform.person(["collector"])
    await platform.collector(username)
    seeded = await seeded_customer(platform, username)
    customer_id = seeded["customer_id"]
    browser = await console()
    await sign_in(browser, username, password)
    response = await browser.get(f"/customers/{customer_id}")
    assert response.status_code == 200, response.text
    doc = page(response)

    assert text(doc, "//b[@id='uscc']") == seeded["uscc"]
    assert "zhoumin@oujiang.example" in text(doc, "//section[@id='contacts']")
    balance = (await api(platform, "invoicing", f"/customers/{customer_id}/balance"))["balances"][0]
    assert text(doc, "//div[@data-currency='CNY']//span[contains(@class,'balance')]") == money(balance["balance"])
    invoices = (await api(platform, "invoicing", "/invoices", customer_id=customer_id))["data"]
    assert len(doc.xpath("//section[@id='invoices']//tr[@data-invoice]")) == len(invoices) == 2
    for invoice in invoices:
        row = doc.xpath(f"//tr[@data-invoice='{invoice['id']}']")[0]
        assert text(row, "./td[1]") == invoice["number"]
        assert text(row, ".//td[contains(@class,'balance')]").replace(",", "") == f"{invoice['balance']} CNY"
        assert row.xpath(f".//a[@href='/invoices/{invoice['id']}/pdf']")
    [payment] = (await api(platform, "reconciliation", "/payments", customer_id=customer_id))["data"]
    assert text(doc, f"//tr[@data-payment='{payment['id']}']/td[contains(@class,'amount')]") == "300.00 CNY"
    [case] = (await api(platform, "dunning", "/cases", customer_id=customer_id))["data"]
    shown = doc.xpath(f"//article[@data-case='{case['id']}']")[0]
    assert text(shown, ".//b[@class='level']") == str(case["level"])
    assert "催收员 李娜" in text(shown, "./p")  # dunning's name for the collector, not the username
    assert text(shown, ".//b[@class='amount']").replace(",", "") == f"{case['amount_overdue']} CNY"
    ladder = shown.xpath(".//ol[@class='ladder']/li")
    [plan] = (await api(platform, "dunning", "/dry-run", case_id=case["id"]))["data"]
    policy = await api(platform, "dunning", f"/policies/{case['policy_code'] or plan['policy']}")
    assert [li.get("data-level") for li in ladder] == [str(s["level"]) for s in policy["steps"]]
    if plan["step"]:
        [upcoming] = shown.xpath(".//ol[@class='ladder']/li[@class='next']")
        assert upcoming.xpath(".//span[@class='step-name']/@data-step") == [plan["step"]]
        assert text(upcoming, ".//span[@class='step-name']") == LABELS["step"][plan["step"]][0]
    [promise] = (await api(platform, "dunning", "/promises", customer_id=customer_id))["data"]
    assert text(doc, f"//tr[@data-promise='{promise['id']}']/td[contains(@class,'amount')]") == "700.00 CNY"
    [dispute] = (await api(platform, "reconciliation", "/disputes", customer_id=customer_id))["data"]
    assert text(doc, f"//tr[@data-dispute='{dispute['id']}']/td[1]") == seeded["second"]["number"]
    score = (await api(platform, "credit-scoring", f"/credit-files/{customer_id}/scores"))["data"][0]
    assert text(doc, "//span[@class='score-value']") == str(score["score"])
    assert doc.xpath("//ol[@class='reason-codes']/li/@data-code") == [r["code"] for r in score["reasons"]]
    # credit-scoring's own words for each reason, and the history's codes named
    assert [text(li, ".") for li in doc.xpath("//ol[@class='reason-codes']/li")] == [
        r["text_zh"] for r in score["reasons"]
    ]
    history = doc.xpath("//table[@id='score-history']//span[@data-code]")
    assert history and all(text(s, ".") == LABELS["score_reason"][s.get("data-code")][0] for s in history)
    assert raw_codes(doc) == []
    # a payment in the ledger names the invoice it paid, not its id
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", text(doc, "//section[@id='ledger']"))
    assert "INV-" in text(doc, "//section[@id='ledger']//tr[td[2]='收款']")

    kinds = doc.xpath("//ol[@class='timeline']/li/@data-kind")
    for kind in (
        "ev_invoice_issued",
        "ev_payment_received",
        "ev_dispute_opened",
        "ev_case_opened",
        "ev_promise_made",
        "ev_score",
    ):
        assert kind in kinds, kinds
    assert kinds.count("ev_invoice_issued") == 2
    moments = [datetime.fromisoformat(v) for v in doc.xpath("//ol[@class='timeline']/li/time/@datetime")]
    assert moments == sorted(moments, reverse=True)
    assert len(set(doc.xpath("//ol[@class='timeline']/li/@data-source"))) == 4  # all four services told it


async def test_the_worklist_links_each_case_to_its_customer(console: ConsoleFactory, platform: Platform) -> None:
    username, password = await platform.person(["collector"])
    await platform.collector(username)
    seeded = await platform.overdue_case_for(username, amount="1234.00", name="嘉兴南湖纺织有限公司")
    browser = await console()
    await sign_in(browser, username, password)
    listed = page(await browser.get("/worklist"))
    [link] = listed.xpath(f"//tr[@data-case='{seeded['case']['id']}']//a[@class='customer']/@href")
    opened = page(await browser.get(link))
    assert text(opened, "//h1[@id='customer-name']") == "嘉兴南湖纺织有限公司"


async def test_a_customer_that_does_not_exist_is_a_404_in_the_persons_language(
    console: ConsoleFactory, platform: Platform
) -> None:
    username, password = await platform.person(["auditor"])
    browser = await console()
    await sign_in(browser, username, password)
    missing = await browser.get(f"/customers/{uuid7()}")
    assert missing.status_code == 404 and text(page(missing), "//h1") == "找不到页面"
    browser.cookies.set("console_lang", "en")
    english = await browser.get(f"/customers/{uuid7()}")
    assert english.status_code == 404 and text(page(english), "//h1") == "Page not found"


async def test_an_invoice_pdf_opens_through_the_console_with_the_persons_token(
    console: ConsoleFactory, platform: Platform
) -> None:
    username, password = await platform.person(["auditor"])
    async with platform.client("invoicing") as invoicing:
        customer = await invoicing.post(
            "/customers", json={"legal_name": "丽水山耕农业有限公司"}, headers={"Idempotency-Key": secrets.token_hex(8)}
        )
    invoice = await platform.issued_invoice(customer.json()["id"], "880.00")
    anonymous = await console()
    assert (await anonymous.get(f"/invoices/{invoice['id']}/pdf")).status_code == 303  # sign in first
    browser = await console()
    await sign_in(browser, username, password)
    pdf = await browser.get(f"/invoices/{invoice['id']}/pdf")
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert (await browser.get(f"/invoices/{uuid7()}/pdf")).status_code == 404


async def test_the_360_lists_the_customers_statements_and_every_document_sent_in_words(
    console: ConsoleFactory, platform: Platform
) -> None:
    username, password = await platform.person(["collector"])
    await platform.collector(username)
    seeded = await seeded_customer(platform, username)
    customer_id = seeded["customer_id"]
    async with platform.client("invoicing") as invoicing, platform.client("dunning") as dunning:
        issued = await invoicing.post(
            "/statements", json={"customer_id": customer_id}, headers={"Idempotency-Key": secrets.token_hex(8)}
        )
        assert issued.status_code == 201, issued.text
        statement = issued.json()

        async def sent() -> Any:
            on = {"customer_id": customer_id}
            invoices = (await dunning.get("/invoice-deliveries", params=on)).json()["data"]
            statements = (await dunning.get("/statement-deliveries", params=on)).json()["data"]
            return [*invoices, *statements] if invoices and statements else None

        deliveries = await eventually(sent, within=30, what="dunning's deliveries of the invoices and the statement")
    browser = await console()
    await sign_in(browser, username, password)
    doc = page(await browser.get(f"/customers/{customer_id}"))

    [row] = doc.xpath(f"//table[@id='statement-list']//tr[@data-statement='{statement['id']}']")
    assert text(row, "./td[1]") == statement["number"]
    assert text(row, "./td[2]") == f"{statement['period_start']} – {statement['period_end']}"
    [cny] = statement["balances"]
    assert text(row, ".//td[contains(@class,'closing')]") == money(cny["closing_balance"])
    assert text(row, "./td[4]") == "待客户确认"  # issued, not answered yet
    [pdf_link] = row.xpath(".//a/@href")
    pdf = await browser.get(pdf_link)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    rows = doc.xpath("//table[@id='deliveries']/tbody/tr")
    assert sorted(r.get("data-delivery") for r in rows) == sorted(d["id"] for d in deliveries)
    for d in deliveries:
        [shown] = doc.xpath(f"//tr[@data-delivery='{d['id']}']")
        number = d.get("invoice_number") or d["statement_number"]
        assert text(shown, "./td[1]") == f"{'账单' if 'invoice_number' in d else '对账单'} {number}"
        assert text(shown, "./td[2]") == LABELS["channel"][d["channel"]][0]
        assert text(shown, "./td[4]").startswith(LABELS["delivery"][d["status"]][0])
    assert raw_codes(doc) == []
    browser.cookies.set("console_lang", "en")
    english = page(await browser.get(f"/customers/{customer_id}"))
    assert raw_codes(english, chinese=False) == []
    assert text(english, f"//tr[@data-statement='{statement['id']}']/td[4]") == "Awaiting the answer"
