"""Score endpoints (thin: parse, call the service, shape)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from uuid import UUID

from fastapi import APIRouter

from arflow.money import to_minor_units
from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from credit_scoring.deps import AsOf, Paging, Reader
from credit_scoring.scores import service
from credit_scoring.scores.schemas import PredictionOut, ReasonOut, ScoreHistoryOut, ScoreOut

router = APIRouter()


def reasons_out(reasons: list[dict[str, Any]] | tuple[Any, ...]) -> list[ReasonOut]:
    return [ReasonOut.model_validate(r if isinstance(r, dict) else asdict(r)) for r in reasons]


@router.get(
    "/credit-files/{customer_id}/score",
    response_model=ScoreOut,
    tags=["scores"],
    summary="The customer's score, tier, payment index and 1–4 reason codes, as of a date",
)
async def get_score(customer_id: UUID, session: SessionDep, clock: ClockDep, _: Reader, as_of: AsOf = None) -> ScoreOut:
    view = await service.score_as_of(session, clock=clock, customer_id=customer_id, as_of=as_of)
    s = view.score
    return ScoreOut(
        customer_id=view.customer_id,
        as_of=view.as_of,
        score=s.score,
        tier=s.tier,
        probability_bad=round(s.probability_bad, 4),
        payment_index=s.payment_index,
        reasons=reasons_out(s.reasons),
        points=s.points,
        model_version=s.model_version,
    )


@router.get(
    "/credit-files/{customer_id}/scores",
    response_model=Page[ScoreHistoryOut],
    tags=["scores"],
    summary="Every published score of the customer, newest first",
)
async def list_scores(customer_id: UUID, session: SessionDep, _: Reader, page: Paging) -> Page[ScoreHistoryOut]:
    rows = await service.score_history(session, customer_id=customer_id, page=page)
    items = [
        ScoreHistoryOut.model_validate(
            {**{c: getattr(r, c) for c in ScoreHistoryOut.model_fields if c != "reasons"}, "reasons": r.reasons}
        )
        for r in rows
    ]
    return make_page(items, page)


@router.get(
    "/credit-files/{customer_id}/predictions",
    response_model=Page[PredictionOut],
    tags=["scores"],
    summary="P(paid more than N days late) for each invoice open on the as-of date, in due-date order",
)
async def get_predictions(
    customer_id: UUID, session: SessionDep, clock: ClockDep, _: Reader, as_of: AsOf = None
) -> Page[PredictionOut]:
    found = await service.predictions(session, clock=clock, customer_id=customer_id, as_of=as_of)
    # A customer has few open invoices: the whole list is one page (the envelope every list shares).
    return Page[PredictionOut](
        data=[
            PredictionOut.model_validate(
                {**asdict(p), "amount_outstanding": to_minor_units(p.amount_outstanding, p.currency)}
            )
            for p in found
        ],
        has_more=False,
        next_cursor=None,
    )
