"""Payment-gateway notifications: signatures verified the gateways' own way, payloads read into one shape.

Pure: the caller passes the raw body, headers, keys and the current Unix time;
a `GatewayNotice` (or `SignatureRejected` naming why) comes out.

- Stripe: `Stripe-Signature: t=…,v1=…`, HMAC-SHA256 of `t.payload` with the
  endpoint secret, within a tolerance (300 s).
- Alipay: form-encoded; RSA2 (SHA256withRSA, PKCS#1 v1.5) over the parameters
  sorted by key, without `sign` and `sign_type`, joined `k=v&…`.
- WeChat Pay API v3: RSA-SHA256 over `timestamp\\nnonce\\nbody\\n` with the
  platform public key whose serial is configured, ±5 minutes; the resource is
  AES-256-GCM encrypted with the APIv3 key. `WECHATPAY/SIGNTEST/` probe
  signatures always fail.
- Standard Webhooks (generic): `webhook-id`, `webhook-timestamp`,
  `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from arflow.money import CURRENCIES, MINOR_UNITS, minor_unit_exponent
from reconciliation.domain import LARGEST_AMOUNT

Kind = Literal["payment", "refund", "ignored"]
# Each is also the PaymentSource of the payments it tells of.
Provider = Literal["stripe", "alipay", "wechat_pay", "webhook"]


class SignatureRejected(ValueError):
    """The notification is not the gateway's: bad or missing signature, stale timestamp, wrong account."""

    def __init__(self, detail: str, *, detail_zh: str, code: str = "signature_invalid") -> None:
        super().__init__(detail)
        self.detail = detail
        self.detail_zh = detail_zh
        self.code = code


class NoticeMalformed(ValueError):
    """Signed, but not a notification we can read; `detail_zh` says why in Chinese."""

    def __init__(self, detail: str, *, detail_zh: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.detail_zh = detail_zh


@dataclass(frozen=True)
class GatewayNotice:
    """What a verified notification says, in one shape for every gateway."""

    provider: Provider
    provider_id: str  # the notification's own id: retries carry the same one
    event_type: str
    kind: Kind
    payment_id: str | None = None  # the gateway's id of the payment (payment intent, trade_no, transaction_id)
    amount: Decimal | None = None
    currency: str | None = None
    reference: str | None = None  # out_trade_no, metadata: what names the invoice
    # The merchant's order ids the notice names (out_trade_no, a PaymentIntent's id and metadata.order_id, the
    # standard payload's order_id): a payment attempt made for one of them names its invoice exactly.
    order_ids: tuple[str, ...] = ()
    payer_name: str | None = None
    payer_account: str | None = None
    # When the gateway says the money was paid (for a refund: refunded), an aware instant, if it says so in a
    # form we read.
    paid_at: datetime | None = None
    # For a refund: the total refunded so far when the gateway reports it cumulatively, else this refund.
    refunded: Decimal | None = None
    refund_cumulative: bool = False


# A signed notice over LARGEST_AMOUNT is refused as malformed (400) instead of overflowing the column
# (500, retried for days).


def bookable(amount: Decimal, currency: str, *, name: str, value: Any) -> Decimal:
    """A reported amount, refused unless finite, not negative, within what a payment holds and in whole minor units.

    Never rounded: 300.001 CNY is refused, not booked as 300.00.
    """
    if not amount.is_finite() or amount < 0 or amount > LARGEST_AMOUNT:
        raise NoticeMalformed(
            f"{name} '{value}' is not an amount arflow can book",
            detail_zh=f"{name} “{value}”不是 arflow 可以入账的金额",
        )
    try:
        exact = amount == amount.quantize(minor_unit_exponent(currency))
    except InvalidOperation:
        exact = False
    if not exact:
        raise NoticeMalformed(
            f"{name} '{value}' is finer than {currency}'s minor unit",
            detail_zh=f"{name} “{value}”的精度超过了 {currency} 的最小货币单位",
        )
    return amount


def from_minor(value: Any, currency: str, decimals: int | None = None, *, name: str = "amount") -> Decimal:
    """An amount in minor units: the currency's ISO 4217 ones unless the gateway counts `decimals` of its own."""
    # Only a whole number: int() would truncate 100.5 and overflow on 1e400 (a JSON float, infinite).
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().lstrip("-").isdigit():
        raise NoticeMalformed(
            f"{name} '{value}' is not an amount in minor units",
            detail_zh=f"{name} “{value}”不是以最小货币单位表示的金额",
        )
    units = int(value)
    amount = Decimal(units).scaleb(-(MINOR_UNITS.get(currency, 2) if decimals is None else decimals))
    return bookable(amount, currency, name=name, value=value)


# Stripe's API amounts are in the ISO 4217 minor unit except where Stripe's currency guide
# (stripe.com/docs/currencies) says otherwise: ISK stays two-decimal in the API (100 = 1 krona,
# whole kronur only), and MGA is one of Stripe's zero-decimal currencies.
STRIPE_DECIMALS = {"ISK": 2, "MGA": 0}


def from_stripe_minor(value: Any, currency: str) -> Decimal:
    """A Stripe API amount (in Stripe's unit of the currency), refused if finer than the currency allows."""
    return from_minor(value, currency, STRIPE_DECIMALS.get(currency))


def _decimal(value: Any, name: str, currency: str) -> Decimal:
    if isinstance(value, bool | float) or value is None:
        raise NoticeMalformed(
            f"{name} '{value}' is not an amount (a decimal string)",
            detail_zh=f"{name} “{value}”不是金额（须为十进制数字字符串）",
        )
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise NoticeMalformed(f"{name} '{value}' is not an amount", detail_zh=f"{name} “{value}”不是金额") from None
    return bookable(amount, currency, name=name, value=value)


def _currency(value: Any) -> str:
    code = str(value or "").upper()
    if code not in CURRENCIES:
        raise NoticeMalformed(f"'{value}' is not an ISO 4217 currency", detail_zh=f"“{value}”不是 ISO 4217 币种代码")
    return code


# Alipay writes its times without a zone, in Beijing time (its notification reference: gmt_payment
# "yyyy-MM-dd HH:mm:ss"); a time of any other gateway without a zone is taken as UTC.
_BEIJING = ZoneInfo("Asia/Shanghai")


def instant(value: Any, *, naive_zone: ZoneInfo | None = None) -> datetime | None:
    """A gateway's time as an aware instant: Unix seconds or an ISO 8601 / RFC 3339 text; None if unreadable.

    Unreadable is not malformed: the payment is still booked, dated by the day it arrives.
    """
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        if isinstance(value, int):
            return datetime.fromtimestamp(value, UTC)
        if not isinstance(value, str):
            return None
        text = value.strip()
        if text.isdigit():
            return datetime.fromtimestamp(int(text), UTC)
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=naive_zone or UTC)
    return parsed.astimezone(UTC)


def _order_ids(*values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in values if isinstance(v, str | int) and str(v))


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise NoticeMalformed("the body is not JSON", detail_zh="请求体不是 JSON") from None
    if not isinstance(data, dict):
        raise NoticeMalformed("the body is not a JSON object", detail_zh="请求体不是 JSON 对象")
    return data


def _timestamp(raw: str | None, now: int, tolerance: int) -> int:
    try:
        stamp = int(raw or "")
    except ValueError:
        raise SignatureRejected(
            "the timestamp is missing or not a number", detail_zh="时间戳缺失或不是数字", code="timestamp_invalid"
        ) from None
    if abs(now - stamp) > tolerance:
        raise SignatureRejected(
            f"the timestamp is more than {tolerance} s away from now",
            detail_zh=f"时间戳与当前时间相差超过 {tolerance} 秒",
            code="timestamp_stale",
        )
    return stamp


def _same_signature(expected: str, given: str) -> bool:
    """Compare in constant time as bytes: a header may carry any character, which compare_digest refuses on str."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


# --- Stripe ---------------------------------------------------------------------------------


def verify_stripe(body: bytes, header: str | None, *, secret: str, now: int, tolerance: int = 300) -> dict[str, Any]:
    """Verify `Stripe-Signature` and return the event."""
    if not header:
        raise SignatureRejected("Stripe-Signature is missing", detail_zh="缺少 Stripe-Signature 签名头")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    stamps = parts.get("t")
    stamp = _timestamp(stamps[0] if stamps else None, now, tolerance)
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(_same_signature(expected, given) for given in parts.get("v1", [])):
        raise SignatureRejected("no v1 signature matches", detail_zh="没有相符的 v1 签名")
    return _json(body)


def read_stripe(event: dict[str, Any]) -> GatewayNotice:
    event_id, event_type = str(event.get("id") or ""), str(event.get("type") or "")
    if not event_id:
        raise NoticeMalformed("the event has no id", detail_zh="事件没有 id")
    obj = (event.get("data") or {}).get("object") or {}
    if not isinstance(obj, dict):
        raise NoticeMalformed("data.object is not an object", detail_zh="data.object 不是对象")
    metadata = obj.get("metadata") or {}
    if event_type == "payment_intent.succeeded":
        currency = _currency(obj.get("currency"))
        reference = " ".join(
            str(v)
            for v in (metadata.get("invoice_number"), metadata.get("payment_reference"), obj.get("description"))
            if v
        )
        return GatewayNotice(
            provider="stripe",
            provider_id=event_id,
            event_type=event_type,
            kind="payment",
            payment_id=str(obj.get("id") or ""),
            amount=from_stripe_minor(obj.get("amount_received", obj.get("amount")), currency),
            currency=currency,
            reference=reference or None,
            order_ids=_order_ids(metadata.get("order_id"), obj.get("id")),
            payer_name=metadata.get("customer_name") or (obj.get("shipping") or {}).get("name"),
            payer_account=str(obj["customer"]) if obj.get("customer") else None,
            # The event is made when the intent succeeds (a retry carries the same `created`); the intent's
            # own `created` is when checkout began, the best we have if the event has none.
            paid_at=instant(event.get("created")) or instant(obj.get("created")),
        )
    if event_type == "charge.refunded":
        currency = _currency(obj.get("currency"))
        return GatewayNotice(
            provider="stripe",
            provider_id=event_id,
            event_type=event_type,
            kind="refund",
            payment_id=str(obj.get("payment_intent") or obj.get("id") or ""),
            currency=currency,
            refunded=from_stripe_minor(obj.get("amount_refunded"), currency),
            refund_cumulative=True,  # amount_refunded is the charge's total refunded so far
            paid_at=instant(event.get("created")),
        )
    return GatewayNotice(provider="stripe", provider_id=event_id, event_type=event_type, kind="ignored")


# --- Alipay -----------------------------------------------------------------------------------


def alipay_signing_string(params: dict[str, str]) -> str:
    """The string Alipay signs: parameters sorted by key, without sign and sign_type, k=v joined by &."""
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in ("sign", "sign_type") and params[k] != "")


def _public_key(pem: str) -> rsa.RSAPublicKey:
    text = pem.strip()
    if "BEGIN" not in text:  # Alipay hands out the bare base64 of the key
        text = "-----BEGIN PUBLIC KEY-----\n" + text + "\n-----END PUBLIC KEY-----"
    key = serialization.load_pem_public_key(text.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def _rsa_verify(public_key_pem: str, signature_b64: str, message: bytes) -> None:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (ValueError, TypeError):
        raise SignatureRejected("the signature is not base64", detail_zh="签名不是 base64 编码") from None
    try:
        _public_key(public_key_pem).verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise SignatureRejected("the signature does not verify", detail_zh="签名验证未通过") from None


def parse_form(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("gb18030", errors="replace")
    return dict(parse_qsl(text, keep_blank_values=True))


def verify_alipay(
    params: dict[str, str], *, public_key: str, app_id: str | None = None, seller_id: str | None = None
) -> None:
    """Verify an Alipay notification's RSA2 signature and that it is for our app and seller."""
    if params.get("sign_type", "RSA2") != "RSA2":
        raise SignatureRejected("only RSA2 signatures are accepted", detail_zh="只接受 RSA2 签名")
    if not params.get("sign"):
        raise SignatureRejected("the notification has no sign", detail_zh="通知中没有 sign 签名")
    _rsa_verify(public_key, params["sign"], alipay_signing_string(params).encode())
    if app_id and params.get("app_id") != app_id:
        raise SignatureRejected("app_id is not ours", detail_zh="app_id 与本方配置的应用不符", code="account_mismatch")
    if seller_id and params.get("seller_id") != seller_id:
        raise SignatureRejected(
            "seller_id is not ours", detail_zh="seller_id 与本方配置的卖家不符", code="account_mismatch"
        )


def read_alipay(params: dict[str, str]) -> GatewayNotice:
    trade_no = params.get("trade_no") or ""
    notify_id = params.get("notify_id") or ""
    status = params.get("trade_status") or ""
    if not trade_no or not notify_id:
        raise NoticeMalformed("trade_no or notify_id is missing", detail_zh="缺少 trade_no 或 notify_id")
    if params.get("refund_fee"):
        # A (partial) refund arrives as TRADE_SUCCESS or TRADE_CLOSED carrying refund_fee: not a new payment.
        return GatewayNotice(
            provider="alipay",
            provider_id=notify_id,
            event_type=f"{status}:refund",
            kind="refund",
            payment_id=trade_no,
            currency="CNY",
            refunded=_decimal(params["refund_fee"], "refund_fee", "CNY"),
            refund_cumulative=True,  # refund_fee is the trade's total refunded so far
            paid_at=instant(params.get("gmt_refund"), naive_zone=_BEIJING),
        )
    if status not in ("TRADE_SUCCESS", "TRADE_FINISHED"):
        return GatewayNotice(provider="alipay", provider_id=notify_id, event_type=status, kind="ignored")
    amount = _decimal(params.get("receipt_amount") or params.get("total_amount"), "total_amount", "CNY")
    if amount <= 0:
        raise NoticeMalformed("the amount is not positive", detail_zh="金额不是正数")
    return GatewayNotice(
        provider="alipay",
        provider_id=notify_id,
        event_type=status,
        kind="payment",
        payment_id=trade_no,
        amount=amount,
        currency="CNY",
        reference=" ".join(p for p in (params.get("out_trade_no"), params.get("subject"), params.get("body")) if p)
        or None,
        order_ids=_order_ids(params.get("out_trade_no")),
        payer_name=params.get("buyer_logon_id"),
        payer_account=params.get("buyer_id") or params.get("buyer_logon_id"),
        paid_at=instant(params.get("gmt_payment"), naive_zone=_BEIJING),
    )


# --- WeChat Pay API v3 ----------------------------------------------------------------------------

SIGNTEST_PREFIX = "WECHATPAY/SIGNTEST/"


def verify_wechatpay(
    body: bytes,
    headers: dict[str, str],
    *,
    public_key: str,
    serial: str | None,
    now: int,
    tolerance: int = 300,
) -> None:
    """Verify the Wechatpay-Signature of an API v3 notification."""
    signature = headers.get("wechatpay-signature") or ""
    if not signature:
        raise SignatureRejected("Wechatpay-Signature is missing", detail_zh="缺少 Wechatpay-Signature 签名头")
    if signature.startswith(SIGNTEST_PREFIX):
        raise SignatureRejected(
            "a WECHATPAY/SIGNTEST/ probe signature never verifies", detail_zh="WECHATPAY/SIGNTEST/ 探测签名一律不予通过"
        )
    if serial and headers.get("wechatpay-serial") != serial:
        raise SignatureRejected(
            "Wechatpay-Serial is not the configured key's",
            detail_zh="Wechatpay-Serial 与所配置的平台证书序列号不符",
            code="unknown_key",
        )
    stamp = _timestamp(headers.get("wechatpay-timestamp"), now, tolerance)
    nonce = headers.get("wechatpay-nonce") or ""
    if not nonce:
        raise SignatureRejected("Wechatpay-Nonce is missing", detail_zh="缺少 Wechatpay-Nonce")
    _rsa_verify(public_key, signature, f"{stamp}\n{nonce}\n".encode() + body + b"\n")


def decrypt_wechatpay_resource(resource: dict[str, Any], apiv3_key: str) -> dict[str, Any]:
    """Decrypt an AEAD_AES_256_GCM resource with the APIv3 key."""
    if resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise NoticeMalformed(
            "the resource is not AEAD_AES_256_GCM", detail_zh="resource 的加密算法不是 AEAD_AES_256_GCM"
        )
    try:
        plain = AESGCM(apiv3_key.encode()).decrypt(
            str(resource["nonce"]).encode(),
            base64.b64decode(resource["ciphertext"]),
            str(resource.get("associated_data") or "").encode(),
        )
    except (KeyError, ValueError, InvalidTag):
        raise NoticeMalformed(
            "the resource does not decrypt with the APIv3 key", detail_zh="resource 无法用 APIv3 密钥解密"
        ) from None
    return _json(plain)


def read_wechatpay(body: bytes, *, apiv3_key: str, mchid: str | None = None) -> GatewayNotice:
    envelope = _json(body)
    notice_id, event_type = str(envelope.get("id") or ""), str(envelope.get("event_type") or "")
    if not notice_id:
        raise NoticeMalformed("the notification has no id", detail_zh="通知没有 id")
    if event_type not in ("TRANSACTION.SUCCESS", "REFUND.SUCCESS"):
        return GatewayNotice(provider="wechat_pay", provider_id=notice_id, event_type=event_type, kind="ignored")
    resource = envelope.get("resource")
    if not isinstance(resource, dict):
        raise NoticeMalformed("the notification has no resource", detail_zh="通知没有 resource")
    data = decrypt_wechatpay_resource(resource, apiv3_key)
    if mchid and data.get("mchid") not in (None, mchid):
        raise SignatureRejected("mchid is not ours", detail_zh="mchid 与本方商户号不符", code="account_mismatch")
    amount = data.get("amount") or {}
    currency = _currency(amount.get("currency") or "CNY")
    if event_type == "REFUND.SUCCESS":
        return GatewayNotice(
            provider="wechat_pay",
            provider_id=notice_id,
            event_type=event_type,
            kind="refund",
            payment_id=str(data.get("transaction_id") or ""),
            currency=currency,
            refunded=from_minor(amount.get("refund"), currency, name="amount.refund"),
            paid_at=instant(data.get("success_time")),
        )
    if data.get("trade_state") not in (None, "SUCCESS"):
        return GatewayNotice(provider="wechat_pay", provider_id=notice_id, event_type=event_type, kind="ignored")
    return _wechatpay_payment(data, notice_id, event_type, currency)


def _wechatpay_payment(data: dict[str, Any], notice_id: str, event_type: str, currency: str) -> GatewayNotice:
    amount = data.get("amount") or {}
    return GatewayNotice(
        provider="wechat_pay",
        provider_id=notice_id,
        event_type=event_type,
        kind="payment",
        payment_id=str(data.get("transaction_id") or ""),
        amount=from_minor(amount.get("payer_total", amount.get("total")), currency, name="amount.total"),
        currency=currency,
        reference=" ".join(str(p) for p in (data.get("out_trade_no"), data.get("attach")) if p) or None,
        order_ids=_order_ids(data.get("out_trade_no")),
        payer_account=(data.get("payer") or {}).get("openid"),
        paid_at=instant(data.get("success_time")),
    )


# --- Standard Webhooks (generic) ------------------------------------------------------------------


def standard_secret(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def verify_standard(body: bytes, headers: dict[str, str], *, secret: str, now: int, tolerance: int = 300) -> str:
    """Verify a Standard Webhooks signature; returns the message id."""
    message_id = headers.get("webhook-id") or ""
    if not message_id:
        raise SignatureRejected("webhook-id is missing", detail_zh="缺少 webhook-id")
    stamp = _timestamp(headers.get("webhook-timestamp"), now, tolerance)
    signed = f"{message_id}.{stamp}.".encode() + body
    expected = base64.b64encode(hmac.new(standard_secret(secret), signed, hashlib.sha256).digest()).decode()
    for candidate in (headers.get("webhook-signature") or "").split():
        version, _, value = candidate.partition(",")
        if version == "v1" and _same_signature(expected, value):
            return message_id
    raise SignatureRejected("no v1 signature matches", detail_zh="没有相符的 v1 签名")


def read_standard(body: bytes, message_id: str) -> GatewayNotice:
    """Our documented generic payload: {type: payment.succeeded|payment.refunded, data: {...}}."""
    event = _json(body)
    event_type = str(event.get("type") or "")
    data = event.get("data") or {}
    if not isinstance(data, dict):
        raise NoticeMalformed("data is not an object", detail_zh="data 不是对象")
    if event_type == "payment.succeeded":
        amount = _decimal(data.get("amount"), "amount", _currency(data.get("currency")))
        if amount <= 0:
            raise NoticeMalformed("the amount is not positive", detail_zh="金额不是正数")
        return GatewayNotice(
            provider="webhook",
            provider_id=message_id,
            event_type=event_type,
            kind="payment",
            payment_id=str(data.get("id") or message_id),
            amount=amount,
            currency=_currency(data.get("currency")),
            reference=data.get("reference"),
            order_ids=_order_ids(data.get("order_id")),
            payer_name=data.get("payer_name"),
            payer_account=data.get("payer_account"),
            # Our payload's `data.paid_at`, else the Standard Webhooks payload's own `timestamp` (the event's).
            paid_at=instant(data.get("paid_at")) or instant(event.get("timestamp")),
        )
    if event_type == "payment.refunded":
        return GatewayNotice(
            provider="webhook",
            provider_id=message_id,
            event_type=event_type,
            kind="refund",
            payment_id=str(data.get("id") or ""),
            currency=_currency(data.get("currency")),
            refunded=_decimal(data.get("amount"), "amount", _currency(data.get("currency"))),
            paid_at=instant(data.get("refunded_at")) or instant(event.get("timestamp")),
        )
    return GatewayNotice(provider="webhook", provider_id=message_id, event_type=event_type, kind="ignored")
