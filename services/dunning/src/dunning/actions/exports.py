"""The action log, the monthly collection plan and the collectors' results as CSV (UTF-8 with BOM, so
spreadsheet tools read Chinese; cells a spreadsheet would read as formulas are neutralised)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from arflow.spreadsheet import SafeWriter
from dunning.models import DunningAction

ACTION_COLUMNS = (
    "id",
    "created_at",
    "case_id",
    "customer_id",
    "step",
    "level",
    "channel",
    "recipient",
    "template",
    "language",
    "status",
    "outcome",
    "attempts",
    "amount_overdue",
    "currency",
    "sent_at",
    "completed_at",
    "operator",
)


def actions_csv(actions: Sequence[DunningAction]) -> str:
    """The action log as CSV (one row per action, oldest first)."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(ACTION_COLUMNS)
    for a in actions:
        row = {c: getattr(a, c, None) for c in ACTION_COLUMNS}
        row["operator"] = (a.details or {}).get("operator")
        writer.writerow(["" if row[c] is None else str(row[c]) for c in ACTION_COLUMNS])
    return out.getvalue()


PLAN_COLUMNS = (
    "rank",
    "customer_name",
    "customer_id",
    "tier",
    "policy",
    "level",
    "collector",
    "currency",
    "amount_overdue",
    "priority",
    "paused",
    "step",
    "channel",
    "date",
)


def plan_csv(lines: Sequence[dict[str, Any]], collectors: Sequence[dict[str, Any]]) -> str:
    """The plan as CSV: one row per planned step, then the totals per collector."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(PLAN_COLUMNS)
    for line in lines:
        for step in line["planned_steps"]:
            row = {**line, **step}
            writer.writerow(["" if row.get(c) is None else str(row[c]) for c in PLAN_COLUMNS])
    writer.writerow([])
    writer.writerow(["collector", "currency", "cases", "amount_overdue", "planned_steps"])
    for total in collectors:
        writer.writerow(
            [
                total["collector"] or "",
                total["currency"],
                total["cases"],
                total["amount_overdue"],
                total["planned_steps"],
            ]
        )
    return out.getvalue()


RESULT_COLUMNS = (
    "collector",
    "display_name",
    "period_from",
    "period_to",
    "cases_worked",
    "contacts_made",
    "actions_sent",
    "calls_logged",
    "promises_made",
    "promises_kept",
    "currency",
    "amount_collected",
    "open_amount",
    "book_cases",
    "dso_days",
)


def results_csv(rows: Sequence[dict[str, Any]]) -> str:
    """The results as CSV (UTF-8 with BOM): one row per collector and currency (one with no money at all)."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(RESULT_COLUMNS)
    for row in rows:
        collected = {m["currency"]: m["amount"] for m in row["amount_collected"]}
        book = {b["currency"]: b for b in row["book"]}
        for currency in sorted(collected.keys() | book.keys()) or [""]:
            cells = {
                **row,
                "currency": currency,
                "amount_collected": collected.get(currency, Decimal(0) if currency else ""),
                "open_amount": book[currency]["open_amount"] if currency in book else "",
                "book_cases": book[currency]["cases"] if currency in book else "",
                "dso_days": book[currency]["dso_days"] if currency in book else "",
            }
            writer.writerow(["" if cells.get(c) is None else str(cells[c]) for c in RESULT_COLUMNS])
    return out.getvalue()
