"""A customer pays an invoice on its hosted page by each way it offers, against fake Alipay, WeChat Pay and
Stripe servers, with every service a process: the money arrives only by the gateway's verified callback (or the
query that recovers a late one), the invoice is paid exactly once however often the callback comes, and the page
then shows the receipt.

The gateways reach reconciliation's webhooks, and come back to the hosted page, through a front proxy of each
(their public URLs, fixed before the services start on ports of their own).
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import segno
from playwright.async_api import async_playwright, expect

from arflow.auth import hash_key
from arflow.devstack.broker import free_port
from arflow.testing import eventually
from arflow.testing.gateways import FakeAlipay, FakeStripe, FakeWeChatPay, gateway_environment
from arflow.testing.gateways.server import Callback
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.platform import Platform, service_processes
from arflow.testing.proxy import TcpProxy
from arflow.testing.smtp import SmtpSink

pytestmark = pytest.mark.e2e

HTML = {"Accept": "text/html"}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Gateways:
    alipay: FakeAlipay
    wechat_pay: FakeWeChatPay
    stripe: FakeStripe


@dataclass
class Shop:
    """The platform with its gateways, and the public URLs the customer and the gateways use."""

    platform: Platform
    gateways: Gateways
    public: str  # invoicing's public pages, as customers reach them
    webhooks: str  # reconciliation, as the gateways reach it

    async def invoice(self, amount: str = "318.00") -> tuple[dict[str, Any], str]:
        """A customer's issued invoice and the hosted page link its email would carry."""
        async with self.platform.client("invoicing") as invoicing:
            customer = await invoicing.post(
                "/customers",
                json={
                    "legal_name": f"杭州云帆{secrets.token_hex(3)}科技有限公司",
                    "external_reference": f"crm-{secrets.token_hex(6)}",
                    "contacts": [{"name": "李娜", "role": "billing", "email": "li.na@example.cn"}],
                },
            )
            assert customer.status_code == 201, customer.text
            made = await invoicing.post(
                "/invoices",
                json={
                    "customer_id": customer.json()["id"],
                    "invoice_date": datetime.now(UTC).date().isoformat(),
                    "net_days": 30,
                    "issue": True,
                    "lines": [{"description": "代理记账服务费", "unit_price": amount, "tax_rate": "0"}],
                },
            )
            assert made.status_code == 201, made.text
            link = await invoicing.post(f"/invoices/{made.json()['id']}/hosted-link")
            assert link.status_code == 200, link.text
        url = link.json()["hosted_invoice_url"]
        assert url.startswith(self.public + "/i/")
        await self.projected(made.json())
        return made.json(), url

    async def projected(self, invoice: dict[str, Any]) -> None:
        """Reconciliation has the invoice as an open item (its orders are made only for what it knows is owed)."""
        async with self.platform.client("reconciliation") as reconciliation:

            async def known() -> bool:
                answer = await reconciliation.get("/open-items", params={"customer_id": invoice["customer_id"]})
                items = answer.json()["data"] if answer.status_code == 200 else []
                return any(i["invoice_id"] == invoice["id"] for i in items)

            await eventually(known, within=20, what=f"open item {invoice['id']}")

    async def attempts(self, invoice_id: str) -> list[dict[str, Any]]:
        async with self.platform.client("reconciliation") as reconciliation:
            answer = await reconciliation.get("/payment-attempts", params={"invoice_id": invoice_id})
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]  # type: ignore[no-any-return]

    async def paid(self, invoice_id: str) -> dict[str, Any]:
        async with self.platform.client("invoicing") as invoicing:

            async def probe() -> dict[str, Any] | None:
                body = (await invoicing.get(f"/invoices/{invoice_id}")).json()
                return body if body["status"] == "paid" else None

            return await eventually(probe, within=30, what=f"invoice {invoice_id} paid")

    async def payments_of(self, invoice: dict[str, Any]) -> list[dict[str, Any]]:
        async with self.platform.client("reconciliation") as reconciliation:
            answer = await reconciliation.get("/payments", params={"customer_id": invoice["customer_id"]})
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]  # type: ignore[no-any-return]

    async def run_job(self, name: str, as_of: datetime) -> dict[str, Any]:
        async with self.platform.client("reconciliation") as reconciliation:
            answer = await reconciliation.post(f"/admin/jobs/{name}/runs", json={"as_of": as_of.isoformat()})
        assert answer.status_code == 200, answer.text
        return answer.json()["result"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def gateways() -> Iterator[Gateways]:
    with FakeAlipay() as alipay, FakeWeChatPay() as wechat_pay, FakeStripe() as stripe:
        yield Gateways(alipay, wechat_pay, stripe)


@pytest.fixture(scope="module")
async def shop(infra: TestInfrastructure, api_key: str, gateways: Gateways) -> AsyncIterator[Shop]:
    own = infra.isolated()
    smtp = SmtpSink().start()
    front = {name: TcpProxy(free_port(), 0) for name in ("invoicing", "reconciliation")}
    public = {name: f"http://127.0.0.1:{proxy.listen_port}" for name, proxy in front.items()}
    hosted_key = "arf_" + secrets.token_urlsafe(24)
    keys = [
        {"name": "e2e", "sha256": hash_key(api_key), "scopes": ["*"]},
        # The hosted page's own integration: it may make and read payment orders, nothing else.
        {
            "name": "invoicing-hosted-page",
            "sha256": hash_key(hosted_key),
            "scopes": ["reconciliation:read", "reconciliation:write"],
        },
    ]
    env = {
        "ARFLOW_API_KEYS": json.dumps(keys),
        "ARFLOW_SMTP_HOST": "127.0.0.1",
        "ARFLOW_SMTP_PORT": str(smtp.port),
        "ARFLOW_PUBLIC_BASE_URL": public["invoicing"],
        "ARFLOW_WEBHOOK_BASE_URL": public["reconciliation"],
        "ARFLOW_RECONCILIATION_API_KEY": hosted_key,
        **gateway_environment(gateways.alipay, gateways.wechat_pay, gateways.stripe),
    }
    try:
        async with service_processes(own, env) as urls:
            for name, proxy in front.items():
                proxy.target_port = urlsplit(urls[name]).port or 0
                await proxy.start()
            gateways.stripe.webhook_url = f"{public['reconciliation']}/webhooks/stripe"
            platform = Platform(urls=urls, smtp=smtp, api_key=api_key)
            yield Shop(platform, gateways, public["invoicing"], public["reconciliation"])
            for proxy in front.values():
                await proxy.cut()
    finally:
        smtp.stop()
        await own.stop()


async def delivered(callback: Callback) -> bool:
    """Every copy of the callback has been sent (the event loop keeps serving the front proxies meanwhile)."""

    async def sent() -> bool:
        return callback.sent.is_set()

    return await eventually(sent, within=30, what=f"callbacks to {callback.url}")


def element(page: str, element_id: str, attribute: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*\b{attribute}="([^"]*)"', page)
    assert found, f"no #{element_id} with {attribute} on the page"
    return html.unescape(found.group(1))


async def choose(customer: httpx.AsyncClient, url: str, method: str) -> httpx.Response:
    """Open the hosted page, press the button of `method`, and land on what to pay with."""
    opened = await customer.get(url)
    assert opened.status_code == 200, opened.text
    assert f'id="pay-{method}"' in opened.text and 'id="reference"' in opened.text  # bank transfer too
    assert (
        opened.headers["cache-control"] == "no-store"
        and "default-src 'none'" in opened.headers["content-security-policy"]
    )
    chosen = await customer.post(f"{url}/pay", data={"method": method})
    assert chosen.status_code == 303, chosen.text
    assert chosen.headers["location"].startswith(f"pay/{method}")
    shown = await customer.get(f"{url}/pay/{method}")
    assert shown.status_code == 200, shown.text
    assert shown.headers["cache-control"] == "no-store"
    return shown


async def receipt(customer: httpx.AsyncClient, url: str, method: str) -> str:
    """The payment page, once the invoice is paid, sends the customer to the invoice with its receipt."""
    back = await customer.get(f"{url}/pay/{method}")
    assert back.status_code == 303 and back.headers["location"].startswith("../../"), back.text
    page = await customer.get(url)
    assert page.status_code == 200 and 'id="receipt"' in page.text, page.text
    assert 'id="pay-online"' not in page.text
    return page.text


def exactly_one_payment(payments: list[dict[str, Any]], invoice: dict[str, Any], source: str) -> dict[str, Any]:
    assert [(p["source"], p["amount"], p["status"]) for p in payments] == [(source, invoice["total"], "matched")]
    (payment,) = payments
    assert [(a["invoice_id"], a["amount"]) for a in payment["allocations"]] == [(invoice["id"], invoice["total"])]
    return payment


async def test_alipay_qr_pays_the_invoice_once_though_alipay_notifies_three_times(shop: Shop) -> None:
    invoice, url = await shop.invoice("318.00")
    async with httpx.AsyncClient(headers=HTML, timeout=20) as customer:
        shown = await choose(customer, url, "alipay_precreate")
        (attempt,) = await shop.attempts(invoice["id"])
        assert attempt["checkout"] == "alipay_precreate" and attempt["pay_url"].startswith("https://qr.alipay.com/")
        # The QR code on the page is the gateway's qr_code, drawn by segno.
        drawn = segno.make(attempt["pay_url"], error="m", micro=False).svg_inline(scale=6, border=2)
        assert re.search(r' d="([^"]+)"', drawn).group(1) in shown.text  # type: ignore[union-attr]
        assert element(shown.text, "open-app", "href") == attempt["pay_url"] and "318.00" in shown.text
        # Pressing the button again answers the same order, not a second one.
        await choose(customer, url, "alipay_precreate")
        assert [a["id"] for a in await shop.attempts(invoice["id"])] == [attempt["id"]]

        trade = shop.gateways.alipay.trades[attempt["order_id"]]
        assert trade.total_amount == "318.00" and trade.notify_url == f"{shop.webhooks}/webhooks/alipay"
        shop.gateways.alipay.pay(attempt["order_id"], times=3)
        paid = await shop.paid(invoice["id"])
        assert (paid["amount_paid"], paid["balance"]) == ("318.00", "0.00")
        callback = shop.gateways.alipay.callbacks[-1]
        assert await delivered(callback) and callback.answers == [200, 200, 200]
        page = await receipt(customer, url, "alipay_precreate")
    assert "318.00" in page
    exactly_one_payment(await shop.payments_of(invoice), invoice, "alipay")
    (attempt,) = await shop.attempts(invoice["id"])
    assert attempt["status"] == "paid" and attempt["payment_id"]


async def test_alipay_web_cashier_pays_and_brings_the_customer_back_to_the_receipt(shop: Shop) -> None:
    invoice, url = await shop.invoice("1280.50")
    async with httpx.AsyncClient(headers=HTML, timeout=20) as customer:
        shown = await choose(customer, url, "alipay_page_pay")
        go = element(shown.text, "go", "href")
        assert go.startswith(shop.gateways.alipay.gateway_url + "?")
        cashier = await customer.get(go)  # the signed alipay.trade.page.pay request, as the browser sends it
        assert cashier.status_code == 200 and "1280.50 元" in cashier.text, cashier.text
        action = re.search(r"action='([^']+)'", cashier.text)
        assert action and "id='confirm'" in cashier.text
        back = await customer.post(shop.gateways.alipay.base_url + action.group(1))
        # Alipay sends the browser back to the page it came from (return_url: never proof of payment).
        assert back.status_code == 302 and back.headers["location"].startswith(url), back.text
        await shop.paid(invoice["id"])
        await receipt(customer, url, "alipay_page_pay")
    exactly_one_payment(await shop.payments_of(invoice), invoice, "alipay")


async def test_a_lost_wechat_callback_is_recovered_by_asking_and_the_late_one_changes_nothing(shop: Shop) -> None:
    invoice, url = await shop.invoice("300.00")
    wechat = shop.gateways.wechat_pay
    async with httpx.AsyncClient(headers=HTML, timeout=20) as customer:
        shown = await choose(customer, url, "wechat_native")
        (attempt,) = await shop.attempts(invoice["id"])
        assert attempt["pay_url"].startswith("weixin://wxpay/bizpayurl?pr=") and 'id="qr"' in shown.text
        assert wechat.transactions[attempt["order_id"]].total == 30000

        made = datetime.fromisoformat(attempt["created_at"])
        # Not yet late: nothing is asked.
        assert (await shop.run_job("checkout-late-callbacks", made + timedelta(minutes=1)))["asked"] == 0
        # Asked before the payer pays: still open, nothing booked, nothing closed.
        early = await shop.run_job("checkout-late-callbacks", made + timedelta(minutes=6))
        assert (early["asked"], early["paid"], early["closed"]) == (1, 0, 0)

        wechat.pay(attempt["order_id"], notify=False)  # paid, but the callback is lost
        late = await shop.run_job("checkout-late-callbacks", made + timedelta(minutes=12))
        assert (late["asked"], late["paid"]) == (1, 1), late
        await shop.paid(invoice["id"])
        await receipt(customer, url, "wechat_native")

    callback = wechat.notify(attempt["order_id"], times=2)  # the callback arrives after all, twice
    assert await delivered(callback) and callback.answers == [204, 204]
    payment = exactly_one_payment(await shop.payments_of(invoice), invoice, "wechat_pay")
    async with shop.platform.client("reconciliation") as reconciliation:
        notes = (await reconciliation.get("/gateway-notifications", params={"provider": "wechat_pay"})).json()
    mine = [n for n in notes["data"] if n["payment_id"] == payment["id"]]
    assert sorted(n["outcome"] for n in mine) == ["duplicate_payment", "payment"]
    assert any(n["provider_id"].startswith("query:") and n["outcome"] == "payment" for n in mine)
    # Paid, it is asked no more.
    assert (await shop.run_job("checkout-late-callbacks", made + timedelta(minutes=30)))["paid"] == 0


async def test_stripe_checkout_pays_once_though_its_events_come_twice_and_late(shop: Shop) -> None:
    invoice, url = await shop.invoice("45.60")
    stripe = shop.gateways.stripe
    async with httpx.AsyncClient(headers=HTML, timeout=20) as customer:
        shown = await choose(customer, url, "stripe_checkout")
        go = element(shown.text, "go", "href")
        assert go.startswith(f"{stripe.base_url}/c/pay/cs_test_")
        checkout = await customer.get(go)
        assert checkout.status_code == 200 and "45.60 CNY" in checkout.text
        session_id = go.rsplit("/", 1)[1]
        paid = await customer.post(go)  # the card is charged; Stripe sends its events
        assert paid.status_code == 303 and paid.headers["location"].startswith(url)
        await shop.paid(invoice["id"])
        await receipt(customer, url, "stripe_checkout")
    for callback in stripe.notify(session_id, times=2, delay=0.5):  # retried later, by the same event ids
        assert await delivered(callback) and callback.answers == [200, 200]
    exactly_one_payment(await shop.payments_of(invoice), invoice, "stripe")


async def test_an_order_past_its_expiry_is_closed_there_and_here_and_a_new_one_can_be_made(shop: Shop) -> None:
    invoice, url = await shop.invoice("88.00")
    async with httpx.AsyncClient(headers=HTML, timeout=20) as customer:
        await choose(customer, url, "wechat_native")
        (attempt,) = await shop.attempts(invoice["id"])
        expires = datetime.fromisoformat(attempt["expires_at"])
        assert (await shop.run_job("checkout-expiry", expires - timedelta(minutes=1)))["closed"] == 0
        closed = await shop.run_job("checkout-expiry", expires + timedelta(seconds=1))
        assert closed["closed"] >= 1, closed
        (attempt,) = await shop.attempts(invoice["id"])
        assert attempt["status"] == "closed"
        assert shop.gateways.wechat_pay.transactions[attempt["order_id"]].trade_state == "CLOSED"
        gone = await customer.get(f"{url}/pay/wechat_native")
        assert gone.status_code == 303  # no open order: back to the invoice
        await choose(customer, url, "wechat_native")
    fresh = await shop.attempts(invoice["id"])
    assert [a["status"] for a in fresh] == ["open", "closed"] and fresh[0]["order_id"] != attempt["order_id"]


async def test_a_forged_callback_books_nothing_and_bad_links_answer_404(shop: Shop) -> None:
    invoice, url = await shop.invoice("66.00")
    async with httpx.AsyncClient(headers=HTML, timeout=20) as customer:
        await choose(customer, url, "alipay_precreate")
        (attempt,) = await shop.attempts(invoice["id"])
        shop.gateways.alipay.pay(attempt["order_id"], notify=False)
        forged = shop.gateways.alipay.notify(attempt["order_id"], tamper=True)  # 660.00 under the 66.00's sign
        assert await delivered(forged) and forged.answers == [400]
        assert await shop.payments_of(invoice) == []
        bad = url[:-4] + ("AAAA" if not url.endswith("AAAA") else "BBBB")
        assert (await customer.get(bad)).status_code == 404
        assert (await customer.post(f"{bad}/pay", data={"method": "alipay_precreate"})).status_code == 404
        assert (await customer.get(f"{bad}/pay/alipay_precreate")).status_code == 404
        refused = await customer.post(f"{url}/pay", data={"method": "paypal"})
        assert refused.status_code == 303 and refused.headers["location"].startswith("../")
    async with shop.platform.client("invoicing") as invoicing:
        assert (await invoicing.get(f"/invoices/{invoice['id']}")).json()["status"] == "open"


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    shots = Path(os.environ.get("ARFLOW_HOSTED_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    return shots


async def test_in_a_phone_browser_the_customer_scans_pays_and_sees_the_receipt(shop: Shop, screenshots: Path) -> None:
    """What the customer sees, in Debian's Chromium at a phone's width: the invoice with its ways to pay, the
    QR code to scan, and, once Alipay has told reconciliation, the receipt (the payment page's refresh brings
    it). Screenshots go to ARFLOW_HOSTED_SCREENSHOTS when set (docs/hosted/ holds the last ones looked at)."""
    shots = screenshots
    invoice, url = await shop.invoice("2680.00")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
            await page.goto(url)
            await expect(page.locator("#pay-alipay_precreate")).to_be_visible()
            await expect(page.locator("#reference")).to_be_visible()
            shown = await page.inner_text("body")
            assert "¥2,680.00" in shown and "贰仟陆佰捌拾元整" in shown and "RF" in shown
            assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            await page.screenshot(path=str(shots / "invoice-phone.png"), full_page=True)

            await page.click("#pay-alipay_precreate")
            qr = page.locator("#qr svg")
            await expect(qr).to_be_visible()
            box = await qr.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["width"] >= 150  # scannable
            await page.screenshot(path=str(shots / "pay-alipay-phone.png"), full_page=True)

            (attempt,) = await shop.attempts(invoice["id"])
            shop.gateways.alipay.pay(attempt["order_id"])
            await shop.paid(invoice["id"])
            await expect(page.locator("#receipt")).to_be_visible(timeout=20_000)  # the page's refresh
            assert await page.locator("#pay-online").count() == 0
            await page.screenshot(path=str(shots / "receipt-phone.png"), full_page=True)
        finally:
            await browser.close()


async def test_a_creditor_allowing_part_payments_is_paid_in_two_parts_from_the_page(
    shop: Shop, screenshots: Path
) -> None:
    """The creditor allows part payments of at least 100.00: the customer pays 450.00 of 1,200.00 by Alipay's QR
    code (a refused 99.99 first), the page then shows 450.00 paid and 750.00 open, and the rest by WeChat Pay."""
    async with shop.platform.client("invoicing") as invoicing:
        firm = (await invoicing.get("/creditor")).json()
        fields = ("legal_name", "uscc", "address", "phone", "bank_name", "bank_account_name", "bank_account_number")
        creditor = {name: firm[name] for name in fields}
        allowed = await invoicing.put("/creditor", json={**creditor, "hosted_partial_payment_minimum": "100.00"})
        assert allowed.status_code == 200 and allowed.json()["hosted_partial_payment_minimum"] == "100.00"
    try:
        invoice, url = await shop.invoice("1200.00")
        async with httpx.AsyncClient(headers=HTML, timeout=20) as customer:
            opened = await customer.get(url)
            assert element(opened.text, "amount", "value") == "1200.00"
            refused = await customer.post(f"{url}/pay", data={"method": "alipay_precreate", "amount": "99.99"})
            assert refused.status_code == 422 and "每次付款至少 ¥100.00" in refused.text
            assert await shop.attempts(invoice["id"]) == []  # nothing asked of reconciliation

            chosen = await customer.post(f"{url}/pay", data={"method": "alipay_precreate", "amount": "450.00"})
            assert chosen.status_code == 303 and chosen.headers["location"].startswith("pay/alipay_precreate")
            shown = await customer.get(f"{url}/pay/alipay_precreate")
            assert shown.status_code == 200 and "¥450.00" in shown.text
            (attempt,) = await shop.attempts(invoice["id"])
            assert (attempt["amount"], attempt["status"]) == ("450.00", "open")
            assert shop.gateways.alipay.trades[attempt["order_id"]].total_amount == "450.00"
            shop.gateways.alipay.pay(attempt["order_id"])

            (payment,) = await eventually(lambda: shop.payments_of(invoice), within=30, what="the 450.00 booked")
            assert (payment["source"], payment["amount"]) == ("alipay", "450.00")
            # Exactly what its order asked: matched at once, no person needed (reconciliation's amount_of_order).
            assert payment["status"] == "matched", payment
            assert any(note["code"] == "amount_of_order" for note in payment["match_notes"]), payment["match_notes"]

            async with shop.platform.client("invoicing") as invoicing:

                async def partly() -> dict[str, Any] | None:
                    body = (await invoicing.get(f"/invoices/{invoice['id']}")).json()
                    return body if body["balance"] == "750.00" else None

                state = await eventually(partly, within=30, what="450.00 of the invoice paid")
            assert (state["status"], state["amount_paid"]) == ("open", "450.00")
            back = await customer.get(f"{url}/pay/alipay_precreate")  # paid: back to the invoice
            assert back.status_code == 303
            rest = await customer.get(url)
            assert "已付 ¥450.00，尚欠 ¥750.00。" in rest.text and 'id="receipt"' not in rest.text
            assert element(rest.text, "amount", "value") == "750.00" and "支付余款" in rest.text

            await shot_of_part_payment(url, screenshots)

            chosen = await customer.post(f"{url}/pay", data={"method": "wechat_native", "amount": "750.00"})
            assert chosen.status_code == 303, chosen.text
            second = next(a for a in await shop.attempts(invoice["id"]) if a["id"] != attempt["id"])
            assert (
                second["amount"] == "750.00"
                and shop.gateways.wechat_pay.transactions[second["order_id"]].total == 75000
            )
            shop.gateways.wechat_pay.pay(second["order_id"])
            paid = await shop.paid(invoice["id"])
            assert (paid["amount_paid"], paid["balance"]) == ("1200.00", "0.00")
            await receipt(customer, url, "wechat_native")
        payments = sorted(await shop.payments_of(invoice), key=lambda p: p["amount"])
        assert [(p["source"], p["amount"], p["status"]) for p in payments] == [
            ("alipay", "450.00", "matched"),
            ("wechat_pay", "750.00", "matched"),
        ]
    finally:
        async with shop.platform.client("invoicing") as invoicing:
            await invoicing.put("/creditor", json={**creditor, "hosted_partial_payment_minimum": None})


async def shot_of_part_payment(url: str, shots: Path) -> None:
    """The partly paid page at a phone's width, and its form refusing an amount below the minimum."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
            await page.goto(url)
            await expect(page.locator("#amount")).to_have_value("750.00")
            assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            await page.screenshot(path=str(shots / "part-paid-phone.png"), full_page=True)
            await page.fill("#amount", "50")
            await page.click("#pay-alipay_precreate")
            await expect(page.locator("#amount-error")).to_be_visible()
            assert await page.input_value("#amount") == "50"
            await page.screenshot(path=str(shots / "part-refused-phone.png"), full_page=True)
            await page.click("#lang-switch")  # from the form that came back: to the page, in English
            await expect(page.locator("#partly-paid")).to_have_text("Paid so far: CNY 450.00. Still open: CNY 750.00.")
            await page.screenshot(path=str(shots / "part-paid-phone-en.png"), full_page=True)
        finally:
            await browser.close()
