"""A thin async client of WeChat Pay API v3 Native: orders (code_url), query by out_trade_no, close; requests
signed with the merchant key (WECHATPAY2-SHA256-RSA2048), answers verified with the platform key."""

from __future__ import annotations

import base64
import json
import secrets
import time
from datetime import timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from reconciliation.checkout.alipay import _private_key
from reconciliation.checkout.orders import Answer, GatewayRefused, GatewayUnavailable, Opened, Order
from reconciliation.config import ReconciliationSettings
from reconciliation.gateways.answers import read_wechatpay_query
from reconciliation.gateways.providers import NoticeMalformed, SignatureRejected, verify_wechatpay

CHINA = timezone(timedelta(hours=8))


class WeChatPayClient:
    def __init__(self, settings: ReconciliationSettings, http: httpx.AsyncClient) -> None:
        s = settings
        assert s.wechatpay_mchid and s.wechatpay_appid and s.wechatpay_merchant_private_key
        assert s.wechatpay_merchant_serial and s.wechatpay_public_key
        self.url, self.mchid, self.appid = s.wechatpay_api_url.rstrip("/"), s.wechatpay_mchid, s.wechatpay_appid
        self.key, self.serial = _private_key(s.wechatpay_merchant_private_key), s.wechatpay_merchant_serial
        self.public_key, self.platform_serial = s.wechatpay_public_key, s.wechatpay_serial
        self.tolerance = s.wechatpay_tolerance_seconds
        self.http = http

    def authorization(self, method: str, path: str, body: str) -> str:
        stamp, nonce = str(int(time.time())), secrets.token_hex(16)
        message = f"{method}\n{path}\n{stamp}\n{nonce}\n{body}\n".encode()
        signature = base64.b64encode(self.key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
        return (
            f'WECHATPAY2-SHA256-RSA2048 mchid="{self.mchid}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{stamp}",serial_no="{self.serial}"'
        )

    async def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> httpx.Response:
        body = "" if payload is None else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        headers = {"Authorization": self.authorization(method, path, body), "Accept": "application/json"}
        if body:
            headers["Content-Type"] = "application/json"
        try:
            answer = await self.http.request(method, self.url + path, content=body.encode(), headers=headers)
        except httpx.HTTPError as exc:
            raise GatewayUnavailable(f"WeChat Pay did not answer: {exc}.", detail_zh="微信支付无应答。") from None
        try:
            verify_wechatpay(
                answer.content,
                {k.lower(): v for k, v in answer.headers.items()},
                public_key=self.public_key,
                serial=self.platform_serial,
                now=int(time.time()),
                tolerance=self.tolerance,
            )
        except SignatureRejected as exc:
            raise GatewayUnavailable(
                f"WeChat Pay's answer to {method} {path} is not WeChat Pay's: {exc.detail}.",
                detail_zh=f"微信支付的应答验签失败：{exc.detail_zh}。",
            ) from None
        return answer

    async def native(self, order: Order) -> Opened:
        """Native: a code_url the customer scans with WeChat."""
        payload = {
            "appid": self.appid,
            "mchid": self.mchid,
            "description": order.subject[:127],
            "out_trade_no": order.order_id,
            "time_expire": order.expires_at.astimezone(CHINA).replace(microsecond=0).isoformat(),
            "notify_url": order.notify_url,
            "amount": {"total": int(order.amount * 100), "currency": "CNY"},
        }
        assert order.amount * 100 == Decimal(int(order.amount * 100))
        answer = await self._call("POST", "/v3/pay/transactions/native", payload)
        data = answer.json() if answer.content else {}
        if answer.status_code != 200 or not data.get("code_url"):
            raise GatewayRefused(
                f"WeChat Pay refused the order: {data.get('code')} {data.get('message')}.",
                detail_zh=f"微信支付拒绝了该订单：{data.get('code')} {data.get('message')}。",
            )
        return Opened(pay_url=str(data["code_url"]))

    async def query(self, order_id: str) -> Answer:
        answer = await self._call("GET", f"/v3/pay/transactions/out-trade-no/{order_id}?mchid={self.mchid}")
        if answer.status_code != 200:
            return Answer("open", raw=answer.text)
        data = answer.json()
        if data.get("trade_state") in ("CLOSED", "REVOKED", "PAYERROR"):
            return Answer("closed", raw=answer.text)
        try:
            notice = read_wechatpay_query(answer.content, mchid=self.mchid)
        except (SignatureRejected, NoticeMalformed) as exc:
            raise GatewayUnavailable(
                f"WeChat Pay's answer cannot be read: {exc}.", detail_zh="微信支付的应答无法读取。"
            ) from None
        return Answer("paid", notice, answer.text) if notice else Answer("open", raw=answer.text)

    async def close(self, order_id: str) -> bool:
        answer = await self._call("POST", f"/v3/pay/transactions/out-trade-no/{order_id}/close", {"mchid": self.mchid})
        return answer.status_code in (200, 204) or answer.status_code == 404
