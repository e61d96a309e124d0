"""Paying on the hosted page: the orders the page asks reconciliation to make at a gateway, over its API.

Reconciliation owns payment attempts and the gateways' callbacks; the page only asks for an order (or the open
one it already made) and shows what the customer pays with. The invoice is paid when the gateway's verified
callback (or reconciliation's query of a late one) books the payment, and invoicing hears of it by its events.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

import httpx
import structlog

from invoicing.config import InvoicingSettings

log = structlog.get_logger("invoicing")

METHODS = ("alipay_precreate", "alipay_page_pay", "wechat_native", "stripe_checkout")
PROVIDER = {
    "alipay_precreate": "alipay",
    "alipay_page_pay": "alipay",
    "wechat_native": "wechat_pay",
    "stripe_checkout": "stripe",
}
SCANNED = ("alipay_precreate", "wechat_native")  # shown as a QR code; the others send the customer to a page
TIMEOUT = httpx.Timeout(15.0)


@dataclass(frozen=True)
class CheckoutOrder:
    method: str
    pay_url: str
    amount: str
    currency: str
    expires_at: str | None


class CheckoutUnavailable(Exception):
    """Reconciliation or the gateway could not make the order (or this way is not offered)."""


def offered(settings: InvoicingSettings) -> list[str]:
    """The ways of paying online the page offers: none without a key for reconciliation."""
    if not settings.reconciliation_api_key:
        return []
    return [m for m in (p.strip() for p in settings.hosted_checkout.split(",")) if m in METHODS]


def _client(settings: InvoicingSettings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=settings.reconciliation_url,
        headers={"Authorization": f"Bearer {settings.reconciliation_api_key}"},
        timeout=TIMEOUT,
    )


def _order(body: dict[str, Any]) -> CheckoutOrder:
    return CheckoutOrder(
        method=body["checkout"],
        pay_url=body["pay_url"],
        amount=body["amount"],
        currency=body["currency"],
        expires_at=body.get("expires_at"),
    )


async def make_order(
    settings: InvoicingSettings, *, invoice_id: UUID, method: str, return_url: str, amount: Decimal | None = None
) -> CheckoutOrder:
    """Ask reconciliation for an order at the gateway for what the invoice owes, or for `amount` of it (a part
    payment the creditor allows; the page checked it): the open one of that amount if there is."""
    payload = {"provider": PROVIDER[method], "invoice_id": str(invoice_id), "checkout": method}
    if amount is not None:
        payload["amount"] = format(amount, "f")
    if method not in SCANNED:
        payload["return_url"] = return_url
    try:
        async with _client(settings) as client:
            answer = await client.post(
                "/payment-attempts", json=payload, headers={"Idempotency-Key": secrets.token_hex(16)}
            )
    except httpx.HTTPError as exc:
        log.warning("hosted.checkout_unreachable", method=method, error=str(exc))
        raise CheckoutUnavailable(str(exc)) from None
    if answer.status_code != 201 or not answer.json().get("pay_url"):
        log.warning("hosted.checkout_refused", method=method, status=answer.status_code, body=answer.text[:500])
        raise CheckoutUnavailable(answer.text[:200])
    return _order(answer.json())


async def open_order(settings: InvoicingSettings, *, invoice_id: UUID, method: str) -> CheckoutOrder | None:
    """The newest open order of this kind for the invoice, if reconciliation has one."""
    try:
        async with _client(settings) as client:
            answer = await client.get(
                "/payment-attempts", params={"invoice_id": str(invoice_id), "status": "open", "limit": 20}
            )
    except httpx.HTTPError as exc:
        raise CheckoutUnavailable(str(exc)) from None
    if answer.status_code != 200:
        raise CheckoutUnavailable(answer.text[:200])
    for body in answer.json()["data"]:
        if body.get("checkout") == method and body.get("pay_url"):
            return _order(body)
    return None


# ---- a part payment -----------------------------------------------------------------------------


class AmountRefused(ValueError):
    """The amount typed on the page cannot be ordered: `key` names the page's message, `values` fill it."""

    def __init__(self, key: str, **values: Decimal) -> None:
        super().__init__(key)
        self.key, self.values = key, values


TYPED = re.compile(r"[0-9]{1,15}(\.[0-9]+)?")


def part_allowed(minimum: Decimal | None, balance: Decimal) -> bool:
    """The page asks for an amount when the creditor allows part payments and more than the least one is owed."""
    return minimum is not None and balance > minimum


def part_amount(typed: str, *, minimum: Decimal, balance: Decimal, quantum: Decimal) -> Decimal:
    """The amount the customer typed, as a person writes it ("1,000", "¥500.5", full-width digits), checked:
    at least `minimum` (unless it is the whole balance), at most `balance`, to the cent (`quantum`)."""
    text = unicodedata.normalize("NFKC", typed).strip()
    text = text.removeprefix("¥").removeprefix("CNY").removesuffix("元").replace(",", "").replace(" ", "")
    if not TYPED.fullmatch(text):  # digits and a point: no sign, no exponent, no NaN
        raise AmountRefused("amount_invalid")
    try:
        value = Decimal(text)
    except InvalidOperation:  # (TYPED lets only decimals through; kept for safety)
        raise AmountRefused("amount_invalid") from None
    if value <= 0:
        raise AmountRefused("amount_invalid")
    if value != value.quantize(quantum):
        raise AmountRefused("amount_cents")
    if value > balance:
        raise AmountRefused("amount_above", balance=balance)
    if value < minimum and value != balance:
        raise AmountRefused("amount_below", minimum=minimum)
    return value.quantize(quantum)
