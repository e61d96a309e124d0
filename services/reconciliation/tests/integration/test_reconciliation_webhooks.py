"""Gateway webhooks: signed the gateways' own way with throwaway keys; forgeries refused; retries idempotent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import stripe
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from arflow.events.catalog import RECONCILIATION, InvoiceIssued, topic_of
from arflow.testing.kafka import collect_events
from arflow.testing.services import RunningService
from reconciliation.gateways.providers import alipay_signing_string

if TYPE_CHECKING:  # the fixtures' types; conftest is not importable at run time (--import-mode=importlib)
    from conftest import Books, GatewayKeys, ImportDone, PublishedPayments


def now(reconciliation: RunningService) -> int:
    return int(reconciliation.app.state.clock.now().timestamp())


async def reversed_event(reconciliation: RunningService, payment_id: str) -> Any:
    (event,) = await collect_events(
        reconciliation.app.state.settings.kafka_bootstrap,
        topic_of(RECONCILIATION),
        lambda e: e.type == "PaymentReversed" and e.data["payment_id"] == payment_id,
    )
    return event


# --- Stripe ------------------------------------------------------------------------------------


def stripe_event(event_type: str, obj: dict[str, Any], *, created: int | None = None) -> str:
    event: dict[str, Any] = {"id": f"evt_{secrets.token_hex(8)}", "type": event_type, "data": {"object": obj}}
    if created is not None:
        event["created"] = created
    return json.dumps(event)


async def post_stripe(
    reconciliation: RunningService, keys: GatewayKeys, payload: str, *, timestamp: int | None = None
) -> Any:
    header = stripe.WebhookSignature.generate_signature_header(
        payload, keys.stripe_secret, timestamp=timestamp or now(reconciliation)
    )
    return await reconciliation.client.post(
        "/webhooks/stripe",
        content=payload,
        headers={"Stripe-Signature": header, "Content-Type": "application/json", "Authorization": ""},
    )


async def test_stripe_payment_intent_pays_the_invoice_in_its_metadata_once(
    reconciliation: RunningService,
    reconciliation_books: Books,
    reconciliation_published: PublishedPayments,
    gateway_keys: GatewayKeys,
) -> None:
    customer_id, name = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "318.00", date(2026, 2, 28))
    intent = f"pi_{secrets.token_hex(8)}"
    payload = stripe_event(
        "payment_intent.succeeded",
        {
            "id": intent,
            "amount": 31800,
            "amount_received": 31800,
            "currency": "cny",
            "metadata": {"invoice_number": invoice.invoice_number, "customer_name": name},
        },
        # Paid 2026-02-20 23:30 in Shanghai (15:30 UTC), notified (or retried) on 2026-03-02.
        created=int(datetime(2026, 2, 20, 15, 30, tzinfo=UTC).timestamp()),
    )
    first = await post_stripe(reconciliation, gateway_keys, payload)
    assert first.status_code == 200, first.text
    assert first.json()["outcome"] == "payment"
    retry = await post_stripe(reconciliation, gateway_keys, payload)
    assert retry.status_code == 200 and retry.json()["outcome"] == "payment"
    payments = (
        await reconciliation.client.get("/payments", params={"customer_id": str(customer_id), "source": "stripe"})
    ).json()["data"]
    assert len(payments) == 1 and payments[0]["external_id"] == intent and payments[0]["status"] == "matched"
    assert payments[0]["received_on"] == "2026-02-20"  # the day it was paid, not the day it was notified
    event = await reconciliation_published.payment_received(payments[0]["id"])
    assert [a.invoice_id for a in event.allocations] == [invoice.invoice_id] and event.source == "stripe"
    assert event.received_on == date(2026, 2, 20)
    # charge.refunded carries the cumulative amount refunded: 100.00, then 150.00 in all.
    for refunded in (10000, 15000):
        refund = stripe_event(
            "charge.refunded",
            {"id": "ch_1", "payment_intent": intent, "amount_refunded": refunded, "currency": "cny"},
        )
        assert (await post_stripe(reconciliation, gateway_keys, refund)).json()["outcome"] == "refund"
    events = await collect_events(
        reconciliation.app.state.settings.kafka_bootstrap,
        topic_of(RECONCILIATION),
        lambda e: e.type == "PaymentReversed" and e.data["payment_id"] == payments[0]["id"],
        count=2,
    )
    assert sorted(e.data["amount"]["amount"] for e in events) == ["100.00", "50.00"]


async def test_stripe_forgery_and_stale_signatures_are_refused(
    reconciliation: RunningService, gateway_keys: GatewayKeys
) -> None:
    payload = stripe_event("payment_intent.succeeded", {"id": "pi_x", "amount_received": 100, "currency": "cny"})
    stale = await post_stripe(reconciliation, gateway_keys, payload, timestamp=now(reconciliation) - 301)
    assert stale.status_code == 400 and stale.json()["code"] == "timestamp_stale"
    forged = stripe.WebhookSignature.generate_signature_header(payload, "whsec_wrong", timestamp=now(reconciliation))
    response = await reconciliation.client.post(
        "/webhooks/stripe", content=payload, headers={"Stripe-Signature": forged}
    )
    assert response.status_code == 400 and response.json()["code"] == "signature_invalid"
    unsigned = await reconciliation.client.post("/webhooks/stripe", content=payload)
    assert unsigned.status_code == 400


async def test_a_signature_header_with_a_non_ascii_character_is_refused_not_a_crash(
    reconciliation: RunningService, gateway_keys: GatewayKeys
) -> None:
    intent = f"pi_{secrets.token_hex(8)}"
    payload = stripe_event("payment_intent.succeeded", {"id": intent, "amount_received": 100, "currency": "cny"})
    # Header bytes arrive as latin-1: "\xe9" is the str "é", which hmac.compare_digest refuses with TypeError.
    header = f"t={now(reconciliation)},v1=\xe9".encode("latin-1")
    response = await reconciliation.client.post(
        "/webhooks/stripe", content=payload, headers={b"Stripe-Signature": header}
    )
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "signature_invalid"
    body = json.dumps({"type": "payment.succeeded", "data": {"id": intent, "amount": "1.00", "currency": "CNY"}})
    signed = standard_headers(gateway_keys, body.encode(), now(reconciliation), f"msg_{secrets.token_hex(8)}")
    headers = {name.encode(): value.encode() for name, value in signed.items()}
    headers[b"webhook-signature"] = "v1,\xe9".encode("latin-1")
    response = await reconciliation.client.post("/webhooks/standard", content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "signature_invalid"
    for source in ("stripe", "webhook"):
        listed = (await reconciliation.client.get("/payments", params={"source": source, "limit": 100})).json()
        assert intent not in [p["external_id"] for p in listed["data"]]


# --- Alipay ------------------------------------------------------------------------------------


def alipay_form(keys: GatewayKeys, **overrides: str) -> dict[str, str]:
    params = {
        "notify_type": "trade_status_sync",
        "notify_id": secrets.token_hex(12),
        "notify_time": "2026-03-02 10:00:00",
        "app_id": keys.alipay_app_id,
        "seller_id": keys.alipay_seller_id,
        "charset": "utf-8",
        "version": "1.0",
        "trade_no": f"2026030222001{secrets.randbelow(10**15):015d}",
        "trade_status": "TRADE_SUCCESS",
        "gmt_payment": "2026-03-02 09:59:58",
        "buyer_logon_id": "han***@example.cn",
        **overrides,
    }
    signature = keys.alipay_private.sign(alipay_signing_string(params).encode(), padding.PKCS1v15(), hashes.SHA256())
    return {**params, "sign_type": "RSA2", "sign": base64.b64encode(signature).decode()}


async def post_alipay(reconciliation: RunningService, form: dict[str, str]) -> Any:
    return await reconciliation.client.post(
        "/webhooks/alipay",
        content=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


async def test_alipay_notification_pays_the_out_trade_no_and_replies_success(
    reconciliation: RunningService,
    reconciliation_books: Books,
    reconciliation_published: PublishedPayments,
    gateway_keys: GatewayKeys,
) -> None:
    customer_id, _ = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "530.00", date(2026, 2, 28))
    form = alipay_form(
        gateway_keys,
        out_trade_no=invoice.invoice_number,
        total_amount="530.00",
        receipt_amount="530.00",
        subject="代理记账服务费",
        gmt_payment="2026-02-27 23:58:00",  # Beijing time; notified days later
    )
    response = await post_alipay(reconciliation, form)
    assert response.status_code == 200 and response.text == "success"
    again = await post_alipay(reconciliation, form)
    assert again.text == "success"
    payments = (
        await reconciliation.client.get("/payments", params={"customer_id": str(customer_id), "source": "alipay"})
    ).json()["data"]
    assert len(payments) == 1 and payments[0]["external_id"] == form["trade_no"]
    assert payments[0]["received_on"] == "2026-02-27"
    stored = (await reconciliation.client.get("/gateway-notifications", params={"provider": "alipay"})).json()["data"]
    assert any(n["provider_id"] == form["notify_id"] and "sign=" in n["body"] for n in stored)
    await reconciliation_published.payment_received(payments[0]["id"])
    # A partial refund notifies TRADE_SUCCESS with refund_fee: a reversal, not a new payment.
    refund = alipay_form(
        gateway_keys,
        trade_no=form["trade_no"],
        out_trade_no=invoice.invoice_number,
        refund_fee="30.00",
        total_amount="530.00",
        gmt_refund="2026-03-02 11:00:00",
    )
    assert (await post_alipay(reconciliation, refund)).text == "success"
    event = await reversed_event(reconciliation, payments[0]["id"])
    assert event.data["amount"]["amount"] == "30.00" and event.data["reason"] == "refund"


async def test_alipay_forged_or_foreign_notifications_are_refused(
    reconciliation: RunningService, gateway_keys: GatewayKeys
) -> None:
    form = alipay_form(gateway_keys, out_trade_no="X", total_amount="1.00")
    tampered = {**form, "total_amount": "1000.00"}
    response = await post_alipay(reconciliation, tampered)
    assert response.status_code == 400 and response.json()["code"] == "signature_invalid"
    foreign = alipay_form(gateway_keys, out_trade_no="X", total_amount="1.00", app_id="2021999999999999")
    response = await post_alipay(reconciliation, foreign)
    assert response.status_code == 400 and response.json()["code"] == "account_mismatch"


# --- WeChat Pay ----------------------------------------------------------------------------------


def wechat_notification(keys: GatewayKeys, event_type: str, resource: dict[str, Any]) -> bytes:
    nonce = secrets.token_hex(6)
    ciphertext = AESGCM(keys.wechatpay_apiv3_key.encode()).encrypt(
        nonce.encode(), json.dumps(resource).encode(), b"transaction"
    )
    return json.dumps(
        {
            "id": secrets.token_hex(16),
            "create_time": "2026-03-02T10:00:00+08:00",
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功",
            "resource": {
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(ciphertext).decode(),
                "associated_data": "transaction",
                "nonce": nonce,
                "original_type": "transaction",
            },
        }
    ).encode()


def wechat_headers(keys: GatewayKeys, body: bytes, timestamp: int, *, signature: str | None = None) -> dict[str, str]:
    nonce = secrets.token_hex(8)
    message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
    signed = keys.wechatpay_private.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return {
        "Wechatpay-Signature": signature or base64.b64encode(signed).decode(),
        "Wechatpay-Timestamp": str(timestamp),
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": keys.wechatpay_serial,
        "Content-Type": "application/json",
    }


async def test_wechatpay_transaction_and_refund(
    reconciliation: RunningService,
    reconciliation_books: Books,
    reconciliation_published: PublishedPayments,
    gateway_keys: GatewayKeys,
) -> None:
    customer_id, _ = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "1060.00", date(2026, 2, 28))
    transaction_id = f"42000012342026{secrets.randbelow(10**14):014d}"
    body = wechat_notification(
        gateway_keys,
        "TRANSACTION.SUCCESS",
        {
            "mchid": gateway_keys.wechatpay_mchid,
            "out_trade_no": invoice.invoice_number,
            "transaction_id": transaction_id,
            "trade_state": "SUCCESS",
            "success_time": "2026-02-20T16:30:00Z",  # 00:30 on the 21st in Shanghai
            "amount": {"total": 106000, "payer_total": 106000, "currency": "CNY"},
            "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        },
    )
    response = await reconciliation.client.post(
        "/webhooks/wechat-pay", content=body, headers=wechat_headers(gateway_keys, body, now(reconciliation))
    )
    assert response.status_code == 204, response.text
    payments = (
        await reconciliation.client.get("/payments", params={"customer_id": str(customer_id), "source": "wechat_pay"})
    ).json()["data"]
    assert len(payments) == 1 and payments[0]["amount"] == "1060.00" and payments[0]["status"] == "matched"
    assert payments[0]["received_on"] == "2026-02-21"
    await reconciliation_published.payment_received(payments[0]["id"])
    refund = wechat_notification(
        gateway_keys,
        "REFUND.SUCCESS",
        {
            "mchid": gateway_keys.wechatpay_mchid,
            "transaction_id": transaction_id,
            "out_refund_no": "R1",
            "refund_status": "SUCCESS",
            "amount": {"total": 106000, "refund": 106000, "currency": "CNY"},
        },
    )
    response = await reconciliation.client.post(
        "/webhooks/wechat-pay", content=refund, headers=wechat_headers(gateway_keys, refund, now(reconciliation))
    )
    assert response.status_code == 204
    await reversed_event(reconciliation, payments[0]["id"])
    assert (await reconciliation.client.get(f"/payments/{payments[0]['id']}")).json()["status"] == "reversed"


async def test_wechatpay_signtest_probe_and_stale_timestamps_fail(
    reconciliation: RunningService, gateway_keys: GatewayKeys
) -> None:
    body = wechat_notification(gateway_keys, "TRANSACTION.SUCCESS", {"transaction_id": "1"})
    probe = wechat_headers(gateway_keys, body, now(reconciliation), signature="WECHATPAY/SIGNTEST/abcdef==")
    response = await reconciliation.client.post("/webhooks/wechat-pay", content=body, headers=probe)
    assert response.status_code == 400 and response.json()["code"] == "signature_invalid"
    stale = wechat_headers(gateway_keys, body, now(reconciliation) - 301)
    response = await reconciliation.client.post("/webhooks/wechat-pay", content=body, headers=stale)
    assert response.status_code == 400 and response.json()["code"] == "timestamp_stale"
    other = {**wechat_headers(gateway_keys, body, now(reconciliation)), "Wechatpay-Serial": "PUB_KEY_ID_OTHER"}
    response = await reconciliation.client.post("/webhooks/wechat-pay", content=body, headers=other)
    assert response.status_code == 400 and response.json()["code"] == "unknown_key"


# --- Standard Webhooks -------------------------------------------------------------------------------


def standard_headers(keys: GatewayKeys, body: bytes, timestamp: int, message_id: str) -> dict[str, str]:
    key = base64.b64decode(keys.standard_secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": f"v1,{base64.b64encode(digest).decode()}",
        "Content-Type": "application/json",
    }


async def test_standard_webhook_payment_is_matched_and_forgery_refused(
    reconciliation: RunningService, reconciliation_books: Books, gateway_keys: GatewayKeys
) -> None:
    customer_id, name = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "99.00", date(2026, 2, 28))
    body = json.dumps(
        {
            "type": "payment.succeeded",
            "data": {
                "id": f"pay_{secrets.token_hex(6)}",
                "amount": "99.00",
                "currency": "CNY",
                "reference": invoice.payment_reference,
                "payer_name": name,
                "paid_at": "2026-02-25T09:00:00+08:00",
            },
        }
    ).encode()
    message_id = f"msg_{secrets.token_hex(8)}"
    headers = standard_headers(gateway_keys, body, now(reconciliation), message_id)
    response = await reconciliation.client.post("/webhooks/standard", content=body, headers=headers)
    assert response.status_code == 200 and response.json()["outcome"] == "payment", response.text
    tampered = await reconciliation.client.post(
        "/webhooks/standard", content=body.replace(b"99.00", b"9.00"), headers=headers
    )
    assert tampered.status_code == 400
    items = await reconciliation_books.ledger.open_items(customer_id)
    assert items[str(invoice.invoice_id)]["available"] == "0.00"
    payments = (
        await reconciliation.client.get("/payments", params={"customer_id": str(customer_id), "source": "webhook"})
    ).json()["data"]
    assert [p["received_on"] for p in payments] == ["2026-02-25"]


async def test_a_webhook_payment_matched_automatically_says_why_in_chinese_too(
    reconciliation: RunningService, reconciliation_books: Books, gateway_keys: GatewayKeys
) -> None:
    customer_id, name = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "57.00", date(2026, 2, 28))
    external_id = f"pay_{secrets.token_hex(6)}"
    body = json.dumps(
        {
            "type": "payment.succeeded",
            "data": {
                "id": external_id,
                "amount": "57.00",
                "currency": "CNY",
                "reference": f"货款 {invoice.invoice_number}",
                "payer_name": name,
            },
        }
    ).encode()
    headers = standard_headers(gateway_keys, body, now(reconciliation), f"msg_{secrets.token_hex(8)}")
    response = await reconciliation.client.post("/webhooks/standard", content=body, headers=headers)
    assert response.status_code == 200 and response.json()["outcome"] == "payment", response.text
    (payment,) = (
        await reconciliation.client.get("/payments", params={"customer_id": str(customer_id), "source": "webhook"})
    ).json()["data"]
    assert payment["external_id"] == external_id
    assert f"附言写明 {invoice.invoice_number}" in payment["match_reasons_zh"]
    assert len(payment["match_reasons_zh"]) == len(payment["match_reasons"])


async def test_a_refund_in_another_currency_reverses_nothing(
    reconciliation: RunningService, reconciliation_books: Books, gateway_keys: GatewayKeys
) -> None:
    customer_id, name = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "100.00", date(2026, 2, 28), currency="USD")
    external_id = f"pay_{secrets.token_hex(6)}"

    async def post(event_type: str, amount: str, currency: str) -> Any:
        data = {"id": external_id, "amount": amount, "currency": currency}
        if event_type == "payment.succeeded":
            data |= {"reference": invoice.invoice_number, "payer_name": name}
        body = json.dumps({"type": event_type, "data": data}).encode()
        headers = standard_headers(gateway_keys, body, now(reconciliation), f"msg_{secrets.token_hex(8)}")
        return await reconciliation.client.post("/webhooks/standard", content=body, headers=headers)

    paid = await post("payment.succeeded", "100.00", "USD")
    assert paid.status_code == 200 and paid.json()["outcome"] == "payment", paid.text
    (payment,) = (
        await reconciliation.client.get("/payments", params={"customer_id": str(customer_id), "source": "webhook"})
    ).json()["data"]
    # 100 yen is not 100 dollars: nothing of the payment is reversed.
    mismatched = await post("payment.refunded", "100", "JPY")
    assert mismatched.status_code == 200 and mismatched.json()["outcome"] == "refund_currency_mismatch"
    assert (await reconciliation.client.get(f"/payments/{payment['id']}")).json()["status"] == "matched"
    # The whole 100 dollars is still there to refund.
    refunded = await post("payment.refunded", "100.00", "USD")
    assert refunded.json()["outcome"] == "refund"
    event = await reversed_event(reconciliation, payment["id"])
    assert event.data["amount"] == {"amount": "100.00", "currency": "USD"}
    assert (await reconciliation.client.get(f"/payments/{payment['id']}")).json()["status"] == "reversed"


# --- the same trade from the notification and from the merchant bill ------------------------------

WECHAT_BILL_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
    "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
    "手续费,费率,订单金额,申请退款金额,费率备注"
)


def wechat_bill(transaction_id: str, order: str, amount: str) -> bytes:
    row = (
        f"`2026-03-02 10:00:00,`wx2421b1c4370ec43b,`1900000109,`0,`,`{transaction_id},`{order},"
        "`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,"
        f"`NATIVE,`SUCCESS,`CMB_DEBIT,`CNY,`{amount},`0.00,`0,`0,`0.00,`0.00,`,`,`代理记账服务费,`,`0.00000,`0.60%,"
        f"`{amount},`0.00,`"
    )
    return f"{WECHAT_BILL_HEADER}\n{row}\n".encode()


def alipay_bill(trade_no: str, order: str, amount: str) -> bytes:
    header = (
        "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
        "订单金额(元),商家实收(元),支付宝红包(元),集分宝(元),支付宝优惠(元),商家优惠(元),券核销金额(元),券名称,"
        "商家红包消费金额(元),卡消费金额(元),退款批次号/请求号,服务费(元),分润(元),备注"
    )
    row = (
        f"{trade_no}\t,{order}\t,交易\t,代理记账服务费\t,2026-03-02 09:59:00\t,2026-03-02 09:59:58\t,\t,\t,\t,\t,"
        f"han***@example.cn\t,{amount}\t,{amount}\t,0.00\t,0.00\t,0.00\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,\t"
    )
    return "\n".join(
        [
            "#支付宝业务明细查询",
            "#账号：[20880123456789010156]",
            "#-----------------------------------------业务明细列表----------------------------------------",
            header,
            row,
            "#-----------------------------------------业务明细列表结束------------------------------------",
        ]
    ).encode()


async def import_bill(
    reconciliation: RunningService, import_done: ImportDone, data: bytes, format: str
) -> list[dict[str, Any]]:
    """Import a merchant bill; its lines, with the payment each became."""
    client = reconciliation.client
    response = await client.post(
        "/statement-imports",
        content=data,
        params={"format": format},
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 202, response.text
    done = await import_done(client, response.json()["id"])
    assert done["status"] == "succeeded", done
    return (await client.get(f"/statement-imports/{done['id']}/lines")).json()["data"]  # type: ignore[no-any-return]


async def payments_of(reconciliation: RunningService, customer_id: Any, source: str) -> list[dict[str, Any]]:
    params = {"customer_id": str(customer_id), "source": source}
    return (await reconciliation.client.get("/payments", params=params)).json()["data"]  # type: ignore[no-any-return]


async def test_a_wechat_trade_notified_then_in_the_bill_is_booked_once(
    reconciliation: RunningService, reconciliation_books: Books, gateway_keys: GatewayKeys, import_done: ImportDone
) -> None:
    customer_id, _ = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "860.00", date(2026, 2, 28))
    transaction_id = f"42000012342026{secrets.randbelow(10**14):014d}"
    body = wechat_notification(
        gateway_keys,
        "TRANSACTION.SUCCESS",
        {
            "mchid": gateway_keys.wechatpay_mchid,
            "out_trade_no": invoice.invoice_number,
            "transaction_id": transaction_id,
            "trade_state": "SUCCESS",
            "amount": {"total": 86000, "payer_total": 86000, "currency": "CNY"},
        },
    )
    response = await reconciliation.client.post(
        "/webhooks/wechat-pay", content=body, headers=wechat_headers(gateway_keys, body, now(reconciliation))
    )
    assert response.status_code == 204, response.text
    (notified,) = await payments_of(reconciliation, customer_id, "wechat_pay")
    (line,) = await import_bill(
        reconciliation, import_done, wechat_bill(transaction_id, invoice.invoice_number, "860.00"), "wechat"
    )
    # The bill's line is the payment the notification booked, not a second one.
    assert line["payment_id"] == notified["id"]
    assert [p["id"] for p in await payments_of(reconciliation, customer_id, "wechat_pay")] == [notified["id"]]


async def test_an_alipay_trade_in_the_bill_then_notified_is_booked_once(
    reconciliation: RunningService, reconciliation_books: Books, gateway_keys: GatewayKeys, import_done: ImportDone
) -> None:
    customer_id, _ = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "430.00", date(2026, 2, 28))
    trade_no = f"2026030222001{secrets.randbelow(10**15):015d}"
    (line,) = await import_bill(
        reconciliation, import_done, alipay_bill(trade_no, invoice.invoice_number, "430.00"), "alipay"
    )
    (booked,) = await payments_of(reconciliation, customer_id, "alipay")
    assert line["payment_id"] == booked["id"]
    form = alipay_form(gateway_keys, trade_no=trade_no, out_trade_no=invoice.invoice_number, total_amount="430.00")
    response = await post_alipay(reconciliation, form)
    assert response.status_code == 200 and response.text == "success"
    assert [p["id"] for p in await payments_of(reconciliation, customer_id, "alipay")] == [booked["id"]]
    # Nor a second payment for nobody (the invoice it names is paid already): no payment under the trade_no.
    latest = (await reconciliation.client.get("/payments", params={"source": "alipay", "limit": 100})).json()["data"]
    assert trade_no not in [p["external_id"] for p in latest]


async def test_a_gateway_without_keys_answers_503_so_the_gateway_retries_until_they_are_set(
    reconciliation: RunningService, gateway_keys: GatewayKeys
) -> None:
    # The same deployment before its Stripe secret is set: the notification is neither taken
    # nor refused for good (a 404 would say the endpoint does not exist).
    configured = reconciliation.app.state.settings
    payload = stripe_event("payment_intent.succeeded", {"id": "pi_early", "amount_received": 100, "currency": "cny"})
    reconciliation.app.state.settings = configured.model_copy(update={"stripe_webhook_secret": None})
    try:
        early = await post_stripe(reconciliation, gateway_keys, payload, timestamp=now(reconciliation))
    finally:
        reconciliation.app.state.settings = configured
    assert early.status_code == 503 and early.json()["code"] == "gateway_not_configured"
    assert early.headers["retry-after"] == "600"
    unsigned = await reconciliation.client.post("/webhooks/stripe", content=payload)
    assert unsigned.status_code == 400 and unsigned.json()["code"] == "signature_invalid"


# --- Payment attempts: the gateway order names its invoice ------------------------------------


async def attempt(reconciliation: RunningService, provider: str, invoice: InvoiceIssued, **fields: Any) -> Any:
    response = await reconciliation.client.post(
        "/payment-attempts",
        json={"provider": provider, "invoice_id": str(invoice.invoice_id), **fields},
        headers={"Idempotency-Key": secrets.token_hex(8)},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_alipay_order_made_for_an_invoice_pays_that_invoice_whatever_else_fits(
    reconciliation: RunningService,
    reconciliation_books: Books,
    reconciliation_published: PublishedPayments,
    gateway_keys: GatewayKeys,
) -> None:
    # Two invoices owing the same amount; the shop's own order number spells neither, and the buyer's Alipay
    # login is nobody's name: without the attempt the money could only wait for a person.
    customer_id, _ = await reconciliation_books.customer()
    older = await reconciliation_books.issued(customer_id, "530.00", date(2026, 2, 10))
    ordered = await reconciliation_books.issued(customer_id, "530.00", date(2026, 2, 28))
    made = await attempt(reconciliation, "alipay", ordered, order_id="SHOP20260302000017")
    assert made["status"] == "open" and made["amount"] == "530.00" and made["invoice_number"] == ordered.invoice_number
    form = alipay_form(
        gateway_keys,
        out_trade_no="SHOP20260302000017",
        total_amount="530.00",
        receipt_amount="530.00",
        subject=f"服务费 {older.invoice_number[:-3]}",  # a look-alike of the older invoice's number, no more
    )
    assert (await post_alipay(reconciliation, form)).text == "success"
    (payment,) = await payments_of(reconciliation, customer_id, "alipay")
    assert payment["status"] == "matched"
    assert [a["invoice_id"] for a in payment["allocations"]] == [str(ordered.invoice_id)]
    event = await reconciliation_published.payment_received(payment["id"])
    assert [a.invoice_id for a in event.allocations] == [ordered.invoice_id]
    paid = (await reconciliation.client.get(f"/payment-attempts/{made['id']}")).json()
    assert paid["status"] == "paid" and paid["payment_id"] == payment["id"]
    trail = json.dumps(payment, ensure_ascii=False)
    assert f"gateway order SHOP20260302000017 was made for {ordered.invoice_number}" in trail
    assert f"支付订单 SHOP20260302000017 为 {ordered.invoice_number} 而建" in trail


async def test_a_stripe_payment_intent_registered_for_an_invoice_pays_it_and_an_invoice_owing_nothing_waits(
    reconciliation: RunningService, reconciliation_books: Books, gateway_keys: GatewayKeys
) -> None:
    customer_id, name = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "120.00", date(2026, 2, 28))
    intent = f"pi_{secrets.token_hex(10)}"
    await attempt(reconciliation, "stripe", invoice, order_id=intent)
    # Nothing but the intent's id says whose it is.
    payload = stripe_event("payment_intent.succeeded", {"id": intent, "amount_received": 12000, "currency": "cny"})
    assert (await post_stripe(reconciliation, gateway_keys, payload)).json()["outcome"] == "payment"
    # A second intent for the same invoice, paid after the first: the invoice owes nothing any more, so the
    # money waits for a person (or stays the payer's credit) instead of paying it twice.
    refused = await reconciliation.client.post(
        "/payment-attempts",
        json={"provider": "stripe", "invoice_id": str(invoice.invoice_id), "order_id": f"pi_{secrets.token_hex(10)}"},
        headers={"Idempotency-Key": secrets.token_hex(8)},
    )
    assert refused.status_code == 409 and refused.json()["code"] == "invoice_not_payable", refused.text
    late = f"pi_{secrets.token_hex(10)}"
    other = await reconciliation_books.issued(customer_id, "120.00", date(2026, 3, 31))
    await attempt(reconciliation, "stripe", other, order_id=late)
    manual = await reconciliation.client.post(
        "/payments",
        json={
            "customer_id": str(customer_id),
            "currency": "CNY",
            "amount": "120.00",
            "received_on": "2026-03-01",
            "allocations": [{"invoice_id": str(other.invoice_id), "amount": "120.00"}],
        },
        headers={"Idempotency-Key": secrets.token_hex(8)},
    )
    assert manual.status_code == 201, manual.text
    payload = stripe_event(
        "payment_intent.succeeded",
        {"id": late, "amount_received": 12000, "currency": "cny", "metadata": {"customer_name": name}},
    )
    assert (await post_stripe(reconciliation, gateway_keys, payload)).json()["outcome"] == "payment_unmatched"
    payments = {p["external_id"]: p for p in await payments_of(reconciliation, customer_id, "stripe")}
    assert payments[intent]["status"] == "matched"
    assert [a["invoice_id"] for a in payments[intent]["allocations"]] == [str(invoice.invoice_id)]
    assert payments[late]["status"] == "unmatched" and not payments[late]["allocations"]
