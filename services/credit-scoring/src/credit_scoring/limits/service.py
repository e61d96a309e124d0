"""Credit limits: the limit a rescore keeps current, and manual overrides of it. Never commits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock
from credit_scoring import policy
from credit_scoring.files.errors import CustomerUnknown
from credit_scoring.files.service import build_credit_files, require_customer
from credit_scoring.limits import repository
from credit_scoring.limits.errors import CurrencyMismatch, LimitUnknown, OverrideExpired, OverrideNotFound
from credit_scoring.models import CreditLimit, Customer
from credit_scoring.scores.service import rescore, today_of

log = structlog.get_logger("credit-scoring")


async def credit_limit(session: AsyncSession, *, customer_id: UUID) -> CreditLimit:
    """The customer's limit row (LimitUnknown before its first score)."""
    await require_customer(session, customer_id)
    found = await repository.get_limit(session, customer_id)
    if found is None:
        raise LimitUnknown(
            f"Customer {customer_id} has no credit limit yet (it is set with its first score).",
            detail_zh=f"客户 {customer_id} 尚无信用额度（首次评分时设定）。",
        )
    return found


async def override_limit(
    session: AsyncSession,
    *,
    clock: Clock,
    customer_id: UUID,
    amount: Decimal,
    currency: str,
    reason: str,
    expires_on: date | None,
    actor: Principal,
) -> CreditLimit:
    """Set a manual limit (with its reason and expiry); it stands instead of the recommended one until then."""
    await check_override(session, clock=clock, customer_id=customer_id, currency=currency, expires_on=expires_on)
    current = await repository.get_limit(session, customer_id)
    await repository.save_limit(
        session,
        {
            "customer_id": customer_id,
            "currency": currency,
            "recommended": current.recommended if current else Decimal(0),
            "effective": current.effective if current else Decimal(0),
            "override_amount": amount,
            "override_reason": reason,
            "override_expires_on": expires_on,
            "override_by": actor.name,
            "exposure": current.exposure if current else Decimal(0),
            "utilisation": current.utilisation if current else None,
            "updated_at": clock.now(),
        },
    )
    # The rescore sees the override: the effective limit, CreditLimitChanged, hold and warnings follow.
    await rescore(session, clock=clock, customer_id=customer_id, trigger="limit_override", actor=actor)
    log.info("credit_limit.overridden", customer_id=str(customer_id), amount=str(amount), by=actor.name)
    saved = await repository.get_limit(session, customer_id)
    assert saved is not None
    return saved


async def check_override(
    session: AsyncSession, *, clock: Clock, customer_id: UUID, currency: str, expires_on: date | None
) -> Customer:
    """Refuse a manual limit that could not be set (expiry past, not in the customer's billing currency); the
    customer locked, as every rescore locks it first."""
    customer = await _locked_customer(session, customer_id)
    today = today_of(clock, customer)
    if expires_on is not None and expires_on < today:
        raise OverrideExpired(
            f"expires_on {expires_on.isoformat()} is already past.",
            detail_zh=f"失效日期 expires_on {expires_on.isoformat()} 已过。",
        )
    (built,) = await build_credit_files(session, [customer], today)
    if built.file.by_currency and (main := policy.main_currency(built.file)) != currency:
        raise CurrencyMismatch(
            f"The customer is billed mainly in {main}, not {currency}: a manual limit must be in {main}.",
            detail_zh=f"该客户主要以 {main} 而非 {currency} 开票：人工额度须以 {main} 设定。",
        )
    return customer


async def lift_override(session: AsyncSession, *, clock: Clock, customer_id: UUID, actor: Principal) -> CreditLimit:
    """End a manual limit now: the recommended limit stands again (CreditLimitChanged if that changes it)."""
    await _locked_customer(session, customer_id)
    current = await repository.get_limit(session, customer_id)
    if current is None or current.override_amount is None:
        raise OverrideNotFound(
            f"Customer {customer_id} has no manual credit limit.", detail_zh=f"客户 {customer_id} 没有人工信用额度。"
        )
    current.override_amount = None
    current.override_reason = None
    current.override_expires_on = None
    current.override_by = None
    await session.flush()
    await rescore(session, clock=clock, customer_id=customer_id, trigger="limit_override_lifted", actor=actor)
    log.info("credit_limit.override_lifted", customer_id=str(customer_id), by=actor.name)
    saved = await repository.get_limit(session, customer_id)
    assert saved is not None
    return saved


async def _locked_customer(session: AsyncSession, customer_id: UUID) -> Customer:
    """The customer, its row locked first (as every rescore does), so limit changes never deadlock."""
    customer = await repository.lock_customer(session, customer_id)
    if customer is None:
        raise CustomerUnknown(
            f"Nothing is known of customer {customer_id}.", detail_zh=f"没有客户 {customer_id} 的任何资料。"
        )
    return customer
