"""Payment terms endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from invoicing.deps import Paging, Reader, Writer
from invoicing.lookups import require_terms
from invoicing.models import PaymentTerms
from invoicing.terms import repository, service
from invoicing.terms.schemas import PaymentTermsCreate, PaymentTermsOut, PaymentTermsUpdate

router = APIRouter()


def terms_out(terms: PaymentTerms) -> PaymentTermsOut:
    return PaymentTermsOut.model_validate(terms, from_attributes=True)


@router.post(
    "/payment-terms",
    dependencies=[IDEMPOTENT],
    status_code=201,
    response_model=PaymentTermsOut,
    tags=["payment terms"],
    summary="Create a payment terms template (账期)",
)
async def create_terms(
    body: PaymentTermsCreate, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def create() -> PaymentTermsOut:
        return terms_out(await service.create_terms(session, actor=principal, clock=clock, data=body))

    return await idempotent(request, session, principal, body, create)


@router.get("/payment-terms/{code}", response_model=PaymentTermsOut, tags=["payment terms"])
async def get_terms(code: str, session: SessionDep, _: Reader) -> PaymentTermsOut:
    return terms_out(await require_terms(session, code))


@router.patch(
    "/payment-terms/{code}",
    response_model=PaymentTermsOut,
    tags=["payment terms"],
    summary="Change a template (issued invoices keep their copy)",
)
async def update_terms(
    code: str, body: PaymentTermsUpdate, session: SessionDep, clock: ClockDep, principal: Writer
) -> PaymentTermsOut:
    return terms_out(await service.update_terms(session, actor=principal, clock=clock, code=code, data=body))


@router.get("/payment-terms", response_model=Page[PaymentTermsOut], tags=["payment terms"])
async def list_terms(
    session: SessionDep, _: Reader, page: Paging, include_archived: bool = False
) -> Page[PaymentTermsOut]:
    rows = await repository.list_terms(session, page, include_archived=include_archived)
    return make_page([terms_out(t) for t in rows], page)
