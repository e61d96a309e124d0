"""Part payments on the hosted page (issue 20): the creditor's minimum is data (PUT /creditor), and the page's
pay form asks for an amount only where it allows one, refusing on the page (422, the form again, no order)
what cannot be ordered. The order itself, paid by a fake gateway, is tests/e2e/test_hosted_payments.py's.

On invoicing of its own (its creditor is set through the API here), with a reconciliation that does not answer:
an amount the page takes goes on to ask for the order (and lands on "unavailable"), one it refuses never does.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from lxml import html

from arflow.devstack.broker import free_port
from arflow.events.catalog import Allocation, PaymentReceived
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.creditor import TEST_CREDITOR
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService, running_service
from arflow.testing.services import test_settings as settings_for
from invoicing.config import InvoicingSettings
from invoicing.hosted.ratelimit import RateLimiter
from invoicing.main import create_app

FIRM = {
    "legal_name": "杭州钱塘财税咨询有限公司",
    "uscc": "91330106MA2H1TQX4H",
    "address": "杭州市西湖区文三路 200 号",
    "phone": "0571-8888 0000",
    "bank_name": "中国建设银行杭州西湖支行",
    "bank_account_name": "杭州钱塘财税咨询有限公司",
    "bank_account_number": "3305 0161 6270 0000 1234",
}
BROWSER = {"Accept": "text/html"}


@pytest.fixture(scope="module")
async def shop(infra: TestInfrastructure, api_key: str) -> AsyncIterator[RunningService]:
    own = infra.isolated()
    try:
        settings = settings_for(
            InvoicingSettings,
            own,
            api_key,
            **dict.fromkeys(TEST_CREDITOR),
            reconciliation_url=f"http://127.0.0.1:{free_port()}",  # nobody there
            reconciliation_api_key="arf_test_hosted_page",
            hosted_checkout="alipay_precreate,wechat_native",
        )
        async with running_service("invoicing", create_app, settings, own, api_key) as running:
            running.app.state.hosted_rate_limiter = RateLimiter(10_000)
            yield running
    finally:
        await own.stop()


@pytest.fixture
async def visitor(shop: RunningService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=shop.app, client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=BROWSER) as client:
        yield client


async def set_minimum(shop: RunningService, minimum: str | None) -> dict[str, Any]:
    answer = await shop.client.put("/creditor", json={**FIRM, "hosted_partial_payment_minimum": minimum})
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def an_invoice(shop: RunningService, amount: str) -> tuple[dict[str, Any], str]:
    customer = await shop.client.post(
        "/customers",
        json={"legal_name": f"宁波海曙{uuid.uuid4().hex[:6]}贸易有限公司", "external_reference": str(uuid.uuid4())},
    )
    assert customer.status_code == 201, customer.text
    made = await shop.client.post(
        "/invoices",
        json={
            "customer_id": customer.json()["id"],
            "invoice_date": "2026-01-05",
            "net_days": 30,
            "issue": True,
            "lines": [{"description": "代理记账服务费", "unit_price": amount}],
        },
    )
    assert made.status_code == 201, made.text
    url = made.json()["hosted_invoice_url"]
    return made.json(), "/i/" + url.rsplit("/i/", 1)[1]


def text_of(document: Any, element_id: str) -> str:
    return " ".join(document.get_element_by_id(element_id).text_content().split())


def has(document: Any, element_id: str) -> bool:
    return bool(document.xpath(f'//*[@id="{element_id}"]'))


async def test_the_minimum_is_validated_stored_shown_and_audited(shop: RunningService) -> None:
    for bad, english, chinese in [
        ("0", "more than zero", "须大于零"),
        ("-5.00", "more than zero", "须大于零"),
        ("100.005", "to the cent", "精确到分"),
        (12.5, "not floating-point", "浮点数"),
        ("lots", "not a decimal number", "不是十进制数字"),
    ]:
        refused = await shop.client.put("/creditor", json={**FIRM, "hosted_partial_payment_minimum": bad})
        assert refused.status_code == 422, (bad, refused.text)
        (error,) = refused.json()["errors"]
        assert error["location"] == "body.hosted_partial_payment_minimum" and english in refused.text, refused.text
        zh = await shop.client.put(
            "/creditor",
            json={**FIRM, "hosted_partial_payment_minimum": bad},
            headers={"Accept-Language": "zh-CN"},
        )
        assert chinese in zh.text, zh.text
    assert (await set_minimum(shop, None))["hosted_partial_payment_minimum"] is None
    body = await set_minimum(shop, "500")
    assert body["hosted_partial_payment_minimum"] == "500.00"
    assert (await shop.client.get("/creditor")).json()["hosted_partial_payment_minimum"] == "500.00"
    entries = (await shop.client.get("/audit", params={"object_type": "creditor"})).json()["data"]
    changed = [e for e in entries if "hosted_partial_payment_minimum" in (e.get("after") or {})]
    assert any(str(e["after"]["hosted_partial_payment_minimum"]).startswith("500") for e in changed), entries
    # Left out of a PUT (all of the creditor), it is back to whole balances only.
    assert (await shop.client.put("/creditor", json=FIRM)).json()["hosted_partial_payment_minimum"] is None


async def test_without_the_creditors_leave_the_page_has_no_amount_and_ignores_one_posted(
    shop: RunningService, visitor: httpx.AsyncClient
) -> None:
    await set_minimum(shop, None)
    _, path = await an_invoice(shop, "1200.00")
    page = html.fromstring((await visitor.get(path)).text)
    assert has(page, "pay-alipay_precreate") and not has(page, "amount")
    posted = await visitor.post(f"{path}/pay", data={"method": "alipay_precreate", "amount": "1.00"})
    # Not refused as a part: the whole balance is asked for (reconciliation being away, "unavailable").
    assert posted.status_code == 303 and "unavailable=1" in posted.headers["location"], posted.text


async def test_with_a_minimum_the_form_asks_an_amount_and_refuses_what_cannot_be_ordered(
    shop: RunningService, visitor: httpx.AsyncClient
) -> None:
    await set_minimum(shop, "100.00")
    _, path = await an_invoice(shop, "1200.00")
    page = html.fromstring((await visitor.get(path)).text)
    field = page.get_element_by_id("amount")
    assert field.get("value") == "1200.00" and field.get("name") == "amount" and field.get("inputmode") == "decimal"
    assert field.getparent().get("id") == "pay-form" and has(page, "pay-wechat_native")
    assert text_of(page, "amount-hint") == "可分次付款：每次至少 ¥100.00，最多为未付余额 ¥1,200.00。"
    assert not page.xpath("//script")
    for typed, zh, en in [
        ("99.99", "每次付款至少 ¥100.00（或一次付清余额）。", "A part payment must be at least CNY 100.00"),
        ("1200.01", "付款金额不能超过未付余额 ¥1,200.00。", "more than the open balance of CNY 1,200.00"),
        ("150.505", "付款金额最多精确到分（两位小数）。", "at most two decimals"),
        ("一百", "请输入付款金额，例如 1200.00。", "Enter the amount to pay, e.g. 1200.00."),
        ("-150", "请输入付款金额，例如 1200.00。", "Enter the amount to pay"),
        ("NaN", "请输入付款金额，例如 1200.00。", "Enter the amount to pay"),
    ]:
        refused = await visitor.post(f"{path}/pay", data={"method": "alipay_precreate", "amount": typed})
        assert refused.status_code == 422, (typed, refused.status_code, refused.text[:300])
        shown = html.fromstring(refused.text)
        assert text_of(shown, "amount-error") == zh
        assert shown.get_element_by_id("amount").get("value") == typed  # what was typed, to correct
        assert "Content-Security-Policy" in refused.headers
        english = await visitor.post(f"{path}/pay?lang=en", data={"method": "alipay_precreate", "amount": typed})
        assert english.status_code == 422 and en in text_of(html.fromstring(english.text), "amount-error")
    # The form came back at /i/<token>/pay: its links still lead to the page, its PDF and the form.
    refused = await visitor.post(f"{path}/pay", data={"method": "alipay_precreate", "amount": "1"})
    shown = html.fromstring(refused.text)
    at = f"http://test{path}/pay"
    switch = urljoin(at, shown.get_element_by_id("lang-switch").get("href"))
    assert switch == f"http://test{path}?lang=en" and (await visitor.get(switch)).status_code == 200
    pdf = urljoin(at, shown.get_element_by_id("pdf").get("href"))
    assert pdf == f"http://test{path}/pdf?lang=zh-CN"
    assert urljoin(at, shown.get_element_by_id("pay-form").get("action")) == f"{at}?lang=zh-CN#pay-online"
    # Taken (as people write it): the page goes on to ask reconciliation for the order.
    for typed in ("150.50", "￥1,000", " 100 ", "1200"):
        taken = await visitor.post(f"{path}/pay", data={"method": "wechat_native", "amount": typed})
        assert taken.status_code == 303 and "unavailable=1" in taken.headers["location"], (typed, taken.text[:300])


async def test_a_balance_not_above_the_minimum_is_paid_whole(shop: RunningService, visitor: httpx.AsyncClient) -> None:
    await set_minimum(shop, "500.00")
    _, path = await an_invoice(shop, "500.00")
    page = html.fromstring((await visitor.get(path)).text)
    assert has(page, "pay-alipay_precreate") and not has(page, "amount")


async def test_after_a_part_payment_the_page_shows_what_was_paid_and_offers_the_rest(
    shop: RunningService, visitor: httpx.AsyncClient, infra: TestInfrastructure
) -> None:
    await set_minimum(shop, "100.00")
    invoice, path = await an_invoice(shop, "1200.00")
    paid = PaymentReceived(
        customer_id=uuid.UUID(invoice["customer_id"]),
        payment_id=uuid.uuid4(),
        amount=Money.of("450.00", "CNY"),
        received_on=date(2026, 2, 10),
        source="alipay",
        allocations=[Allocation(invoice_id=uuid.UUID(invoice["id"]), amount=Money.of("450.00", "CNY"))],
    )
    await publish_events(shop.app.state.settings.kafka_bootstrap, paid)

    async def partly() -> dict[str, Any] | None:
        state = (await shop.client.get(f"/invoices/{invoice['id']}")).json()
        return state if state["balance"] == "750.00" else None

    await eventually(partly, what="the part payment applied")
    page = html.fromstring((await visitor.get(path)).text)
    assert text_of(page, "status").startswith("待付款") and not has(page, "receipt")
    assert text_of(page, "balance") == "¥750.00"
    assert text_of(page, "partly-paid") == "已付 ¥450.00，尚欠 ¥750.00。"
    assert text_of(page, "amount-paid") == "¥-450.00"
    assert text_of(page, "pay-online").startswith("支付余款")
    assert page.get_element_by_id("amount").get("value") == "750.00"
    english = html.fromstring((await visitor.get(f"{path}?lang=en")).text)
    assert text_of(english, "partly-paid") == "Paid so far: CNY 450.00. Still open: CNY 750.00."
    above = await visitor.post(f"{path}/pay", data={"method": "alipay_precreate", "amount": "750.01"})
    assert above.status_code == 422 and re.search("¥750.00", text_of(html.fromstring(above.text), "amount-error"))
