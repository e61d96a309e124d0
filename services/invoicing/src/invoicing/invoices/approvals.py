"""The invoice actions a second person approves over their policy's threshold (arflow.approvals).

invoice.write_off: writing off more than 1,000.00 CNY of an invoice (the default; an admin sets it at
PUT /approval-policies/invoice.write_off) waits for someone holding invoicing:approve — a finance
manager by default — who is not the requester.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from arflow import approvals
from arflow.approvals import Applied, GuardedAction, register
from arflow.auth import Principal
from arflow.clock import Clock
from arflow.idempotency import idempotent
from invoicing.invoices import service
from invoicing.lookups import get_invoice
from invoicing.models import Invoice

WRITE_OFF = "invoice.write_off"
APPROVE_SCOPE = "invoicing:approve"


async def invoice_version(session: AsyncSession, invoice_id: str) -> str | None:
    """What a write-off was asked against: a payment, credit note or void since then changes it."""
    invoice = await get_invoice(session, UUID(invoice_id))
    return None if invoice is None else f"{invoice.status}:{invoice.balance}:{invoice.amount_paid}"


async def awaiting_approval(
    request: Request,
    session: AsyncSession,
    *,
    clock: Clock,
    principal: Principal,
    action: str,
    invoice: Invoice,
    amount: Decimal,
    body: BaseModel,
    reason: str,
) -> JSONResponse | None:
    """The 202 with a pending approval when `action` on `invoice` for `amount` waits for a second person (the
    request frozen as asked, under its Idempotency-Key); None when it may go ahead now."""
    if not await approvals.needed(session, action=action, amount=amount, currency=invoice.currency):
        return None

    async def ask() -> dict[str, Any]:
        return await approvals.request_approval(
            session,
            clock=clock,
            action=action,
            subject_type="invoice",
            subject_id=invoice.id,
            amount=amount,
            currency=invoice.currency,
            request={"invoice_id": str(invoice.id), **body.model_dump(mode="json")},
            actor=principal,
            reason=reason,
        )

    return await idempotent(request, session, principal, body, ask, status_code=202)


async def _write_off(session: AsyncSession, clock: Clock, request: dict[str, Any], requester: Principal) -> Applied:
    on = request.get("written_off_on")
    invoice = await service.write_off_invoice(
        session,
        actor=requester,
        clock=clock,
        invoice_id=UUID(request["invoice_id"]),
        reason=request["reason"],
        written_off_on=date.fromisoformat(on) if on else None,
    )
    return Applied(
        object_id=str(invoice.id),
        result={
            "id": str(invoice.id),
            "number": invoice.number,
            "status": invoice.status,
            "amount_written_off": str(invoice.amount_written_off),
            "currency": invoice.currency,
        },
    )


register(
    GuardedAction(
        name=WRITE_OFF,
        title_zh="坏账核销",
        title_en="Write-off",
        apply=_write_off,
        version_of=invoice_version,
        default_threshold=Decimal("1000.00"),
        default_approver_scope=APPROVE_SCOPE,
    )
)
