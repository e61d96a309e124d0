"""Invoice endpoints (thin: parse, call the service, shape)."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from arflow.approvals.api import ApprovalOut
from arflow.clock import Clock
from arflow.events.catalog import Language
from arflow.idempotency import IDEMPOTENT, Completion, KeyRef, idempotent
from arflow.money import Currency, to_minor_units
from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from invoicing import domain
from invoicing.config import InvoicingSettings
from invoicing.creditor.service import creditor_in_force
from invoicing.deps import Paging, Reader, Writer
from invoicing.hosted import links
from invoicing.invoices import documents, repository, service
from invoicing.invoices.approvals import WRITE_OFF, awaiting_approval
from invoicing.invoices.schemas import (
    MAX_INVOICE_TOTAL,
    InvoiceCreate,
    InvoiceLineOut,
    InvoiceOut,
    InvoiceUpdate,
    IssueIn,
    VoidRequest,
    WriteOffRequest,
)
from invoicing.lookups import require_customer, require_invoice
from invoicing.models import Invoice, InvoiceLine
from invoicing.reports.documents import CREDITOR_NOT_CONFIGURED
from invoicing.reports.service import late_interest

router = APIRouter()


AMOUNT_FIELDS = ("subtotal", "tax_total", "total", "amount_paid", "amount_credited", "amount_written_off")


def _discount(invoice: Invoice) -> dict[str, Any]:
    offer = domain.early_payment_discount(
        invoice.total, invoice.invoice_date, invoice.discount_rate, invoice.discount_days, invoice.currency
    )
    return {"early_payment_discount": offer[0], "discount_until": offer[1]} if offer else {}


async def invoice_out(
    session: SessionDep, invoice: Invoice, clock: Clock, lines: list[InvoiceLine] | None = None
) -> InvoiceOut:
    """The invoice as the API shows it; `lines` when the caller has them (else they are read)."""
    if lines is None:
        lines = await repository.invoice_lines(session, invoice.id)
    fields = {c.key: getattr(invoice, c.key) for c in Invoice.__table__.columns}
    for name in AMOUNT_FIELDS:
        fields[name] = to_minor_units(fields[name], invoice.currency)
    return InvoiceOut.model_validate(
        {
            **fields,
            "balance": to_minor_units(invoice.balance, invoice.currency),
            "late_interest": await late_interest(session, invoice, clock=clock),
            "hosted_invoice_url": links.minted_url(session, invoice.id),
            **_discount(invoice),
            "lines": [
                InvoiceLineOut.model_validate(
                    {
                        **{k: getattr(line, k) for k in ("description", "quantity", "unit_price", "tax_rate")},
                        **{
                            k: to_minor_units(getattr(line, k), invoice.currency)
                            for k in ("net_amount", "tax_amount", "gross_amount")
                        },
                    }
                )
                for line in lines
            ],
        }
    )


@router.post(
    "/invoices",
    dependencies=[IDEMPOTENT],
    status_code=201,
    response_model=InvoiceOut,
    tags=["invoices"],
    summary="Create an invoice (a draft, or issued at once with issue=true)",
)
async def create_invoice(
    body: InvoiceCreate, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    apply_credit = request.app.state.settings.auto_apply_credit

    async def create() -> InvoiceOut | Completion:
        invoice, lines, pending = await service.create_invoice_numbered_last(
            session,
            actor=principal,
            clock=clock,
            data=body,
            apply_credit=apply_credit,
            hold_policy=request.app.state.settings.credit_hold_policy,
        )
        if pending is not None and pending.take_credit:  # the credit applied changes the answer: number it now
            await service.number_pending(session, actor=principal, clock=clock, pending=pending, answer_of=None)
            pending = None
        if pending is None:
            return await invoice_out(session, invoice, clock, lines)
        issued = pending

        async def complete(key: KeyRef | None) -> InvoiceOut:
            # the number last: the statement that takes it writes it into the stored answer too
            answer_of = (key.principal, key.key) if key else None
            await service.number_pending(session, actor=principal, clock=clock, pending=issued, answer_of=answer_of)
            return await invoice_out(session, invoice, clock, lines)

        return Completion(draft=await invoice_out(session, invoice, clock, lines), complete=complete)

    # only rows of this database, events through the outbox: the key is claimed with the answer, after the work
    return await idempotent(request, session, principal, body, create, writes_only_here=True)


@router.post(
    "/invoices/{invoice_id}/issue",
    dependencies=[IDEMPOTENT],
    response_model=InvoiceOut,
    tags=["invoices"],
    summary="Issue a draft: number it, open it, publish InvoiceIssued",
)
async def issue_invoice(
    invoice_id: UUID,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    principal: Writer,
    body: IssueIn | None = None,
) -> JSONResponse:
    settings = request.app.state.settings

    async def issue() -> InvoiceOut:
        invoice = await service.issue_invoice(
            session,
            actor=principal,
            clock=clock,
            invoice_id=invoice_id,
            apply_credit=settings.auto_apply_credit,
            hold_policy=settings.credit_hold_policy,
            override=body.credit_hold_override if body else None,
        )
        return await invoice_out(session, invoice, clock)

    return await idempotent(request, session, principal, body, issue, status_code=200)


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut, tags=["invoices"])
async def get_invoice(invoice_id: UUID, session: SessionDep, clock: ClockDep, _: Reader) -> InvoiceOut:
    return await invoice_out(session, await require_invoice(session, invoice_id), clock)


@router.patch("/invoices/{invoice_id}", response_model=InvoiceOut, tags=["invoices"], summary="Edit a draft")
async def update_invoice(
    invoice_id: UUID, body: InvoiceUpdate, session: SessionDep, clock: ClockDep, principal: Writer
) -> InvoiceOut:
    invoice = await service.update_draft(session, actor=principal, clock=clock, invoice_id=invoice_id, data=body)
    return await invoice_out(session, invoice, clock)


@router.delete("/invoices/{invoice_id}", status_code=204, tags=["invoices"], summary="Delete a draft")
async def delete_invoice(invoice_id: UUID, session: SessionDep, principal: Writer) -> Response:
    await service.delete_draft(session, actor=principal, invoice_id=invoice_id)
    return Response(status_code=204)


@router.post(
    "/invoices/{invoice_id}/void",
    dependencies=[IDEMPOTENT],
    response_model=InvoiceOut,
    tags=["invoices"],
    summary="Void an open invoice with nothing paid or credited (InvoiceVoided)",
)
async def void_invoice(
    invoice_id: UUID, body: VoidRequest, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def void() -> InvoiceOut:
        invoice = await service.void_invoice(
            session, actor=principal, clock=clock, invoice_id=invoice_id, reason=body.reason
        )
        return await invoice_out(session, invoice, clock)

    return await idempotent(request, session, principal, body, void, status_code=200)


@router.post(
    "/invoices/{invoice_id}/write-off",
    dependencies=[IDEMPOTENT],
    response_model=InvoiceOut,
    responses={
        202: {
            "model": ApprovalOut,
            "description": "Over the invoice.write_off policy's threshold: the write-off waits for a second person.",
        }
    },
    tags=["invoices"],
    summary="Write an open invoice off as uncollectible; it stays payable (InvoiceWrittenOff)",
)
async def write_off_invoice(
    invoice_id: UUID, body: WriteOffRequest, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    invoice = await require_invoice(session, invoice_id)
    if invoice.status == "open":
        pending = await awaiting_approval(
            request,
            session,
            clock=clock,
            principal=principal,
            action=WRITE_OFF,
            invoice=invoice,
            amount=invoice.balance,
            body=body,
            reason=body.reason,
        )
        if pending is not None:
            return pending

    async def write_off() -> InvoiceOut:
        invoice = await service.write_off_invoice(
            session,
            actor=principal,
            clock=clock,
            invoice_id=invoice_id,
            reason=body.reason,
            written_off_on=body.written_off_on,
        )
        return await invoice_out(session, invoice, clock)

    return await idempotent(request, session, principal, body, write_off, status_code=200)


@router.get("/invoices", response_model=Page[InvoiceOut], tags=["invoices"], summary="List invoices")
async def list_invoices(
    session: SessionDep,
    clock: ClockDep,
    _: Reader,
    page: Paging,
    customer_id: UUID | None = None,
    status: Literal["draft", "open", "paid", "void", "uncollectible"] | None = None,
    currency: Currency | None = None,
    due_before: date | None = None,
    due_after: date | None = None,
    overdue_on: Annotated[date | None, Query(description="Open invoices already past due on this date.")] = None,
    invoice_date_from: date | None = None,
    invoice_date_to: date | None = None,
    kind: Literal["standard", "late_fee"] | None = None,
    number: Annotated[str | None, Query(max_length=64, description="This number, any case.")] = None,
    amount: Annotated[Decimal | None, Query(ge=0, lt=MAX_INVOICE_TOTAL, description="Total exactly this.")] = None,
    amount_min: Annotated[Decimal | None, Query(ge=0, lt=MAX_INVOICE_TOTAL, description="Total at least this.")] = None,
    amount_max: Annotated[Decimal | None, Query(ge=0, lt=MAX_INVOICE_TOTAL, description="Total at most this.")] = None,
) -> Page[InvoiceOut]:
    rows = await repository.list_invoices(
        session,
        page,
        customer_id=customer_id,
        status=status,
        currency=currency,
        due_before=due_before,
        due_after=due_after,
        overdue_on=overdue_on,
        invoice_date_from=invoice_date_from,
        invoice_date_to=invoice_date_to,
        kind=kind,
        number=number.strip().upper() if number else None,
        total=amount,
        total_min=amount_min,
        total_max=amount_max,
    )
    return make_page([await invoice_out(session, i, clock) for i in rows], page)


@router.get(
    "/invoices/{invoice_id}/pdf",
    tags=["invoices"],
    summary="The invoice (账单) as a PDF, in the customer's language unless told",
    description="Under the creditor's letterhead, with the bank account to pay into and the payment reference to "
    "quote; refused (409 `creditor_not_configured`) while the creditor is not set.",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **CREDITOR_NOT_CONFIGURED},
)
async def invoice_pdf(
    invoice_id: UUID,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    _: Reader,
    language: Language | None = None,
) -> Response:
    settings: InvoicingSettings = request.app.state.settings
    # An invoice never goes out with a wrong or a missing payee account.
    creditor = await creditor_in_force(session, settings)
    invoice = await require_invoice(session, invoice_id)
    customer = await require_customer(session, invoice.customer_id)
    out = await invoice_out(session, invoice, clock)
    pdf = await asyncio.to_thread(
        documents.invoice_pdf,
        out,
        customer_name=customer.legal_name,
        customer_uscc=customer.unified_social_credit_code,
        creditor=creditor,
        language=language or customer.preferred_language,
    )
    name = out.number or str(out.id)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}.pdf"'}
    )
