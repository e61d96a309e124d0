"""REST endpoints of the matching rules and the learned payer mappings (thin)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request

from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from reconciliation.deps import Paging, Reader, Writer
from reconciliation.matching import repository, service
from reconciliation.matching.engine import (
    ACCOUNT_LEARNED,
    AMOUNT_AMBIGUOUS,
    AMOUNT_UNIQUE,
    NAME_EXACT,
    NAME_FUZZY_MAX,
    REFERENCE_EXACT,
    REFERENCE_NEAR,
)
from reconciliation.matching.schemas import PayerMappingIn, PayerMappingOut
from reconciliation.models import PayerMapping

router = APIRouter()


def mapping_out(mapping: PayerMapping) -> PayerMappingOut:
    return PayerMappingOut.model_validate(mapping, from_attributes=True)


@router.get("/match-rules", tags=["matching"], summary="The matching engine's threshold, tolerance and bounds")
async def match_rules(request: Request, _: Reader) -> dict[str, Any]:
    settings = request.app.state.settings
    return {
        "threshold": settings.match_threshold,
        "tolerance_absolute": str(settings.match_tolerance_absolute),
        "tolerance_percent": str(settings.match_tolerance_percent),
        "max_candidates": settings.match_max_candidates,
        "max_combination": settings.match_max_combination,
        "max_search_steps": settings.match_max_search_steps,
        "evidence": {
            "reference_exact": REFERENCE_EXACT,
            "reference_near": REFERENCE_NEAR,
            "account_learned": ACCOUNT_LEARNED,
            "name_exact": NAME_EXACT,
            "name_fuzzy_max": NAME_FUZZY_MAX,
            "amount_unique": AMOUNT_UNIQUE,
            "amount_ambiguous": AMOUNT_AMBIGUOUS,
        },
    }


@router.get(
    "/payer-mappings",
    response_model=Page[PayerMappingOut],
    tags=["matching"],
    summary="Payer accounts learned or mapped to a customer, newest first",
)
async def list_payer_mappings(
    session: SessionDep, _: Reader, page: Paging, customer_id: UUID | None = None
) -> Page[PayerMappingOut]:
    mappings = await repository.list_payer_mappings(session, page, customer_id)
    return make_page([mapping_out(m) for m in mappings], page)


@router.post("/payer-mappings", response_model=PayerMappingOut, status_code=201, tags=["matching"])
async def create_payer_mapping(
    body: PayerMappingIn, session: SessionDep, clock: ClockDep, principal: Writer
) -> PayerMappingOut:
    return mapping_out(await service.create_payer_mapping(session, clock=clock, data=body, actor=principal))


@router.delete("/payer-mappings/{account_key}", status_code=204, tags=["matching"])
async def delete_payer_mapping(account_key: str, session: SessionDep, principal: Writer) -> None:
    await service.delete_payer_mapping(session, account=account_key, actor=principal)
