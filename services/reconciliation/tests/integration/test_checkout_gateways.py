"""The gateway clients against the fake gateways over real HTTP: orders made, asked about and closed; each side
checks the other's signature, so a request or an answer signed with the wrong key, or altered, is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl

import httpx
import pytest

from arflow.testing.gateways import FakeAlipay, FakeStripe, FakeWeChatPay, RsaKeyPair, gateway_settings
from arflow.testing.gateways.stripe import stripe_signature
from reconciliation.checkout.alipay import AlipayClient
from reconciliation.checkout.orders import GatewayRefused, GatewayUnavailable, Order
from reconciliation.checkout.stripe import StripeClient
from reconciliation.checkout.wechat_pay import WeChatPayClient
from reconciliation.config import ReconciliationSettings
from reconciliation.gateways import providers

Fakes = tuple[FakeAlipay, FakeWeChatPay, FakeStripe]


@pytest.fixture(scope="module")
def fakes() -> Iterator[Fakes]:
    with FakeAlipay() as alipay, FakeWeChatPay() as wechat_pay, FakeStripe() as stripe:
        yield alipay, wechat_pay, stripe


def settings_for(fakes: Fakes, **overrides: str) -> ReconciliationSettings:
    return ReconciliationSettings(**{**gateway_settings(*fakes), **overrides})  # type: ignore[arg-type]


def order(order_id: str, amount: str = "1280.50", currency: str = "CNY") -> Order:
    return Order(
        order_id=order_id,
        amount=Decimal(amount),
        currency=currency,
        subject="INV-2026-000123 上海星河代理记账",
        expires_at=datetime.now(UTC) + timedelta(minutes=30),
        notify_url="http://127.0.0.1:9/webhooks/alipay",
        return_url="http://127.0.0.1:9/i/back",
    )


async def test_an_alipay_qr_order_is_made_paid_and_its_query_answer_verified(fakes: Fakes) -> None:
    alipay = fakes[0]
    async with httpx.AsyncClient() as http:
        client = AlipayClient(settings_for(fakes), http)
        opened = await client.precreate(order("ALI0000000001"))
        assert opened.pay_url.startswith("https://qr.alipay.com/bax")
        assert alipay.trades["ALI0000000001"].total_amount == "1280.50"
        assert (await client.query("ALI0000000001")).state == "open"
        alipay.pay("ALI0000000001", notify=False)
        answer = await client.query("ALI0000000001")
        assert answer.state == "paid" and answer.notice is not None
        notice = answer.notice
        assert notice.amount == Decimal("1280.50") and notice.order_ids == ("ALI0000000001",)
        assert notice.payment_id == alipay.trades["ALI0000000001"].trade_no
        assert notice.provider_id == "query:" + notice.payment_id
        assert not await client.close("ALI0000000001")  # paid: cannot be closed

        alipay.tamper_answers = True
        try:
            with pytest.raises(GatewayUnavailable, match="not Alipay's"):
                await client.query("ALI0000000001")
        finally:
            alipay.tamper_answers = False


async def test_alipay_refuses_a_request_signed_with_another_app_key(fakes: Fakes) -> None:
    stranger = RsaKeyPair.generate()
    async with httpx.AsyncClient() as http:
        client = AlipayClient(settings_for(fakes, alipay_app_private_key=stranger.private_pem), http)
        with pytest.raises(GatewayRefused, match=r"isv\.invalid-signature"):
            await client.precreate(order("ALI0000000002"))
    assert "ALI0000000002" not in fakes[0].trades


async def test_alipay_page_pay_is_a_signed_cashier_url_and_an_expired_order_closes(fakes: Fakes) -> None:
    alipay = fakes[0]
    async with httpx.AsyncClient() as http:
        client = AlipayClient(settings_for(fakes), http)
        opened = client.page_pay(order("ALI0000000003", "99.00"))
        assert opened.pay_url.startswith(alipay.gateway_url + "?")
        params = dict(parse_qsl(opened.pay_url.split("?", 1)[1]))
        assert params["method"] == "alipay.trade.page.pay" and params["return_url"] == "http://127.0.0.1:9/i/back"
        cashier = await http.get(opened.pay_url)
        assert cashier.status_code == 200 and "99.00 元" in cashier.text
        forged = await http.get(opened.pay_url.replace("99.00", "9.00"))
        assert "isv.invalid-signature" in forged.text and alipay.trades["ALI0000000003"].total_amount == "99.00"
        assert await client.close("ALI0000000003")
        assert (await client.query("ALI0000000003")).state == "closed"


async def test_the_fake_alipay_notification_verifies_and_an_altered_one_does_not(fakes: Fakes) -> None:
    alipay = fakes[0]
    async with httpx.AsyncClient() as http:
        await AlipayClient(settings_for(fakes), http).precreate(order("ALI0000000004", "10.00"))
    alipay.pay("ALI0000000004", notify=False)
    params = alipay.notification("ALI0000000004")
    key = alipay.platform_key.public_pem
    providers.verify_alipay(params, public_key=key, app_id=alipay.app_id, seller_id=alipay.seller_id)
    assert providers.read_alipay(params).amount == Decimal("10.00")
    with pytest.raises(providers.SignatureRejected):
        providers.verify_alipay(alipay.notification("ALI0000000004", tamper=True), public_key=key)


async def test_a_wechat_native_order_is_made_paid_queried_and_its_notification_decrypts(fakes: Fakes) -> None:
    wechat = fakes[1]
    async with httpx.AsyncClient() as http:
        client = WeChatPayClient(settings_for(fakes), http)
        opened = await client.native(order("WX000000000001", "300.00"))
        assert opened.pay_url.startswith("weixin://wxpay/bizpayurl?pr=")
        assert wechat.transactions["WX000000000001"].total == 30000
        assert (await client.query("WX000000000001")).state == "open"
        wechat.pay("WX000000000001", notify=False)
        answer = await client.query("WX000000000001")
        assert answer.state == "paid" and answer.notice is not None
        assert answer.notice.amount == Decimal("300.00") and answer.notice.order_ids == ("WX000000000001",)

        body, headers = wechat.notification("WX000000000001")
        lowered = {k.lower(): v for k, v in headers.items()}
        now = int(datetime.now(UTC).timestamp())
        public = wechat.platform_key.public_pem
        providers.verify_wechatpay(body, lowered, public_key=public, serial=wechat.platform_serial, now=now)
        notice = providers.read_wechatpay(body, apiv3_key=wechat.apiv3_key, mchid=wechat.mchid)
        assert notice.payment_id == answer.notice.payment_id and notice.amount == Decimal("300.00")
        tampered, headers = wechat.notification("WX000000000001", tamper=True)
        with pytest.raises(providers.SignatureRejected):
            providers.verify_wechatpay(
                tampered, {k.lower(): v for k, v in headers.items()}, public_key=public, serial=None, now=now
            )

        wechat.tamper_answers = True
        try:
            with pytest.raises(GatewayUnavailable, match="not WeChat Pay's"):
                await client.query("WX000000000001")
        finally:
            wechat.tamper_answers = False


async def test_wechat_pay_refuses_a_request_signed_with_another_merchant_key(fakes: Fakes) -> None:
    stranger = RsaKeyPair.generate()
    async with httpx.AsyncClient() as http:
        client = WeChatPayClient(settings_for(fakes, wechatpay_merchant_private_key=stranger.private_pem), http)
        with pytest.raises(GatewayRefused, match="SIGN_ERROR"):
            await client.native(order("WX000000000002"))
        ok = WeChatPayClient(settings_for(fakes), http)
        await ok.native(order("WX000000000003"))
        assert await ok.close("WX000000000003")
        assert (await ok.query("WX000000000003")).state == "closed"


async def test_a_stripe_checkout_session_is_made_paid_and_its_webhook_verifies(fakes: Fakes) -> None:
    stripe = fakes[2]
    async with httpx.AsyncClient() as http:
        client = StripeClient(settings_for(fakes), http)
        opened = await client.checkout(order("ST000000000001", "45.60", "USD"))
        assert opened.gateway_ref and opened.pay_url == f"{stripe.base_url}/c/pay/{opened.gateway_ref}"
        session = stripe.sessions[opened.gateway_ref]
        assert session.amount_total == 4560 and session.intent_metadata == {"order_id": "ST000000000001"}
        assert (await client.query(opened.gateway_ref)).state == "open"
        stripe.pay(opened.gateway_ref, notify=False)
        answer = await client.query(opened.gateway_ref)
        assert answer.state == "paid" and answer.notice is not None
        assert answer.notice.amount == Decimal("45.60") and "ST000000000001" in answer.notice.order_ids

        intent_event = stripe.sessions[opened.gateway_ref].events[1]
        payload = stripe.event_payload(intent_event)
        now = int(datetime.now(UTC).timestamp())
        header = stripe_signature(payload, stripe.webhook_secret, now)
        event = providers.verify_stripe(payload, header, secret=stripe.webhook_secret, now=now)
        assert providers.read_stripe(event).payment_id == answer.notice.payment_id
        with pytest.raises(providers.SignatureRejected):
            providers.verify_stripe(payload.replace(b"4560", b"45600"), header, secret=stripe.webhook_secret, now=now)
        assert not await client.close(opened.gateway_ref)  # complete: it cannot be expired

        bad = StripeClient(settings_for(fakes, stripe_secret_key="sk_test_wrong"), http)
        with pytest.raises(GatewayUnavailable, match="401"):
            await bad.checkout(order("ST000000000002"))
    assert json.dumps(stripe.requests).count("/v1/checkout/sessions") >= 4
