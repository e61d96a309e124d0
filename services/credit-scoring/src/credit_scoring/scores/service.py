"""Scores: the scorecard applied to a credit file as of a date, the rescore after every fact, predictions.

A rescore records and publishes only what moved (score, limit, warnings). Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock, local_date
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.pagination import PageParams
from credit_scoring import cold_start, config, domain, policy, scoring, watching
from credit_scoring.alerts.service import record_alerts
from credit_scoring.files.service import (
    build_credit_files,
    load_portfolios,
    portfolio_of,
    require_customer,
    resolve_as_of,
)
from credit_scoring.models import CreditScore, Customer
from credit_scoring.models_admin import defaults
from credit_scoring.models_admin import repository as models_repository
from credit_scoring.rescore_io import Snapshot, rescore_snapshot, write_rescore
from credit_scoring.scores import repository

log = structlog.get_logger("credit-scoring")


async def active_model(session: AsyncSession, kind: str) -> dict[str, Any]:
    """The newest model of a kind fitted on our own data, else the shipped default."""
    stored = await models_repository.latest_model(session, kind)
    return stored.parameters if stored is not None else defaults.default_model(kind)


def today_of(clock: Clock, customer: Customer) -> date:
    """Today in the customer's time zone."""
    today: date = local_date(clock.now(), customer.time_zone)
    return today


_MODELS: dict[str, dict[str, Any]] = {}  # stored model versions never change: read each once


async def _scorecard(session: AsyncSession, version: str | None) -> dict[str, Any]:
    """The scorecard of a version (None: the shipped default), from memory after the first read."""
    key = version or "default:scorecard"
    model = _MODELS.get(key)
    if model is None:
        stored = await models_repository.get_model(session, version) if version else None
        model = stored.parameters if stored is not None else defaults.default_model("scorecard")
        _MODELS[key] = model
    return model


@dataclass(frozen=True)
class Rescored:
    """What one rescore found (published or not)."""

    score: scoring.Score
    file: domain.CreditFile
    recommendation: policy.LimitRecommendation
    effective_limit: Decimal
    credit_hold: bool
    changed: bool


def initial_limit_of(snap: Snapshot, file: domain.CreditFile, day: date) -> policy.InitialLimit | None:
    """The cold-start limit of the customer's onboarding assessment and contracts, in the limit's currency."""
    if not snap.onboarding:
        return None
    pinned = policy.limit_of(snap.credit_limit)
    currency = pinned["currency"] if policy.override_in_effect(snap.credit_limit, day) else policy.main_currency(file)
    return cold_start.initial_limit(
        [cold_start.assessment_of(a) for a in snap.onboarding],
        [cold_start.contract_of(c) for c in snap.contracts],
        as_of=day,
        currency=currency,
        caps=config.POLICY.limit_caps,
    )


def _observation(
    model: dict[str, Any], scored: scoring.Score, file: domain.CreditFile, used: Decimal | None
) -> policy.Observation:
    """What the early warnings see of one day's score (the file's date)."""
    settled = policy.settled_score(model["characteristics"], scored.points)
    return policy.Observation(
        day=file.as_of,
        score=scored.score,
        tier=scored.tier,
        settled_score=settled,
        settled_tier=scoring.tier_of(settled, model["tiers"]),
        utilisation=used,
        past_due_days=file.max_days_past_due or 0,
        worst_paid_days=file.max_dbt_12m or 0,
    )


def _observation_on(
    day: date, *, snap: Snapshot, portfolio: domain.Portfolio, model: dict[str, Any]
) -> policy.Observation | None:
    """The customer as of a day between two rescores, as a rescore as of that day would have seen it."""
    file = domain.build_credit_file(
        portfolio.experiences, as_of=day, first_seen_on=portfolio.first_seen_on, history=portfolio.history
    )
    if file.invoices_issued == 0:
        return None
    scored = scoring.apply_scorecard(model, file)
    was = policy.limit_of(snap.credit_limit)
    override, expires_on = was["override_amount"], was["override_expires_on"]
    standing = override is not None and (expires_on is None or day <= expires_on)
    recommendation = policy.recommended_limit(
        file,
        scored.tier,
        currency=was["currency"] if standing else None,
        caps=config.POLICY.limit_caps,
        initial=initial_limit_of(snap, file, day),
    )
    effective = policy.effective_limit(recommendation.limit, override, expires_on, day)
    return _observation(model, scored, file, policy.utilisation(recommendation.exposure, effective))


def rescore_day(*, today: date, current: date | None, as_of: date | None = None, event_on: date | None = None) -> date:
    """The business date a rescore scores as of (the dating rule of the README).

    An explicit `as_of` (a review, a replay) is taken as given. A fact scores as of its own business
    date, but never earlier than the current score's date: a back-dated fact arriving after a later
    review is folded into that later date rather than rolling the current score back in time. A fact
    without a business date (a customer update, a limit override) keeps the current score's date; only
    a customer never scored falls back to today. No rescore is dated after today.
    """
    if as_of is not None:
        return as_of
    day = max(event_on, current) if event_on is not None and current is not None else event_on or current or today
    return min(day, today)


async def rescore(
    session: AsyncSession,
    *,
    clock: Clock,
    customer_id: UUID,
    trigger: str,
    as_of: date | None = None,
    event_on: date | None = None,
    actor: Principal,
) -> Rescored | None:
    """Score the customer as of a business date (`rescore_day`); on a change, record it and tell others.

    A rescore dated before the current score (a review replayed for an earlier date) is computed and
    returned but writes nothing current: the later score, limit and warning state stand.

    One statement reads everything (and locks the customer row), the rest is computed here, and one
    statement writes what changed, each table at most once: the limit, the score, the warning state,
    the outbox (alerts, when there are any, are inserted first so only those recorded are published).
    """
    snap = await rescore_snapshot(session, customer_id)
    if snap is None:
        return None
    now = clock.now()
    previous = snap.latest_score
    # The current business date: the latest scored or reviewed (a review that moved nothing still dates it).
    current = max(
        [d for d in (date.fromisoformat(previous["as_of"]) if previous else None, snap.last_reviewed_on) if d],
        default=None,
    )
    today = rescore_day(today=local_date(now, snap.time_zone), current=current, as_of=as_of, event_on=event_on)
    behind = current is not None and today < current
    portfolio = portfolio_of(snap)
    file = domain.build_credit_file(
        portfolio.experiences, as_of=today, first_seen_on=portfolio.first_seen_on, history=portfolio.history
    )
    initial = initial_limit_of(snap, file, today)
    if file.invoices_issued == 0:
        if snap.credit_limit is not None and not behind:  # a manual limit set before the first invoice
            tier = previous["tier"] if previous else "C"
            _, _, _, events, limit_row = policy.refresh_limit(
                customer_id=customer_id,
                file=file,
                tier=tier,
                today=today,
                current=snap.credit_limit,
                caps=config.POLICY.limit_caps,
                now=now,
                initial=initial,
            )
            await write_rescore(
                session, limit=limit_row, score=None, watch=None, outbox_rows=outbox.rows_for(events, clock=clock)
            )
        return None  # nothing to score yet: the onboarding assessment covers the cold start
    model = await _scorecard(session, snap.scorecard_version)
    scored = scoring.apply_scorecard(model, file)
    recommendation, effective, used, events, limit_row = policy.refresh_limit(
        customer_id=customer_id,
        file=file,
        tier=scored.tier,
        today=today,
        current=snap.credit_limit,
        caps=config.POLICY.limit_caps,
        now=now,
        initial=initial,
    )
    hold = policy.credit_hold(
        scored.tier,
        recommendation.exposure,
        effective,
        paying_late=policy.paying_late(file),
        manual=policy.override_in_effect(snap.credit_limit, today),
    )
    if behind:
        log.info("credit_score.behind_current", customer_id=str(customer_id), as_of=today.isoformat(), trigger=trigger)
        return Rescored(
            score=scored,
            file=file,
            recommendation=recommendation,
            effective_limit=effective,
            credit_hold=hold,
            changed=False,
        )
    state = (scored.score, scored.tier, scored.payment_index, hold)
    changed = (
        previous is None
        or (
            previous["score"],
            previous["tier"],
            previous["payment_index"],
            previous["credit_hold"],
        )
        != state
    )
    score_row: dict[str, Any] | None = None
    if changed:
        score_row, published = scoring.score_published(
            scored,
            score_id=uuid7(),
            customer_id=customer_id,
            credit_hold=hold,
            previous=previous,
            as_of=today,
            trigger=trigger,
            now=now,
        )
        events.append(published)
        log.info(
            "credit_score.changed",
            customer_id=str(customer_id),
            score=scored.score,
            tier=scored.tier,
            payment_index=scored.payment_index,
            credit_hold=hold,
            trigger=trigger,
        )
    seen = _observation(model, scored, file, used)

    def observe(day: date) -> policy.Observation | None:
        return seen if day == today else _observation_on(day, snap=snap, portfolio=portfolio, model=model)

    raised, kept, _ = watching.observe_through(snap.watch, today, observe, customer_key=str(customer_id))
    watch_row = {"customer_id": customer_id, "state": kept, "updated_at": now} if kept != snap.watch else None
    for day in sorted({d for d, _ in raised}):  # rare: their own statement, so only alerts recorded are published
        warnings = [w for d, w in raised if d == day]
        events.extend(await record_alerts(session, customer_id=customer_id, warnings=warnings, now=now, raised_on=day))
    await write_rescore(
        session, limit=limit_row, score=score_row, watch=watch_row, outbox_rows=outbox.rows_for(events, clock=clock)
    )
    return Rescored(
        score=scored,
        file=file,
        recommendation=recommendation,
        effective_limit=effective,
        credit_hold=hold,
        changed=changed,
    )


@dataclass(frozen=True)
class ScoreView:
    customer_id: UUID
    as_of: date
    score: scoring.Score


async def score_as_of(session: AsyncSession, *, clock: Clock, customer_id: UUID, as_of: date | None) -> ScoreView:
    """The customer's score, tier, index and reasons computed from the credit file as of a date."""
    day = resolve_as_of(clock, as_of)
    customer = await require_customer(session, customer_id)
    (found,) = await build_credit_files(session, [customer], day)
    model = await active_model(session, "scorecard")
    return ScoreView(customer_id=customer_id, as_of=day, score=scoring.apply_scorecard(model, found.file))


async def score_history(session: AsyncSession, *, customer_id: UUID, page: PageParams) -> list[CreditScore]:
    """A page (limit+1 rows) of the customer's published scores, newest first."""
    await require_customer(session, customer_id)
    return await repository.list_scores(session, customer_id, page)


@dataclass(frozen=True)
class Prediction:
    invoice_id: UUID
    invoice_number: str | None
    currency: str
    amount_outstanding: Decimal
    due_date: date
    days_past_due: int
    probability_late: float
    days_late: int
    model_version: str


async def predictions(
    session: AsyncSession, *, clock: Clock, customer_id: UUID, as_of: date | None = None
) -> list[Prediction]:
    """P(paid more than N days late) for each invoice open on `as_of` (default today), days past due then.

    Each from its features as of its invoice date, the view the model was trained on.
    """
    today = resolve_as_of(clock, as_of) if as_of is not None else None
    customer = await require_customer(session, customer_id)
    today = today or today_of(clock, customer)
    portfolio = (await load_portfolios(session, [customer]))[customer_id]
    now = domain.build_credit_file(
        portfolio.experiences, as_of=today, first_seen_on=portfolio.first_seen_on, history=portfolio.history
    )
    model = await active_model(session, "late_payment")
    known = {e.invoice_id: e for e in portfolio.experiences}
    terms = portfolio.terms or {}
    out = []
    for e in (x for x in now.experiences if x.status == "open"):
        issued_on = known[e.invoice_id].known_on or today
        # The model was trained on features as of each invoice's issue date: predict from the same view.
        file = domain.build_credit_file(
            portfolio.experiences, as_of=issued_on, first_seen_on=portfolio.first_seen_on, history=portfolio.history
        )
        net_days = terms.get(e.invoice_id) or ((e.due_date - e.invoice_date).days if e.invoice_date else 30)
        features = scoring.late_payment_features(
            file, amount=e.total, currency=e.currency, net_days=net_days, due_date=e.due_date, disputed=e.disputed
        )
        out.append(
            Prediction(
                invoice_id=e.invoice_id,
                invoice_number=e.invoice_number,
                currency=e.currency,
                amount_outstanding=e.amount_outstanding,
                due_date=e.due_date,
                days_past_due=e.days_past_due or 0,
                probability_late=round(scoring.late_payment_probability(model, features), 4),
                days_late=int(model.get("days_late", config.POLICY.late_payment_days)),
                model_version=model["version"],
            )
        )
    return out
