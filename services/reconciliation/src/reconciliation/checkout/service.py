"""Checkout's use cases: an order made at the gateway for a payment attempt; attempts closed at expiry; and the
gateway asked when a callback is late, its paid answer booked by the callbacks' own path."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock
from reconciliation.checkout.alipay import AlipayClient
from reconciliation.checkout.gateway import TIMEOUT
from reconciliation.checkout.orders import Answer, GatewayUnavailable
from reconciliation.checkout.stripe import StripeClient
from reconciliation.checkout.wechat_pay import WeChatPayClient
from reconciliation.config import ReconciliationSettings
from reconciliation.gateways.service import record_notification
from reconciliation.models import PaymentAttempt

log = structlog.get_logger("reconciliation")


async def _ask(settings: ReconciliationSettings, http: httpx.AsyncClient, attempt: PaymentAttempt) -> Answer:
    if attempt.provider == "alipay":
        return await AlipayClient(settings, http).query(attempt.order_id)
    if attempt.provider == "wechat_pay":
        return await WeChatPayClient(settings, http).query(attempt.order_id)
    return await StripeClient(settings, http).query(attempt.gateway_ref or "")


async def _close(settings: ReconciliationSettings, http: httpx.AsyncClient, attempt: PaymentAttempt) -> bool:
    if attempt.provider == "alipay":
        return await AlipayClient(settings, http).close(attempt.order_id)
    if attempt.provider == "wechat_pay":
        return await WeChatPayClient(settings, http).close(attempt.order_id)
    return await StripeClient(settings, http).close(attempt.gateway_ref or "")


async def _book(
    session: AsyncSession, *, clock: Clock, settings: ReconciliationSettings, answer: Answer, provider: str
) -> str:
    """A paid answer booked exactly as its callback would be (stored once, one payment per trade)."""
    assert answer.notice is not None
    outcome, _ = await record_notification(
        session,
        clock=clock,
        settings=settings,
        notice=answer.notice,
        headers={"x-arflow-source": "query"},
        body=answer.raw,
        actor=Principal(name=f"gateway:{provider}:query", scopes=frozenset()),
    )
    return outcome


async def follow_up(
    session: AsyncSession, *, clock: Clock, settings: ReconciliationSettings, as_of: datetime, close: bool
) -> dict[str, Any]:
    """Ask the gateway about open orders: with `close`, those past their expiry (then closed there and here);
    otherwise those whose callback is late (made more than checkout_query_after_minutes ago, not asked since)."""
    late = timedelta(minutes=settings.checkout_query_after_minutes)
    query = select(PaymentAttempt).where(PaymentAttempt.status == "open", PaymentAttempt.checkout.is_not(None))
    if close:
        query = query.where(PaymentAttempt.expires_at <= as_of)
    else:
        query = query.where(
            PaymentAttempt.created_at <= as_of - late,
            or_(PaymentAttempt.queried_at.is_(None), PaymentAttempt.queried_at <= as_of - late),
        )
    query = query.order_by(PaymentAttempt.id).limit(200).with_for_update(skip_locked=True)
    attempts = list((await session.execute(query)).scalars())
    counts = {"asked": 0, "paid": 0, "closed": 0, "unavailable": 0}
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        for attempt in attempts:
            counts["asked"] += 1
            try:
                answer = await _ask(settings, http, attempt)
                if answer.state == "paid":
                    outcome = await _book(
                        session, clock=clock, settings=settings, answer=answer, provider=attempt.provider
                    )
                    counts["paid"] += 1
                    log.info("checkout.paid_by_query", attempt_id=str(attempt.id), outcome=outcome)
                    continue
                if answer.state == "open" and close and not await _close(settings, http, attempt):
                    continue  # paid meanwhile: its callback (or the next query) books it
                if answer.state == "closed" or close:
                    attempt.status, attempt.updated_at = "closed", clock.now()
                    counts["closed"] += 1
            except GatewayUnavailable as exc:
                counts["unavailable"] += 1
                log.warning("checkout.gateway_unavailable", attempt_id=str(attempt.id), detail=exc.detail)
            attempt.queried_at = clock.now()
    await session.flush()
    return counts
