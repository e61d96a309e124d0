"""How the public pages write what the customer reads: punctuation, negative amounts, times with their zone.

Through the ASGI client as a browser, the HTML parsed: Chinese text on every page (the invoice, its receipt,
the statement, its forms, its answers and refusals, the dead-link pages) uses full-width punctuation; a
negative amount keeps the currency first ("¥-600.00", "CNY -600.00"), as a red-letter fapiao does; a time
says its zone, the customer's.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import pytest
from lxml import html

from arflow.events.catalog import Allocation, PaymentReceived
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService
from invoicing.hosted.ratelimit import RateLimiter

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
NewInvoice = Callable[..., Awaitable[dict[str, Any]]]
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "User-Agent": "TestPhone/1.0"}
BASE = "http://127.0.0.1:8001"
CJK = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"
# An ASCII mark written next to Chinese text: "谢谢!", "（经办人:王芳)", "可选;"
HALF_WIDTH_IN_CHINESE = re.compile(rf"{CJK}[!?,;:()]|[!?,;:()]{CJK}")


@pytest.fixture
async def visitor(invoicing: RunningService) -> AsyncIterator[httpx.AsyncClient]:
    invoicing.app.state.hosted_rate_limiter = RateLimiter(10_000)
    transport = httpx.ASGITransport(app=invoicing.app, client=("203.0.113.11", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=BROWSER) as client:
        yield client


async def pay(invoicing: RunningService, infra: TestInfrastructure, invoice: dict[str, Any], amount: str) -> None:
    await publish_events(
        infra.bootstrap,
        PaymentReceived(
            customer_id=uuid.UUID(invoice["customer_id"]),
            payment_id=uuid.uuid4(),
            amount=Money.of(amount, "CNY"),
            received_on=date(2026, 2, 15),
            source="bank_statement",
            allocations=[Allocation(invoice_id=uuid.UUID(invoice["id"]), amount=Money.of(amount, "CNY"))],
        ),
    )
    owed = str(Money.of(invoice["total"], "CNY").amount - Money.of(amount, "CNY").amount)

    async def applied() -> bool:
        return bool((await invoicing.client.get(f"/invoices/{invoice['id']}")).json()["balance"] == owed)

    await eventually(applied, what="the payment applied")


@pytest.fixture
async def statement(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer, new_invoice: NewInvoice
) -> dict[str, Any]:
    """February 2026 for a customer in Berlin: 1,000.00 from January, 600.00 of it paid on 02-15."""
    customer = await new_customer(legal_name="柏林远航贸易有限公司", time_zone="Europe/Berlin")
    a = await new_invoice(customer["id"], "1000.00", invoice_date="2026-01-10", net_days=30)
    await pay(invoicing, infra, a, "600.00")
    issued = await invoicing.client.post("/statements", json={"customer_id": customer["id"]})
    assert issued.status_code == 201, issued.text
    body: dict[str, Any] = issued.json()
    return {**body, "path": body["hosted_statement_url"].removeprefix(BASE)}


def text(document: Any, element_id: str) -> str:
    return " ".join(" ".join(document.get_element_by_id(element_id).itertext()).split())


def half_width_marks(page: str) -> list[str]:
    """Every ASCII mark set against Chinese in what the page shows (its text, titles, placeholders, labels)."""
    document = html.fromstring(page)
    shown = [" ".join(document.body.itertext()), document.findtext(".//title") or ""]
    shown += [v for attribute in ("placeholder", "aria-label", "title") for v in document.xpath(f"//@{attribute}")]
    return [m.group(0) for s in shown for m in HALF_WIDTH_IN_CHINESE.finditer(s)]


async def test_a_paid_invoice_thanks_in_full_width_and_shows_what_was_paid_as_finance_writes_it(
    invoicing: RunningService,
    infra: TestInfrastructure,
    visitor: httpx.AsyncClient,
    new_customer: NewCustomer,
    new_invoice: NewInvoice,
) -> None:
    invoice = await new_invoice((await new_customer())["id"], "2680.00")
    await pay(invoicing, infra, invoice, "2680.00")
    path = invoice["hosted_invoice_url"].removeprefix(BASE)
    zh = await visitor.get(path)
    page = html.fromstring(zh.text)
    assert text(page, "receipt") == "已于 2026-02-15 收到全部款项 ¥2,680.00，谢谢！"
    assert text(page, "receipt").endswith("\uff01")  # the full-width mark, not "!"
    assert text(page, "amount-paid") == "¥-2,680.00"
    assert half_width_marks(zh.text) == []
    en = html.fromstring((await visitor.get(path, params={"lang": "en"})).text)
    assert text(en, "receipt") == "Paid in full on 2026-02-15: CNY 2,680.00. Thank you!"
    assert text(en, "amount-paid") == "CNY -2,680.00"


async def test_statement_entries_keep_the_currency_before_the_sign(
    visitor: httpx.AsyncClient, statement: dict[str, Any]
) -> None:
    zh = html.fromstring((await visitor.get(statement["path"])).text)
    en = html.fromstring((await visitor.get(statement["path"], params={"lang": "en"})).text)
    payment = "line-CNY:1"  # the only entry of February: the 600.00 received
    assert text(zh, payment).split()[-2:] == ["¥-600.00", "¥400.00"]
    assert text(en, payment).endswith("CNY -600.00 CNY 400.00") and "-CNY" not in text(en, "lines-CNY")
    picked = en.xpath("//input[@id='pick-CNY:1']/following-sibling::span[@class='amt']")
    assert [p.text_content() for p in picked] == ["CNY -600.00"]


async def test_the_answer_says_when_in_the_customers_zone(
    visitor: httpx.AsyncClient, statement: dict[str, Any]
) -> None:
    page = html.fromstring((await visitor.get(statement["path"])).text)
    form = {i.get("name"): i.get("value") for i in page.xpath("//form[@id='confirm-form']//input[@type='hidden']")}
    answered = await visitor.post(
        f"{statement['path']}/confirm", data={**form, "responder_name": "王芳", "responder_title": "财务经理"}
    )
    assert answered.status_code == 303
    zh = await visitor.get(statement["path"])
    # 02:00 UTC on 2 March is 03:00 in Berlin (CET, UTC+1); the zone in full-width brackets needs no space after it
    assert text(html.fromstring(zh.text), "answered") == (
        "贵公司已于 2026-03-02 03:00（Europe/Berlin，UTC+01:00）确认本对账单无误（经办人：王芳）。谢谢！"
    )
    assert half_width_marks(zh.text) == []
    en = html.fromstring((await visitor.get(statement["path"], params={"lang": "en"})).text)
    assert text(en, "answered") == (
        "You confirmed this statement on 2026-03-02 03:00 (Europe/Berlin, UTC+01:00), answered by 王芳. Thank you!"
    )


async def test_beijing_time_is_named(
    invoicing: RunningService, visitor: httpx.AsyncClient, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    customer = await new_customer()  # Asia/Shanghai, the default
    await new_invoice(customer["id"], "100.00", invoice_date="2026-02-03")
    issued = (await invoicing.client.post("/statements", json={"customer_id": customer["id"]})).json()
    path = issued["hosted_statement_url"].removeprefix(BASE)
    page = html.fromstring((await visitor.get(path)).text)
    form = {i.get("name"): i.get("value") for i in page.xpath("//form[@id='dispute-form']//input[@type='hidden']")}
    fields = {**form, "line": "CNY:1", "comment": "金额不符", "responder_name": "李雷", "responder_title": "出纳"}
    assert (await visitor.post(f"{path}/dispute", data=fields)).status_code == 303
    zh = html.fromstring((await visitor.get(path)).text)
    assert "2026-03-02 10:00（北京时间）" in text(zh, "answered")
    en = html.fromstring((await visitor.get(path, params={"lang": "en"})).text)
    assert "2026-03-02 10:00 (China Standard Time)" in text(en, "answered")


async def test_every_chinese_page_uses_full_width_punctuation(
    invoicing: RunningService, visitor: httpx.AsyncClient, statement: dict[str, Any], new_customer: NewCustomer
) -> None:
    path = statement["path"]
    page = await visitor.get(path)
    document = html.fromstring(page.text)
    form = {i.get("name"): i.get("value") for i in document.xpath("//form[@id='dispute-form']//input[@type='hidden']")}
    base = {**form, "responder_name": "李雷", "responder_title": "出纳"}
    balance = {"balance_currency": "CNY", "balance:CNY": "十元"}
    refusals = [
        await visitor.post(f"{path}/dispute", data={**base, "line": "CNY:1", "amount:CNY:1": "abc", "comment": "x"}),
        await visitor.post(f"{path}/dispute", data={**base, "line": "CNY:9", "comment": "x"}),
        await visitor.post(f"{path}/dispute", data={**base, **balance, "comment": "x"}),
        await visitor.post(f"{path}/dispute", data={**base, "comment": "x"}),
        await visitor.post(f"{path}/confirm", data={**base, "form_token": "0" * 64}),
    ]
    assert [r.status_code for r in refusals] == [422, 422, 422, 422, 403]
    said = [text(html.fromstring(r.text), "message") for r in refusals[:3]]
    assert said == [
        "第 1 行（CNY）填写的金额无效：abc。",
        "对账单中没有第 9 行（CNY）。",
        "期末余额填写的金额无效：十元。",
    ]
    dead_statement = await visitor.get("/s/" + "x" * 43)
    dead_invoice = await visitor.get("/i/" + "x" * 43)
    renewed = await visitor.post("/i/" + "x" * 43, data={"email": "a@example.cn"})
    pages = [page, *refusals, dead_statement, dead_invoice, renewed]
    for shown in pages:
        assert shown.headers["content-type"].startswith("text/html")
        assert html.fromstring(shown.text).get("lang") == "zh-CN"
        assert half_width_marks(shown.text) == [], shown.text
