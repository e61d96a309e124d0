"""Review endpoints (thin: parse, call the service, shape)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from arflow.pagination import Page, make_page
from arflow.service import SessionDep
from credit_scoring.deps import Paging, Reader
from credit_scoring.reviews import service
from credit_scoring.reviews.schemas import ReviewOut

router = APIRouter()


@router.get("/reviews", response_model=Page[ReviewOut], tags=["reviews"], summary="The credit review log, newest first")
async def list_reviews(
    session: SessionDep, _: Reader, page: Paging, customer_id: UUID | None = None
) -> Page[ReviewOut]:
    rows = await service.list_reviews(session, page=page, customer_id=customer_id)
    return make_page([ReviewOut.model_validate(r, from_attributes=True) for r in rows], page)
