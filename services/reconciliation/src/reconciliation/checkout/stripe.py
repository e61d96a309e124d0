"""A thin async client of Stripe Checkout: sessions made, retrieved (with the PaymentIntent) and expired, over
Stripe's API with the secret key (form-encoded, as Stripe's own libraries send)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from arflow.money import MINOR_UNITS
from reconciliation.checkout.orders import Answer, GatewayRefused, GatewayUnavailable, Opened, Order
from reconciliation.config import ReconciliationSettings
from reconciliation.gateways.answers import read_stripe_session
from reconciliation.gateways.providers import STRIPE_DECIMALS, NoticeMalformed


class StripeClient:
    def __init__(self, settings: ReconciliationSettings, http: httpx.AsyncClient) -> None:
        assert settings.stripe_secret_key
        self.url, self.http = settings.stripe_api_url.rstrip("/"), http
        self.headers = {"Authorization": f"Bearer {settings.stripe_secret_key}"}

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            answer = await self.http.request(method, self.url + path, headers=self.headers, **kwargs)
        except httpx.HTTPError as exc:
            raise GatewayUnavailable(f"Stripe did not answer: {exc}.", detail_zh="Stripe 无应答。") from None
        data: dict[str, Any] = answer.json()
        if answer.status_code >= 500 or answer.status_code in (401, 403):
            raise GatewayUnavailable(
                f"Stripe answered {answer.status_code}: {(data.get('error') or {}).get('message')}.",
                detail_zh=f"Stripe 返回 {answer.status_code}。",
            )
        if answer.status_code >= 400:
            raise GatewayRefused(
                f"Stripe refused: {(data.get('error') or {}).get('message')}.",
                detail_zh=f"Stripe 拒绝了请求：{(data.get('error') or {}).get('message')}。",
            )
        return data

    async def checkout(self, order: Order) -> Opened:
        decimals = STRIPE_DECIMALS.get(order.currency, MINOR_UNITS.get(order.currency, 2))
        unit_amount = int(order.amount.scaleb(decimals))
        success = order.return_url or "https://stripe.com"
        form = {
            "mode": "payment",
            "line_items[0][quantity]": "1",
            "line_items[0][price_data][currency]": order.currency.lower(),
            "line_items[0][price_data][unit_amount]": str(unit_amount),
            "line_items[0][price_data][product_data][name]": order.subject,
            "success_url": success,
            "cancel_url": success,
            "client_reference_id": order.order_id,
            "metadata[order_id]": order.order_id,
            # The PaymentIntent's metadata is what its payment_intent.succeeded callback carries.
            "payment_intent_data[metadata][order_id]": order.order_id,
            "payment_intent_data[description]": order.subject,
            "expires_at": str(int(order.expires_at.timestamp())),
        }
        data = await self._call("POST", "/v1/checkout/sessions", data=form)
        if not data.get("url") or not data.get("id"):
            raise GatewayRefused("Stripe made no session URL.", detail_zh="Stripe 未返回支付页面。")
        return Opened(pay_url=str(data["url"]), gateway_ref=str(data["id"]))

    async def query(self, session_id: str) -> Answer:
        data = await self._call("GET", f"/v1/checkout/sessions/{session_id}", params={"expand[]": "payment_intent"})
        if data.get("status") == "expired":
            return Answer("closed")
        try:
            notice = read_stripe_session(data)
        except NoticeMalformed as exc:
            raise GatewayUnavailable(
                f"Stripe's session cannot be read: {exc}.", detail_zh="Stripe 会话无法读取。"
            ) from None
        return Answer("paid", notice, json.dumps(data)) if notice else Answer("open")

    async def close(self, session_id: str) -> bool:
        try:
            await self._call("POST", f"/v1/checkout/sessions/{session_id}/expire")
        except GatewayRefused:
            return (await self.query(session_id)).state != "paid"
        return True
