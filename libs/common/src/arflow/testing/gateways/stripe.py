"""A fake Stripe API (api.stripe.com) for Checkout Sessions, and its webhooks.

- `POST /v1/checkout/sessions` (form-encoded, `Authorization: Bearer sk_test_…`) → a `checkout.session`;
  `GET /v1/checkout/sessions/{id}` (`expand[]=payment_intent`); `POST /v1/checkout/sessions/{id}/expire`.
- `GET /c/pay/{id}`: the hosted checkout page; its form pays, then redirects to `success_url`.
- Paid: `checkout.session.completed` and `payment_intent.succeeded` are sent to the webhook endpoint with
  `Stripe-Signature: t=…,v1=HMAC-SHA256(t.payload, whsec_…)`; retries carry the same event id.
- Knobs: `pay`, `notify`, `expire`.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from arflow.testing.gateways.server import Callback, FakeGateway


def nested_form(body: bytes) -> dict[str, Any]:
    """Stripe's form encoding (`a[b][0][c]=v`) back into objects; list indexes become dict keys '0', '1', …"""
    out: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def stripe_signature(payload: bytes, secret: str, stamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


@dataclass
class Session:
    id: str
    amount_total: int
    currency: str
    success_url: str
    cancel_url: str | None
    client_reference_id: str | None
    metadata: dict[str, str]
    intent_metadata: dict[str, str]
    description: str
    expires_at: int
    created: int
    status: str = "open"
    payment_status: str = "unpaid"
    payment_intent: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)


class FakeStripe(FakeGateway):
    def __init__(self) -> None:
        super().__init__()
        self.secret_key = "sk_test_" + secrets.token_hex(12)
        self.webhook_secret = "whsec_" + secrets.token_hex(16)
        self.webhook_url: str | None = None  # the endpoint registered in the dashboard
        self.sessions: dict[str, Session] = {}

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/checkout/sessions", self._create, methods=["POST"]),
                Route("/v1/checkout/sessions/{id}", self._retrieve, methods=["GET"]),
                Route("/v1/checkout/sessions/{id}/expire", self._expire, methods=["POST"]),
                Route("/c/pay/{id}", self._checkout_page, methods=["GET", "POST"]),
            ]
        )

    def _error(self, status: int, message: str, *, kind: str = "invalid_request_error", code: str = "") -> Response:
        return JSONResponse({"error": {"type": kind, "code": code or None, "message": message}}, status_code=status)

    def _refused(self, request: Request) -> Response | None:
        self.record(request.method, request.url.path)
        if request.headers.get("authorization") != f"Bearer {self.secret_key}":
            return self._error(401, "Invalid API Key provided.", code="api_key_invalid")
        return None

    def session_json(self, s: Session, *, expand_intent: bool = False) -> dict[str, Any]:
        intent: Any = s.payment_intent
        if expand_intent and s.payment_intent:
            intent = self.intent_json(s)
        return {
            "id": s.id,
            "object": "checkout.session",
            "amount_total": s.amount_total,
            "currency": s.currency,
            "client_reference_id": s.client_reference_id,
            "created": s.created,
            "expires_at": s.expires_at,
            "livemode": False,
            "metadata": s.metadata,
            "mode": "payment",
            "payment_intent": intent,
            "payment_status": s.payment_status,
            "status": s.status,
            "success_url": s.success_url,
            "cancel_url": s.cancel_url,
            "url": f"{self.base_url}/c/pay/{s.id}" if s.status == "open" else None,
        }

    def intent_json(self, s: Session) -> dict[str, Any]:
        return {
            "id": s.payment_intent,
            "object": "payment_intent",
            "amount": s.amount_total,
            "amount_received": s.amount_total if s.payment_status == "paid" else 0,
            "currency": s.currency,
            "created": s.created,
            "description": s.description,
            "metadata": s.intent_metadata,
            "status": "succeeded" if s.payment_status == "paid" else "requires_payment_method",
            "livemode": False,
        }

    async def _create(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        form = nested_form(await request.body())
        try:
            item = form["line_items"]["0"]
            price = item["price_data"]
            amount, currency = int(price["unit_amount"]) * int(item.get("quantity", "1")), price["currency"]
            name = price["product_data"]["name"]
            success_url = form["success_url"]
        except (KeyError, ValueError, TypeError) as exc:
            return self._error(400, f"Missing required param: {exc}.", code="parameter_missing")
        if form.get("mode") != "payment" or amount < 1:
            return self._error(400, "mode must be payment and the amount positive.", code="parameter_invalid")
        now = int(time.time())
        session = Session(
            id="cs_test_" + secrets.token_hex(24),
            amount_total=amount,
            currency=currency.lower(),
            success_url=success_url,
            cancel_url=form.get("cancel_url"),
            client_reference_id=form.get("client_reference_id"),
            metadata=dict(form.get("metadata") or {}),
            intent_metadata=dict((form.get("payment_intent_data") or {}).get("metadata") or {}),
            description=str((form.get("payment_intent_data") or {}).get("description") or name),
            expires_at=int(form.get("expires_at") or now + 24 * 3600),
            created=now,
        )
        self.sessions[session.id] = session
        return JSONResponse(self.session_json(session))

    async def _retrieve(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        session = self.sessions.get(request.path_params["id"])
        if session is None:
            return self._error(404, f"No such checkout.session: '{request.path_params['id']}'", code="resource_missing")
        expand = "payment_intent" in request.query_params.getlist("expand[]")
        return JSONResponse(self.session_json(session, expand_intent=expand))

    async def _expire(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        session = self.sessions.get(request.path_params["id"])
        if session is None:
            return self._error(404, "No such checkout.session", code="resource_missing")
        if session.status != "open":
            return self._error(400, f"Only open Checkout Sessions can be expired; this one is {session.status}.")
        session.status = "expired"
        return JSONResponse(self.session_json(session))

    async def _checkout_page(self, request: Request) -> Response:
        session = self.sessions.get(request.path_params["id"])
        if session is None or session.status != "open":
            return HTMLResponse("<p>This Checkout Session is no longer active.</p>", status_code=404)
        if request.method == "POST":
            self.pay(session.id)
            return RedirectResponse(session.success_url.replace("{CHECKOUT_SESSION_ID}", session.id), status_code=303)
        amount = f"{session.amount_total / 100:.2f} {session.currency.upper()}"
        return HTMLResponse(
            '<!DOCTYPE html><html lang="en"><meta charset="utf-8"><title>Checkout</title>'
            f"<p id='description'>{html.escape(session.description)}</p><p id='amount'>{amount}</p>"
            f"<form method='post' action='/c/pay/{session.id}'><button id='pay'>Pay</button></form></html>"
        )

    # -- knobs --------------------------------------------------------------------------------------

    def pay(self, session_id: str, *, notify: bool = True, times: int = 1, delay: float = 0.0) -> Session:
        """The card is charged: the session completes; Stripe sends its events unless `notify=False`."""
        s = self.sessions[session_id]
        if s.status != "open":
            raise AssertionError(f"session {session_id} is {s.status}")
        s.status, s.payment_status, s.payment_intent = "complete", "paid", "pi_" + secrets.token_hex(12)
        stamp = int(time.time())
        s.events = [
            {"id": "evt_" + secrets.token_hex(12), "type": kind, "object": obj}
            for kind, obj in (
                ("checkout.session.completed", self.session_json(s)),
                ("payment_intent.succeeded", self.intent_json(s)),
            )
        ]
        for event in s.events:
            event["created"] = stamp
        if notify:
            self.notify(session_id, times=times, delay=delay)
        return s

    def event_payload(self, event: dict[str, Any]) -> bytes:
        body = {
            "id": event["id"],
            "object": "event",
            "api_version": "2025-03-31.basil",
            "created": event["created"],
            "livemode": False,
            "type": event["type"],
            "data": {"object": event["object"]},
        }
        return json.dumps(body, separators=(",", ":")).encode()

    def notify(self, session_id: str, *, times: int = 1, delay: float = 0.0, tamper: bool = False) -> list[Callback]:
        """Send the session's events to the webhook endpoint (again: Stripe retries with the same event id)."""
        assert self.webhook_url, "no webhook endpoint is registered (set webhook_url)"
        sent = []
        for event in self.sessions[session_id].events:
            payload = self.event_payload(event)
            signature = stripe_signature(payload, self.webhook_secret, int(time.time()))
            if tamper:
                payload = payload.replace(b'"livemode":false', b'"livemode":true')
            callback = Callback(
                url=self.webhook_url,
                body=payload,
                headers={"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": signature},
            )
            self.deliver(callback, times=times, delay=delay)
            sent.append(callback)
        return sent

    def expire(self, session_id: str) -> None:
        """The session passes its expires_at unpaid."""
        self.sessions[session_id].status = "expired"
