"""REST endpoints of the review queue (thin)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from reconciliation.deps import Paging, Reader, Writer
from reconciliation.payments import repository as payments_repository
from reconciliation.payments.schemas import PaymentOut, payment_out
from reconciliation.review import service
from reconciliation.review.schemas import AllocateManually, ConfirmSuggestion, SplitPayment

router = APIRouter()


@router.get(
    "/review-queue",
    response_model=Page[PaymentOut],
    tags=["review"],
    summary="Payments the engine was not sure of, with ranked suggestions",
    description="Each suggestion says why in English (`reasons`) and Chinese (`reasons_zh`), sentence for sentence.",
)
async def review_queue(
    session: SessionDep, _: Reader, page: Paging, customer_id: UUID | None = None
) -> Page[PaymentOut]:
    payments = await payments_repository.list_payments(
        session, page, customer_id=customer_id, received_from=None, received_to=None, status="unmatched"
    )
    allocations = await payments_repository.allocations_of(session, [p.id for p in payments])
    return make_page([payment_out(p, allocations[p.id]) for p in payments], page)


@router.post(
    "/payments/{payment_id}/confirm",
    dependencies=[IDEMPOTENT],
    response_model=PaymentOut,
    tags=["review"],
    summary="Confirm a suggestion of a queued payment (teaches the payer mapping)",
)
async def confirm_payment(
    payment_id: UUID, body: ConfirmSuggestion, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def confirm() -> PaymentOut:
        record = await service.confirm_suggestion(
            session, clock=clock, payment_id=payment_id, rank=body.rank, actor=principal
        )
        return payment_out(record.payment, record.allocations)

    return await idempotent(request, session, principal, body, confirm, status_code=200)


@router.post(
    "/payments/{payment_id}/allocate",
    dependencies=[IDEMPOTENT],
    response_model=PaymentOut,
    tags=["review"],
    summary="Say whose a queued payment is and split it across invoices (teaches the payer mapping)",
)
async def allocate_payment(
    payment_id: UUID, body: AllocateManually, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def allocate() -> PaymentOut:
        record = await service.allocate_unmatched(
            session,
            clock=clock,
            payment_id=payment_id,
            customer_id=body.customer_id,
            allocations=body.allocations,
            actor=principal,
        )
        return payment_out(record.payment, record.allocations)

    return await idempotent(request, session, principal, body, allocate, status_code=200)


@router.post(
    "/payments/{payment_id}/split",
    dependencies=[IDEMPOTENT],
    response_model=list[PaymentOut],
    status_code=201,
    tags=["review"],
    summary="Divide a queued payment among several customers; each part is a payment superseding it",
    description="Each part's `match_reasons` / `match_reasons_zh` say whose payment it is part of and who split it.",
)
async def split_payment(
    payment_id: UUID, body: SplitPayment, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def split() -> list[PaymentOut]:
        records = await service.split_unmatched(session, clock=clock, payment_id=payment_id, data=body, actor=principal)
        return [payment_out(r.payment, r.allocations) for r in records]

    return await idempotent(request, session, principal, body, split)


@router.post(
    "/payments/{payment_id}/undo",
    dependencies=[IDEMPOTENT],
    response_model=PaymentOut,
    status_code=201,
    tags=["review"],
    summary="Undo a match: PaymentReversed, and the money back in the review queue as a new payment",
    description="The new payment's `match_reasons` / `match_reasons_zh` say whose match was undone and by whom.",
)
async def undo_payment(
    payment_id: UUID, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def undo() -> PaymentOut:
        return payment_out(await service.undo_match(session, clock=clock, payment_id=payment_id, actor=principal), [])

    return await idempotent(request, session, principal, None, undo)
