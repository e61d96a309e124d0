"""One timeline of a customer's events, merged from what each service's API says (pure: no I/O).

Every service keeps its own facts; none keeps the customer's story. The 360 page
asks each for its lists and this module turns their records into events, newest
first. A record that carries only a business date (a payment's received_on, a
promise's settled_on) sorts at the start of that day in the firm's time zone: it
happened on that day, at a moment no API says.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from arflow.clock import DEFAULT_TIME_ZONE

FIRM_ZONE = ZoneInfo(DEFAULT_TIME_ZONE)


@dataclass(frozen=True)
class Event:
    """One thing that happened: when, which kind (an i18n key), what it concerns, an amount if any."""

    at: datetime
    kind: str
    source: str  # the service that said so
    subject: str = ""  # an invoice number, a step's name, a score: shown beside the kind
    subject_group: str = ""  # when the subject is a service's code: the labels' group that names it
    amount: str | None = None
    currency: str | None = None
    dated_only: bool = False  # the API gave a day, not a moment
    details: dict[str, str] = field(default_factory=dict)


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=FIRM_ZONE)


def _day(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.combine(date.fromisoformat(value), time(0), tzinfo=FIRM_ZONE)


def _event(at: datetime | None, kind: str, source: str, dated_only: bool = False, **rest: Any) -> list[Event]:
    return [Event(at=at, kind=kind, source=source, dated_only=dated_only, **rest)] if at else []


def invoice_events(invoices: Iterable[dict[str, Any]]) -> list[Event]:
    events: list[Event] = []
    for inv in invoices:
        number, money = inv.get("number") or "", {"amount": inv["total"], "currency": inv["currency"]}
        events += _event(_instant(inv.get("issued_at")), "ev_invoice_issued", "invoicing", subject=number, **money)
        events += _event(_day(inv.get("paid_on")), "ev_invoice_paid", "invoicing", True, subject=number, **money)
        events += _event(_instant(inv.get("voided_at")), "ev_invoice_voided", "invoicing", subject=number, **money)
        events += _event(
            _day(inv.get("written_off_on")),
            "ev_invoice_written_off",
            "invoicing",
            True,
            subject=number,
            amount=inv.get("amount_written_off"),
            currency=inv["currency"],
        )
    return events


def credit_note_events(notes: Iterable[dict[str, Any]]) -> list[Event]:
    return [
        e
        for n in notes
        for e in _event(
            _day(n.get("issued_on")),
            "ev_credit_note",
            "invoicing",
            True,
            subject=n.get("number", ""),
            amount=n["amount"],
            currency=n["currency"],
        )
    ]


def payment_events(payments: Iterable[dict[str, Any]]) -> list[Event]:
    events: list[Event] = []
    for p in payments:
        applied = ", ".join(a["invoice_number"] for a in p.get("allocations") or [])
        events += _event(
            _day(p.get("received_on")),
            "ev_payment_received",
            "reconciliation",
            True,
            subject=applied or (p.get("payer_name") or ""),
            amount=p["amount"],
            currency=p["currency"],
            details={"status": p.get("status", "")},
        )
    return events


def dispute_events(disputes: Iterable[dict[str, Any]]) -> list[Event]:
    events: list[Event] = []
    for d in disputes:
        money: dict[str, Any] = {"amount": d.get("amount"), "currency": d.get("currency")}
        number = d.get("invoice_number", "")
        events += _event(_instant(d.get("opened_at")), "ev_dispute_opened", "reconciliation", subject=number, **money)
        events += _event(
            _instant(d.get("resolved_at")), "ev_dispute_resolved", "reconciliation", subject=number, **money
        )
    return events


def case_events(cases: Iterable[dict[str, Any]]) -> list[Event]:
    events: list[Event] = []
    for c in cases:
        money: dict[str, Any] = {"amount": c.get("amount_overdue"), "currency": c.get("currency")}
        events += _event(_instant(c.get("opened_at")), "ev_case_opened", "dunning", **money)
        events += _event(
            _instant(c.get("resolved_at")),
            "ev_case_resolved",
            "dunning",
            subject=c.get("resolution") or "",
            subject_group="resolution",
        )
    return events


def action_events(actions: Iterable[dict[str, Any]]) -> list[Event]:
    return [
        e
        for a in actions
        for e in _event(
            _instant(a.get("sent_at") or a.get("completed_at") or a.get("created_at")),
            "ev_dunning_step",
            "dunning",
            subject=a.get("step", ""),
            subject_group="step",
            amount=a.get("amount_overdue"),
            currency=a.get("currency"),
            details={"channel": a.get("channel", ""), "status": a.get("status", ""), "level": str(a.get("level", ""))},
        )
    ]


def promise_events(promises: Iterable[dict[str, Any]]) -> list[Event]:
    events: list[Event] = []
    for p in promises:
        money: dict[str, Any] = {"amount": p["amount"], "currency": p["currency"]}
        events += _event(
            _instant(p.get("created_at")),
            "ev_promise_made",
            "dunning",
            subject=p.get("promised_date", ""),
            **money,
        )
        if p.get("status") in ("kept", "broken"):
            events += _event(_day(p.get("settled_on")), f"ev_promise_{p['status']}", "dunning", True, **money)
    return events


def task_events(tasks: Iterable[dict[str, Any]]) -> list[Event]:
    return [
        e
        for t in tasks
        if t.get("status") == "done"
        for e in _event(
            _instant(t.get("completed_at")),
            "ev_task_done",
            "dunning",
            subject=t.get("note") or "",
            details={"kind": t.get("kind", ""), "outcome": t.get("outcome") or ""},
        )
    ]


def document_events(documents: Iterable[dict[str, Any]]) -> list[Event]:
    return [
        e
        for d in documents
        for e in _event(
            _instant(d.get("created_at")),
            "ev_document",
            "dunning",
            subject=d.get("number") or d.get("filename", ""),
            details={"kind": d.get("kind", ""), "document_id": str(d.get("id", ""))},
        )
    ]


def score_events(scores: Iterable[dict[str, Any]]) -> list[Event]:
    return [
        e
        for s in scores
        for e in _event(
            _instant(s.get("scored_at")),
            "ev_score",
            "credit-scoring",
            subject=f"{s['score']} · {s['tier']}",
            details={"trigger": s.get("trigger", "")},
        )
    ]


def alert_events(alerts: Iterable[dict[str, Any]]) -> list[Event]:
    return [
        e
        for a in alerts
        for e in _event(
            _instant(a.get("raised_at")),
            "ev_alert",
            "credit-scoring",
            subject=a.get("message_zh", ""),
            details={"message_en": a.get("message_en", ""), "severity": a.get("severity", "")},
        )
    ]


def merged(*groups: Iterable[Event]) -> list[Event]:
    """Every event, newest first; on one moment, by kind so the order does not depend on which API answered first."""
    events = [event for group in groups for event in group]
    return sorted(events, key=lambda e: (e.at, e.kind, e.subject), reverse=True)
