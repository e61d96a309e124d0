"""REST endpoints of the invoicing service (thin: parse, call the service, shape)."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from arflow.auth import Principal, require_scope
from arflow.clock import Clock, local_date
from arflow.idempotency import idempotent
from arflow.money import Currency, to_minor_units
from arflow.pagination import Page, PageParams, make_page, page_params
from arflow.service import ClockDep, SessionDep
from invoicing import documents, domain, repository, service
from invoicing.models import CreditNote, Customer, Invoice, InvoiceLine, PaymentTerms, ServiceContract
from invoicing.schemas import (
    AgingReportOut,
    ContractCancel,
    ContractCreate,
    ContractOut,
    CreditNoteCreate,
    CreditNoteOut,
    CustomerBalanceOut,
    CustomerCreate,
    CustomerOut,
    CustomerUpdate,
    InvoiceCreate,
    InvoiceLineOut,
    InvoiceOut,
    InvoiceUpdate,
    KpiReportOut,
    Language,
    LateFeeRequest,
    PaymentTermsCreate,
    PaymentTermsOut,
    PaymentTermsUpdate,
    StatementOut,
    VoidRequest,
    WriteOffRequest,
)

router = APIRouter()
Reader = Annotated[Principal, Depends(require_scope("invoicing:read"))]
Writer = Annotated[Principal, Depends(require_scope("invoicing:write"))]
Paging = Annotated[PageParams, Depends(page_params)]


def customer_out(customer: Customer) -> CustomerOut:
    return CustomerOut.model_validate(customer, from_attributes=True)


def terms_out(terms: PaymentTerms) -> PaymentTermsOut:
    return PaymentTermsOut.model_validate(terms, from_attributes=True)


def credit_note_out(note: CreditNote) -> CreditNoteOut:
    out = CreditNoteOut.model_validate(note, from_attributes=True)
    return out.model_copy(update={"amount": to_minor_units(note.amount, note.currency)})


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
            "late_interest": await service.late_interest(session, invoice, clock=clock),
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


@router.post("/customers", status_code=201, response_model=CustomerOut, tags=["customers"], summary="Create a customer")
async def create_customer(
    body: CustomerCreate, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def create() -> CustomerOut:
        return customer_out(await service.create_customer(session, clock=clock, data=body))

    return await idempotent(request, session, principal, body, create)


@router.get("/customers/{customer_id}", response_model=CustomerOut, tags=["customers"])
async def get_customer(customer_id: UUID, session: SessionDep, _: Reader) -> CustomerOut:
    return customer_out(await service.require_customer(session, customer_id))


@router.get("/customers", response_model=Page[CustomerOut], tags=["customers"], summary="List customers")
async def list_customers(
    session: SessionDep,
    _: Reader,
    page: Paging,
    tag: str | None = None,
    search: Annotated[str | None, Query(max_length=100)] = None,
    include_archived: bool = False,
    credit_hold: bool | None = None,
    dunning_excluded: bool | None = None,
    external_reference: Annotated[str | None, Query(max_length=200)] = None,
    payment_terms_code: Annotated[str | None, Query(max_length=50)] = None,
) -> Page[CustomerOut]:
    rows = await repository.list_customers(
        session,
        page,
        tag=tag,
        search=search,
        include_archived=include_archived,
        credit_hold=credit_hold,
        dunning_excluded=dunning_excluded,
        external_reference=external_reference,
        payment_terms_code=payment_terms_code,
    )
    return make_page([customer_out(c) for c in rows], page)


@router.patch("/customers/{customer_id}", response_model=CustomerOut, tags=["customers"], summary="Update a customer")
async def update_customer(
    customer_id: UUID, body: CustomerUpdate, session: SessionDep, clock: ClockDep, _: Writer
) -> CustomerOut:
    return customer_out(await service.update_customer(session, clock=clock, customer_id=customer_id, data=body))


@router.post(
    "/customers/{customer_id}/archive",
    response_model=CustomerOut,
    tags=["customers"],
    summary="Archive a customer (kept with its ledger; takes no new invoices)",
)
async def archive_customer(customer_id: UUID, session: SessionDep, clock: ClockDep, _: Writer) -> CustomerOut:
    return customer_out(await service.archive_customer(session, clock=clock, customer_id=customer_id, archived=True))


@router.post("/customers/{customer_id}/restore", response_model=CustomerOut, tags=["customers"], summary="Un-archive")
async def restore_customer(customer_id: UUID, session: SessionDep, clock: ClockDep, _: Writer) -> CustomerOut:
    return customer_out(await service.archive_customer(session, clock=clock, customer_id=customer_id, archived=False))


@router.delete(
    "/customers/{customer_id}",
    status_code=204,
    tags=["customers"],
    summary="Delete a customer never invoiced (one with a ledger is archived instead: 409)",
)
async def delete_customer(customer_id: UUID, session: SessionDep, clock: ClockDep, _: Writer) -> Response:
    await service.delete_customer(session, clock=clock, customer_id=customer_id)
    return Response(status_code=204)


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
    tags=["ledger"],
    summary="Apply the customer's unapplied credit to its open invoices, oldest due first",
)
async def apply_credit(
    customer_id: UUID, session: SessionDep, clock: ClockDep, _: Writer, currency: Currency | None = None
) -> dict[str, Any]:
    result = await service.apply_unapplied_credit(session, clock=clock, customer_id=customer_id, currency=currency)
    return {"applications": result["applications"], "applied": format(result["applied"], "f")}


# --- payment terms -----------------------------------------------------------------


@router.post(
    "/payment-terms",
    status_code=201,
    response_model=PaymentTermsOut,
    tags=["payment terms"],
    summary="Create a payment terms template (账期)",
)
async def create_terms(
    body: PaymentTermsCreate, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def create() -> PaymentTermsOut:
        return terms_out(await service.create_terms(session, clock=clock, data=body))

    return await idempotent(request, session, principal, body, create)


@router.get("/payment-terms/{code}", response_model=PaymentTermsOut, tags=["payment terms"])
async def get_terms(code: str, session: SessionDep, _: Reader) -> PaymentTermsOut:
    return terms_out(await service.require_terms(session, code))


@router.patch(
    "/payment-terms/{code}",
    response_model=PaymentTermsOut,
    tags=["payment terms"],
    summary="Change a template (issued invoices keep their copy)",
)
async def update_terms(
    code: str, body: PaymentTermsUpdate, session: SessionDep, clock: ClockDep, _: Writer
) -> PaymentTermsOut:
    return terms_out(await service.update_terms(session, clock=clock, code=code, data=body))


@router.get("/payment-terms", response_model=Page[PaymentTermsOut], tags=["payment terms"])
async def list_terms(
    session: SessionDep, _: Reader, page: Paging, include_archived: bool = False
) -> Page[PaymentTermsOut]:
    rows = await repository.list_terms(session, page, include_archived=include_archived)
    return make_page([terms_out(t) for t in rows], page)


# --- invoices ----------------------------------------------------------------------


@router.post(
    "/invoices",
    status_code=201,
    response_model=InvoiceOut,
    tags=["invoices"],
    summary="Create an invoice (a draft, or issued at once with issue=true)",
)
async def create_invoice(
    body: InvoiceCreate, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    apply_credit = request.app.state.settings.auto_apply_credit

    async def create() -> InvoiceOut:
        invoice, lines = await service.create_invoice_with_lines(
            session, clock=clock, data=body, apply_credit=apply_credit
        )
        return await invoice_out(session, invoice, clock, lines)

    return await idempotent(request, session, principal, body, create)


@router.post(
    "/invoices/{invoice_id}/issue",
    response_model=InvoiceOut,
    tags=["invoices"],
    summary="Issue a draft: number it, open it, publish InvoiceIssued",
)
async def issue_invoice(
    invoice_id: UUID, request: Request, session: SessionDep, clock: ClockDep, _: Writer
) -> InvoiceOut:
    apply_credit = request.app.state.settings.auto_apply_credit
    invoice = await service.issue_invoice(session, clock=clock, invoice_id=invoice_id, apply_credit=apply_credit)
    return await invoice_out(session, invoice, clock)


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut, tags=["invoices"])
async def get_invoice(invoice_id: UUID, session: SessionDep, clock: ClockDep, _: Reader) -> InvoiceOut:
    return await invoice_out(session, await service.require_invoice(session, invoice_id), clock)


@router.patch("/invoices/{invoice_id}", response_model=InvoiceOut, tags=["invoices"], summary="Edit a draft")
async def update_invoice(
    invoice_id: UUID, body: InvoiceUpdate, session: SessionDep, clock: ClockDep, _: Writer
) -> InvoiceOut:
    invoice = await service.update_draft(session, clock=clock, invoice_id=invoice_id, data=body)
    return await invoice_out(session, invoice, clock)


@router.delete("/invoices/{invoice_id}", status_code=204, tags=["invoices"], summary="Delete a draft")
async def delete_invoice(invoice_id: UUID, session: SessionDep, _: Writer) -> Response:
    await service.delete_draft(session, invoice_id=invoice_id)
    return Response(status_code=204)


@router.post(
    "/invoices/{invoice_id}/void",
    response_model=InvoiceOut,
    tags=["invoices"],
    summary="Void an open invoice with nothing paid or credited (InvoiceVoided)",
)
async def void_invoice(
    invoice_id: UUID, body: VoidRequest, session: SessionDep, clock: ClockDep, _: Writer
) -> InvoiceOut:
    invoice = await service.void_invoice(session, clock=clock, invoice_id=invoice_id, reason=body.reason)
    return await invoice_out(session, invoice, clock)


@router.post(
    "/invoices/{invoice_id}/write-off",
    response_model=InvoiceOut,
    tags=["invoices"],
    summary="Write an open invoice off as uncollectible; it stays payable (InvoiceWrittenOff)",
)
async def write_off_invoice(
    invoice_id: UUID, body: WriteOffRequest, session: SessionDep, clock: ClockDep, _: Writer
) -> InvoiceOut:
    invoice = await service.write_off_invoice(
        session, clock=clock, invoice_id=invoice_id, reason=body.reason, written_off_on=body.written_off_on
    )
    return await invoice_out(session, invoice, clock)


@router.post(
    "/invoices/{invoice_id}/credit-notes",
    status_code=201,
    response_model=CreditNoteOut,
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
    async def create() -> CreditNoteOut:
        note = await service.issue_credit_note(session, clock=clock, invoice_id=invoice_id, data=body)
        return credit_note_out(note)

    return await idempotent(request, session, principal, body, create)


@router.post(
    "/invoices/{invoice_id}/late-fees",
    status_code=201,
    response_model=InvoiceOut,
    tags=["invoices"],
    summary="Charge late interest (and the fixed fee) of an overdue invoice as a fee invoice (LateFeeAssessed)",
)
async def assess_late_fee(
    invoice_id: UUID,
    body: LateFeeRequest,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    principal: Writer,
) -> JSONResponse:
    apply_credit = request.app.state.settings.auto_apply_credit

    async def create() -> InvoiceOut:
        fee_invoice = await service.assess_late_fee(
            session, clock=clock, invoice_id=invoice_id, as_of=body.as_of, apply_credit=apply_credit
        )
        return await invoice_out(session, fee_invoice, clock)

    return await idempotent(request, session, principal, body, create)


@router.get("/credit-notes/{credit_note_id}", response_model=CreditNoteOut, tags=["credit notes"])
async def get_credit_note(credit_note_id: UUID, session: SessionDep, _: Reader) -> CreditNoteOut:
    return credit_note_out(await service.require_credit_note(session, credit_note_id))


@router.get("/credit-notes", response_model=Page[CreditNoteOut], tags=["credit notes"])
async def list_credit_notes(
    session: SessionDep, _: Reader, page: Paging, customer_id: UUID | None = None, invoice_id: UUID | None = None
) -> Page[CreditNoteOut]:
    rows = await repository.list_credit_notes(session, page, customer_id=customer_id, invoice_id=invoice_id)
    return make_page([credit_note_out(n) for n in rows], page)


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
    )
    return make_page([await invoice_out(session, i, clock) for i in rows], page)


# --- documents and reports --------------------------------------------------------


def pdf_response(pdf: bytes, name: str) -> Response:
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}.pdf"'}
    )


@router.get(
    "/invoices/{invoice_id}/pdf",
    tags=["invoices"],
    summary="The invoice as a PDF, in the customer's language unless told",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def invoice_pdf(
    invoice_id: UUID, session: SessionDep, clock: ClockDep, _: Reader, language: Language | None = None
) -> Response:
    invoice = await service.require_invoice(session, invoice_id)
    customer = await service.require_customer(session, invoice.customer_id)
    out = await invoice_out(session, invoice, clock)
    pdf = await asyncio.to_thread(
        documents.invoice_pdf, out, legal_name=customer.legal_name, language=language or customer.preferred_language
    )
    name = out.number or str(out.id)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}.pdf"'}
    )


@router.get(
    "/customers/{customer_id}/statement",
    response_model=StatementOut,
    tags=["reports"],
    summary="Statement of account (对账单) for a period: JSON, CSV or PDF",
    responses={200: {"content": {"text/csv": {}, "application/pdf": {}}}},
)
async def customer_statement(
    customer_id: UUID,
    session: SessionDep,
    clock: ClockDep,
    _: Reader,
    period_start: Annotated[date, Query(alias="from")],
    period_end: Annotated[date, Query(alias="to")],
    format: Literal["json", "csv", "pdf"] = "json",
    language: Language | None = None,
) -> Any:
    result = await service.statement(
        session, clock=clock, customer_id=customer_id, start=period_start, end=period_end, language=language
    )
    name = f"statement-{period_start}-{period_end}"
    if format == "csv":
        return Response(
            documents.statement_csv(result),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if format == "pdf":
        pdf = await asyncio.to_thread(documents.statement_pdf, result)
        return Response(
            pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}.pdf"'}
        )
    return result


@router.get(
    "/reports/aging",
    response_model=AgingReportOut,
    tags=["reports"],
    summary="AR aging as of a day: per customer and in total, per currency (current, 1-30, 31-60, 61-90, 90+)",
)
async def aging_report(
    session: SessionDep,
    clock: ClockDep,
    _: Reader,
    as_of: date | None = None,
    customer_id: UUID | None = None,
    currency: Currency | None = None,
) -> AgingReportOut:
    day = as_of or local_date(clock.now(), "Asia/Shanghai")
    return await service.aging_report(session, as_of=day, customer_id=customer_id, currency=currency)


@router.get(
    "/reports/kpis",
    response_model=KpiReportOut,
    tags=["reports"],
    summary="DSO, best-possible DSO, ADD, CEI, bad-debt and collection rates for a period, per currency",
)
async def kpi_report(
    session: SessionDep,
    _: Reader,
    period_start: Annotated[date, Query(alias="from")],
    period_end: Annotated[date, Query(alias="to")],
    customer_id: UUID | None = None,
    currency: Currency | None = None,
) -> KpiReportOut:
    return await service.kpi_report(
        session, start=period_start, end=period_end, customer_id=customer_id, currency=currency
    )


# --- service contracts --------------------------------------------------------------


def contract_out(contract: ServiceContract) -> ContractOut:
    return ContractOut.model_validate(contract, from_attributes=True)


@router.post(
    "/contracts",
    status_code=201,
    response_model=ContractOut,
    tags=["contracts"],
    summary="Create a recurring service contract (monthly, quarterly or annual)",
)
async def create_contract(
    body: ContractCreate, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def create() -> ContractOut:
        return contract_out(await service.create_contract(session, clock=clock, data=body))

    return await idempotent(request, session, principal, body, create)


@router.get("/contracts/{contract_id}", response_model=ContractOut, tags=["contracts"])
async def get_contract(contract_id: UUID, session: SessionDep, _: Reader) -> ContractOut:
    return contract_out(await service.require_contract(session, contract_id))


@router.get("/contracts", response_model=Page[ContractOut], tags=["contracts"])
async def list_contracts(
    session: SessionDep,
    _: Reader,
    page: Paging,
    customer_id: UUID | None = None,
    status: Literal["active", "paused", "cancelled"] | None = None,
) -> Page[ContractOut]:
    rows = await repository.list_contracts(session, page, customer_id=customer_id, status=status)
    return make_page([contract_out(c) for c in rows], page)


@router.post("/contracts/{contract_id}/pause", response_model=ContractOut, tags=["contracts"])
async def pause_contract(contract_id: UUID, session: SessionDep, clock: ClockDep, _: Writer) -> ContractOut:
    return contract_out(await service.change_contract(session, clock=clock, contract_id=contract_id, action="pause"))


@router.post(
    "/contracts/{contract_id}/resume",
    response_model=ContractOut,
    tags=["contracts"],
    summary="Resume billing from today (periods that started while paused are not billed)",
)
async def resume_contract(contract_id: UUID, session: SessionDep, clock: ClockDep, _: Writer) -> ContractOut:
    return contract_out(await service.change_contract(session, clock=clock, contract_id=contract_id, action="resume"))


@router.post(
    "/contracts/{contract_id}/cancel",
    response_model=ContractOut,
    tags=["contracts"],
    summary="Cancel: bill the last period up to cancelled_on, credit days already invoiced after it",
)
async def cancel_contract(
    contract_id: UUID, body: ContractCancel, session: SessionDep, clock: ClockDep, _: Writer
) -> ContractOut:
    contract = await service.change_contract(
        session, clock=clock, contract_id=contract_id, action="cancel", on=body.cancelled_on
    )
    return contract_out(contract)
