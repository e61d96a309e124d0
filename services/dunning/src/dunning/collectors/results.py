"""What each collector achieved over a period of business dates, recomputed from the facts every time.

Every fact counts for the collector who held its case at the fact's instant (the case's assignment
history), and on its business date: the instant's date in the customer's time zone, or the fact's
own date (a payment's applied_on, a promise's settled_on). The README defines each figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.money import to_minor_units
from dunning.collectors.rules import weighted_days

# The collector who held case `X.case_id` at instant `{at}`: the latest assignment at or before it.
_OWNER = """(SELECT h.collector FROM dunning_case_assignment h
    WHERE h.case_id = {case} AND h.assigned_at <= {at}
    ORDER BY h.assigned_at DESC, h.id DESC LIMIT 1)"""
_ZONE = "coalesce(cu.time_zone, 'Asia/Shanghai')"


def _local(instant: str) -> str:
    return f"(({instant}) AT TIME ZONE {_ZONE})::date"


_CONTACTS = f"""
SELECT owner, kind, case_id FROM (
    SELECT {_OWNER.format(case="a.case_id", at="a.created_at")} AS owner, 'action' AS kind, a.case_id
    FROM dunning_action a LEFT JOIN customer cu ON cu.id = a.customer_id
    WHERE a.channel IN ('email', 'sms', 'letter') AND a.status = 'sent'
      AND {_local("a.created_at")} BETWEEN :start AND :end
    UNION ALL
    SELECT {_OWNER.format(case="t.case_id", at="t.completed_at")}, 'call', t.case_id
    FROM dunning_task t LEFT JOIN customer cu ON cu.id = t.customer_id
    WHERE t.kind IN ('phone_call', 'visit') AND t.status = 'done'
      AND {_local("t.completed_at")} BETWEEN :start AND :end
    UNION ALL
    SELECT {_OWNER.format(case="p.case_id", at="p.created_at")}, 'promise', p.case_id
    FROM promise_to_pay p LEFT JOIN customer cu ON cu.id = p.customer_id
    WHERE {_local("p.created_at")} BETWEEN :start AND :end
    UNION ALL
    SELECT {_OWNER.format(case="p.case_id", at="p.created_at")}, 'kept', p.case_id
    FROM promise_to_pay p
    WHERE p.status = 'kept' AND p.settled_on BETWEEN :start AND :end
) facts WHERE owner IN :usernames
"""

_COLLECTED = """
SELECT collector, currency, sum(amount) FROM case_payment
WHERE collector IN :usernames AND applied_on BETWEEN :start AND :end
  AND (reversed_on IS NULL OR reversed_on > :end)
GROUP BY collector, currency
"""

# The book at the end of `end` (local midnight after it): the cases open then and whose they were; each
# open item's balance then is what it owes now plus what was applied to it after `end` (not reversed).
_BOOK = f"""
WITH ends AS (
    SELECT c.id AS case_id, c.currency, ((CAST(:end AS date) + 1)::timestamp AT TIME ZONE {_ZONE}) AS at_end
    FROM dunning_case c LEFT JOIN customer cu ON cu.id = c.customer_id
    WHERE c.opened_at < ((CAST(:end AS date) + 1)::timestamp AT TIME ZONE {_ZONE})
      AND (c.resolved_at IS NULL OR c.resolved_at >= ((CAST(:end AS date) + 1)::timestamp AT TIME ZONE {_ZONE}))
), owned AS (
    SELECT e.case_id, e.currency, e.at_end, {_OWNER.format(case="e.case_id", at="e.at_end")} AS owner FROM ends e
)
SELECT o.owner, o.currency, o.case_id,
       i.amount_due + coalesce((SELECT sum(p.amount) FROM case_payment p
           WHERE p.invoice_id = i.invoice_id AND p.applied_on > :end AND p.reversed_on IS NULL), 0) AS open_amount,
       CAST(:end AS date) - coalesce(i.invoice_date, i.due_date) AS age
FROM owned o JOIN dunning_case_item i ON i.case_id = o.case_id
WHERE o.owner IN :usernames AND i.overdue AND i.created_at < o.at_end
  AND (i.status = 'open' OR i.closed_at >= o.at_end)
"""


def _expanding(sql: str) -> Any:
    return text(sql).bindparams(bindparam("usernames", expanding=True))


async def results(
    session: AsyncSession, *, collectors: Sequence[tuple[str, str | None]], start: date, end: date
) -> list[dict[str, Any]]:
    """The figures of each (username, display name) over [start, end], in the order given."""
    usernames = [u for u, _ in collectors]
    figures: dict[str, dict[str, Any]] = {
        u: {
            "collector": u,
            "display_name": name,
            "period_from": start,
            "period_to": end,
            "worked": set(),
            "actions_sent": 0,
            "calls_logged": 0,
            "promises_made": 0,
            "promises_kept": 0,
            "amount_collected": [],
            "book": {},
        }
        for u, name in collectors
    }
    if not usernames:
        return []
    params = {"usernames": usernames, "start": start, "end": end}
    for owner, kind, case_id in (await session.execute(_expanding(_CONTACTS), params)).all():
        row = figures[owner]
        if kind == "kept":
            row["promises_kept"] += 1
            continue
        row["worked"].add(case_id)
        key = {"action": "actions_sent", "call": "calls_logged", "promise": "promises_made"}[kind]
        row[key] += 1
    for owner, currency, total in (await session.execute(_expanding(_COLLECTED), params)).all():
        figures[owner]["amount_collected"].append({"amount": to_minor_units(total, currency), "currency": currency})
    book_rows: dict[tuple[str, str], list[tuple[Decimal, int]]] = {}
    book_cases: dict[tuple[str, str], set[UUID]] = {}
    for owner, currency, case_id, amount, age in (await session.execute(_expanding(_BOOK), params)).all():
        if amount <= 0:
            continue
        book_rows.setdefault((owner, currency), []).append((amount, age))
        book_cases.setdefault((owner, currency), set()).add(case_id)
    for (owner, currency), rows in sorted(book_rows.items()):
        figures[owner]["book"][currency] = {
            "currency": currency,
            "open_amount": to_minor_units(sum((a for a, _ in rows), Decimal(0)), currency),
            "cases": len(book_cases[(owner, currency)]),
            "dso_days": weighted_days(rows),
        }
    out = []
    for username in usernames:
        row = figures[username]
        worked = row.pop("worked")
        row["amount_collected"].sort(key=lambda m: m["currency"])
        out.append(
            {
                **row,
                "cases_worked": len(worked),
                "contacts_made": row["actions_sent"] + row["calls_logged"],
                "book": list(row["book"].values()),
            }
        )
    return out
