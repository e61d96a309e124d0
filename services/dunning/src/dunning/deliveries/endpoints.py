"""REST endpoints of the invoices sent on issue: their delivery status, and sending one again."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from dunning.deliveries import repository, service
from dunning.deliveries.schemas import DeliveryStatus, InvoiceDeliveryOut, ResendIn
from dunning.deps import Paging, Reader, Writer
from dunning.models import CustomerDelivery

router = APIRouter()


def invoice_delivery_out(delivery: CustomerDelivery) -> InvoiceDeliveryOut:
    fields = {c.key: getattr(delivery, c.key) for c in CustomerDelivery.__table__.columns}
    return InvoiceDeliveryOut.model_validate(
        {**fields, "invoice_id": delivery.document_id, "invoice_number": delivery.document_number}
    )


@router.get(
    "/invoice-deliveries",
    response_model=Page[InvoiceDeliveryOut],
    tags=["deliveries"],
    summary="Invoices sent to customers on issue, newest first, with their delivery status",
)
async def list_invoice_deliveries(
    session: SessionDep,
    _: Reader,
    page: Paging,
    invoice_id: UUID | None = None,
    customer_id: UUID | None = None,
    status: DeliveryStatus | None = None,
) -> Page[InvoiceDeliveryOut]:
    deliveries = await repository.list_deliveries(
        session, page, kind="invoice", document_id=invoice_id, customer_id=customer_id, status=status
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
    description="Queues the delivery again (attempts from zero) whatever the invoice's state: sent, failed, "
    "cancelled because it was settled, or skipped for want of a contact once the contacts are corrected in "
    "invoicing. 409 `delivery_already_queued` while it waits to be sent; 409 `delivery_no_recipient` when the "
    "customer has no email address (phone) on file. Audited with the reason given.",
)
async def resend_invoice_delivery(
    delivery_id: UUID,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    principal: Writer,
    body: ResendIn | None = None,
) -> JSONResponse:
    async def queue_again() -> InvoiceDeliveryOut:
        delivery = await service.require_delivery(session, delivery_id, kind="invoice", for_update=True)
        await service.resend(
            session, clock=clock, actor=principal, delivery=delivery, reason=body.reason if body else None
        )
        await session.flush()
        return invoice_delivery_out(delivery)

    response: JSONResponse = await idempotent(request, session, principal, body, queue_again, status_code=200)
    return response
