"""Credit notes a second person approves over their policy's threshold (arflow.approvals).

credit_note.issue: crediting more than 5,000.00 CNY of an invoice (the default; an admin sets it at
PUT /approval-policies/credit_note.issue) waits for someone holding invoicing:approve who is not the requester.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from arflow.approvals import Applied, GuardedAction, register
from arflow.auth import Principal
from arflow.clock import Clock
from arflow.money import to_minor_units
from invoicing.invoices.approvals import APPROVE_SCOPE, invoice_version
from invoicing.ledger import service
from invoicing.ledger.schemas import CreditNoteCreate

CREDIT_NOTE = "credit_note.issue"


async def _issue(session: AsyncSession, clock: Clock, request: dict[str, Any], requester: Principal) -> Applied:
    data = CreditNoteCreate.model_validate({k: v for k, v in request.items() if k != "invoice_id"})
    note = await service.issue_credit_note(
        session, actor=requester, clock=clock, invoice_id=UUID(request["invoice_id"]), data=data
    )
    return Applied(
        object_id=str(note.id),
        result={
            "id": str(note.id),
            "number": note.number,
            "invoice_id": str(note.invoice_id),
            "amount": str(to_minor_units(note.amount, note.currency)),
            "currency": note.currency,
        },
    )


register(
    GuardedAction(
        name=CREDIT_NOTE,
        title_zh="开具红字冲销（贷项通知单）",
        title_en="Credit note",
        apply=_issue,
        version_of=invoice_version,
        default_threshold=Decimal("5000.00"),
        default_approver_scope=APPROVE_SCOPE,
    )
)
