"""The settings that point the platform at the fake gateways: reconciliation's keys and URLs, as environment."""

from __future__ import annotations

from arflow.testing.gateways.alipay import FakeAlipay
from arflow.testing.gateways.stripe import FakeStripe
from arflow.testing.gateways.wechat_pay import FakeWeChatPay


def gateway_settings(alipay: FakeAlipay, wechat_pay: FakeWeChatPay, stripe: FakeStripe) -> dict[str, str]:
    """Reconciliation's settings (lower-case names) for these fakes: each one's URL, our keys, its keys."""
    return {
        "alipay_gateway_url": alipay.gateway_url,
        "alipay_app_id": alipay.app_id,
        "alipay_seller_id": alipay.seller_id,
        "alipay_app_private_key": alipay.app_key.private_pem,
        "alipay_public_key": alipay.platform_key.public_pem,
        "wechatpay_api_url": wechat_pay.base_url,
        "wechatpay_mchid": wechat_pay.mchid,
        "wechatpay_appid": wechat_pay.appid,
        "wechatpay_merchant_private_key": wechat_pay.merchant_key.private_pem,
        "wechatpay_merchant_serial": wechat_pay.merchant_serial,
        "wechatpay_public_key": wechat_pay.platform_key.public_pem,
        "wechatpay_serial": wechat_pay.platform_serial,
        "wechatpay_apiv3_key": wechat_pay.apiv3_key,
        "stripe_api_url": stripe.base_url,
        "stripe_secret_key": stripe.secret_key,
        "stripe_webhook_secret": stripe.webhook_secret,
    }


def gateway_environment(alipay: FakeAlipay, wechat_pay: FakeWeChatPay, stripe: FakeStripe) -> dict[str, str]:
    """The same as ARFLOW_* environment variables, for services run as processes."""
    return {f"ARFLOW_{name.upper()}": value for name, value in gateway_settings(alipay, wechat_pay, stripe).items()}
