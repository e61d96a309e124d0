"""REST endpoints of the invoicing service (thin: parse, call the service, shape)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from arflow.auth import Principal, require_scope
from arflow.idempotency import idempotent
from arflow.money import Currency, to_minor_units
from arflow.pagination import Page, PageParams, make_page, page_params
from arflow.service import ClockDep, SessionDep
from invoicing import repository, service
from invoicing.models import Customer, Invoice
from invoicing.schemas import CustomerCreate, CustomerOut, InvoiceCreate, InvoiceLineOut, InvoiceOut

router = APIRouter()
Reader = Annotated[Principal, Depends(require_scope("invoicing:read"))]
Writer = Annotated[Principal, Depends(require_scope("invoicing:write"))]
Paging = Annotated[PageParams, Depends(page_params)]


def customer_out(customer: Customer) -> CustomerOut:
    return CustomerOut.model_validate(customer, from_attributes=True)


AMOUNT_FIELDS = ("subtotal", "tax_total", "total", "amount_paid", "amount_credited")


async def invoice_out(session: SessionDep, invoice: Invoice) -> InvoiceOut:
    lines = await repository.invoice_lines(session, invoice.id)
    fields = {c.key: getattr(invoice, c.key) for c in Invoice.__table__.columns}
    for name in AMOUNT_FIELDS:
        fields[name] = to_minor_units(fields[name], invoice.currency)
    return InvoiceOut.model_validate(
        {
            **fields,
            "balance": to_minor_units(invoice.balance, invoice.currency),
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
) -> Page[CustomerOut]:
    rows = await repository.list_customers(session, page, tag=tag, search=search, include_archived=include_archived)
    return make_page([customer_out(c) for c in rows], page)


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
    async def create() -> InvoiceOut:
        return await invoice_out(session, await service.create_invoice(session, clock=clock, data=body))

    return await idempotent(request, session, principal, body, create)


@router.post(
    "/invoices/{invoice_id}/issue",
    response_model=InvoiceOut,
    tags=["invoices"],
    summary="Issue a draft: number it, open it, publish InvoiceIssued",
)
async def issue_invoice(invoice_id: UUID, session: SessionDep, clock: ClockDep, _: Writer) -> InvoiceOut:
    return await invoice_out(session, await service.issue_invoice(session, clock=clock, invoice_id=invoice_id))


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut, tags=["invoices"])
async def get_invoice(invoice_id: UUID, session: SessionDep, _: Reader) -> InvoiceOut:
    return await invoice_out(session, await service.require_invoice(session, invoice_id))


@router.get("/invoices", response_model=Page[InvoiceOut], tags=["invoices"], summary="List invoices")
async def list_invoices(
    session: SessionDep,
    _: Reader,
    page: Paging,
    customer_id: UUID | None = None,
    status: Literal["draft", "open", "paid", "void", "uncollectible"] | None = None,
    currency: Currency | None = None,
    due_before: date | None = None,
    due_after: date | None = None,
) -> Page[InvoiceOut]:
    rows = await repository.list_invoices(
        session,
        page,
        customer_id=customer_id,
        status=status,
        currency=currency,
        due_before=due_before,
        due_after=due_after,
    )
    return make_page([await invoice_out(session, i) for i in rows], page)
