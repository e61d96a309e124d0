"""Pure dunning rules: who is reminded, how a case ends, when a failed email is retried.

No I/O and no clock reads here: callers pass state and instants in, decisions come out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any, Literal

# The first rung of the ladder: the overdue notice sent when an invoice first goes past due.
OVERDUE_NOTICE_STEP = "overdue_notice"
OVERDUE_NOTICE_LEVEL = 1
OVERDUE_NOTICE_CHANNEL = "email"
OVERDUE_NOTICE_TEMPLATE = "overdue_notice"

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"

Closure = Literal["paid", "voided", "written_off"]


@dataclass(frozen=True)
class CustomerView:
    """What dunning knows of a customer (its projection of CustomerUpserted)."""

    legal_name: str
    preferred_language: str
    contacts: Sequence[Mapping[str, Any]]
    dunning_excluded: bool


@dataclass(frozen=True)
class Recipient:
    email: str
    language: str


def _language(value: object, fallback: str) -> str:
    if value in LANGUAGES:
        return str(value)
    return fallback if fallback in LANGUAGES else DEFAULT_LANGUAGE


def _ranked(contacts: Sequence[Mapping[str, Any]], field: str, channel: str) -> list[Mapping[str, Any]]:
    """The contacts that have `field`, billing contacts first, and among them those who prefer `channel`."""
    having = [c for c in contacts if c.get(field)]
    return sorted(
        having,
        key=lambda c: (c.get("role", "billing") != "billing", c.get("preferred_channel", "email") != channel),
    )


def choose_recipient(contacts: Sequence[Mapping[str, Any]], preferred_language: str) -> Recipient | None:
    """The billing contact's email (one who prefers email first), else any contact's; in that contact's language."""
    ranked = _ranked(contacts, "email", "email")
    if not ranked:
        return None
    chosen = ranked[0]
    return Recipient(email=str(chosen["email"]), language=_language(chosen.get("language"), preferred_language))


@dataclass(frozen=True)
class ReminderPlan:
    """What to do about a reminder: send it, record it as undeliverable, skip it, or wait."""

    kind: Literal["send", "no_recipient", "excluded", "await_customer"]
    recipient: Recipient | None = None
    language: str | None = None


def plan_reminder(customer: CustomerView | None) -> ReminderPlan:
    """Decide a reminder from the customer as known now (None: not yet known to dunning)."""
    if customer is None:
        return ReminderPlan("await_customer")
    if customer.dunning_excluded:
        return ReminderPlan("excluded")
    recipient = choose_recipient(customer.contacts, customer.preferred_language)
    if recipient is None:
        return ReminderPlan("no_recipient", language=_language(customer.preferred_language, DEFAULT_LANGUAGE))
    return ReminderPlan("send", recipient=recipient, language=recipient.language)


def case_resolution(closures: Iterable[str | None]) -> Closure | None:
    """How a case ends once every item is closed (None while one is still open).

    A write-off marks the whole case as a loss; otherwise any payment makes it
    "paid"; only a case whose every invoice was voided ends "voided".
    """
    seen = list(closures)
    if not seen or any(c is None for c in seen):
        return None
    if "written_off" in seen:
        return "written_off"
    if "paid" in seen:
        return "paid"
    return "voided"


def is_newer_balance(
    held_at: datetime, observed_at: datetime, *, held_version: int | None = None, version: int | None = None
) -> bool:
    """True when a balance observed at `observed_at` may replace one observed at `held_at`.

    When both balances carry invoicing's ledger version, the version decides (the order invoicing
    changed the balance in); otherwise the time it was observed does.
    """
    if held_version is not None and version is not None:
        return version >= held_version
    return observed_at >= held_at


@dataclass(frozen=True)
class DeliveryFailure:
    """After a failed attempt: retry at `retry_at`, or give up (status "failed")."""

    status: Literal["pending", "failed"]
    retry_at: datetime | None


def after_failed_attempt(attempts: int, *, now: datetime, max_attempts: int, base_delay: timedelta) -> DeliveryFailure:
    """Exponential backoff (base, 2×base, 4×base…) until `max_attempts` attempts were made."""
    if attempts >= max_attempts:
        return DeliveryFailure("failed", None)
    return DeliveryFailure("pending", now + base_delay * 2 ** (attempts - 1))


# --- policies: ladders as data --------------------------------------------------------------

Channel = Literal["email", "sms", "letter", "phone_task", "visit_task", "legal_handover", "internal_alert"]
CHANNELS: tuple[str, ...] = ("email", "sms", "letter", "phone_task", "visit_task", "legal_handover", "internal_alert")
TIERS = ("A", "B", "C", "D")
# A customer not yet scored by credit-scoring is chased on the standard ladder.
DEFAULT_TIER = "B"
# Channels that reach a person at a moment: never inside the customer's quiet hours.
INTRUSIVE_CHANNELS = frozenset({"sms", "phone_task"})
# Channels that contact the customer (the minimum gap between contacts applies to them).
CONTACT_CHANNELS = frozenset({"email", "sms", "letter", "phone_task", "visit_task"})
PRE_DUE_STEP = "pre_due_reminder"
# Channels whose step makes a letter (催款函) there and then: refused while the creditor is not set.
DOCUMENT_CHANNELS = frozenset({"letter", "legal_handover"})


@dataclass(frozen=True)
class PolicyStep:
    """One rung: `offset_days` from the due date (negative = before it), a channel, a template per language."""

    name: str
    offset_days: int
    channel: str
    level: int
    templates: Mapping[str, str]

    def template_for(self, language: str) -> str | None:
        return (
            self.templates.get(language)
            or self.templates.get(DEFAULT_LANGUAGE)
            or next(iter(self.templates.values()), None)
        )


@dataclass(frozen=True)
class PolicyView:
    """One version of a policy: its ladder and the conditions under which it applies."""

    code: str
    version: int
    steps: Sequence[PolicyStep]
    tiers: Sequence[str] = ()
    min_amount: Decimal | None = None
    tags: Sequence[str] = ()
    priority: int = 0


def _t(name: str) -> dict[str, str]:
    return {"zh-CN": name, "en": name}


def _ladder(*rungs: tuple[str, int, str, int]) -> list[dict[str, Any]]:
    return [
        {"name": name, "offset_days": offset, "channel": channel, "level": level, "templates": _t(TEMPLATE_OF[name])}
        for name, offset, channel, level in rungs
    ]


TEMPLATE_OF = {
    PRE_DUE_STEP: "pre_due_reminder",
    OVERDUE_NOTICE_STEP: OVERDUE_NOTICE_TEMPLATE,
    "follow_up": "follow_up",
    "sms_reminder": "sms_reminder",
    "formal_letter": "formal_letter",
    "phone_call": "phone_call",
    "visit": "visit",
    "account_manager_alert": "internal_alert",
    "legal_handover": "legal_handover",
}

# The handbook ladder (提醒 → 到期通知 → 跟进 → 催账函 → 电话 → 上门 → 法律手段), gentle for
# tier A and firmer down to D: the same rungs, sooner and with more of them.
DEFAULT_POLICIES: list[dict[str, Any]] = [
    {
        "code": "tier-a",
        "name": "Tier A — gentle",
        "tiers": ["A"],
        "steps": _ladder(
            (PRE_DUE_STEP, -3, "email", 0),
            (OVERDUE_NOTICE_STEP, 1, "email", 1),
            ("follow_up", 14, "email", 2),
            ("formal_letter", 30, "letter", 3),
            ("phone_call", 45, "phone_task", 4),
            ("visit", 75, "visit_task", 5),
            ("legal_handover", 120, "legal_handover", 6),
        ),
    },
    {
        "code": "tier-b",
        "name": "Tier B — standard",
        "tiers": ["B"],
        "steps": _ladder(
            (PRE_DUE_STEP, -3, "email", 0),
            (OVERDUE_NOTICE_STEP, 1, "email", 1),
            ("follow_up", 7, "email", 2),
            ("sms_reminder", 10, "sms", 2),
            ("formal_letter", 21, "letter", 3),
            ("phone_call", 30, "phone_task", 4),
            ("visit", 60, "visit_task", 5),
            ("account_manager_alert", 60, "internal_alert", 5),
            ("legal_handover", 90, "legal_handover", 6),
        ),
    },
    {
        "code": "tier-c",
        "name": "Tier C — firm",
        "tiers": ["C"],
        "steps": _ladder(
            (PRE_DUE_STEP, -5, "email", 0),
            (OVERDUE_NOTICE_STEP, 1, "email", 1),
            ("sms_reminder", 3, "sms", 2),
            ("follow_up", 5, "email", 2),
            ("formal_letter", 14, "letter", 3),
            ("phone_call", 21, "phone_task", 4),
            ("visit", 40, "visit_task", 5),
            ("account_manager_alert", 40, "internal_alert", 5),
            ("legal_handover", 60, "legal_handover", 6),
        ),
    },
    {
        "code": "tier-d",
        "name": "Tier D — strict",
        "tiers": ["D"],
        "steps": _ladder(
            (PRE_DUE_STEP, -7, "email", 0),
            (OVERDUE_NOTICE_STEP, 1, "email", 1),
            ("sms_reminder", 2, "sms", 2),
            ("follow_up", 3, "email", 2),
            ("formal_letter", 7, "letter", 3),
            ("phone_call", 10, "phone_task", 4),
            ("visit", 20, "visit_task", 5),
            ("account_manager_alert", 20, "internal_alert", 5),
            ("legal_handover", 30, "legal_handover", 6),
        ),
    },
]


def policy_problems(steps: Sequence[Mapping[str, Any]]) -> list[str]:
    """What is wrong with a ladder: empty, duplicate names, offsets out of order, a level going down."""
    return [english for english, _chinese in policy_faults(steps)]


def policy_faults(steps: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """policy_problems, each said in English and in Chinese (for the caller's language)."""
    faults = []
    if not steps:
        faults.append(("a policy needs at least one step", "催收策略至少需要一个步骤"))
    names = [s["name"] for s in steps]
    if len(set(names)) != len(names):
        faults.append(("step names must be unique within a policy", "同一催收策略内的步骤名称不能重复"))
    for before, after in pairwise(steps):
        if after["offset_days"] < before["offset_days"]:
            faults.append(
                (
                    f"step {after['name']!r} comes before {before['name']!r}: offsets must not decrease",
                    f"步骤“{after['name']}”的偏移天数小于前一步“{before['name']}”：各步骤的偏移天数不能递减",
                )
            )
        if after["level"] < before["level"]:
            faults.append(
                (
                    f"step {after['name']!r} lowers the level: levels must not decrease",
                    f"步骤“{after['name']}”降低了级别：各步骤的级别不能递减",
                )
            )
    return faults


def select_policy(
    policies: Sequence[PolicyView], *, tier: str | None, amount_overdue: Decimal, tags: Sequence[str]
) -> PolicyView | None:
    """The policy for a customer (分类管理): tier, amount segment and tags must all fit.

    Among those that fit, the highest priority wins, then the highest amount
    threshold (the most specific segment), then the code (a stable tie-break).
    """
    tier = tier or DEFAULT_TIER
    fitting = [
        p
        for p in policies
        if (not p.tiers or tier in p.tiers)
        and (p.min_amount is None or amount_overdue >= p.min_amount)
        and (not p.tags or set(p.tags) & set(tags))
    ]
    if not fitting:
        return None
    return sorted(fitting, key=lambda p: (-p.priority, -(p.min_amount or Decimal(-1)), p.code))[0]


# --- the tick: which step is due on a case --------------------------------------------------


# How long an unmatched payment that is probably the customer's holds the chase while it awaits review.
UNMATCHED_PAYMENT_HOLD = timedelta(days=7)


def awaiting_unmatched_payment(holds: Sequence[tuple[datetime, datetime, datetime | None]], as_of: datetime) -> bool:
    """Whether one of (reported_at, hold_until, resolved_at) still holds the chase as of `as_of`."""
    return any(
        reported <= as_of < until and (resolved is None or as_of < resolved) for reported, until, resolved in holds
    )


@dataclass(frozen=True)
class Guardrails:
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    min_gap: timedelta = timedelta(days=2)
    min_amount: Decimal = Decimal("0")
    skip_weekends: bool = False
    # False while the creditor (name, USCC, payee account) is not set: no step that makes a document
    # the customer receives is taken, so no letter ever carries missing or placeholder payee details.
    creditor_ready: bool = True


@dataclass(frozen=True)
class CaseState:
    """What the tick needs to know of one case."""

    anchor_date: date
    level: int
    done_steps: frozenset[str]
    amount_overdue: Decimal
    has_overdue: bool
    last_contact_at: datetime | None
    paused_reason: str | None = None


@dataclass(frozen=True)
class StepDecision:
    """`execute` a step, `wait` for one later (with the date it is due), or `blocked`/`done`."""

    kind: Literal["execute", "wait", "blocked", "done"]
    step: PolicyStep | None = None
    due_on: date | None = None
    reason: str | None = None


def step_due_date(step: PolicyStep, anchor_date: date) -> date:
    return anchor_date + timedelta(days=step.offset_days)


def pending_steps(policy: PolicyView, state: CaseState) -> list[PolicyStep]:
    """Steps not yet taken, in ladder order; a step below the case's level is never taken (no going back)."""
    return [
        s
        for s in policy.steps
        if s.name not in state.done_steps
        and s.level >= state.level
        # Before the due date only pre-due rungs apply; once overdue, only the others.
        and (s.offset_days < 0) != state.has_overdue
    ]


def is_quiet(local: datetime, guard: Guardrails) -> bool:
    """True inside quiet hours; the window may span midnight (21:00–08:00)."""
    now = local.time()
    if guard.quiet_start <= guard.quiet_end:
        return guard.quiet_start <= now < guard.quiet_end
    return now >= guard.quiet_start or now < guard.quiet_end


def decide_step(
    policy: PolicyView, state: CaseState, *, now: datetime, local_now: datetime, guard: Guardrails
) -> StepDecision:
    """The next step of a case as of `now` (`local_now`: the same instant in the customer's zone).

    One step per tick: a case far behind catches up rung by rung, each after the
    minimum gap, so no step is ever skipped.
    """
    if state.paused_reason:
        return StepDecision("blocked", reason=state.paused_reason)
    remaining = pending_steps(policy, state)
    if not remaining:
        return StepDecision("done")
    step = remaining[0]
    due_on = step_due_date(step, state.anchor_date)
    today = local_now.date()
    if due_on > today:
        return StepDecision("wait", step, due_on)
    if state.amount_overdue < guard.min_amount or state.amount_overdue <= 0:
        return StepDecision("blocked", step, due_on, reason="below_minimum_amount")
    if guard.skip_weekends and today.weekday() >= 5:
        return StepDecision("blocked", step, due_on, reason="weekend")
    if step.channel in DOCUMENT_CHANNELS and not guard.creditor_ready:
        return StepDecision("blocked", step, due_on, reason="creditor_not_configured")
    if step.channel in INTRUSIVE_CHANNELS and is_quiet(local_now, guard):
        return StepDecision("blocked", step, due_on, reason="quiet_hours")
    if (
        step.channel in CONTACT_CHANNELS
        and state.last_contact_at is not None
        and now - state.last_contact_at < guard.min_gap
    ):
        return StepDecision("blocked", step, due_on, reason="minimum_gap")
    return StepDecision("execute", step, due_on)


def reanchor(anchor_date: date, *, policy: PolicyView, done_steps: frozenset[str], paid_on: date) -> date:
    """After a partial payment the next step comes as long after the payment as it was meant to after the last step.

    The schedule only ever moves later: no step is skipped because of the payment
    (steps are tracked by name) and none is repeated.
    """
    done = [s for s in policy.steps if s.name in done_steps]
    if not done:
        return anchor_date
    last = max(done, key=lambda s: s.offset_days)
    return max(anchor_date, paid_on - timedelta(days=last.offset_days))


# --- letters ------------------------------------------------------------------------------

LetterKind = Literal["before_due", "overdue", "final", "legal_handover"]
# A letter step's template names the letter; "formal_letter" is the 催款函 (or a payment reminder while
# nothing is overdue yet), "final_letter" the 最后催告函 before legal action.
FINAL_LETTER_TEMPLATE = "final_letter"


def letter_kind(*, channel: str, template: str | None, any_overdue: bool) -> LetterKind:
    """Which letter a step sends: its wording, title and subject follow from it."""
    if channel == "legal_handover":
        return "legal_handover"
    if template == FINAL_LETTER_TEMPLATE:
        return "final"
    return "overdue" if any_overdue else "before_due"


def letter_number(year: int, sequence: int) -> str:
    """The human-readable letter number: 催字〔2026〕第0001号 (four digits, more once past 9999)."""
    return f"催字〔{year}〕第{sequence:04d}号"


def choose_phone(contacts: Sequence[Mapping[str, Any]]) -> str | None:
    """The billing contact's phone (one who prefers SMS first), else any contact's phone."""
    ranked = _ranked(contacts, "phone", "sms")
    return str(ranked[0]["phone"]) if ranked else None


def choose_postal_address(contacts: Sequence[Mapping[str, Any]]) -> str | None:
    """Where a letter is addressed: the billing contact's postal address (one who prefers letters first)."""
    ranked = _ranked(contacts, "postal_address", "letter")
    return str(ranked[0]["postal_address"]) if ranked else None


def pause_reason(
    *,
    excluded: bool,
    frozen: bool,
    hold_reason: str | None,
    held_until: date | None,
    promised_dates: Sequence[date],
    all_disputed: bool,
    today: date,
    awaiting_unmatched_payment: bool = False,
) -> str | None:
    """Why a case takes no step today, if it is paused; the firmest reason first."""
    if frozen:
        return "legal_handover"
    if excluded:
        return "customer_excluded"
    if hold_reason is not None and (held_until is None or today <= held_until):
        return "manual_hold"
    if any(today <= promised for promised in promised_dates):
        return "promise_to_pay"
    if awaiting_unmatched_payment:
        return "unmatched_payment"
    if all_disputed:
        return "dispute"
    return None


PromiseOutcome = Literal["open", "kept", "broken"]


def promise_outcome(
    *, amount: Decimal, owed_at_promise: Decimal, owed_now: Decimal, promised_date: date, today: date
) -> tuple[PromiseOutcome, Decimal]:
    """A promise is kept once the debt fell by its amount; broken when its date passed without that.

    Returns the outcome and the amount received since the promise was made.
    """
    received = max(owed_at_promise - owed_now, Decimal(0))
    if received >= amount or owed_now <= 0:
        return "kept", received
    if today > promised_date:
        return "broken", received
    return "open", received


TaskOutcome = Literal["reached", "no_answer", "wrong_number", "promise_to_pay", "dispute", "refused"]
TASK_OUTCOMES: tuple[str, ...] = ("reached", "no_answer", "wrong_number", "promise_to_pay", "dispute", "refused")


# --- the monthly collection plan (每月催账计划) ------------------------------------------------

# How much a tier weighs in the plan's priority: riskier customers first at equal amounts.
TIER_WEIGHT = {"A": Decimal(1), "B": Decimal(2), "C": Decimal(3), "D": Decimal(4)}


def plan_priority(amount_overdue: Decimal, tier: str | None) -> Decimal:
    """Overdue amount × risk weight of the tier (unscored customers weigh as tier B)."""
    return amount_overdue * TIER_WEIGHT.get(tier or DEFAULT_TIER, TIER_WEIGHT[DEFAULT_TIER])


def planned_steps(policy: PolicyView, state: CaseState, *, first: date, last: date) -> list[tuple[PolicyStep, date]]:
    """The steps a case will take within [first, last]: what is already due is planned for `first`.

    A plan, not a promise: guardrails and payments may still move a step.
    """
    if state.paused_reason in ("legal_handover", "customer_excluded"):
        return []
    planned = []
    for step in pending_steps(policy, state):
        due = step_due_date(step, state.anchor_date)
        if due > last:
            break
        planned.append((step, max(due, first)))
    return planned
