"""REST endpoints of the credit-scoring service (thin: parse, call the service, shape)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from arflow.auth import Principal, require_scope
from arflow.idempotency import idempotent
from arflow.money import to_minor_units
from arflow.pagination import Page, PageParams, make_page, page_params
from arflow.service import ClockDep, SessionDep
from credit_scoring import policy, service
from credit_scoring.domain import CreditFile, CurrencyMeasures, ExperienceAsOf
from credit_scoring.models import CreditLimit
from credit_scoring.schemas import (
    AcknowledgeIn,
    AlertOut,
    CreditFileOut,
    CreditFileSummaryOut,
    CurrencyMeasuresOut,
    LimitOut,
    LimitOverrideIn,
    ModelOut,
    OnboardingIn,
    OnboardingOut,
    OnboardingReasonOut,
    PaymentExperienceOut,
    PortfolioOut,
    PredictionOut,
    ReasonOut,
    ReviewOut,
    ScoreHistoryOut,
    ScoreOut,
)
from credit_scoring.service import CustomerCreditFile

router = APIRouter()
Reader = Annotated[Principal, Depends(require_scope("credit-scoring:read"))]
Writer = Annotated[Principal, Depends(require_scope("credit-scoring:write"))]
Paging = Annotated[PageParams, Depends(page_params)]
AsOf = Annotated[
    date | None,
    Query(description="Build the file from what was known on this date (YYYY-MM-DD); default today, Asia/Shanghai."),
]


def currency_out(measures: CurrencyMeasures) -> CurrencyMeasuresOut:
    currency = measures.currency
    return CurrencyMeasuresOut(
        currency=currency,
        paid_amount=to_minor_units(measures.paid_amount, currency),
        paid_late_amount=to_minor_units(measures.paid_late_amount, currency),
        ratio_late_by_amount=measures.ratio_late_by_amount,
        amount_weighted_dbt=measures.amount_weighted_dbt,
        outstanding=to_minor_units(measures.outstanding, currency),
        overdue=to_minor_units(measures.overdue, currency),
        credit_sales_90d=to_minor_units(measures.credit_sales_90d, currency),
        dso=measures.dso,
        best_possible_dso=measures.best_possible_dso,
        average_days_delinquent=measures.average_days_delinquent,
    )


def experience_out(experience: ExperienceAsOf) -> PaymentExperienceOut:
    fields = asdict(experience)
    for name in ("total", "amount_paid", "amount_outstanding", "amount_credited"):
        fields[name] = to_minor_units(fields[name], experience.currency)
    return PaymentExperienceOut.model_validate(fields)


def _measures(found: CustomerCreditFile) -> dict[str, object]:
    file: CreditFile = found.file
    fields = {name: value for name, value in asdict(file).items() if name not in ("by_currency", "experiences")}
    return {
        **fields,
        "customer_id": found.customer.id,
        "legal_name": found.customer.legal_name,
        "by_currency": [currency_out(m) for m in file.by_currency],
    }


def summary_out(found: CustomerCreditFile) -> CreditFileSummaryOut:
    return CreditFileSummaryOut.model_validate(_measures(found))


def credit_file_out(found: CustomerCreditFile) -> CreditFileOut:
    return CreditFileOut.model_validate(
        {**_measures(found), "payment_experiences": [experience_out(e) for e in found.file.experiences]}
    )


@router.get(
    "/credit-files/{customer_id}",
    response_model=CreditFileOut,
    tags=["credit files"],
    summary="A customer's credit file (信用档案) as of a date, with its payment experiences",
)
async def get_credit_file(
    customer_id: UUID, session: SessionDep, clock: ClockDep, _: Reader, as_of: AsOf = None
) -> CreditFileOut:
    return credit_file_out(await service.credit_file(session, clock=clock, customer_id=customer_id, as_of=as_of))


@router.get(
    "/credit-files",
    response_model=Page[CreditFileSummaryOut],
    tags=["credit files"],
    summary="Credit files of every known customer (measures only), newest customer first",
)
async def list_credit_files(
    session: SessionDep, clock: ClockDep, _: Reader, page: Paging, as_of: AsOf = None
) -> Page[CreditFileSummaryOut]:
    found = await service.list_credit_files(session, clock=clock, page=page, as_of=as_of)
    has_more = len(found) > page.limit
    shown = found[: page.limit]
    # arflow.pagination.make_page takes the cursor from an `id` attribute; a credit file is keyed by its customer.
    return Page[CreditFileSummaryOut](
        data=[summary_out(f) for f in shown],
        has_more=has_more,
        next_cursor=shown[-1].customer.id if has_more else None,
    )


# --- scores ------------------------------------------------------------------------------


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
    response_model=list[PredictionOut],
    tags=["scores"],
    summary="P(paid more than N days late) for each of the customer's open invoices",
)
async def get_predictions(customer_id: UUID, session: SessionDep, clock: ClockDep, _: Reader) -> list[PredictionOut]:
    found = await service.predictions(session, clock=clock, customer_id=customer_id)
    return [
        PredictionOut.model_validate(
            {**asdict(p), "amount_outstanding": to_minor_units(p.amount_outstanding, p.currency)}
        )
        for p in found
    ]


# --- limits ------------------------------------------------------------------------------


def limit_out(row: CreditLimit) -> LimitOut:
    currency = row.currency
    return LimitOut(
        customer_id=row.customer_id,
        currency=currency,
        limit=to_minor_units(row.effective, currency),
        recommended=to_minor_units(row.recommended, currency),
        override_amount=to_minor_units(row.override_amount, currency) if row.override_amount is not None else None,
        override_reason=row.override_reason,
        override_expires_on=row.override_expires_on,
        override_by=row.override_by,
        exposure=to_minor_units(row.exposure, currency),
        utilisation=row.utilisation,
        updated_at=row.updated_at,
    )


@router.get(
    "/credit-files/{customer_id}/limit",
    response_model=LimitOut,
    tags=["limits"],
    summary="The customer's credit limit, recommended and effective, with exposure and utilisation",
)
async def get_limit(customer_id: UUID, session: SessionDep, _: Reader) -> LimitOut:
    return limit_out(await service.credit_limit(session, customer_id=customer_id))


@router.post(
    "/credit-files/{customer_id}/limit/override",
    response_model=LimitOut,
    status_code=201,
    tags=["limits"],
    summary="Set a manual credit limit with a reason and an expiry (Idempotency-Key honoured)",
)
async def override_limit(
    customer_id: UUID, body: LimitOverrideIn, request: Request, session: SessionDep, clock: ClockDep, who: Writer
) -> JSONResponse:
    async def create() -> LimitOut:
        row = await service.override_limit(
            session,
            clock=clock,
            customer_id=customer_id,
            amount=body.amount,
            currency=body.currency,
            reason=body.reason,
            expires_on=body.expires_on,
            by=who.name,
        )
        return limit_out(row)

    response: JSONResponse = await idempotent(request, session, who, body, create)
    return response


@router.delete(
    "/credit-files/{customer_id}/limit/override",
    response_model=LimitOut,
    tags=["limits"],
    summary="Lift the manual credit limit now; the recommended limit stands again",
)
async def lift_override(customer_id: UUID, session: SessionDep, clock: ClockDep, who: Writer) -> LimitOut:
    return limit_out(await service.lift_override(session, clock=clock, customer_id=customer_id, by=who.name))


# --- alerts ------------------------------------------------------------------------------

AlertKind = Literal[
    "tier_drop", "score_drop", "utilisation_80", "utilisation_95", "dunning_letter", "legal_handover", "psi_drift"
]


@router.get("/alerts", response_model=Page[AlertOut], tags=["alerts"], summary="Early warnings (预警), newest first")
async def list_alerts(
    session: SessionDep,
    _: Reader,
    page: Paging,
    customer_id: UUID | None = None,
    acknowledged: bool | None = None,
    kind: AlertKind | None = None,
) -> Page[AlertOut]:
    rows = await service.list_alerts(session, page=page, customer_id=customer_id, acknowledged=acknowledged, kind=kind)
    return make_page([AlertOut.model_validate(r, from_attributes=True) for r in rows], page)


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response_model=AlertOut,
    tags=["alerts"],
    summary="Acknowledge an alert (a repeat keeps the first acknowledgement)",
)
async def acknowledge_alert(
    alert_id: UUID, body: AcknowledgeIn, session: SessionDep, clock: ClockDep, who: Writer
) -> AlertOut:
    row = await service.acknowledge_alert(session, clock=clock, alert_id=alert_id, by=who.name, note=body.note)
    return AlertOut.model_validate(row, from_attributes=True)


# --- reviews, portfolio, models, onboarding ---------------------------------------------------


@router.get("/reviews", response_model=Page[ReviewOut], tags=["reviews"], summary="The credit review log, newest first")
async def list_reviews(
    session: SessionDep, _: Reader, page: Paging, customer_id: UUID | None = None
) -> Page[ReviewOut]:
    rows = await service.list_reviews(session, page=page, customer_id=customer_id)
    return make_page([ReviewOut.model_validate(r, from_attributes=True) for r in rows], page)


@router.get(
    "/portfolio",
    response_model=PortfolioOut,
    tags=["portfolio"],
    summary="Clients and exposure by tier, and the score distribution's drift (PSI)",
)
async def get_portfolio(session: SessionDep, _: Reader) -> PortfolioOut:
    view = await service.portfolio(session)
    return PortfolioOut.model_validate(asdict(view))


@router.get("/models", response_model=list[ModelOut], tags=["models"], summary="The active models and their versions")
async def list_models(session: SessionDep, _: Reader) -> list[ModelOut]:
    return [ModelOut.model_validate(asdict(m)) for m in await service.model_info(session)]


@router.post(
    "/onboarding-assessments",
    response_model=OnboardingOut,
    tags=["onboarding"],
    summary="Cold start: an initial tier, limit and terms for a prospective client, with reasons",
)
async def assess_onboarding(body: OnboardingIn, _: Reader) -> OnboardingOut:
    found = policy.assess_onboarding(
        years_in_business=body.years_in_business,
        registered_capital=body.registered_capital,
        industry=body.industry.strip().lower(),
        tax_credit_rating=body.tax_credit_rating,
        requested_net_days=body.requested_net_days,
        monthly_billing=body.monthly_billing,
    )
    return OnboardingOut(
        tier=found.tier,
        points=found.points,
        limit=to_minor_units(found.limit, "CNY"),
        recommended_net_days=found.recommended_net_days,
        reasons=[OnboardingReasonOut(code=c, text_zh=zh, text_en=en, points=p) for c, zh, en, p in found.reasons],
    )
