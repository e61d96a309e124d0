"""A manual credit limit well above the recommended one waits for a second person (arflow.approvals).

credit_limit.override: a manual limit that raises the customer's limit more than 100,000.00 CNY above the
recommended (scored) limit - the default; an admin sets it at PUT /approval-policies/credit_limit.override,
threshold null making every raise above the recommended limit wait - is decided by someone holding
credit-scoring:approve (the credit manager) who is not the requester. A manual limit at or below the
recommended one never waits: it only takes risk away. The amount of the request is that excess; the request
is made against the customer's manual limit as it stood (a manual limit set or lifted meanwhile, or a change
of the limit's currency, makes approving answer 409 approval_subject_changed). Approving sets the limit as it
was asked, as the requester's, through the same checks as the direct call (an expiry date passed meanwhile
answers 422 override_expired).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from arflow import approvals
from arflow.approvals import Applied, GuardedAction, register
from arflow.auth import Principal
from arflow.clock import Clock
from arflow.idempotency import idempotent
from arflow.money import to_minor_units
from credit_scoring.limits import repository, service
from credit_scoring.limits.schemas import LimitOverrideIn

OVERRIDE = "credit_limit.override"
APPROVE_SCOPE = "credit-scoring:approve"
DEFAULT_THRESHOLD = Decimal("100000.00")


async def limit_version(session: AsyncSession, customer_id: str) -> str | None:
    """What an override was asked against: the manual limit standing then, and the limit's currency."""
    row = await repository.get_limit(session, UUID(customer_id))
    if row is None:
        return "none"
    manual = "-" if row.override_amount is None else f"{row.override_amount}:{row.override_expires_on}"
    return f"{row.currency}:{manual}"


async def excess_over_recommended(session: AsyncSession, customer_id: UUID, amount: Decimal, currency: str) -> Decimal:
    """How far the manual limit asked for goes above the recommended one (all of it when none is in that currency)."""
    row = await repository.get_limit(session, customer_id)
    recommended = row.recommended if row is not None and row.currency == currency else Decimal(0)
    return amount - recommended


async def awaiting_approval(
    request: Request,
    session: AsyncSession,
    *,
    clock: Clock,
    principal: Principal,
    customer_id: UUID,
    body: LimitOverrideIn,
) -> JSONResponse | None:
    """The 202 with a pending approval when this manual limit waits for a second person; None when it may be set."""
    # What the direct call would refuse is refused now, before anyone is asked (404, 422).
    await service.check_override(
        session, clock=clock, customer_id=customer_id, currency=body.currency, expires_on=body.expires_on
    )
    excess = await excess_over_recommended(session, customer_id, body.amount, body.currency)
    if excess <= 0 or not await approvals.needed(session, action=OVERRIDE, amount=excess, currency=body.currency):
        return None
    shown = format(to_minor_units(body.amount, body.currency), ",f")
    above = format(to_minor_units(excess, body.currency), ",f")

    async def ask() -> dict[str, Any]:
        return await approvals.request_approval(
            session,
            clock=clock,
            action=OVERRIDE,
            subject_type="credit_limit",
            subject_id=customer_id,
            amount=excess,
            currency=body.currency,
            request={"customer_id": str(customer_id), **body.model_dump(mode="json")},
            actor=principal,
            reason=f"manual limit {shown} {body.currency}, {above} above the recommended: {body.reason}"
            f" / 人工额度 {shown} {body.currency}，高于建议额度 {above}：{body.reason}",
        )

    return await idempotent(request, session, principal, body, ask, status_code=202)


async def _override(session: AsyncSession, clock: Clock, request: dict[str, Any], requester: Principal) -> Applied:
    expires_on = request.get("expires_on")
    row = await service.override_limit(
        session,
        clock=clock,
        customer_id=UUID(request["customer_id"]),
        amount=Decimal(request["amount"]),
        currency=request["currency"],
        reason=request["reason"],
        expires_on=date.fromisoformat(expires_on) if expires_on else None,
        actor=requester,
    )
    currency = row.currency
    return Applied(
        object_id=str(row.customer_id),
        result={
            "customer_id": str(row.customer_id),
            "currency": currency,
            "limit": str(to_minor_units(row.effective, currency)),
            "recommended": str(to_minor_units(row.recommended, currency)),
            "override_amount": str(to_minor_units(row.override_amount, currency))
            if row.override_amount is not None
            else None,
            "override_expires_on": row.override_expires_on.isoformat() if row.override_expires_on else None,
            "override_by": row.override_by,
        },
    )


register(
    GuardedAction(
        name=OVERRIDE,
        title_zh="人工信用额度",
        title_en="Credit-limit override",
        apply=_override,
        version_of=limit_version,
        default_threshold=DEFAULT_THRESHOLD,
        default_approver_scope=APPROVE_SCOPE,
    )
)
