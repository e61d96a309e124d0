"""Pure dunning rules: who is reminded, how a case ends, when a failed email is retried.

No I/O and no clock reads here: callers pass state and instants in, decisions come out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
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


def choose_recipient(contacts: Sequence[Mapping[str, Any]], preferred_language: str) -> Recipient | None:
    """The billing contact's email, else the first contact with an email; in that contact's language."""
    with_email = [c for c in contacts if c.get("email")]
    billing = [c for c in with_email if c.get("role", "billing") == "billing"]
    if not with_email:
        return None
    chosen = (billing or with_email)[0]
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


def is_newer_balance(held_at: datetime, observed_at: datetime) -> bool:
    """True when a balance observed at `observed_at` may replace one observed at `held_at`."""
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
