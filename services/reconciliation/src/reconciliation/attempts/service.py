"""Payment attempts' use cases: an order made for an invoice, closed, and paid by its gateway's callback."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import structlog
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock
from arflow.ids import uuid7
from arflow.money import minor_unit_exponent
from reconciliation import domain
from reconciliation.attempts import repository
from reconciliation.attempts.errors import (
    AttemptAmountInvalid,
    AttemptNotOpen,
    InvoiceNotPayable,
    OrderIdInvalid,
    OrderIdTaken,
    PaymentAttemptNotFound,
)
from reconciliation.attempts.schemas import PaymentAttemptIn
from reconciliation.checkout.gateway import notify_url, open_order, require_offered
from reconciliation.checkout.orders import PROVIDER_OF, Order
from reconciliation.config import ReconciliationSettings
from reconciliation.errors import InvoiceUnknown
from reconciliation.keys import reference_key
from reconciliation.models import OpenItem, PaymentAttempt
from reconciliation.open_items.repository import with_pending
from reconciliation.open_items.service import invoice_state

log = structlog.get_logger("reconciliation")


async def create_attempt(
    session: AsyncSession,
    *,
    clock: Clock,
    data: PaymentAttemptIn,
    actor: Principal,
    settings: ReconciliationSettings | None = None,
) -> PaymentAttempt:
    """An order made at a gateway for one open invoice, for at most what it still owes.

    With `checkout`, reconciliation makes the order at the gateway itself (or answers the open one it made).
    Partial payment: the amount may be less than the open balance when the caller asks for it (the hosted page
    does where the creditor allows part payments); paid exactly, such an order's payment is matched at once.
    """
    row = (await session.execute(with_pending().where(OpenItem.invoice_id == data.invoice_id))).first()
    if row is None or row[0].issued_at is None:
        raise InvoiceUnknown(
            f"There is no issued invoice {data.invoice_id}.", detail_zh=f"没有已开具的账单 {data.invoice_id}。"
        )
    item, pending = row
    available = domain.available_balance(invoice_state(item), pending)
    if available <= 0:
        raise InvoiceNotPayable(
            f"Invoice {item.invoice_number} owes nothing (it is {item.status}, or earlier payments cover it).",
            detail_zh=f"账单 {item.invoice_number} 已无欠款（状态：{item.status}，或已有付款待核销）。",
        )
    amount = available if data.amount is None else data.amount
    if amount != amount.quantize(minor_unit_exponent(item.currency)) or amount > available:
        raise AttemptAmountInvalid(
            f"An order for {item.invoice_number} may ask for at most its open {available:.2f} {item.currency}, "
            f"to the cent; {data.amount} was asked.",
            detail_zh=f"账单 {item.invoice_number} 的支付订单金额最多为未付的 {available:.2f} {item.currency}，"
            f"且精确到分；请求的是 {data.amount}。",
        )
    now = clock.now()
    if data.expires_at is not None and data.expires_at <= now:
        raise AttemptAmountInvalid(
            f"expires_at {data.expires_at.isoformat()} is not in the future.",
            detail_zh=f"过期时间 {data.expires_at.isoformat()} 不在将来。",
        )
    expires_at = data.expires_at
    if data.checkout is not None:
        assert settings is not None
        if PROVIDER_OF[data.checkout] != data.provider:
            raise AttemptAmountInvalid(
                f"A {data.checkout} order is paid through {PROVIDER_OF[data.checkout]}, not {data.provider}.",
                detail_zh=f"{data.checkout} 订单由 {PROVIDER_OF[data.checkout]} 支付，而非 {data.provider}。",
            )
        require_offered(settings, data.checkout, item.currency)
        # The same customer pressing the same button again gets the order already made (with a minute to pay).
        reused = await repository.open_checkout(
            session, item.invoice_id, data.checkout, amount=amount, after=now + timedelta(minutes=1)
        )
        if reused is not None and data.order_id is None:
            return reused
        expires_at = expires_at or now + timedelta(minutes=settings.checkout_minutes)
    attempt_id = uuid7()
    order_id = data.order_id or attempt_id.hex  # (32 characters: what WeChat Pay's out_trade_no allows)
    order_key = reference_key(order_id)
    if len(order_key) < 6:
        raise OrderIdInvalid(
            f"order_id '{order_id}' has fewer than 6 letters and digits.",
            detail_zh=f"订单号“{order_id}”少于 6 个字母或数字。",
        )
    opened = None
    # (An order id already taken makes no order at the gateway: the insert below refuses it.)
    taken = data.order_id is not None and await repository.attempt_by_order(session, data.provider, order_key)
    if data.checkout is not None and settings is not None and expires_at is not None and not taken:
        order = Order(
            order_id=order_id,
            amount=amount,
            currency=item.currency,
            subject=item.invoice_number,
            expires_at=expires_at,
            notify_url=notify_url(settings, data.provider),
            return_url=str(data.return_url) if data.return_url else None,
        )
        opened = await open_order(settings, data.checkout, order)
    values = {
        "id": attempt_id,
        "provider": data.provider,
        "order_id": order_id,
        "order_key": order_key,
        "invoice_id": item.invoice_id,
        "customer_id": item.customer_id,
        "invoice_number": item.invoice_number,
        "amount": amount,
        "currency": item.currency,
        "status": "open",
        "expires_at": expires_at,
        "payment_id": None,
        "checkout": data.checkout,
        "pay_url": opened.pay_url if opened else None,
        "gateway_ref": opened.gateway_ref if opened else None,
        "created_by": actor.name,
        "created_at": now,
        "updated_at": now,
    }
    inserted = await session.execute(
        pg_insert(PaymentAttempt).values(values).on_conflict_do_nothing().returning(PaymentAttempt.id)
    )
    if inserted.scalar_one_or_none() is None:
        raise OrderIdTaken(
            f"{data.provider} order '{order_id}' is already an attempt to pay an invoice.",
            detail_zh=f"{data.provider} 订单号“{order_id}”已用于另一笔支付。",
        )
    attempt = await repository.get_attempt(session, attempt_id)
    assert attempt is not None
    log.info("payment_attempt.created", attempt_id=str(attempt_id), invoice_id=str(item.invoice_id), by=actor.name)
    return attempt


async def require_attempt(session: AsyncSession, attempt_id: UUID, *, for_update: bool = False) -> PaymentAttempt:
    attempt = await repository.get_attempt(session, attempt_id, for_update=for_update)
    if attempt is None:
        raise PaymentAttemptNotFound(
            f"There is no payment attempt {attempt_id}.", detail_zh=f"支付订单 {attempt_id} 不存在。"
        )
    return attempt


async def close_attempt(session: AsyncSession, *, clock: Clock, attempt_id: UUID, actor: Principal) -> PaymentAttempt:
    """An open attempt closed (its order closed at the gateway). A callback that pays it later still names it."""
    attempt = await require_attempt(session, attempt_id, for_update=True)
    if attempt.status != "open":
        raise AttemptNotOpen(
            f"Payment attempt {attempt_id} is {attempt.status}, not open.",
            detail_zh=f"支付订单 {attempt_id} 的状态为 {attempt.status}，不是进行中。",
        )
    attempt.status, attempt.updated_at = "closed", clock.now()
    await session.flush()
    log.info("payment_attempt.closed", attempt_id=str(attempt_id), by=actor.name)
    return attempt


def order_keys(order_ids: tuple[str, ...]) -> list[str]:
    """A gateway callback's order ids as attempts are keyed (`order_key`), first named first: the attempt it pays
    is the one made for the first of them that has one (gateways.repository.notice_facts)."""
    return [key for key in dict.fromkeys(reference_key(o) for o in order_ids) if len(key) >= 6]
