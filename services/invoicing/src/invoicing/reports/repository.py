"""SQL of statements, aging, KPIs and late interest: everything read from the ledger's entries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

# Every change to what a customer owes is an entry dated on the customer's
# calendar: an invoice (+total), its void (-total), a credit note (-amount), a
# payment application (-amount) and its reversal (+amount). The balance as of
# any day is the sum of the entries up to that day, so statements, aging and
# KPIs can be read for any past date. Management figures (aging, KPIs) also
# count write-offs (-amount written off) as leaving receivables; the customer's
# statement does not, since a written-off invoice is still owed. Money later
# applied to a written-off invoice (a recovery, 坏账收回) comes back against the
# write-off (+amount, on the day applied; -amount if reversed): the payment takes
# it out of receivables once, and the write-off figure is net of recoveries.


_ENTRIES = """
    SELECT i.customer_id, i.currency, i.id AS invoice_id, i.number AS document, i.invoice_date AS entry_date,
           'invoice' AS kind, i.total AS amount
    FROM invoice i WHERE i.status <> 'draft'
    UNION ALL
    SELECT i.customer_id, i.currency, i.id, i.number, (timezone(c.time_zone, i.voided_at))::date, 'void', -i.total
    FROM invoice i JOIN customer c ON c.id = i.customer_id WHERE i.status = 'void' AND i.voided_at IS NOT NULL
    UNION ALL
    SELECT n.customer_id, n.currency, n.invoice_id, n.number, n.issued_on, 'credit_note', -n.amount
    FROM credit_note n
    UNION ALL
    SELECT a.customer_id, a.currency, a.invoice_id, a.payment_id::text, a.applied_on, 'payment', -a.amount
    FROM payment_application a
    UNION ALL
    SELECT a.customer_id, a.currency, a.invoice_id, a.payment_id::text, a.reversed_on, 'payment_reversal', a.amount
    FROM payment_application a WHERE a.reversed_on IS NOT NULL
"""


_WRITE_OFF_ENTRIES = """
    UNION ALL
    SELECT i.customer_id, i.currency, i.id, i.number, i.written_off_on, 'write_off', -i.amount_written_off
    FROM invoice i WHERE i.written_off_on IS NOT NULL
    UNION ALL
    SELECT a.customer_id, a.currency, a.invoice_id, a.payment_id::text, a.applied_on, 'recovery', a.amount
    FROM payment_application a WHERE a.recovery
    UNION ALL
    SELECT a.customer_id, a.currency, a.invoice_id, a.payment_id::text, a.reversed_on, 'recovery', -a.amount
    FROM payment_application a WHERE a.recovery AND a.reversed_on IS NOT NULL
"""


def _entries(*, write_offs: bool) -> str:
    return _ENTRIES + (_WRITE_OFF_ENTRIES if write_offs else "")


async def balance_entries(
    session: AsyncSession, invoice_ids: list[UUID], up_to: date
) -> dict[UUID, list[tuple[date, Decimal]]]:
    """Each invoice's dated entries up to a day (invoice, payments, reversals, credit notes), for day-by-day interest.

    Write-offs are left out: a written-off invoice is still owed and still bears interest.
    """
    if not invoice_ids:
        return {}
    query = text(
        f"""
        SELECT e.invoice_id, e.entry_date, e.amount FROM ({_entries(write_offs=False)}) e
        WHERE e.invoice_id = ANY(CAST(:ids AS uuid[])) AND e.entry_date <= :up_to
        ORDER BY e.invoice_id, e.entry_date
        """
    )
    found: dict[UUID, list[tuple[date, Decimal]]] = {invoice_id: [] for invoice_id in invoice_ids}
    for row in await session.execute(query, {"ids": invoice_ids, "up_to": up_to}):
        found[row.invoice_id].append((row.entry_date, row.amount))
    return found


async def statement_entries(session: AsyncSession, customer_id: UUID, start: date, end: date) -> list[Row[Any]]:
    """The customer's entries dated in [start, end], oldest first, with the invoice they concern."""
    query = text(
        f"""
        SELECT e.*, i.number AS invoice_number, i.due_date
        FROM ({_entries(write_offs=False)}) e JOIN invoice i ON i.id = e.invoice_id
        WHERE e.customer_id = :customer_id AND e.entry_date BETWEEN :start AND :end
        ORDER BY e.currency, e.entry_date, CASE e.kind WHEN 'invoice' THEN 0 ELSE 1 END, e.document
        """
    )
    return list((await session.execute(query, {"customer_id": customer_id, "start": start, "end": end})).all())


async def balances_before(session: AsyncSession, customer_id: UUID, day: date) -> dict[str, Decimal]:
    """The customer's balance per currency from every entry dated before `day` (a statement's opening)."""
    query = text(
        f"""
        SELECT e.currency, sum(e.amount) AS balance FROM ({_entries(write_offs=False)}) e
        WHERE e.customer_id = :customer_id AND e.entry_date < :day GROUP BY e.currency
        """
    )
    rows = await session.execute(query, {"customer_id": customer_id, "day": day})
    return {row.currency: row.balance for row in rows}


async def open_items_as_of(
    session: AsyncSession,
    as_of: date,
    *,
    customer_id: UUID | None = None,
    currency: str | None = None,
    write_offs: bool = True,
) -> list[Row[Any]]:
    """Every invoice with something outstanding as of a day, with its days past due on that day."""
    query = text(
        f"""
        WITH outstanding AS (
            SELECT e.invoice_id, sum(e.amount) AS amount FROM ({_entries(write_offs=write_offs)}) e
            WHERE e.entry_date <= :as_of
              AND (CAST(:customer_id AS uuid) IS NULL OR e.customer_id = CAST(:customer_id AS uuid))
              AND (CAST(:currency AS text) IS NULL OR e.currency = CAST(:currency AS text))
            GROUP BY e.invoice_id HAVING sum(e.amount) > 0
        )
        SELECT i.id AS invoice_id, i.customer_id, i.number, i.currency, i.invoice_date, i.due_date,
               o.amount, CAST(:as_of AS date) - i.due_date AS days_overdue
        FROM outstanding o JOIN invoice i ON i.id = o.invoice_id
        ORDER BY i.customer_id, i.currency, i.due_date, i.id
        """
    )
    params = {"as_of": as_of, "customer_id": customer_id, "currency": currency}
    return list((await session.execute(query, params)).all())


# What each invoice owes as of a day, for aging. The invoice row carries the sum of all its
# entries (total - paid - credited - written off, nothing once void), kept by the ledger in the
# same transaction as each entry; taking back the entries dated after `as_of` gives the sum up to
# it, the same figure as summing every entry up to that day (tested against it) without reading
# the whole ledger: for a recent day few entries are later. Invoices dated after `as_of` are not
# yet receivables.
#
# Two kinds of invoice can owe something on the day, read apart so that neither reads the paid
# invoices that make most of the table. The open and uncollectible ones: their void branch is
# always 0, and one partial index holds every column used of them (ix_invoice_receivable,
# invoicing 0021: an index-only scan). And the few paid or void now that were not yet on the day
# (a later entry undone, a later write-off, a later void), found from those later entries (the
# indexes on their dates, on written_off_on and on voided_at). The void is on the customer's
# calendar, so voids from a day before `as_of` (UTC) on are looked at: no time zone is a day
# ahead. The amount is computed once per invoice (MATERIALIZED), then summed by due date before
# the buckets are drawn: a few hundred rows take the CASE instead of every invoice.
_OUTSTANDING = """
    WITH later AS (
        SELECT a.invoice_id,
               sum(CASE WHEN a.applied_on > :as_of THEN a.amount ELSE 0 END)
               - sum(CASE WHEN a.reversed_on > :as_of THEN a.amount ELSE 0 END) AS amount
        FROM payment_application a WHERE a.applied_on > :as_of OR a.reversed_on > :as_of
        GROUP BY a.invoice_id
        UNION ALL
        SELECT n.invoice_id, sum(n.amount) FROM credit_note n WHERE n.issued_on > :as_of GROUP BY n.invoice_id
    ), undone AS (SELECT invoice_id, sum(amount) AS amount FROM later GROUP BY invoice_id),
    recovered AS (
        -- what came back of a write-off by the day (the write-off's amount is counted back, as the KPIs do)
        SELECT a.invoice_id,
               sum(CASE WHEN a.applied_on <= :as_of THEN a.amount ELSE 0 END)
               - sum(CASE WHEN a.reversed_on <= :as_of THEN a.amount ELSE 0 END) AS amount
        FROM payment_application a WHERE a.recovery GROUP BY a.invoice_id
    ),
    outstanding AS MATERIALIZED (
        SELECT i.id AS invoice_id, i.customer_id, i.currency, i.due_date,
               i.total - i.amount_paid - i.amount_credited - i.amount_written_off
               + CASE WHEN i.written_off_on > :as_of THEN i.amount_written_off ELSE 0 END
               + coalesce(u.amount, 0) + coalesce(r.amount, 0) AS amount
        FROM invoice i LEFT JOIN undone u ON u.invoice_id = i.id LEFT JOIN recovered r ON r.invoice_id = i.id
        WHERE i.status IN ('open', 'uncollectible') AND i.invoice_date <= :as_of
          AND (CAST(:customer_id AS uuid) IS NULL OR i.customer_id = CAST(:customer_id AS uuid))
          AND (CAST(:currency AS text) IS NULL OR i.currency = CAST(:currency AS text))
        UNION ALL
        SELECT i.id, i.customer_id, i.currency, i.due_date,
               i.total - i.amount_paid - i.amount_credited - i.amount_written_off
               - CASE WHEN i.status = 'void' AND i.voided_at IS NOT NULL AND NOT v.voided_later THEN i.total ELSE 0 END
               + CASE WHEN i.written_off_on > :as_of THEN i.amount_written_off ELSE 0 END
               + coalesce(u.amount, 0) + coalesce(r.amount, 0)
        FROM (
            SELECT a.invoice_id AS id FROM payment_application a WHERE a.applied_on > :as_of OR a.reversed_on > :as_of
            UNION
            SELECT n.invoice_id FROM credit_note n WHERE n.issued_on > :as_of
            UNION
            SELECT w.id FROM invoice w WHERE w.written_off_on > :as_of
            UNION
            SELECT x.id FROM invoice x
            WHERE x.voided_at >= CAST(CAST(:as_of AS date) - 1 AS timestamp) AT TIME ZONE 'UTC'
        ) touched
        JOIN invoice i ON i.id = touched.id
        LEFT JOIN undone u ON u.invoice_id = i.id
        LEFT JOIN recovered r ON r.invoice_id = i.id
        CROSS JOIN LATERAL (
            SELECT (i.status = 'void' AND i.voided_at IS NOT NULL
                    AND (SELECT timezone(c.time_zone, i.voided_at)::date FROM customer c WHERE c.id = i.customer_id)
                        > :as_of) AS voided_later
        ) v
        WHERE i.status NOT IN ('draft', 'open', 'uncollectible') AND i.invoice_date <= :as_of
          AND (CAST(:customer_id AS uuid) IS NULL OR i.customer_id = CAST(:customer_id AS uuid))
          AND (CAST(:currency AS text) IS NULL OR i.currency = CAST(:currency AS text))
          AND (u.invoice_id IS NOT NULL OR i.written_off_on > :as_of OR v.voided_later)
    )
"""

_BUCKET = """
    CASE WHEN CAST(:as_of AS date) - o.due_date <= 0 THEN 'current'
         WHEN CAST(:as_of AS date) - o.due_date <= 30 THEN '1-30'
         WHEN CAST(:as_of AS date) - o.due_date <= 60 THEN '31-60'
         WHEN CAST(:as_of AS date) - o.due_date <= 90 THEN '61-90' ELSE '90+' END
"""


async def aging_as_of(
    session: AsyncSession, as_of: date, *, customer_id: UUID | None, currency: str | None
) -> list[Row[Any]]:
    """Outstanding per customer, currency and aging bucket as of a day, in one grouped query."""
    query = text(
        f"""
        {_OUTSTANDING}, by_due AS (
            SELECT o.customer_id, o.currency, o.due_date, sum(o.amount) AS amount, count(*) AS invoices
            FROM outstanding o WHERE o.amount > 0 GROUP BY 1, 2, 3
        )
        SELECT o.customer_id, c.legal_name, o.currency, {_BUCKET} AS bucket,
               sum(o.amount) AS amount, CAST(sum(o.invoices) AS bigint) AS invoices
        FROM by_due o JOIN customer c ON c.id = o.customer_id
        GROUP BY 1, 2, 3, 4 ORDER BY 2, 1, 3
        """
    )
    params = {"as_of": as_of, "customer_id": customer_id, "currency": currency}
    return list((await session.execute(query, params)).all())


async def aging_totals_as_of(
    session: AsyncSession, as_of: date, *, customer_id: UUID | None, currency: str | None
) -> list[Row[Any]]:
    """Outstanding per currency and aging bucket as of a day: the aging's totals without a row per customer."""
    query = text(
        f"""
        {_OUTSTANDING}, by_due AS (
            SELECT o.currency, o.due_date, sum(o.amount) AS amount, count(*) AS invoices
            FROM outstanding o WHERE o.amount > 0 GROUP BY 1, 2
        )
        SELECT o.currency, {_BUCKET} AS bucket, sum(o.amount) AS amount, CAST(sum(o.invoices) AS bigint) AS invoices
        FROM by_due o GROUP BY 1, 2 ORDER BY 1, 2
        """
    )
    params = {"as_of": as_of, "customer_id": customer_id, "currency": currency}
    return list((await session.execute(query, params)).all())


async def kpi_figures(
    session: AsyncSession, start: date, end: date, *, customer_id: UUID | None, currency: str | None
) -> list[Row[Any]]:
    """Per currency: receivables at start and end, the part not yet due at the end, sales, collections, write-offs."""
    query = text(
        f"""
        SELECT e.currency,
               coalesce(sum(e.amount) FILTER (WHERE e.entry_date < :start), 0) AS opening,
               coalesce(sum(e.amount) FILTER (WHERE e.entry_date <= :end), 0) AS closing,
               coalesce(sum(e.amount) FILTER (WHERE e.entry_date <= :end AND i.due_date >= :end), 0) AS closing_current,
               coalesce(sum(e.amount) FILTER (
                   WHERE e.entry_date BETWEEN :start AND :end AND e.kind IN ('invoice', 'void')), 0) AS sales,
               coalesce(-sum(e.amount) FILTER (
                   WHERE e.entry_date BETWEEN :start AND :end AND e.kind IN ('payment', 'payment_reversal')), 0)
                   AS collected,
               coalesce(-sum(e.amount) FILTER (
                   WHERE e.entry_date BETWEEN :start AND :end AND e.kind IN ('write_off', 'recovery')), 0)
                   AS written_off
        FROM ({_entries(write_offs=True)}) e JOIN invoice i ON i.id = e.invoice_id
        WHERE (CAST(:customer_id AS uuid) IS NULL OR e.customer_id = CAST(:customer_id AS uuid))
          AND (CAST(:currency AS text) IS NULL OR e.currency = CAST(:currency AS text))
        GROUP BY e.currency ORDER BY e.currency
        """
    )
    params = {"start": start, "end": end, "customer_id": customer_id, "currency": currency}
    return list((await session.execute(query, params)).all())


# The entries of _ENTRIES (write-offs included) with their invoice's due date and the flow each is in
# (a sale, a collection, a write-off, a credit note), summed by currency, day and due date, for the
# monthly KPIs: the due date is the invoice's own on its entries, joined only for payments and credit
# notes. The sales and the collections, one row per invoice and per payment, are summed in their own
# branch; the customer and currency asked for are applied in each branch, on the entry's own row as
# before. Voids and write-offs are read by their dates' partial indexes (invoicing 0021), not by a
# scan of every invoice each.
_DATED_ENTRIES = """
    SELECT i.currency, i.invoice_date AS entry_date, i.due_date, 'sale' AS flow, sum(i.total) AS amount
    FROM invoice i WHERE i.status <> 'draft' AND {invoice_filter} GROUP BY 1, 2, 3
    UNION ALL
    SELECT i.currency, (timezone(c.time_zone, i.voided_at))::date, i.due_date, 'sale', -i.total
    FROM invoice i JOIN customer c ON c.id = i.customer_id
    WHERE i.status = 'void' AND i.voided_at IS NOT NULL AND {invoice_filter}
    UNION ALL
    SELECT i.currency, i.written_off_on, i.due_date, 'write_off', -i.amount_written_off
    FROM invoice i WHERE i.written_off_on IS NOT NULL AND {invoice_filter}
    UNION ALL
    SELECT n.currency, n.issued_on, i.due_date, 'credit', -n.amount
    FROM credit_note n JOIN invoice i ON i.id = n.invoice_id WHERE {note_filter}
    UNION ALL
    SELECT a.currency, a.applied_on, i.due_date, 'collection', -sum(a.amount)
    FROM payment_application a JOIN invoice i ON i.id = a.invoice_id WHERE {payment_filter} GROUP BY 1, 2, 3
    UNION ALL
    SELECT a.currency, a.reversed_on, i.due_date, 'collection', a.amount
    FROM payment_application a JOIN invoice i ON i.id = a.invoice_id
    WHERE a.reversed_on IS NOT NULL AND {payment_filter}
    UNION ALL
    SELECT a.currency, a.applied_on, i.due_date, 'write_off', a.amount
    FROM payment_application a JOIN invoice i ON i.id = a.invoice_id WHERE a.recovery AND {payment_filter}
    UNION ALL
    SELECT a.currency, a.reversed_on, i.due_date, 'write_off', -a.amount
    FROM payment_application a JOIN invoice i ON i.id = a.invoice_id
    WHERE a.recovery AND a.reversed_on IS NOT NULL AND {payment_filter}
"""


def _filter(alias: str) -> str:
    """The customer and currency asked for (either may be NULL: no filter), on the entry's own row."""
    return (
        f"(CAST(:customer_id AS uuid) IS NULL OR {alias}.customer_id = CAST(:customer_id AS uuid))"
        f" AND (CAST(:currency AS text) IS NULL OR {alias}.currency = CAST(:currency AS text))"
    )


async def kpi_figures_by_period(
    session: AsyncSession, periods: list[tuple[date, date]], *, customer_id: UUID | None, currency: str | None
) -> list[Row[Any]]:
    """kpi_figures for consecutive periods in one pass over the ledger: per period (1-based `period`) and currency.

    The entries are summed by day and due date first (a few thousand rows), then each day is put
    in the period it falls in (`slot`: 0 before the first, len+1 after the last) and the period at
    whose end its invoice is still not due (`due_slot`: how many period ends come on or before its
    due date). From those few hundred rows every period's opening, closing, not-yet-due part and
    flows are summed: the figures kpi_figures gives one period at a time.
    """
    edges = [start for start, _ in periods] + [periods[-1][1] + timedelta(days=1)]
    ends = [end for _, end in periods]
    entries = _DATED_ENTRIES.format(invoice_filter=_filter("i"), note_filter=_filter("n"), payment_filter=_filter("a"))
    query = text(
        f"""
        WITH daily AS (
            SELECT e.currency, e.entry_date, e.due_date, e.flow, sum(e.amount) AS amount
            FROM ({entries}) e
            GROUP BY 1, 2, 3, 4
        ), grouped AS (
            SELECT d.currency,
                   width_bucket(d.entry_date, CAST(:edges AS date[])) AS slot,
                   width_bucket(d.due_date, CAST(:ends AS date[])) AS due_slot,
                   d.flow, sum(d.amount) AS amount
            FROM daily d GROUP BY 1, 2, 3, 4
        )
        SELECT p.period, g.currency,
               coalesce(sum(g.amount) FILTER (WHERE g.slot < p.period), 0) AS opening,
               coalesce(sum(g.amount) FILTER (WHERE g.slot <= p.period), 0) AS closing,
               coalesce(sum(g.amount) FILTER (WHERE g.slot <= p.period AND g.due_slot >= p.period), 0)
                   AS closing_current,
               coalesce(sum(g.amount) FILTER (WHERE g.slot = p.period AND g.flow = 'sale'), 0) AS sales,
               coalesce(-sum(g.amount) FILTER (WHERE g.slot = p.period AND g.flow = 'collection'), 0) AS collected,
               coalesce(-sum(g.amount) FILTER (WHERE g.slot = p.period AND g.flow = 'write_off'), 0) AS written_off
        FROM grouped g CROSS JOIN unnest(CAST(:numbers AS int[])) AS p(period)
        GROUP BY 1, 2 ORDER BY 1, 2
        """
    )
    params = {
        "edges": edges,
        "ends": ends,
        "numbers": list(range(1, len(periods) + 1)),
        "customer_id": customer_id,
        "currency": currency,
    }
    return list((await session.execute(query, params)).all())
