"""REST endpoints of the documents sent on issue (invoices, statements): their delivery status, sending again."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock
from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from dunning.deliveries import repository, service
from dunning.deliveries.schemas import (
    DeliveryPurpose,
    DeliveryStatus,
    InvoiceDeliveryOut,
    ResendIn,
    StatementDeliveryOut,
)
from dunning.deps import Paging, Reader, Writer
from dunning.models import CustomerDelivery

router = APIRouter()
RESEND = (
    "Queues the delivery again (attempts from zero) on its channel, to the contact on file now, whatever the "
    "document's state: sent, failed, cancelled, or skipped for want of a contact once the contacts are corrected "
    "in invoicing. 409 `delivery_already_queued` while it waits to be sent; 409 `delivery_no_recipient` when the "
    "customer has no email address (phone) on file. A renewed link (purpose link_renewal) goes again to the address "
    "that asked for it, while that address is still on file (else 409 `delivery_no_recipient`). Audited with the "
    "reason given."
)


def _fields(delivery: CustomerDelivery) -> dict[str, Any]:
    return {c.key: getattr(delivery, c.key) for c in CustomerDelivery.__table__.columns}


def invoice_delivery_out(delivery: CustomerDelivery) -> InvoiceDeliveryOut:
    return InvoiceDeliveryOut.model_validate(
        {**_fields(delivery), "invoice_id": delivery.document_id, "invoice_number": delivery.document_number}
    )


def statement_delivery_out(delivery: CustomerDelivery) -> StatementDeliveryOut:
    return StatementDeliveryOut.model_validate(
        {**_fields(delivery), "statement_id": delivery.document_id, "statement_number": delivery.document_number}
    )


OUT = {"invoice": invoice_delivery_out, "statement": statement_delivery_out}


async def _resend(
    request: Request,
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    *,
    kind: str,
    delivery_id: UUID,
    body: ResendIn | None,
) -> JSONResponse:
    async def queue_again() -> BaseModel:
        delivery = await service.require_delivery(session, delivery_id, kind=kind, for_update=True)
        await service.resend(
            session, clock=clock, actor=principal, delivery=delivery, reason=body.reason if body else None
        )
        await session.flush()
        return OUT[kind](delivery)

    response: JSONResponse = await idempotent(request, session, principal, body, queue_again, status_code=200)
    return response


@router.get(
    "/invoice-deliveries",
    response_model=Page[InvoiceDeliveryOut],
    tags=["deliveries"],
    summary="Invoices sent to customers on issue, and their renewed links, newest first, with their delivery status",
)
async def list_invoice_deliveries(
    session: SessionDep,
    _: Reader,
    page: Paging,
    invoice_id: UUID | None = None,
    customer_id: UUID | None = None,
    status: DeliveryStatus | None = None,
    purpose: DeliveryPurpose | None = None,
) -> Page[InvoiceDeliveryOut]:
    deliveries = await repository.list_deliveries(
        session, page, kind="invoice", document_id=invoice_id, customer_id=customer_id, status=status, purpose=purpose
    )
    return make_page([invoice_delivery_out(d) for d in deliveries], page)


@router.get(
    "/invoice-deliveries/{delivery_id}",
    response_model=InvoiceDeliveryOut,
    tags=["deliveries"],
    summary="One invoice's delivery",
)
async def get_invoice_delivery(delivery_id: UUID, session: SessionDep, _: Reader) -> InvoiceDeliveryOut:
    return invoice_delivery_out(await service.require_delivery(session, delivery_id, kind="invoice"))


@router.post(
    "/invoice-deliveries/{delivery_id}/resend",
    dependencies=[IDEMPOTENT],
    response_model=InvoiceDeliveryOut,
    tags=["deliveries"],
    summary="Send the invoice again, on the same channel, to the contact on file now",
    description=RESEND,
)
async def resend_invoice_delivery(
    delivery_id: UUID,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    principal: Writer,
    body: ResendIn | None = None,
) -> JSONResponse:
    return await _resend(request, session, clock, principal, kind="invoice", delivery_id=delivery_id, body=body)


@router.get(
    "/statement-deliveries",
    response_model=Page[StatementDeliveryOut],
    tags=["deliveries"],
    summary="Statements (对账单) sent to customers to confirm, and their renewed links, newest first, with their "
    "delivery status",
)
async def list_statement_deliveries(
    session: SessionDep,
    _: Reader,
    page: Paging,
    statement_id: UUID | None = None,
    customer_id: UUID | None = None,
    status: DeliveryStatus | None = None,
    purpose: DeliveryPurpose | None = None,
) -> Page[StatementDeliveryOut]:
    deliveries = await repository.list_deliveries(
        session,
        page,
        kind="statement",
        document_id=statement_id,
        customer_id=customer_id,
        status=status,
        purpose=purpose,
    )
    return make_page([statement_delivery_out(d) for d in deliveries], page)


@router.get(
    "/statement-deliveries/{delivery_id}",
    response_model=StatementDeliveryOut,
    tags=["deliveries"],
    summary="One statement's delivery",
)
async def get_statement_delivery(delivery_id: UUID, session: SessionDep, _: Reader) -> StatementDeliveryOut:
    return statement_delivery_out(await service.require_delivery(session, delivery_id, kind="statement"))


@router.post(
    "/statement-deliveries/{delivery_id}/resend",
    dependencies=[IDEMPOTENT],
    response_model=StatementDeliveryOut,
    tags=["deliveries"],
    summary="Send the statement again, on the same channel, to the contact on file now",
    description=RESEND,
)
async def resend_statement_delivery(
    delivery_id: UUID,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    principal: Writer,
    body: ResendIn | None = None,
) -> JSONResponse:
    return await _resend(request, session, clock, principal, kind="statement", delivery_id=delivery_id, body=body)
