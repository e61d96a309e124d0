"""A fake Alipay open platform (openapi.alipay.com/gateway.do) for 当面付 and 电脑网站支付.

- `POST /gateway.do` (form or query): `alipay.trade.precreate`, `alipay.trade.query`, `alipay.trade.close`.
  The merchant's RSA2 signature (its app private key; sorted params without `sign`, `k=v&…`) is checked with
  the app public key it was given; the answer is `{"<method>_response": {...}, "sign": "..."}`, the inner JSON
  signed exactly as sent with the Alipay platform key.
- `GET /gateway.do?<signed alipay.trade.page.pay>`: the cashier page a browser is sent to; its form pays.
- Knobs: `pay(out_trade_no, notify=..., times=..., delay=...)`, `notify(out_trade_no)` (again, or late),
  `expire(out_trade_no)`.
The asynchronous notification is form-encoded, signed over its sorted params without `sign` and `sign_type`.
"""

from __future__ import annotations

import html
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from arflow.testing.gateways.keys import RsaKeyPair, verify
from arflow.testing.gateways.server import Callback, FakeGateway

BEIJING = ZoneInfo("Asia/Shanghai")


def signing_string(params: dict[str, str], *, without: tuple[str, ...] = ("sign",)) -> str:
    """Sorted `k=v` pairs joined by `&`, without the signature (and, for a notification, its type) or empties."""
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in without and params[k] != "")


@dataclass
class Trade:
    out_trade_no: str
    total_amount: str
    subject: str
    notify_url: str | None
    return_url: str | None
    method: str
    trade_no: str
    status: str = "WAIT_BUYER_PAY"
    notify_id: str = ""
    gmt_create: str = ""
    gmt_payment: str = ""


class FakeAlipay(FakeGateway):
    def __init__(self, *, app_id: str = "2021000000000001", seller_id: str = "2088000000000001") -> None:
        super().__init__()
        self.app_id, self.seller_id = app_id, seller_id
        self.platform_key = RsaKeyPair.generate()  # "Alipay's": the platform verifies with its public half
        self.app_key = RsaKeyPair.generate()  # the merchant's: the platform signs with its private half
        self.trades: dict[str, Trade] = {}
        self.buyer_id, self.buyer_logon_id = "2088102177846880", "buy***@example.com"

    # -- what the platform is configured with -------------------------------------------------------

    @property
    def gateway_url(self) -> str:
        return f"{self.base_url}/gateway.do"

    # -- the API ------------------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/gateway.do", self._gateway, methods=["GET", "POST"]),
                Route("/cashier/{out_trade_no}", self._cashier_pay, methods=["POST"]),
            ]
        )

    def _now(self) -> str:
        return datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S")

    def signed_response(self, method: str, body: dict[str, Any], *, tamper: bool = False) -> Response:
        inner = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        sign = self.platform_key.sign(inner.encode())
        if tamper:  # what a man in the middle would send: the signature of another answer
            inner = inner.replace('"10000"', '"10000" ', 1)
        key = method.replace(".", "_") + "_response"
        text = f'{{"{key}":{inner},"sign":"{sign}"}}'
        return Response(text, media_type="text/html;charset=utf-8")  # (Alipay answers JSON as text/html)

    def _error(self, method: str, code: str, msg: str, sub_code: str, sub_msg: str) -> Response:
        return self.signed_response(method, {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg})

    async def _params(self, request: Request) -> dict[str, str]:
        params = dict(request.query_params)
        if request.method == "POST":
            params.update(dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True)))
        return params

    async def _gateway(self, request: Request) -> Response:
        params = await self._params(request)
        method = params.get("method", "")
        self.record(request.method, method)
        if params.get("app_id") != self.app_id:
            return self._error(method, "40002", "Invalid Arguments", "isv.invalid-app-id", "无效的AppID参数")
        if params.get("sign_type") != "RSA2" or not verify(
            self.app_key.public_pem, params.get("sign", ""), signing_string(params).encode()
        ):
            return self._error(method, "40002", "Invalid Arguments", "isv.invalid-signature", "验签出错")
        try:
            biz = json.loads(params.get("biz_content") or "{}")
        except ValueError:
            return self._error(method, "40002", "Invalid Arguments", "isv.invalid-parameter", "biz_content 无效")
        if method == "alipay.trade.page.pay" and request.method == "GET":
            return self._page_pay(params, biz)
        handler = {
            "alipay.trade.precreate": self._precreate,
            "alipay.trade.query": self._query,
            "alipay.trade.close": self._close,
        }.get(method)
        if handler is None:
            return self._error(method, "40004", "Business Failed", "isv.invalid-method", "不存在的方法名")
        return handler(params, biz)

    def _open_trade(self, params: dict[str, str], biz: dict[str, Any], method: str) -> Trade | Response:
        out_trade_no, amount = str(biz.get("out_trade_no") or ""), str(biz.get("total_amount") or "")
        if not out_trade_no or not amount or not biz.get("subject"):
            return self._error(method, "40002", "Invalid Arguments", "isv.missing-parameter", "缺少必选参数")
        if Decimal(amount) != Decimal(amount).quantize(Decimal("0.01")) or Decimal(amount) < Decimal("0.01"):
            return self._error(method, "40004", "Business Failed", "ACQ.TOTAL_FEE_EXCEED", "订单金额不合法")
        trade = self.trades.get(out_trade_no)
        if trade is not None:
            if trade.status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
                return self._error(method, "40004", "Business Failed", "ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
            if trade.status == "TRADE_CLOSED":
                return self._error(method, "40004", "Business Failed", "ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
            if trade.total_amount != amount:
                return self._error(method, "40004", "Business Failed", "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
            return trade
        trade = Trade(
            out_trade_no=out_trade_no,
            total_amount=amount,
            subject=str(biz["subject"]),
            notify_url=params.get("notify_url"),
            return_url=params.get("return_url"),
            method=method,
            trade_no=datetime.now(BEIJING).strftime("%Y%m%d") + "22001" + secrets.token_hex(6),
            gmt_create=self._now(),
        )
        self.trades[out_trade_no] = trade
        return trade

    def _precreate(self, params: dict[str, str], biz: dict[str, Any]) -> Response:
        trade = self._open_trade(params, biz, "alipay.trade.precreate")
        if not isinstance(trade, Trade):
            return trade
        qr = f"https://qr.alipay.com/bax0{trade.trade_no[-10:]}"
        return self.signed_response(
            "alipay.trade.precreate",
            {"code": "10000", "msg": "Success", "out_trade_no": trade.out_trade_no, "qr_code": qr},
        )

    def _page_pay(self, params: dict[str, str], biz: dict[str, Any]) -> Response:
        trade = self._open_trade(params, biz, "alipay.trade.page.pay")
        if not isinstance(trade, Trade):
            return trade
        page = (
            '<!DOCTYPE html><html lang="zh-CN"><meta charset="utf-8"><title>支付宝 - 网上支付 安全快速！</title>'
            f"<h1>支付宝收银台</h1><p id='subject'>{html.escape(trade.subject)}</p>"
            f"<p id='amount'>{html.escape(trade.total_amount)} 元</p>"
            f"<form method='post' action='/cashier/{html.escape(trade.out_trade_no)}'>"
            "<button id='confirm'>确认付款</button></form></html>"
        )
        return HTMLResponse(page)

    async def _cashier_pay(self, request: Request) -> Response:
        trade = self.trades.get(request.path_params["out_trade_no"])
        if trade is None or trade.status != "WAIT_BUYER_PAY":
            return HTMLResponse("<p>交易不存在或已关闭</p>", status_code=400)
        self.pay(trade.out_trade_no)
        if trade.return_url:
            back = {"out_trade_no": trade.out_trade_no, "trade_no": trade.trade_no, "total_amount": trade.total_amount}
            return RedirectResponse(f"{trade.return_url}?{urlencode(back)}", status_code=302)
        return HTMLResponse("<p>付款成功</p>")

    def _query(self, params: dict[str, str], biz: dict[str, Any]) -> Response:
        trade = self.trades.get(str(biz.get("out_trade_no") or ""))
        if trade is None:
            return self._error("alipay.trade.query", "40004", "Business Failed", "ACQ.TRADE_NOT_EXIST", "交易不存在")
        body: dict[str, Any] = {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "trade_status": trade.status,
            "total_amount": trade.total_amount,
        }
        if trade.status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
            body |= {
                "buyer_logon_id": self.buyer_logon_id,
                "buyer_user_id": self.buyer_id,
                "buyer_pay_amount": trade.total_amount,
                "receipt_amount": trade.total_amount,
                "send_pay_date": trade.gmt_payment,
            }
        return self.signed_response("alipay.trade.query", body, tamper=self.tamper_answers)

    tamper_answers = False  # knob: answer queries with a signature that does not verify

    def _close(self, params: dict[str, str], biz: dict[str, Any]) -> Response:
        trade = self.trades.get(str(biz.get("out_trade_no") or ""))
        if trade is None:
            return self._error("alipay.trade.close", "40004", "Business Failed", "ACQ.TRADE_NOT_EXIST", "交易不存在")
        if trade.status != "WAIT_BUYER_PAY":
            return self._error(
                "alipay.trade.close", "40004", "Business Failed", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法"
            )
        trade.status = "TRADE_CLOSED"
        return self.signed_response(
            "alipay.trade.close",
            {"code": "10000", "msg": "Success", "trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no},
        )

    # -- knobs --------------------------------------------------------------------------------------

    def pay(self, out_trade_no: str, *, notify: bool = True, times: int = 1, delay: float = 0.0) -> Trade:
        """The buyer pays: the trade succeeds, and (unless `notify=False`: a lost callback) Alipay notifies."""
        trade = self.trades[out_trade_no]
        if trade.status != "WAIT_BUYER_PAY":
            raise AssertionError(f"trade {out_trade_no} is {trade.status}")
        trade.status, trade.gmt_payment, trade.notify_id = "TRADE_SUCCESS", self._now(), secrets.token_hex(16)
        if notify:
            self.notify(out_trade_no, times=times, delay=delay)
        return trade

    def notification(self, out_trade_no: str, *, tamper: bool = False) -> dict[str, str]:
        trade = self.trades[out_trade_no]
        params = {
            "notify_time": self._now(),
            "notify_type": "trade_status_sync",
            "notify_id": trade.notify_id,
            "app_id": self.app_id,
            "charset": "utf-8",
            "version": "1.0",
            "sign_type": "RSA2",
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "buyer_id": self.buyer_id,
            "buyer_logon_id": self.buyer_logon_id,
            "seller_id": self.seller_id,
            "trade_status": trade.status,
            "total_amount": trade.total_amount,
            "receipt_amount": trade.total_amount,
            "buyer_pay_amount": trade.total_amount,
            "subject": trade.subject,
            "gmt_create": trade.gmt_create,
            "gmt_payment": trade.gmt_payment,
        }
        params["sign"] = self.platform_key.sign(signing_string(params, without=("sign", "sign_type")).encode())
        if tamper:
            params["total_amount"] = params["receipt_amount"] = str(Decimal(trade.total_amount) * 10)
        return params

    def notify(self, out_trade_no: str, *, times: int = 1, delay: float = 0.0, tamper: bool = False) -> Callback:
        """Send the trade's asynchronous notification (again: Alipay retries with the same notify_id)."""
        trade = self.trades[out_trade_no]
        assert trade.notify_url, f"trade {out_trade_no} was made without a notify_url"
        callback = Callback(
            url=trade.notify_url,
            body=urlencode(self.notification(out_trade_no, tamper=tamper)).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        self.deliver(callback, times=times, delay=delay)
        return callback

    def expire(self, out_trade_no: str) -> None:
        """The order times out unpaid at Alipay (timeout_express)."""
        self.trades[out_trade_no].status = "TRADE_CLOSED"
