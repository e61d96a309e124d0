"""A thin async client of Alipay's open platform: 当面付 (alipay.trade.precreate), 电脑网站支付 (alipay.trade.page.pay),
alipay.trade.query and alipay.trade.close; requests signed RSA2 with the app key, answers verified with Alipay's."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from reconciliation.checkout.orders import Answer, GatewayRefused, GatewayUnavailable, Opened, Order
from reconciliation.config import ReconciliationSettings
from reconciliation.gateways.answers import alipay_response, read_alipay_query
from reconciliation.gateways.providers import NoticeMalformed, SignatureRejected

BEIJING = ZoneInfo("Asia/Shanghai")


def _private_key(pem: str) -> rsa.RSAPrivateKey:
    text = pem.strip()
    if "BEGIN" not in text:  # Alipay's key tool hands out the bare base64
        text = "-----BEGIN PRIVATE KEY-----\n" + text + "\n-----END PRIVATE KEY-----"
    key = serialization.load_pem_private_key(text.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


class AlipayClient:
    def __init__(self, settings: ReconciliationSettings, http: httpx.AsyncClient) -> None:
        assert settings.alipay_app_id and settings.alipay_app_private_key and settings.alipay_public_key
        self.url, self.app_id = settings.alipay_gateway_url, settings.alipay_app_id
        self.key, self.public_key = _private_key(settings.alipay_app_private_key), settings.alipay_public_key
        self.http = http

    def signed_params(self, method: str, biz: dict[str, Any], **extra: str | None) -> dict[str, str]:
        """The common parameters, biz_content and a sign over all of them sorted (sign_type included)."""
        params = {
            "app_id": self.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": datetime.now(UTC).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
            **{k: v for k, v in extra.items() if v},
        }
        text = "&".join(f"{k}={params[k]}" for k in sorted(params) if params[k] != "")
        params["sign"] = base64.b64encode(self.key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
        return params

    async def _call(self, method: str, biz: dict[str, Any], **extra: str | None) -> tuple[dict[str, Any], str]:
        try:
            answer = await self.http.post(self.url, data=self.signed_params(method, biz, **extra))
        except httpx.HTTPError as exc:
            raise GatewayUnavailable(f"Alipay did not answer: {exc}.", detail_zh="支付宝无应答。") from None
        try:
            return alipay_response(answer.text, method, public_key=self.public_key), answer.text
        except (SignatureRejected, NoticeMalformed) as exc:
            raise GatewayUnavailable(
                f"Alipay's answer to {method} is not Alipay's: {exc.detail}.",
                detail_zh=f"支付宝对 {method} 的应答验签失败：{exc.detail_zh}。",
            ) from None

    @staticmethod
    def _biz(order: Order, **more: str) -> dict[str, Any]:
        minutes = max(1, int((order.expires_at - datetime.now(UTC)).total_seconds() // 60))
        return {
            "out_trade_no": order.order_id,
            "total_amount": f"{order.amount:.2f}",
            "subject": order.subject,
            "timeout_express": f"{minutes}m",
            **more,
        }

    async def precreate(self, order: Order) -> Opened:
        """当面付: a QR code the customer scans with Alipay."""
        data, _ = await self._call("alipay.trade.precreate", self._biz(order), notify_url=order.notify_url)
        if data.get("code") != "10000" or not data.get("qr_code"):
            raise GatewayRefused(
                f"Alipay refused the order: {data.get('sub_code')} {data.get('sub_msg')}.",
                detail_zh=f"支付宝拒绝了该订单：{data.get('sub_code')} {data.get('sub_msg')}。",
            )
        return Opened(pay_url=str(data["qr_code"]))

    def page_pay(self, order: Order) -> Opened:
        """电脑网站支付: the signed cashier URL the customer's browser is sent to (nothing is asked of Alipay yet)."""
        params = self.signed_params(
            "alipay.trade.page.pay",
            self._biz(order, product_code="FAST_INSTANT_TRADE_PAY"),
            notify_url=order.notify_url,
            return_url=order.return_url,
        )
        return Opened(pay_url=f"{self.url}?{urlencode(params)}")

    async def query(self, order_id: str) -> Answer:
        data, raw = await self._call("alipay.trade.query", {"out_trade_no": order_id})
        if data.get("code") != "10000":
            return Answer("open", raw=raw)  # ACQ.TRADE_NOT_EXIST: a page.pay the customer never opened
        if data.get("trade_status") == "TRADE_CLOSED":
            return Answer("closed", raw=raw)
        notice = read_alipay_query(data)
        return Answer("paid", notice, raw) if notice else Answer("open", raw=raw)

    async def close(self, order_id: str) -> bool:
        """Close the order; False when it cannot be closed because it was paid."""
        data, _ = await self._call("alipay.trade.close", {"out_trade_no": order_id})
        return data.get("code") == "10000" or data.get("sub_code") == "ACQ.TRADE_NOT_EXIST"
