"""Customer endpoints."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from invoicing.customers import repository, service
from invoicing.customers.schemas import CustomerCreate, CustomerOut, CustomerUpdate
from invoicing.deps import Paging, Reader, Writer
from invoicing.lookups import require_customer
from invoicing.models import Customer

router = APIRouter()


def customer_out(customer: Customer) -> CustomerOut:
    return CustomerOut.model_validate(customer, from_attributes=True)


@router.post(
    "/customers",
    status_code=201,
    response_model=CustomerOut,
    tags=["customers"],
    summary="Create a customer",
    dependencies=[IDEMPOTENT],
)
async def create_customer(
    body: CustomerCreate, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def create() -> CustomerOut:
        return customer_out(await service.create_customer(session, actor=principal, clock=clock, data=body))

    return await idempotent(request, session, principal, body, create)


@router.get("/customers/{customer_id}", response_model=CustomerOut, tags=["customers"])
async def get_customer(customer_id: UUID, session: SessionDep, _: Reader) -> CustomerOut:
    return customer_out(await require_customer(session, customer_id))


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
    unified_social_credit_code: Annotated[
        str | None, Query(max_length=18, description="The customer with this 统一社会信用代码 (any letter case).")
    ] = None,
    id: Annotated[
        list[UUID] | None, Query(max_length=100, description="Only these customers (repeat it, up to 100).")
    ] = None,
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
        unified_social_credit_code=unified_social_credit_code.strip().upper() if unified_social_credit_code else None,
        ids=id,
    )
    return make_page([customer_out(c) for c in rows], page)


@router.patch("/customers/{customer_id}", response_model=CustomerOut, tags=["customers"], summary="Update a customer")
async def update_customer(
    customer_id: UUID, body: CustomerUpdate, session: SessionDep, clock: ClockDep, principal: Writer
) -> CustomerOut:
    return customer_out(
        await service.update_customer(session, actor=principal, clock=clock, customer_id=customer_id, data=body)
    )


@router.post(
    "/customers/{customer_id}/archive",
    response_model=CustomerOut,
    tags=["customers"],
    summary="Archive a customer (kept with its ledger; takes no new invoices)",
)
async def archive_customer(customer_id: UUID, session: SessionDep, clock: ClockDep, principal: Writer) -> CustomerOut:
    return customer_out(
        await service.archive_customer(session, actor=principal, clock=clock, customer_id=customer_id, archived=True)
    )


@router.post("/customers/{customer_id}/restore", response_model=CustomerOut, tags=["customers"], summary="Un-archive")
async def restore_customer(customer_id: UUID, session: SessionDep, clock: ClockDep, principal: Writer) -> CustomerOut:
    return customer_out(
        await service.archive_customer(session, actor=principal, clock=clock, customer_id=customer_id, archived=False)
    )


@router.delete(
    "/customers/{customer_id}",
    status_code=204,
    tags=["customers"],
    summary="Delete a customer never invoiced (one with a ledger is archived instead: 409)",
)
async def delete_customer(customer_id: UUID, session: SessionDep, clock: ClockDep, principal: Writer) -> Response:
    await service.delete_customer(session, actor=principal, clock=clock, customer_id=customer_id)
    return Response(status_code=204)
