"""What a gateway says of an order when asked, verified and read into the GatewayNotice its callback makes.

A callback that never came is recovered by asking the gateway. Its answer is verified the way its callbacks are
(Alipay and WeChat Pay sign their answers with the same platform key; Stripe's come over TLS from its API, asked
with our secret key) and becomes a GatewayNotice booked by the same path as a callback (service.record_notification).
Its provider id is "query:<the gateway's trade id>": asked twice, it is stored once; and a callback for the trade
arriving after it is a duplicate of the payment that trade already made (one payment per trade).
"""

from __future__ import annotations

import json
from typing import Any

from reconciliation.gateways.providers import (
    _BEIJING,
    GatewayNotice,
    NoticeMalformed,
    SignatureRejected,
    _currency,
    _decimal,
    _json,
    _order_ids,
    _rsa_verify,
    _wechatpay_payment,
    instant,
    read_stripe,
)

QUERY = "query:"


def alipay_response(text: str, method: str, *, public_key: str) -> dict[str, Any]:
    """The verified `<method>_response` object of an Alipay answer: its sign is over that JSON exactly as sent."""
    key = f'"{method.replace(".", "_")}_response"'
    start, end = text.find(key), text.rfind(',"sign":"')
    if start < 0 or end < 0:
        raise SignatureRejected("the answer carries no signed response", detail_zh="应答中没有已签名的 response")
    inner = text[text.index(":", start + len(key)) + 1 : end].strip()
    try:
        sign = json.loads(text[end + 1 :].rstrip().removesuffix("}").partition(":")[2])
    except ValueError:
        raise SignatureRejected("the answer's sign is unreadable", detail_zh="应答的 sign 无法读取") from None
    if not isinstance(sign, str):
        raise SignatureRejected("the answer's sign is unreadable", detail_zh="应答的 sign 无法读取")
    _rsa_verify(public_key, sign, inner.encode())
    data = _json(inner.encode())
    return data


def read_alipay_query(data: dict[str, Any]) -> GatewayNotice | None:
    """A verified alipay.trade.query answer: a payment notice when the trade is paid, else None."""
    if data.get("code") != "10000" or data.get("trade_status") not in ("TRADE_SUCCESS", "TRADE_FINISHED"):
        return None
    trade_no = str(data.get("trade_no") or "")
    if not trade_no:
        raise NoticeMalformed("trade_no is missing", detail_zh="缺少 trade_no")
    amount = _decimal(data.get("receipt_amount") or data.get("total_amount"), "total_amount", "CNY")
    return GatewayNotice(
        provider="alipay",
        provider_id=QUERY + trade_no,
        event_type=str(data["trade_status"]),
        kind="payment",
        payment_id=trade_no,
        amount=amount,
        currency="CNY",
        reference=str(data.get("out_trade_no") or "") or None,
        order_ids=_order_ids(data.get("out_trade_no")),
        payer_name=data.get("buyer_logon_id"),
        payer_account=data.get("buyer_user_id") or data.get("buyer_logon_id"),
        paid_at=instant(data.get("send_pay_date"), naive_zone=_BEIJING),
    )


def read_wechatpay_query(body: bytes, *, mchid: str | None = None) -> GatewayNotice | None:
    """A verified (verify_wechatpay) query-by-out_trade_no answer: a payment notice when SUCCESS, else None."""
    data = _json(body)
    if mchid and data.get("mchid") not in (None, mchid):
        raise SignatureRejected("mchid is not ours", detail_zh="mchid 与本方商户号不符", code="account_mismatch")
    if data.get("trade_state") != "SUCCESS":
        return None
    transaction_id = str(data.get("transaction_id") or "")
    if not transaction_id:
        raise NoticeMalformed("transaction_id is missing", detail_zh="缺少 transaction_id")
    currency = _currency((data.get("amount") or {}).get("currency") or "CNY")
    return _wechatpay_payment(data, QUERY + transaction_id, "TRANSACTION.SUCCESS", currency)


def read_stripe_session(checkout_session: dict[str, Any]) -> GatewayNotice | None:
    """A Checkout Session retrieved with its payment_intent expanded: the intent's success notice when paid."""
    intent = checkout_session.get("payment_intent")
    if checkout_session.get("payment_status") != "paid" or not isinstance(intent, dict) or not intent.get("id"):
        return None
    event = {
        "id": QUERY + str(intent["id"]),
        "type": "payment_intent.succeeded",
        "created": intent.get("created"),
        "data": {"object": intent},
    }
    return read_stripe(event)
