"""Orders made at their gateway: which ways of paying are offered, where callbacks go, and the order made."""

from __future__ import annotations

import httpx

from reconciliation.checkout.alipay import AlipayClient
from reconciliation.checkout.orders import CheckoutNotOffered, Opened, Order
from reconciliation.checkout.stripe import StripeClient
from reconciliation.checkout.wechat_pay import WeChatPayClient
from reconciliation.config import ReconciliationSettings

TIMEOUT = httpx.Timeout(10.0)


def offered(settings: ReconciliationSettings) -> list[str]:
    """The ways of paying whose gateway has its keys set."""
    s, ways = settings, []
    if s.alipay_app_id and s.alipay_app_private_key and s.alipay_public_key:
        ways += ["alipay_precreate", "alipay_page_pay"]
    if (
        s.wechatpay_mchid
        and s.wechatpay_appid
        and s.wechatpay_merchant_private_key
        and s.wechatpay_merchant_serial
        and s.wechatpay_public_key
        and s.wechatpay_apiv3_key
    ):
        ways.append("wechat_native")
    if s.stripe_secret_key and s.stripe_webhook_secret:
        ways.append("stripe_checkout")
    return ways


def require_offered(settings: ReconciliationSettings, checkout: str, currency: str) -> None:
    if checkout not in offered(settings):
        raise CheckoutNotOffered(
            f"{checkout} is not offered: its gateway's keys are not configured.",
            detail_zh=f"未配置 {checkout} 所需的支付网关密钥，不支持该支付方式。",
        )
    if checkout != "stripe_checkout" and currency != "CNY":
        raise CheckoutNotOffered(
            f"{checkout} takes CNY only; this invoice is in {currency}.",
            detail_zh=f"{checkout} 仅支持人民币；该账单币种为 {currency}。",
        )


def notify_url(settings: ReconciliationSettings, provider: str) -> str:
    path = {"alipay": "alipay", "wechat_pay": "wechat-pay", "stripe": "stripe"}[provider]
    return f"{settings.webhook_base_url.rstrip('/')}/webhooks/{path}"


async def open_order(settings: ReconciliationSettings, checkout: str, order: Order) -> Opened:
    """Make the order at its gateway; what the customer pays with comes back."""
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        if checkout == "alipay_precreate":
            return await AlipayClient(settings, http).precreate(order)
        if checkout == "alipay_page_pay":
            return AlipayClient(settings, http).page_pay(order)
        if checkout == "wechat_native":
            return await WeChatPayClient(settings, http).native(order)
        return await StripeClient(settings, http).checkout(order)
