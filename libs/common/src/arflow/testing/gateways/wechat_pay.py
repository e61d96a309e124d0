"""A fake WeChat Pay API v3 (api.mch.weixin.qq.com) for Native payments.

- `POST /v3/pay/transactions/native` → `{"code_url": "weixin://wxpay/bizpayurl?pr=…"}`;
  `GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=…` → the transaction;
  `POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close` → 204.
- Every request must carry the merchant's `Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,
  signature=…,timestamp=…,serial_no=…` (RSA-SHA256 over `METHOD\\nURL\\ntimestamp\\nnonce\\nbody\\n` with the
  merchant key of that serial); every answer is signed with the platform key (`Wechatpay-Signature` over
  `timestamp\\nnonce\\nbody\\n`, `Wechatpay-Serial`).
- Notifications: `TRANSACTION.SUCCESS`, the transaction AES-256-GCM encrypted with the APIv3 key, signed
  like an answer. Knobs: `pay`, `notify`, `expire`.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from arflow.testing.gateways.keys import RsaKeyPair, verify
from arflow.testing.gateways.server import Callback, FakeGateway

CHINA = timezone(timedelta(hours=8))
_AUTH = re.compile(r'(\w+)="([^"]*)"')


@dataclass
class Transaction:
    out_trade_no: str
    appid: str
    description: str
    total: int
    currency: str
    notify_url: str
    attach: str | None
    transaction_id: str
    trade_state: str = "NOTPAY"
    success_time: str | None = None
    notice_id: str = ""


class FakeWeChatPay(FakeGateway):
    def __init__(self, *, mchid: str = "1900000109", appid: str = "wxd678efh567hg6787") -> None:
        super().__init__()
        self.mchid, self.appid = mchid, appid
        self.platform_key = RsaKeyPair.generate()
        self.platform_serial = "PUB_KEY_ID_0119000001092026120300000000000001"
        self.merchant_key = RsaKeyPair.generate()
        self.merchant_serial = secrets.token_hex(20).upper()
        self.apiv3_key = secrets.token_hex(16)  # 32 characters, as the merchant platform makes them
        self.transactions: dict[str, Transaction] = {}
        self.openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
        self.tamper_answers = False  # knob: answers whose signature does not verify

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v3/pay/transactions/native", self._native, methods=["POST"]),
                Route("/v3/pay/transactions/out-trade-no/{out_trade_no}", self._query, methods=["GET"]),
                Route("/v3/pay/transactions/out-trade-no/{out_trade_no}/close", self._close, methods=["POST"]),
            ]
        )

    # -- signatures -----------------------------------------------------------------------------------

    def signed(self, status: int, body: dict[str, Any] | None = None) -> Response:
        text = "" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        headers = self.signature_headers(text.encode())
        if self.tamper_answers and text:
            text = text.replace("}", " }", 1)
        return Response(text, status_code=status, media_type="application/json" if text else None, headers=headers)

    def signature_headers(self, body: bytes) -> dict[str, str]:
        stamp, nonce = str(int(time.time())), secrets.token_hex(16).upper()
        return {
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": self.platform_key.sign(f"{stamp}\n{nonce}\n".encode() + body + b"\n"),
            "Wechatpay-Serial": self.platform_serial,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
            "Request-ID": secrets.token_hex(16),
        }

    async def _authorized(self, request: Request) -> tuple[bytes, Response | None]:
        body = await request.body()
        self.record(request.method, request.url.path)
        header = request.headers.get("authorization", "")
        scheme, _, rest = header.partition(" ")
        fields = dict(_AUTH.findall(rest))
        url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        message = f"{request.method}\n{url}\n{fields.get('timestamp', '')}\n{fields.get('nonce_str', '')}\n".encode()
        if (
            scheme != "WECHATPAY2-SHA256-RSA2048"
            or fields.get("mchid") != self.mchid
            or fields.get("serial_no") != self.merchant_serial
            or not fields.get("timestamp", "").isdigit()
            or abs(int(fields["timestamp"]) - time.time()) > 300
            or not verify(self.merchant_key.public_pem, fields.get("signature", ""), message + body + b"\n")
        ):
            return body, self.signed(401, {"code": "SIGN_ERROR", "message": "签名错误"})
        return body, None

    # -- the API --------------------------------------------------------------------------------------

    async def _native(self, request: Request) -> Response:
        body, refused = await self._authorized(request)
        if refused:
            return refused
        try:
            order = json.loads(body)
            total, currency = int(order["amount"]["total"]), order["amount"].get("currency", "CNY")
            out_trade_no, notify_url = str(order["out_trade_no"]), str(order["notify_url"])
            description, appid = str(order["description"]), str(order["appid"])
        except (ValueError, KeyError, TypeError):
            return self.signed(400, {"code": "PARAM_ERROR", "message": "参数错误"})
        if order.get("mchid") != self.mchid or appid != self.appid:
            return self.signed(400, {"code": "PARAM_ERROR", "message": "mchid 与 appid 不匹配"})
        if not re.fullmatch(r"[A-Za-z0-9_\-|*]{6,32}", out_trade_no) or total < 1:
            return self.signed(400, {"code": "PARAM_ERROR", "message": "out_trade_no 或 amount.total 无效"})
        existing = self.transactions.get(out_trade_no)
        if existing is not None:
            if existing.trade_state == "SUCCESS":
                return self.signed(400, {"code": "ORDERPAID", "message": "该订单已支付"})
            if existing.trade_state == "CLOSED":
                return self.signed(400, {"code": "ORDER_CLOSED", "message": "订单已关闭"})
            if existing.total != total:
                return self.signed(400, {"code": "INVALID_REQUEST", "message": "201 商户订单号重复"})
        else:
            self.transactions[out_trade_no] = Transaction(
                out_trade_no=out_trade_no,
                appid=appid,
                description=description,
                total=total,
                currency=currency,
                notify_url=notify_url,
                attach=order.get("attach"),
                transaction_id="4200" + secrets.token_hex(14)[:24],
            )
        code = base64.urlsafe_b64encode(out_trade_no.encode()).decode().rstrip("=")
        return self.signed(200, {"code_url": f"weixin://wxpay/bizpayurl?pr={code[:7]}{secrets.token_hex(2)}"})

    def transaction_json(self, tx: Transaction) -> dict[str, Any]:
        data: dict[str, Any] = {
            "appid": tx.appid,
            "mchid": self.mchid,
            "out_trade_no": tx.out_trade_no,
            "transaction_id": tx.transaction_id,
            "trade_type": "NATIVE",
            "trade_state": tx.trade_state,
            "trade_state_desc": {"SUCCESS": "支付成功", "NOTPAY": "未支付", "CLOSED": "已关闭"}[tx.trade_state],
            "amount": {"total": tx.total, "currency": tx.currency},
        }
        if tx.attach:
            data["attach"] = tx.attach
        if tx.trade_state == "SUCCESS":
            data |= {
                "bank_type": "OTHERS",
                "success_time": tx.success_time,
                "payer": {"openid": self.openid},
                "amount": {
                    "total": tx.total,
                    "payer_total": tx.total,
                    "currency": tx.currency,
                    "payer_currency": "CNY",
                },
            }
        return data

    async def _query(self, request: Request) -> Response:
        _, refused = await self._authorized(request)
        if refused:
            return refused
        tx = self.transactions.get(request.path_params["out_trade_no"])
        if tx is None or request.query_params.get("mchid") != self.mchid:
            return self.signed(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
        return self.signed(200, self.transaction_json(tx))

    async def _close(self, request: Request) -> Response:
        _, refused = await self._authorized(request)
        if refused:
            return refused
        tx = self.transactions.get(request.path_params["out_trade_no"])
        if tx is None:
            return self.signed(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
        if tx.trade_state == "SUCCESS":
            return self.signed(400, {"code": "ORDERPAID", "message": "订单已支付，不能关闭"})
        tx.trade_state = "CLOSED"
        return self.signed(204)

    # -- knobs ----------------------------------------------------------------------------------------

    def pay(self, out_trade_no: str, *, notify: bool = True, times: int = 1, delay: float = 0.0) -> Transaction:
        """The payer scans the code and pays; WeChat Pay notifies unless `notify=False` (a lost callback)."""
        tx = self.transactions[out_trade_no]
        if tx.trade_state != "NOTPAY":
            raise AssertionError(f"transaction {out_trade_no} is {tx.trade_state}")
        tx.trade_state = "SUCCESS"
        tx.success_time = datetime.now(CHINA).replace(microsecond=0).isoformat()
        tx.notice_id = secrets.token_hex(18)
        if notify:
            self.notify(out_trade_no, times=times, delay=delay)
        return tx

    def notification(self, out_trade_no: str, *, tamper: bool = False) -> tuple[bytes, dict[str, str]]:
        tx = self.transactions[out_trade_no]
        nonce = secrets.token_hex(6)  # 12 characters
        plain = json.dumps(self.transaction_json(tx), ensure_ascii=False).encode()
        ciphertext = AESGCM(self.apiv3_key.encode()).encrypt(nonce.encode(), plain, b"transaction")
        envelope = {
            "id": tx.notice_id,
            "create_time": datetime.now(CHINA).replace(microsecond=0).isoformat(),
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": {
                "original_type": "transaction",
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(ciphertext).decode(),
                "associated_data": "transaction",
                "nonce": nonce,
            },
        }
        body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {**self.signature_headers(body), "Content-Type": "application/json"}
        if tamper:
            body = body.replace(b'"summary":"', b'"summary":"!', 1)
        return body, headers

    def notify(self, out_trade_no: str, *, times: int = 1, delay: float = 0.0, tamper: bool = False) -> Callback:
        """Send the TRANSACTION.SUCCESS notification (again: WeChat Pay retries with the same id)."""
        body, headers = self.notification(out_trade_no, tamper=tamper)
        callback = Callback(url=self.transactions[out_trade_no].notify_url, body=body, headers=headers)
        self.deliver(callback, times=times, delay=delay)
        return callback

    def expire(self, out_trade_no: str) -> None:
        """The order passes its time_expire unpaid."""
        self.transactions[out_trade_no].trade_state = "CLOSED"
