"""The ladder's pure rules: policy choice, the next step, guardrails, re-anchoring, promises."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypedDict, Unpack
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from dunning import domain
from dunning.domain import CaseState, Guardrails, PolicyStep, PolicyView

DUE = date(2026, 3, 1)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def view(policy: dict[str, Any]) -> PolicyView:
    return PolicyView(
        code=policy["code"],
        version=1,
        steps=[PolicyStep(**s) for s in policy["steps"]],
        tiers=tuple(policy["tiers"]),
    )


DEFAULTS = {p["code"]: view(p) for p in domain.DEFAULT_POLICIES}


class CaseFields(TypedDict, total=False):
    """The fields of a CaseState that a test may set (all of them but `paused_reason`)."""

    anchor_date: date
    level: int
    done_steps: frozenset[str]
    amount_overdue: Decimal
    has_overdue: bool
    last_contact_at: datetime | None


def state(**changes: Unpack[CaseFields]) -> CaseState:
    values: CaseFields = {
        "anchor_date": DUE,
        "level": 1,
        "done_steps": frozenset({"overdue_notice"}),
        "amount_overdue": Decimal("5000"),
        "has_overdue": True,
        "last_contact_at": None,
    }
    values.update(changes)
    return CaseState(**values)


def local(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def select(
    policies: Sequence[PolicyView], *, tier: str | None, amount_overdue: Decimal, tags: Sequence[str]
) -> PolicyView:
    """The policy chosen where the test expects one to fit."""
    chosen = domain.select_policy(policies, tier=tier, amount_overdue=amount_overdue, tags=tags)
    assert chosen is not None
    return chosen


def decide(policy: PolicyView, case: CaseState, when: datetime, guard: Guardrails | None = None) -> domain.StepDecision:
    return domain.decide_step(policy, case, now=when.astimezone(UTC), local_now=when, guard=guard or Guardrails())


def test_default_policies_are_valid_ladders() -> None:
    for policy in domain.DEFAULT_POLICIES:
        assert domain.policy_problems(policy["steps"]) == [], policy["code"]


def test_policy_problems_name_duplicates_and_disorder() -> None:
    steps = [
        {"name": "a", "offset_days": 5, "level": 2},
        {"name": "a", "offset_days": 3, "level": 1},
    ]
    problems = domain.policy_problems(steps)
    assert any("unique" in p for p in problems)
    assert any("offsets" in p for p in problems)
    assert any("levels" in p for p in problems)


def test_tier_selects_its_ladder_and_unscored_customers_get_tier_b() -> None:
    policies = list(DEFAULTS.values())
    assert select(policies, tier="D", amount_overdue=Decimal(1), tags=[]).code == "tier-d"
    assert select(policies, tier=None, amount_overdue=Decimal(1), tags=[]).code == "tier-b"


def test_amount_segment_and_tags_pick_the_more_specific_policy() -> None:
    large = PolicyView("large-b", 1, DEFAULTS["tier-b"].steps, tiers=("B",), min_amount=Decimal("100000"))
    vip = PolicyView("vip", 1, DEFAULTS["tier-a"].steps, tags=("vip",), priority=10)
    policies = [*DEFAULTS.values(), large, vip]
    assert select(policies, tier="B", amount_overdue=Decimal("99999"), tags=[]).code == "tier-b"
    assert select(policies, tier="B", amount_overdue=Decimal("100000"), tags=[]).code == "large-b"
    assert select(policies, tier="D", amount_overdue=Decimal("1"), tags=["vip"]).code == "vip"


def test_next_step_waits_for_its_date_then_executes() -> None:
    policy = DEFAULTS["tier-b"]
    waiting = decide(policy, state(), local(date(2026, 3, 7)))
    assert waiting.step is not None
    assert (waiting.kind, waiting.step.name, waiting.due_on) == ("wait", "follow_up", date(2026, 3, 8))
    assert decide(policy, state(), local(date(2026, 3, 8))).kind == "execute"


def test_pre_due_steps_only_before_the_invoice_is_overdue() -> None:
    policy = DEFAULTS["tier-b"]
    before = state(level=0, done_steps=frozenset(), has_overdue=False)
    decision = decide(policy, before, local(date(2026, 2, 26)))
    assert decision.step is not None
    assert (decision.kind, decision.step.name) == ("execute", "pre_due_reminder")
    once_overdue = decide(policy, state(level=0, done_steps=frozenset()), local(date(2026, 3, 2)))
    assert once_overdue.step is not None
    assert once_overdue.step.name == "overdue_notice"


def test_quiet_hours_block_sms_but_not_email() -> None:
    policy = DEFAULTS["tier-b"]
    after_follow_up = state(level=2, done_steps=frozenset({"overdue_notice", "follow_up"}))
    assert decide(policy, after_follow_up, local(date(2026, 3, 11), 22)).reason == "quiet_hours"
    assert decide(policy, after_follow_up, local(date(2026, 3, 11), 7)).reason == "quiet_hours"
    assert decide(policy, after_follow_up, local(date(2026, 3, 11), 8)).kind == "execute"
    assert decide(policy, state(), local(date(2026, 3, 11), 23)).kind == "execute"  # the follow-up email


def test_quiet_window_within_one_day() -> None:
    guard = Guardrails(quiet_start=time(12), quiet_end=time(14))
    assert domain.is_quiet(local(DUE, 13), guard) and not domain.is_quiet(local(DUE, 14), guard)


def test_minimum_gap_between_contacts() -> None:
    when = local(date(2026, 3, 9))
    recent = state(last_contact_at=when.astimezone(UTC) - timedelta(hours=47))
    assert decide(DEFAULTS["tier-b"], recent, when).reason == "minimum_gap"
    older = state(last_contact_at=when.astimezone(UTC) - timedelta(hours=48))
    assert decide(DEFAULTS["tier-b"], older, when).kind == "execute"


def test_minimum_amount_and_weekends() -> None:
    when = local(date(2026, 3, 14))  # a Saturday
    assert (
        decide(
            DEFAULTS["tier-b"], state(amount_overdue=Decimal("9.99")), when, Guardrails(min_amount=Decimal(10))
        ).reason
        == "below_minimum_amount"
    )
    assert decide(DEFAULTS["tier-b"], state(), when, Guardrails(skip_weekends=True)).reason == "weekend"
    assert decide(DEFAULTS["tier-b"], state(), when).kind == "execute"


def test_a_gentler_ladder_never_takes_the_case_back_down() -> None:
    at_letter = state(level=3, done_steps=frozenset({"overdue_notice", "sms_reminder", "follow_up", "formal_letter"}))
    decision = decide(DEFAULTS["tier-a"], at_letter, local(date(2026, 4, 20)))
    assert decision.step is not None
    assert decision.step.name == "phone_call"


class PauseFacts(TypedDict):
    """pause_reason's arguments besides the two switches."""

    hold_reason: str | None
    held_until: date | None
    promised_dates: list[date]
    all_disputed: bool
    today: date


class PromiseTerms(TypedDict):
    """promise_outcome's arguments that the promise fixed when it was made."""

    amount: Decimal
    owed_at_promise: Decimal
    promised_date: date


def test_pauses_in_order_of_firmness() -> None:
    common: PauseFacts = {
        "hold_reason": None,
        "held_until": None,
        "promised_dates": [],
        "all_disputed": False,
        "today": DUE,
    }
    assert domain.pause_reason(excluded=True, frozen=True, **common) == "legal_handover"
    held: PauseFacts = {**common, "hold_reason": "x", "held_until": DUE - timedelta(days=1)}
    assert domain.pause_reason(excluded=False, frozen=False, **held) is None
    promised: PauseFacts = {**common, "promised_dates": [DUE]}
    assert domain.pause_reason(excluded=False, frozen=False, **promised) == "promise_to_pay"


def test_promise_kept_broken_or_open() -> None:
    args: PromiseTerms = {"amount": Decimal(1000), "owed_at_promise": Decimal(3000), "promised_date": DUE}
    assert domain.promise_outcome(**args, owed_now=Decimal(2000), today=DUE) == ("kept", Decimal(1000))
    assert domain.promise_outcome(**args, owed_now=Decimal(2500), today=DUE) == ("open", Decimal(500))
    assert domain.promise_outcome(**args, owed_now=Decimal(2500), today=DUE + timedelta(days=1)) == (
        "broken",
        Decimal(500),
    )


def test_letter_numbers_read_as_a_chinese_finance_department_writes_them() -> None:
    assert domain.letter_number(2026, 1) == "催字〔2026〕第0001号"
    assert domain.letter_number(2027, 123) == "催字〔2027〕第0123号"
    assert domain.letter_number(2026, 12345) == "催字〔2026〕第12345号"


def test_the_letter_step_sends_a_reminder_while_nothing_is_overdue_and_a_demand_once_it_is() -> None:
    assert domain.letter_kind(channel="letter", template="formal_letter", any_overdue=False) == "before_due"
    assert domain.letter_kind(channel="letter", template="formal_letter", any_overdue=True) == "overdue"
    assert domain.letter_kind(channel="letter", template="final_letter", any_overdue=True) == "final"
    assert domain.letter_kind(channel="legal_handover", template="legal_handover", any_overdue=True) == "legal_handover"


def test_a_letter_step_waits_while_the_creditor_is_not_set() -> None:
    overdue = state(level=2, done_steps=frozenset({"overdue_notice", "sms_reminder", "follow_up"}))
    when = DUE + timedelta(days=21)
    decision = decide(DEFAULTS["tier-b"], overdue, local(when), Guardrails(creditor_ready=False))
    assert (decision.kind, decision.reason) == ("blocked", "creditor_not_configured")
    assert decision.step is not None and decision.step.name == "formal_letter"
    assert decide(DEFAULTS["tier-b"], overdue, local(when)).kind == "execute"
    # An email step is not blocked: the sender keeps the email queued instead (and says why).
    before_letter = state(level=1, done_steps=frozenset({"overdue_notice"}))
    email = decide(DEFAULTS["tier-b"], before_letter, local(DUE + timedelta(days=7)), Guardrails(creditor_ready=False))
    assert email.kind == "execute" and email.step is not None and email.step.channel == "email"


@settings(max_examples=200, deadline=None)
@given(
    tier=st.sampled_from(sorted(DEFAULTS)),
    tick_gaps=st.lists(st.integers(min_value=1, max_value=9), min_size=10, max_size=60),
    payments=st.sets(st.integers(min_value=0, max_value=59), max_size=5),
)
def test_partial_payments_never_skip_nor_repeat_a_step(tier: str, tick_gaps: list[int], payments: set[int]) -> None:
    """Walking any tick schedule with partial payments anywhere, steps are taken in ladder order, each once."""
    policy = DEFAULTS[tier]
    anchor, level, done, taken, last = DUE, 1, ["overdue_notice"], ["overdue_notice"], None
    day = DUE + timedelta(days=1)
    for i, gap in enumerate(tick_gaps):
        day += timedelta(days=gap)
        if i in payments:
            anchor = domain.reanchor(anchor, policy=policy, done_steps=frozenset(done), paid_on=day)
        case = state(anchor_date=anchor, level=level, done_steps=frozenset(done), last_contact_at=last)
        decision = decide(policy, case, local(day))
        if decision.kind == "execute":
            step = decision.step
            assert step is not None
            done.append(step.name)
            taken.append(step.name)
            level = max(level, step.level)
            last = local(day).astimezone(UTC)
    ladder = [s.name for s in policy.steps if s.offset_days >= 0]
    assert taken == ladder[: len(taken)]
    assert len(set(taken)) == len(taken)


def test_reanchor_only_moves_the_schedule_later() -> None:
    policy = DEFAULTS["tier-b"]
    done = frozenset({"overdue_notice", "follow_up"})
    assert domain.reanchor(DUE, policy=policy, done_steps=done, paid_on=date(2026, 3, 20)) == date(2026, 3, 13)
    assert domain.reanchor(DUE, policy=policy, done_steps=done, paid_on=date(2026, 3, 2)) == DUE


def test_an_unmatched_payment_holds_from_its_report_until_resolved_or_its_bound() -> None:
    reported = datetime(2026, 3, 2, 2, tzinfo=UTC)
    until = reported + domain.UNMATCHED_PAYMENT_HOLD
    open_hold = [(reported, until, None)]
    assert not domain.awaiting_unmatched_payment(open_hold, reported - timedelta(seconds=1))
    assert domain.awaiting_unmatched_payment(open_hold, until - timedelta(seconds=1))
    assert not domain.awaiting_unmatched_payment(open_hold, until)  # seven days, then chased anyway
    resolved = [(reported, until, reported + timedelta(days=2))]
    assert domain.awaiting_unmatched_payment(resolved, reported + timedelta(days=1))
    assert not domain.awaiting_unmatched_payment(resolved, reported + timedelta(days=2))
    today = date(2026, 3, 3)
    common: dict[str, Any] = {"hold_reason": None, "held_until": None, "all_disputed": True, "today": today}
    assert (
        domain.pause_reason(excluded=False, frozen=False, promised_dates=[], awaiting_unmatched_payment=True, **common)
        == "unmatched_payment"
    )
    assert (
        domain.pause_reason(
            excluded=False, frozen=False, promised_dates=[today], awaiting_unmatched_payment=True, **common
        )
        == "promise_to_pay"
    )
