"""Ledger endpoints: balances, applying credit, credit notes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arflow.approvals.api import ApprovalOut
from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.money import Currency, to_minor_units
from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from invoicing.deps import Paging, Reader, Writer
from invoicing.invoices.approvals import awaiting_approval
from invoicing.ledger import repository, service
from invoicing.ledger.approvals import CREDIT_NOTE
from invoicing.ledger.schemas import CreditNoteCreate, CreditNoteOut, CustomerBalanceOut
from invoicing.lookups import require_credit_note, require_invoice
from invoicing.models import CreditNote

router = APIRouter()


@router.get(
    "/customers/{customer_id}/balance",
    response_model=CustomerBalanceOut,
    tags=["ledger"],
    summary="The customer's balance per currency, derived from the ledger entries",
)
async def customer_balance(customer_id: UUID, session: SessionDep, _: Reader) -> CustomerBalanceOut:
    return await service.customer_balance(session, customer_id=customer_id)


@router.post(
    "/customers/{customer_id}/apply-credit",
    dependencies=[IDEMPOTENT],
    tags=["ledger"],
    summary="Apply the customer's unapplied credit to its open invoices, oldest due first",
)
async def apply_credit(
    customer_id: UUID,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    principal: Writer,
    currency: Currency | None = None,
) -> JSONResponse:
    async def apply() -> dict[str, Any]:
        result = await service.apply_unapplied_credit(
            session, actor=principal, clock=clock, customer_id=customer_id, currency=currency
        )
        return {"applications": result["applications"], "applied": format(result["applied"], "f")}

    return await idempotent(request, session, principal, {"currency": currency}, apply, status_code=200)


def credit_note_out(note: CreditNote) -> CreditNoteOut:
    out = CreditNoteOut.model_validate(note, from_attributes=True)
    return out.model_copy(update={"amount": to_minor_units(note.amount, note.currency)})


@router.post(
    "/invoices/{invoice_id}/credit-notes",
    dependencies=[IDEMPOTENT],
    status_code=201,
    response_model=CreditNoteOut,
    responses={
        202: {
            "model": ApprovalOut,
            "description": "Over the credit_note.issue policy's threshold: the credit note waits for a second person.",
        }
    },
    tags=["credit notes"],
    summary="Credit part or all of an invoice's open balance (CreditNoteIssued)",
)
async def create_credit_note(
    invoice_id: UUID,
    body: CreditNoteCreate,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    principal: Writer,
) -> JSONResponse:
    invoice = await require_invoice(session, invoice_id)
    amount = body.amount or invoice.balance
    if invoice.status in ("open", "uncollectible") and 0 < amount <= invoice.balance:
        pending = await awaiting_approval(
            request,
            session,
            clock=clock,
            principal=principal,
            action=CREDIT_NOTE,
            invoice=invoice,
            amount=amount,
            body=body,
            reason=body.reason,
        )
        if pending is not None:
            return pending

    async def create() -> CreditNoteOut:
        note = await service.issue_credit_note(session, actor=principal, clock=clock, invoice_id=invoice_id, data=body)
        return credit_note_out(note)

    return await idempotent(request, session, principal, body, create)


@router.get("/credit-notes/{credit_note_id}", response_model=CreditNoteOut, tags=["credit notes"])
async def get_credit_note(credit_note_id: UUID, session: SessionDep, _: Reader) -> CreditNoteOut:
    return credit_note_out(await require_credit_note(session, credit_note_id))


@router.get("/credit-notes", response_model=Page[CreditNoteOut], tags=["credit notes"])
async def list_credit_notes(
    session: SessionDep, _: Reader, page: Paging, customer_id: UUID | None = None, invoice_id: UUID | None = None
) -> Page[CreditNoteOut]:
    rows = await repository.list_credit_notes(session, page, customer_id=customer_id, invoice_id=invoice_id)
    return make_page([credit_note_out(n) for n in rows], page)
