"""Fake payment gateways for tests, at the edge of the world: Alipay, WeChat Pay and Stripe as real local HTTP
servers that check the merchant's signature, answer in the real shapes, sign what the real ones sign with test
keys, and take knobs (pay, expire, duplicate or hold a callback) from the test.

Start one with `with FakeAlipay(...) as alipay:`; its `base_url` is what the platform is configured with.
"""

from arflow.testing.gateways.alipay import FakeAlipay
from arflow.testing.gateways.environment import gateway_environment, gateway_settings
from arflow.testing.gateways.keys import RsaKeyPair
from arflow.testing.gateways.stripe import FakeStripe
from arflow.testing.gateways.wechat_pay import FakeWeChatPay

__all__ = [
    "FakeAlipay",
    "FakeStripe",
    "FakeWeChatPay",
    "RsaKeyPair",
    "gateway_environment",
    "gateway_settings",
]
