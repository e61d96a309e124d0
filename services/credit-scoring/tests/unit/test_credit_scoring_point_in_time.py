"""Point in time: facts dated after a day never change the credit file, features or score as of that day."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from credit_scoring.domain import (
    Application,
    CustomerHistory,
    DisputeFact,
    DunningFact,
    PaymentExperience,
    PromiseFact,
    Reversal,
    build_credit_file,
)
from credit_scoring.models_admin import defaults
from credit_scoring.scoring import apply_scorecard, late_payment_features

START = date(2025, 1, 1)
CUT = date(2025, 9, 1)


@st.composite
def invoices(draw: st.DrawFn) -> PaymentExperience:
    issued = START + timedelta(days=draw(st.integers(0, 400)))
    due = issued + timedelta(days=draw(st.sampled_from([15, 30, 45, 60])))
    total = Decimal(draw(st.integers(100, 50_000)))
    paid_after = draw(st.one_of(st.none(), st.integers(-10, 200)))
    paid_on = due + timedelta(days=paid_after) if paid_after is not None else None
    part = draw(st.one_of(st.none(), st.integers(1, 60)))
    applications = (Application(applied_on=due + timedelta(days=part), amount=total / 2),) if part is not None else ()
    bounced = draw(st.one_of(st.none(), st.integers(0, 90)))
    reversals = (
        (Reversal(reversed_on=paid_on + timedelta(days=bounced), amount=total / 2, invoice_reopened=True),)
        if paid_on is not None and bounced is not None
        else ()
    )
    return PaymentExperience(
        invoice_id=uuid.uuid4(),
        invoice_number=None,
        currency="CNY",
        total=total,
        invoice_date=issued,
        due_date=due,
        issued_on=issued,
        paid_on=paid_on,
        written_off_on=due + timedelta(days=150) if paid_on is None and draw(st.booleans()) else None,
        applications=applications,
        credits=(Application(applied_on=due, amount=Decimal(50)),) if draw(st.booleans()) else (),
        reversals=reversals,
    )


@st.composite
def histories(draw: st.DrawFn) -> CustomerHistory:
    def day() -> date:
        return START + timedelta(days=draw(st.integers(0, 500)))

    return CustomerHistory(
        dunning=tuple(
            DunningFact(case_id=uuid.uuid4(), level=draw(st.integers(1, 6)), channel="letter", on=day())
            for _ in range(draw(st.integers(0, 4)))
        ),
        disputes=tuple(
            DisputeFact(dispute_id=uuid.uuid4(), invoice_id=None, opened_on=day(), resolved_on=day())
            for _ in range(draw(st.integers(0, 3)))
        ),
        promises=tuple(
            PromiseFact(promise_id=uuid.uuid4(), kept=draw(st.booleans()), on=day())
            for _ in range(draw(st.integers(0, 3)))
        ),
    )


def forget_after(
    experiences: list[PaymentExperience], history: CustomerHistory, cut: date
) -> tuple[list[PaymentExperience], CustomerHistory]:
    """What was known on `cut`: drop every fact dated after it (invoices issued later, later payments…)."""
    known: list[PaymentExperience] = []
    for e in experiences:
        if e.issued_on is not None and e.issued_on > cut:
            continue
        known.append(
            replace(
                e,
                paid_on=e.paid_on if e.paid_on and e.paid_on <= cut else None,
                written_off_on=e.written_off_on if e.written_off_on and e.written_off_on <= cut else None,
                applications=tuple(a for a in e.applications if a.applied_on <= cut),
                credits=tuple(c for c in e.credits if c.applied_on <= cut),
            )
        )
    past = CustomerHistory(
        dunning=tuple(d for d in history.dunning if d.on <= cut),
        disputes=tuple(
            replace(d, resolved_on=d.resolved_on if d.resolved_on and d.resolved_on <= cut else None)
            for d in history.disputes
            if d.opened_on is not None and d.opened_on <= cut
        ),
        promises=tuple(p for p in history.promises if p.on <= cut),
    )
    return known, past


@settings(max_examples=60, deadline=None)
@given(st.lists(invoices(), max_size=12), histories())
def test_later_facts_never_change_the_file_or_the_score_as_of_an_earlier_day(
    experiences: list[PaymentExperience], history: CustomerHistory
) -> None:
    everything = build_credit_file(experiences, as_of=CUT, first_seen_on=START, history=history)
    known, past = forget_after(experiences, history, CUT)
    then = build_credit_file(known, as_of=CUT, first_seen_on=START, history=past)
    assert everything == then
    model = defaults.default_model("scorecard")
    assert apply_scorecard(model, everything) == apply_scorecard(model, then)


@settings(max_examples=60, deadline=None)
@given(st.lists(invoices(), min_size=1, max_size=12), histories())
def test_the_features_of_an_invoice_are_fixed_at_its_issue_date(
    experiences: list[PaymentExperience], history: CustomerHistory
) -> None:
    target = experiences[0]
    assert target.issued_on is not None and target.due_date is not None and target.total is not None
    # Narrowed copies: a nested function does not see the narrowing of `target`'s attributes.
    issued_on, total, due_date = target.issued_on, target.total, target.due_date

    def features(facts: list[PaymentExperience], past: CustomerHistory) -> dict[str, float]:
        file = build_credit_file(facts, as_of=issued_on, first_seen_on=START, history=past)
        measured: dict[str, float] = late_payment_features(
            file, amount=total, currency="CNY", net_days=30, due_date=due_date
        )
        return measured

    known, past = forget_after(experiences, history, issued_on)
    assert features(experiences, history) == features(known, past)
