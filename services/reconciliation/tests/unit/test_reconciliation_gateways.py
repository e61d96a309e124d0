"""Gateway signature checks with throwaway keys (pure)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reconciliation.gateways.providers import (
    NoticeMalformed,
    SignatureRejected,
    alipay_signing_string,
    from_minor,
    read_alipay,
    read_standard,
    read_stripe,
    read_wechatpay,
    verify_alipay,
    verify_standard,
    verify_stripe,
    verify_wechatpay,
)
from reconciliation.gateways.service import paid_on

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC = (
    KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
)
NOW = 1_772_416_800


def test_alipay_signing_string_drops_sign_and_sign_type_and_sorts() -> None:
    params = {"b": "2", "a": "1", "sign": "x", "sign_type": "RSA2", "empty": ""}
    assert alipay_signing_string(params) == "a=1&b=2"


def test_alipay_signature_verifies_and_refund_fee_is_a_refund() -> None:
    params = {"notify_id": "n1", "trade_no": "t1", "trade_status": "TRADE_SUCCESS", "refund_fee": "5.00", "app_id": "A"}
    sign = base64.b64encode(KEY.sign(alipay_signing_string(params).encode(), padding.PKCS1v15(), hashes.SHA256()))
    signed = {**params, "sign": sign.decode(), "sign_type": "RSA2"}
    verify_alipay(signed, public_key=PUBLIC, app_id="A")
    notice = read_alipay(signed)
    assert notice.kind == "refund" and str(notice.refunded) == "5.00"
    with pytest.raises(SignatureRejected):
        verify_alipay({**signed, "refund_fee": "50.00"}, public_key=PUBLIC)
    # Alipay hands out its public key as bare base64: accepted too.
    bare = "".join(PUBLIC.strip().splitlines()[1:-1])
    verify_alipay(signed, public_key=bare)


def test_stripe_signature_tolerance() -> None:
    body = json.dumps({"id": "evt_1", "type": "x"}).encode()
    signature = hmac.new(b"whsec_s", f"{NOW}.".encode() + body, hashlib.sha256).hexdigest()
    assert verify_stripe(body, f"t={NOW},v1={signature}", secret="whsec_s", now=NOW + 299)["id"] == "evt_1"
    with pytest.raises(SignatureRejected, match="300"):
        verify_stripe(body, f"t={NOW},v1={signature}", secret="whsec_s", now=NOW + 301)


@pytest.mark.parametrize(
    ("currency", "amount_received", "amount"),
    [
        ("cny", 31800, Decimal("318.00")),
        ("jpy", 500, Decimal(500)),
        # Stripe's own exceptions to ISO 4217: ISK is two-decimal in its API, MGA zero-decimal.
        ("isk", 50000, Decimal(500)),
        ("mga", 5000, Decimal(5000)),
    ],
)
def test_stripe_amounts_are_read_in_stripes_unit_of_the_currency(
    currency: str, amount_received: int, amount: Decimal
) -> None:
    def event(event_type: str, obj: dict[str, object]) -> dict[str, object]:
        return {"id": "evt_1", "type": event_type, "data": {"object": {"id": "pi_1", "currency": currency, **obj}}}

    paid = read_stripe(event("payment_intent.succeeded", {"amount_received": amount_received}))
    assert paid.amount == amount and paid.currency == currency.upper()
    refund = read_stripe(event("charge.refunded", {"payment_intent": "pi_1", "amount_refunded": amount_received}))
    assert refund.refunded == amount


def test_a_stripe_amount_finer_than_the_currency_is_malformed() -> None:
    # 5.50 ISK (550 in Stripe's unit) cannot be booked in whole kronur.
    obj = {"id": "pi_1", "currency": "isk", "amount_received": 550}
    with pytest.raises(NoticeMalformed, match="ISK"):
        read_stripe({"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": obj}})


def test_wechatpay_signtest_probe_never_verifies() -> None:
    with pytest.raises(SignatureRejected, match="SIGNTEST"):
        verify_wechatpay(
            b"{}",
            {"wechatpay-signature": "WECHATPAY/SIGNTEST/xyz", "wechatpay-timestamp": str(NOW), "wechatpay-nonce": "n"},
            public_key=PUBLIC,
            serial=None,
            now=NOW,
        )


def test_wechatpay_signature_over_timestamp_nonce_and_body() -> None:
    body = b'{"id": "1"}'
    signature = base64.b64encode(KEY.sign(f"{NOW}\nabc\n".encode() + body + b"\n", padding.PKCS1v15(), hashes.SHA256()))
    headers = {"wechatpay-signature": signature.decode(), "wechatpay-timestamp": str(NOW), "wechatpay-nonce": "abc"}
    verify_wechatpay(body, headers, public_key=PUBLIC, serial=None, now=NOW + 60)
    with pytest.raises(SignatureRejected):
        verify_wechatpay(body + b" ", headers, public_key=PUBLIC, serial=None, now=NOW)


def test_standard_webhooks_signature() -> None:
    secret = "whsec_" + base64.b64encode(b"k" * 24).decode()
    body = b'{"type": "payment.succeeded"}'
    digest = base64.b64encode(hmac.new(b"k" * 24, f"m1.{NOW}.".encode() + body, hashlib.sha256).digest()).decode()
    headers = {"webhook-id": "m1", "webhook-timestamp": str(NOW), "webhook-signature": f"v0,xx v1,{digest}"}
    assert verify_standard(body, headers, secret=secret, now=NOW) == "m1"
    with pytest.raises(SignatureRejected):
        verify_standard(body, {**headers, "webhook-id": "m2"}, secret=secret, now=NOW)


# Validly signed notices whose amounts cannot be booked: each is malformed (400), never a 500 the gateway
# retries for days, and never rounded into something else.
def _stripe_paid(amount: object, currency: str = "cny") -> dict[str, object]:
    obj = {"id": "pi_1", "currency": currency, "amount_received": amount}
    return {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": obj}}


@pytest.mark.parametrize("amount", [float("inf"), 1e400, -100, 10**30, 100.5, "12a", None, True])
def test_a_stripe_amount_that_cannot_be_booked_is_malformed(amount: object) -> None:
    with pytest.raises(NoticeMalformed):
        read_stripe(_stripe_paid(amount))


def _alipay(total_amount: str) -> dict[str, str]:
    return {"notify_id": "n1", "trade_status": "TRADE_SUCCESS", "trade_no": "2026", "total_amount": total_amount}


@pytest.mark.parametrize("total", ["1e9999", "99999999999999999999999.99", "300.001", "-5.00", "NaN", "Infinity"])
def test_an_alipay_amount_that_cannot_be_booked_is_malformed(total: str) -> None:
    with pytest.raises(NoticeMalformed):
        read_alipay(_alipay(total))


def test_the_largest_bookable_alipay_amount_is_read_exactly() -> None:
    assert read_alipay(_alipay("999999999999999.99")).amount == Decimal("999999999999999.99")


@pytest.mark.parametrize("total", [10**30, -1, 1.5, "1e3"])
def test_a_wechat_pay_total_that_cannot_be_booked_is_malformed(total: object) -> None:
    with pytest.raises(NoticeMalformed):
        from_minor(total, "CNY", name="amount.total")


@pytest.mark.parametrize("amount", ["1e9999", "10.001", "-1"])
def test_a_standard_webhook_amount_that_cannot_be_booked_is_malformed(amount: str) -> None:
    body = json.dumps({"type": "payment.succeeded", "data": {"id": "p1", "amount": amount, "currency": "CNY"}})
    with pytest.raises(NoticeMalformed):
        read_standard(body.encode(), "msg_1")


# --- the business date of a gateway's payment ------------------------------------------------------------

# The service clock: 2026-03-02 10:00 in Shanghai. Every payment below was made on an earlier day.
TODAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def test_a_stripe_payment_is_dated_by_its_events_created_in_shanghai() -> None:
    # 2026-02-14 17:30 UTC is 01:30 on the 15th in Shanghai.
    created = int(datetime(2026, 2, 14, 17, 30, tzinfo=UTC).timestamp())
    event = {**_stripe_paid(31800), "created": created}
    assert paid_on(read_stripe(event), TODAY) == date(2026, 2, 15)
    # Without the event's time, the intent's own.
    obj = {"id": "pi_1", "currency": "cny", "amount_received": 100, "created": created - 86400}
    intent_only = {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": obj}}
    assert paid_on(read_stripe(intent_only), TODAY) == date(2026, 2, 14)


def test_an_alipay_payment_is_dated_by_gmt_payment_which_is_beijing_time() -> None:
    notice = read_alipay({**_alipay("10.00"), "gmt_payment": "2026-02-14 23:59:59"})
    assert notice.paid_at == datetime(2026, 2, 14, 15, 59, 59, tzinfo=UTC)
    assert paid_on(notice, TODAY) == date(2026, 2, 14)


def test_a_wechat_pay_payment_is_dated_by_success_time_in_shanghai() -> None:
    key = "0123456789abcdef0123456789abcdef"
    data = {
        "transaction_id": "4200001",
        "trade_state": "SUCCESS",
        "success_time": "2026-02-14T16:30:00Z",  # 00:30 on the 15th in Shanghai
        "amount": {"total": 100, "currency": "CNY"},
    }
    ciphertext = AESGCM(key.encode()).encrypt(b"nonce0123456", json.dumps(data).encode(), b"transaction")
    resource = {
        "algorithm": "AEAD_AES_256_GCM",
        "nonce": "nonce0123456",
        "associated_data": "transaction",
        "ciphertext": base64.b64encode(ciphertext).decode(),
    }
    body = json.dumps({"id": "n1", "event_type": "TRANSACTION.SUCCESS", "resource": resource}).encode()
    assert paid_on(read_wechatpay(body, apiv3_key=key), TODAY) == date(2026, 2, 15)


@pytest.mark.parametrize(
    ("payload", "day"),
    [
        ({"data": {"paid_at": "2026-02-10T09:00:00+08:00"}}, date(2026, 2, 10)),
        ({"timestamp": "2026-02-11T20:00:00Z"}, date(2026, 2, 12)),
        ({}, date(2026, 3, 2)),  # no time given: the day it arrives
    ],
)
def test_a_standard_webhook_payment_is_dated_by_its_paid_at_else_its_timestamp(
    payload: dict[str, object], day: date
) -> None:
    data = {"id": "p1", "amount": "1.00", "currency": "CNY", **payload.get("data", {})}  # type: ignore[dict-item]
    event = {"type": "payment.succeeded", **payload, "data": data}
    assert paid_on(read_standard(json.dumps(event).encode(), "msg_1"), TODAY) == day


@pytest.mark.parametrize("paid_at", ["2026-03-05 10:00:00", "soon", "2026-13-01 00:00:00", "99999999999999999999"])
def test_a_payment_time_after_tomorrow_or_unreadable_dates_the_payment_by_its_arrival(paid_at: str) -> None:
    notice = read_alipay({**_alipay("10.00"), "gmt_payment": paid_at})
    assert paid_on(notice, TODAY) == date(2026, 3, 2)


def test_a_payment_time_of_tomorrow_in_shanghai_is_kept() -> None:
    # The one rule for future business dates: one day ahead is a time zone, not an error.
    notice = read_alipay({**_alipay("10.00"), "gmt_payment": "2026-03-03 08:00:00"})
    assert paid_on(notice, TODAY) == date(2026, 3, 3)
