"""What every gateway client takes and gives back, and how a gateway's refusal is told to the caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from arflow.problems import Problem, Unprocessable
from reconciliation.gateways.providers import GatewayNotice

Checkout = Literal["alipay_precreate", "alipay_page_pay", "wechat_native", "stripe_checkout"]
# The provider whose callbacks pay each kind of order.
PROVIDER_OF: dict[str, str] = {
    "alipay_precreate": "alipay",
    "alipay_page_pay": "alipay",
    "wechat_native": "wechat_pay",
    "stripe_checkout": "stripe",
}


@dataclass(frozen=True)
class Order:
    order_id: str  # out_trade_no, and the PaymentIntent's metadata.order_id at Stripe
    amount: Decimal
    currency: str
    subject: str  # what the payer's app shows: the invoice number and the creditor
    expires_at: datetime
    notify_url: str
    return_url: str | None


@dataclass(frozen=True)
class Opened:
    pay_url: str  # a QR code's text (qr_code, code_url), or the page the customer is sent to
    gateway_ref: str | None = None  # the gateway's id of the order where it is not our order id (Stripe's session)


@dataclass(frozen=True)
class Answer:
    """What the gateway says of an order when asked: paid (a verified notice), closed, or still waiting."""

    state: Literal["paid", "closed", "open"]
    notice: GatewayNotice | None = None
    raw: str = ""  # the answer as received: kept with the notice, as a callback's body is


class GatewayUnavailable(Problem):
    status, code, title, title_zh = 502, "gateway_unavailable", "Payment gateway unavailable", "支付网关暂不可用"


class GatewayRefused(Unprocessable):
    code, title, title_zh = "gateway_refused", "The payment gateway refused the order", "支付网关拒绝了该订单"


class CheckoutNotOffered(Unprocessable):
    code, title, title_zh = "checkout_not_offered", "This way of paying is not offered", "不支持该支付方式"
