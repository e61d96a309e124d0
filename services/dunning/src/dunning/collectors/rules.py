"""Pure rules of collectors: which collector a case goes to, and how a collector's worklist is ranked.

No I/O and no clock: callers pass what they read and the business date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

from dunning.collectors.regions import in_regions, region_names
from dunning.domain import DEFAULT_TIER

# A broken promise counts on the worklist this many days after the tick found it broken.
BROKEN_PROMISE_DAYS = 14
# A ladder step this close is on the worklist as coming (the collector may call first).
STEP_SOON_DAYS = 7


@dataclass(frozen=True)
class CollectorRules:
    """What cases a collector takes: tiers (empty: any), regions as division prefixes (empty: any), the band
    of the case's open balance, a load cap."""

    username: str
    tiers: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    max_open_cases: int | None = None
    active: bool = True


@dataclass(frozen=True)
class CaseProfile:
    """What the rules look at in a case: its customer's tier (unscored: B), its open balance and the
    administrative division of its customer's USCC (None when unknown)."""

    case_id: UUID
    tier: str | None
    amount: Decimal
    division: str | None = None


# Where a dispute is answered, by who raised it: dunning's own and a statement's here, reconciliation's there.
DISPUTE_WHERE = {
    "dunning": ("answer it here", "请在此处理"),
    "statement": (
        "the customer disputed a statement: settle it with them, then resolve it here",
        "客户对对账单有异议，请与客户核实后在此处理",
    ),
    "reconciliation": ("it is answered in reconciliation", "由对账处理"),
}


def matches(rules: CollectorRules, case: CaseProfile) -> bool:
    """Whether the collector's tiers, regions and amount band take the case (the load is checked apart)."""
    if not rules.active:
        return False
    if rules.tiers and (case.tier or DEFAULT_TIER) not in rules.tiers:
        return False
    if not in_regions(case.division, rules.regions):
        return False
    if rules.min_amount is not None and case.amount < rules.min_amount:
        return False
    return rules.max_amount is None or case.amount <= rules.max_amount


def choose_collector(
    collectors: Sequence[CollectorRules],
    loads: Mapping[str, int],
    case: CaseProfile,
    *,
    excluded: Iterable[str] = (),
) -> str | None:
    """The least loaded collector whose rules take the case and who is below their cap; ties by username."""
    skip = set(excluded)
    fitting = [
        c
        for c in collectors
        if c.username not in skip
        and matches(c, case)
        and (c.max_open_cases is None or loads.get(c.username, 0) < c.max_open_cases)
    ]
    if not fitting:
        return None
    return min(fitting, key=lambda c: (loads.get(c.username, 0), c.username)).username


def assign_all(
    collectors: Sequence[CollectorRules],
    loads: Mapping[str, int],
    cases: Sequence[CaseProfile],
    *,
    excluded: Iterable[str] = (),
) -> dict[UUID, str | None]:
    """Choose for many cases in turn, each choice adding to the chosen collector's load."""
    current = dict(loads)
    skip = frozenset(excluded)
    chosen: dict[UUID, str | None] = {}
    for case in cases:
        username = choose_collector(collectors, current, case, excluded=skip)
        chosen[case.case_id] = username
        if username is not None:
            current[username] = current.get(username, 0) + 1
    return chosen


def no_match_reason(case: CaseProfile) -> tuple[str, str]:
    """Why a case waits unassigned, in English and Chinese."""
    tier, amount = case.tier or DEFAULT_TIER, format(case.amount, ",.2f")
    where_en, where_zh = region_names(case.division)
    return (
        f"No active collector's rules take a tier {tier} case of {amount} in {where_en}, "
        "or all who do are at their limit.",
        f"没有在岗催收员的分配规则适用于{where_zh}、{tier} 级、金额 {amount} 的案件，或适用者均已满额。",
    )


# --- the worklist ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkFacts:
    """What ranking one open case reads."""

    case_id: UUID
    currency: str
    amount: Decimal
    days_overdue: int
    open_promises: Sequence[tuple[date, Decimal]] = ()
    # Promises the tick found broken, as (settled_on, amount).
    broken_promises: Sequence[tuple[date, Decimal]] = ()
    # The next ladder step not taken: (name, channel, due date).
    next_step: tuple[str, str, date] | None = None
    # Open call and visit tasks: (kind, due date).
    open_tasks: Sequence[tuple[str, date]] = ()
    # Open disputes on the case's invoices: (source, invoice number).
    open_disputes: Sequence[tuple[str, str]] = ()
    paused: str | None = None


@dataclass(frozen=True)
class Reason:
    code: str
    urgency: int
    en: str
    zh: str
    on: date | None = None
    # The ladder step a step_due / step_soon reason is about, as fields (the sentences name them too).
    step: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class WorkItem:
    case_id: UUID
    urgency: int
    expected_recovery: Decimal
    reasons: list[Reason] = field(default_factory=list)


URGENCY = {
    "promise_broken": 60,
    "promise_due_today": 50,
    "task_due": 40,
    "dispute_to_answer": 30,
    "step_due": 30,
    "step_soon": 10,
    "task_coming": 10,
    "promise_coming": 5,
    "open_balance": 0,
}


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def _zh_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def work_reasons(facts: WorkFacts, today: date) -> list[Reason]:
    """Why the case is on the worklist today, most urgent first (always at least its open balance)."""
    reasons: list[Reason] = []
    cur = facts.currency
    for promised, amount in facts.open_promises:
        money = _money(amount, cur)
        if promised < today:
            reasons.append(
                Reason(
                    "promise_broken",
                    URGENCY["promise_broken"],
                    f"The promise to pay {money} by {promised.isoformat()} has passed unpaid.",
                    f"承诺于{_zh_date(promised)}支付 {money}，已逾期未付。",
                    promised,
                )
            )
        elif promised == today:
            reasons.append(
                Reason(
                    "promise_due_today",
                    URGENCY["promise_due_today"],
                    f"The promise to pay {money} falls due today: check the money arrived.",
                    f"客户承诺今日支付 {money}，请核实是否到账。",
                    promised,
                )
            )
        else:
            reasons.append(
                Reason(
                    "promise_coming",
                    URGENCY["promise_coming"],
                    f"A promise to pay {money} by {promised.isoformat()} is open.",
                    f"客户承诺于{_zh_date(promised)}前支付 {money}。",
                    promised,
                )
            )
    for settled, amount in facts.broken_promises:
        if (today - settled).days <= BROKEN_PROMISE_DAYS:
            money = _money(amount, cur)
            reasons.append(
                Reason(
                    "promise_broken",
                    URGENCY["promise_broken"],
                    f"The promise to pay {money} was broken on {settled.isoformat()}.",
                    f"承诺支付的 {money} 已于{_zh_date(settled)}违约。",
                    settled,
                )
            )
    for kind, due in facts.open_tasks:
        what_en, what_zh = ("visit", "上门拜访") if kind == "visit" else ("call", "电话催收")
        if due <= today:
            reasons.append(
                Reason(
                    "task_due",
                    URGENCY["task_due"],
                    f"A {what_en} is due ({due.isoformat()}).",
                    f"{what_zh}任务已到期（{_zh_date(due)}）。",
                    due,
                )
            )
        else:
            reasons.append(
                Reason(
                    "task_coming",
                    URGENCY["task_coming"],
                    f"A {what_en} is planned for {due.isoformat()}.",
                    f"{what_zh}任务安排在{_zh_date(due)}。",
                    due,
                )
            )
    for source, number in facts.open_disputes:
        where_en, where_zh = DISPUTE_WHERE.get(source, DISPUTE_WHERE["reconciliation"])
        reasons.append(
            Reason(
                "dispute_to_answer",
                URGENCY["dispute_to_answer"],
                f"Invoice {number} is disputed: {where_en}.",
                f"账单 {number} 存在争议，{where_zh}。",
            )
        )
    if facts.next_step is not None and facts.paused is None:
        name, channel, due = facts.next_step
        days = (due - today).days
        if days <= 0:
            reasons.append(
                Reason(
                    "step_due",
                    URGENCY["step_due"],
                    f"The ladder's next step, {name} ({channel}), is due.",
                    f"催收流程的下一步 {name}（{channel}）已到期。",
                    due,
                    step=name,
                    channel=channel,
                )
            )
        elif days <= STEP_SOON_DAYS:
            reasons.append(
                Reason(
                    "step_soon",
                    URGENCY["step_soon"],
                    f"The ladder's next step, {name} ({channel}), comes in {days} days ({due.isoformat()}).",
                    f"催收流程的下一步 {name}（{channel}）将于 {days} 天后（{_zh_date(due)}）进行。",
                    due,
                    step=name,
                    channel=channel,
                )
            )
    money = _money(facts.amount, cur)
    reasons.append(
        Reason(
            "open_balance",
            URGENCY["open_balance"],
            f"{money} open, {facts.days_overdue} days overdue.",
            f"未收 {money}，逾期 {facts.days_overdue} 天。",
        )
    )
    reasons.sort(key=lambda r: -r.urgency)
    return reasons


def rank_worklist(cases: Iterable[tuple[WorkFacts, date]]) -> list[WorkItem]:
    """Most urgent first, then by expected recovery (open balance × days overdue), then by case id.

    Each case comes with its business date (today in its customer's time zone)."""
    items = []
    for facts, today in cases:
        reasons = work_reasons(facts, today)
        value = facts.amount * max(facts.days_overdue, 0)
        items.append(WorkItem(facts.case_id, max(r.urgency for r in reasons), value, reasons))
    items.sort(key=lambda i: (-i.urgency, -i.expected_recovery, i.case_id))
    return items


# --- results ---------------------------------------------------------------------------------------


def weighted_days(rows: Iterable[tuple[Decimal, int]]) -> Decimal | None:
    """Σ(amount × days) / Σ amount, to one decimal half-up (None for an empty book)."""
    total = Decimal(0)
    weighted = Decimal(0)
    for amount, days in rows:
        total += amount
        weighted += amount * days
    if total <= 0:
        return None
    return (weighted / total).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")
