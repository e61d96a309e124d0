"""Portfolio endpoint (thin: call the service, shape)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from arflow.service import SessionDep
from credit_scoring.deps import Reader
from credit_scoring.portfolio import service
from credit_scoring.portfolio.schemas import PortfolioOut

router = APIRouter()


@router.get(
    "/portfolio",
    response_model=PortfolioOut,
    tags=["portfolio"],
    summary="Clients and exposure by tier, and the score distribution's drift (PSI)",
)
async def get_portfolio(session: SessionDep, _: Reader) -> PortfolioOut:
    view = await service.portfolio(session)
    return PortfolioOut.model_validate(asdict(view))
