"""SQL of invoices: lines, lists, numbering, and the due/overdue sweep."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeEngine

from arflow import audit
from arflow.events.catalog import INVOICING, InvoiceDueSoon, InvoiceOverdue, topic_of
from arflow.events.envelope import CONTENT_TYPE, Envelope
from arflow.money import MINOR_UNITS
from arflow.pagination import PageParams, paginate
from invoicing.hosted import links
from invoicing.models import Invoice, InvoiceLine, InvoiceNumberSeries

# Stripe's hosted invoice page never lives past 120 days after the due date, however long it is chased.
LINK_LONGEST_AFTER_DUE = timedelta(days=120)


async def invoice_lines(session: AsyncSession, invoice_id: UUID) -> list[InvoiceLine]:
    query = select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id).order_by(InvoiceLine.position)
    return list((await session.execute(query)).scalars())


async def list_invoices(
    session: AsyncSession,
    page: PageParams,
    *,
    customer_id: UUID | None,
    status: str | None,
    currency: str | None,
    due_before: date | None,
    due_after: date | None,
    overdue_on: date | None = None,
    invoice_date_from: date | None = None,
    invoice_date_to: date | None = None,
    kind: str | None = None,
    number: str | None = None,
    total: Decimal | None = None,
    total_min: Decimal | None = None,
    total_max: Decimal | None = None,
) -> list[Invoice]:
    query = paginate(
        select(Invoice),
        Invoice.id,
        page,
        customer_id=customer_id,
        status=status,
        currency=currency,
        kind=kind,
        number=number,
        total=total,
    )
    if total_min is not None:
        query = query.where(Invoice.total >= total_min)
    if total_max is not None:
        query = query.where(Invoice.total <= total_max)
    if due_before:
        query = query.where(Invoice.due_date < due_before)
    if due_after:
        query = query.where(Invoice.due_date > due_after)
    if overdue_on:
        query = query.where(Invoice.status.in_(("open", "uncollectible")), Invoice.due_date < overdue_on)
    if invoice_date_from:
        query = query.where(Invoice.invoice_date >= invoice_date_from)
    if invoice_date_to:
        query = query.where(Invoice.invoice_date <= invoice_date_to)
    return list((await session.execute(query)).scalars())


async def replace_lines(session: AsyncSession, invoice_id: UUID, lines: list[InvoiceLine]) -> None:
    await session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id))
    session.add_all(lines)


async def delete_invoice(session: AsyncSession, invoice_id: UUID) -> None:
    await session.execute(delete(Invoice).where(Invoice.id == invoice_id))


async def number_invoice(session: AsyncSession, invoice_id: UUID, series: str, year: int) -> tuple[str, str]:
    """Take the series' next number and write it on the invoice with its RF reference: one round trip.

    The number is `SERIES-YEAR-nnnnnn` (domain.format_invoice_number) and the reference
    its ISO 11649 RF creditor reference (domain.rf_creditor_reference), computed in SQL
    so the series row is locked for one statement less; the caller checks both.
    """
    params = {"invoice_id": invoice_id, **_series_params(series, year)}
    row = (await session.execute(_NUMBER_INVOICE, params)).one_or_none()
    if row is None:  # the year's first number: create the series row, then take it like everyone else
        await session.execute(
            pg_insert(InvoiceNumberSeries).values(series=series, year=year, next_value=1).on_conflict_do_nothing()
        )
        row = (await session.execute(_NUMBER_INVOICE, params)).one()
    return row.number, row.payment_reference


_POSTGRESQL = postgresql.dialect()  # type: ignore[no-untyped-call]


def _typed(column_type: TypeEngine[Any]) -> str:
    """The column's type without its length or precision: the column itself checks and rounds on assignment,
    a CAST to VARCHAR(3) would cut a value short instead of refusing it."""
    return re.sub(r"\(.*?\)", "", str(column_type.compile(dialect=_POSTGRESQL)))


_INVOICE_COLUMNS = [c for c in Invoice.__table__.columns if c.key not in ("number", "payment_reference")]
_LINE_COLUMNS = [c for c in InvoiceLine.__table__.columns if c.key != "invoice_id"]
# The series' next number as digits, and the number and its ISO 11649 RF reference made of them: the
# number's statement, shared by the invoice inserted issued and the draft issued later.
_TAKE_NUMBER = """
    taken AS (
        UPDATE invoice_number_series SET next_value = next_value + 1
        WHERE series = :series AND year = :year
        RETURNING lpad((next_value - 1)::text, greatest(6, length((next_value - 1)::text)), '0') AS digits
    ), numbered AS (
        SELECT :series || '-' || :year_text || '-' || t.digits AS number,
               'RF' || lpad((98 - mod(CAST(:series_digits || :year_text || t.digits || '271500' AS numeric), 97))::text,
                            2, '0') || :series || :year_text || t.digits AS payment_reference
        FROM taken t
    )"""
# The invoice's row and its lines (one array per column): one statement, one round trip.
_INSERT_LINES = f"""
    line AS (
        INSERT INTO invoice_line (invoice_id, {", ".join(c.name for c in _LINE_COLUMNS)})
        SELECT inv.id, {", ".join(f"l.{c.name}" for c in _LINE_COLUMNS)}
        FROM inv CROSS JOIN unnest({", ".join(f"CAST(:line_{c.key} AS {_typed(c.type)}[])" for c in _LINE_COLUMNS)})
             AS l({", ".join(c.name for c in _LINE_COLUMNS)})
    )"""
_INVOICE_VALUES = ", ".join(f"CAST(:{c.key} AS {_typed(c.type)})" for c in _INVOICE_COLUMNS)
_INSERT_INVOICE = text(
    f"""
    WITH inv AS (
        INSERT INTO invoice ({", ".join(c.name for c in _INVOICE_COLUMNS)}) VALUES ({_INVOICE_VALUES})
        RETURNING id
    ), {_INSERT_LINES}, {audit.entry_cte(source="inv")}
    SELECT id FROM inv
    """
)
# The after-image of an invoice's creation entry with the number and reference the statement takes.
_NUMBERED_AFTER = (
    "jsonb_set(jsonb_set(CAST(:audit_after AS jsonb), '{number}', to_jsonb(inv.number)),"
    " '{payment_reference}', to_jsonb(inv.payment_reference))"
)
# The number of an invoice just inserted open (see insert_invoice), written on it and into its
# InvoiceIssued outbox row (built with an empty number and reference) and into the answer stored
# for the request's Idempotency-Key, if it has one: the last statement before commit.
_NUMBER_CREATED = text(
    f"""
    WITH {_TAKE_NUMBER}, inv AS (
        UPDATE invoice SET number = n.number, payment_reference = n.payment_reference
        FROM numbered n WHERE invoice.id = :invoice_id
        RETURNING invoice.number, invoice.payment_reference
    ), outboxed AS (
        INSERT INTO outbox_message (event_id, topic, key, event_type, payload, headers)
        SELECT :event_id, :topic, :key, :event_type,
               jsonb_set(jsonb_set(CAST(:payload AS jsonb), '{{data,invoice_number}}', to_jsonb(inv.number)),
                         '{{data,payment_reference}}', to_jsonb(inv.payment_reference)),
               CAST(:headers AS jsonb)
        FROM inv
    ), answered AS (
        UPDATE idempotency_key k
        SET response_body = jsonb_set(jsonb_set(k.response_body, '{{number}}', to_jsonb(inv.number)),
                                      '{{payment_reference}}', to_jsonb(inv.payment_reference))
        FROM inv WHERE k.principal = CAST(:answer_principal AS text) AND k.key = CAST(:answer_key AS text)
    ), {audit.entry_cte(source="inv", after=_NUMBERED_AFTER)}
    SELECT number, payment_reference FROM inv
    """
)


_NUMBER_INVOICE = text(
    f"""
    WITH {_TAKE_NUMBER}
    UPDATE invoice SET number = n.number, payment_reference = n.payment_reference
    FROM numbered n WHERE invoice.id = :invoice_id
    RETURNING invoice.number, invoice.payment_reference
    """
)


def _series_params(series: str, year: int) -> dict[str, object]:
    return {
        "series": series,
        "year": year,
        "year_text": str(year),
        "series_digits": "".join(str(int(ch, 36)) for ch in series),  # ISO 7064: A=10 … Z=35
    }


async def insert_invoice(
    session: AsyncSession, invoice: Invoice, lines: Sequence[InvoiceLine], *, entry: dict[str, Any]
) -> None:
    """Insert an invoice built in Python (every column set) with its lines and its audit `entry`
    (audit.entry_params, or audit.NO_ENTRY): one statement.

    Inserted open, it has no number yet: number_created gives it one, last.
    """
    params: dict[str, Any] = {**entry, **{c.key: getattr(invoice, c.key) for c in _INVOICE_COLUMNS}}
    for column in _LINE_COLUMNS:
        params[f"line_{column.key}"] = [getattr(line, column.key) for line in lines]
    await session.execute(_INSERT_INVOICE, params)


async def number_created(
    session: AsyncSession,
    invoice_id: UUID,
    series: str,
    year: int,
    *,
    issued: dict[str, Any],
    answer_of: tuple[str, str] | None,
    entry: dict[str, Any],
) -> tuple[str, str]:
    """Number an invoice inserted open, and write the number into its InvoiceIssued outbox row (`issued`, as
    outbox.rows_for makes it) and into the answer stored for (principal, Idempotency-Key) `answer_of`.

    The series row stays locked until commit (services/invoicing/README.md, Numbering): nothing but the
    commit should follow. Its audit `entry` (the invoice's creation) gets the number in its after-image.
    Returns the number and its RF reference.
    """
    params = {
        **entry,
        "invoice_id": invoice_id,
        **_series_params(series, year),
        **issued,
        "payload": json.dumps(issued["payload"]),
        "headers": json.dumps(issued["headers"]),
        "answer_principal": answer_of[0] if answer_of else None,
        "answer_key": answer_of[1] if answer_of else None,
    }
    row = (await session.execute(_NUMBER_CREATED, params)).one_or_none()
    if row is None:  # the year's first number: create the series row, then take it like everyone else
        await session.execute(
            pg_insert(InvoiceNumberSeries).values(series=series, year=year, next_value=1).on_conflict_do_nothing()
        )
        row = (await session.execute(_NUMBER_CREATED, params)).one()
    return row.number, row.payment_reference


# The sweep, set-based end to end: one statement finds every (invoice, threshold)
# newly reached on the customer's local calendar, records it in overdue_notice
# and writes the CloudEvents envelope of each fact straight into the outbox, in
# customer order. No row travels through Python. Each threshold happens once
# across re-runs and replicas: runs are serialised by the job's advisory lock,
# the anti-join skips what is recorded, and the primary key would fail a run
# rather than let a second notice through. (An anti-join, not ON CONFLICT DO
# NOTHING: a speculative insertion per row cost ≈20 % of the sweep.)
_SWEEP = text(
    """
    WITH params AS (
        SELECT CAST(:as_of AS timestamptz) AS as_of, CAST(:now AS timestamptz) AS now,
               CAST(:minor_units AS jsonb) AS minor_units, CAST(:due_soon_days AS int) AS due_soon_days
    ), open_invoice AS (
        SELECT i.id, i.customer_id, i.due_date, i.grace_days,
               (timezone(c.time_zone, p.as_of))::date AS local_today
        FROM invoice i JOIN customer c ON c.id = i.customer_id CROSS JOIN params p
        WHERE i.status IN ('open', 'uncollectible')
    ), candidate AS (
        SELECT o.id AS invoice_id, t.name AS threshold, o.local_today
        FROM open_invoice o
        JOIN unnest(CAST(:threshold_names AS text[]), CAST(:threshold_starts AS int[])) AS t(name, start_day)
          ON o.local_today - o.due_date >= t.start_day
        WHERE o.local_today - o.due_date > o.grace_days
        UNION ALL
        SELECT o.id, CAST(:due_soon AS text), o.local_today
        FROM open_invoice o CROSS JOIN params p
        WHERE o.due_date - o.local_today BETWEEN 0 AND p.due_soon_days AND p.due_soon_days > 0
    ), inserted AS (
        INSERT INTO overdue_notice (invoice_id, threshold, as_of, created_at)
        SELECT c.invoice_id, c.threshold, c.local_today, (SELECT now FROM params) FROM candidate c
        WHERE NOT EXISTS (
            SELECT 1 FROM overdue_notice done WHERE done.invoice_id = c.invoice_id AND done.threshold = c.threshold
        )
        RETURNING invoice_id, threshold, as_of
    ), kept_alive AS (
        -- An invoice still chased keeps a page that opens: each overdue notice carries its link to 30 days past
        -- the notice, never beyond 120 days past due (Stripe's longest). A link is never shortened.
        UPDATE hosted_invoice_link l
        SET expires_on = GREATEST(l.expires_on, LEAST(r.last_notice + CAST(:kept_days AS int),
                                                      r.due_date + CAST(:longest_days AS int)))
        FROM (SELECT n.invoice_id, max(n.as_of) AS last_notice, min(i.due_date) AS due_date
              FROM inserted n JOIN invoice i ON i.id = n.invoice_id
              WHERE n.threshold <> CAST(:due_soon AS text) GROUP BY n.invoice_id) r
        WHERE l.invoice_id = r.invoice_id AND l.revoked_at IS NULL
        RETURNING l.invoice_id
    ), fact AS (
        -- The event id is drawn in the target list of a materialized CTE, once per row. Drawn in a
        -- LATERAL subquery keyed by threshold, PostgreSQL could memoize it: one id for many events.
        SELECT gen_random_uuid()::text AS event_id,
               CASE WHEN n.threshold = CAST(:due_soon AS text) THEN CAST(:due_soon_type AS text)
                    ELSE CAST(:overdue_type AS text) END AS event_type,
               CASE WHEN n.threshold = CAST(:due_soon AS text) THEN CAST(:due_soon_version AS int)
                    ELSE CAST(:overdue_version AS int) END AS dataversion,
               n.threshold, n.as_of, i.id, i.customer_id, i.number, i.invoice_date, i.due_date, i.currency,
               i.payment_reference, n.as_of - i.due_date AS days_overdue,
               round(i.total, coalesce((p.minor_units ->> i.currency)::int, 2))::text AS total,
               round(i.total - i.amount_paid - i.amount_credited,
                     coalesce((p.minor_units ->> i.currency)::int, 2))::text AS amount_due
        FROM inserted n JOIN invoice i ON i.id = n.invoice_id CROSS JOIN params p
    ), outboxed AS (
        INSERT INTO outbox_message (event_id, topic, key, event_type, payload, headers)
        SELECT f.event_id, CAST(:topic AS text), f.customer_id::text, f.event_type,
               jsonb_strip_nulls(jsonb_build_object(
                   'specversion', CAST(:specversion AS text), 'id', f.event_id, 'source', CAST(:source AS text),
                   'type', f.event_type, 'time', (SELECT now FROM params), 'subject', f.customer_id::text,
                   'datacontenttype', CAST(:datacontenttype AS text), 'dataversion', f.dataversion,
                   'traceparent', CAST(:traceparent AS text),
                   'data', CASE WHEN f.threshold = CAST(:due_soon AS text) THEN jsonb_build_object(
                       'customer_id', f.customer_id, 'invoice_id', f.id, 'invoice_number', f.number,
                       'due_date', f.due_date, 'amount_due', jsonb_build_object('amount', f.amount_due,
                       'currency', f.currency), 'days_until_due', -f.days_overdue,
                       'payment_reference', f.payment_reference)
                   ELSE jsonb_build_object(
                       'customer_id', f.customer_id, 'invoice_id', f.id, 'invoice_number', f.number,
                       'invoice_date', f.invoice_date, 'due_date', f.due_date,
                       'total', jsonb_build_object('amount', f.total, 'currency', f.currency),
                       'amount_due', jsonb_build_object('amount', f.amount_due, 'currency', f.currency),
                       'days_overdue', f.days_overdue,
                       'bucket', CASE WHEN f.days_overdue <= 30 THEN '1-30' WHEN f.days_overdue <= 60 THEN '31-60'
                                      WHEN f.days_overdue <= 90 THEN '61-90' ELSE '90+' END,
                       'as_of', f.as_of, 'payment_reference', f.payment_reference)
                   END)),
               CAST(:headers AS jsonb) || CASE WHEN CAST(:traceparent AS text) IS NULL THEN '[]'::jsonb
                   ELSE jsonb_build_array(jsonb_build_array('traceparent', CAST(:traceparent AS text))) END
                   || jsonb_build_array(jsonb_build_array('ce_type', f.event_type))
        FROM fact f
        ORDER BY f.customer_id, f.due_date, f.id, f.threshold = CAST(:due_soon AS text) DESC, f.days_overdue
        RETURNING event_type
    )
    SELECT f.threshold, count(*) AS notices FROM fact f GROUP BY f.threshold
    """
)


async def sweep_due_and_overdue(
    session: AsyncSession,
    *,
    as_of: datetime,
    now: datetime,
    due_soon_days: int,
    thresholds: Sequence[tuple[str, int]],
    due_soon: str,
    traceparent: str | None,
) -> dict[str, int]:
    """Record and publish (via the outbox) every due-soon and overdue threshold newly reached as of an instant.

    `thresholds` are the overdue thresholds as (name, first day past due), each reached once past due + grace;
    `due_soon` names the notice given `due_soon_days` or fewer before due. The envelope's attributes come from
    the event catalog and the envelope model, so the SQL builds what `wrap()` would. Returns how many notices
    each threshold produced.
    """
    rows = await session.execute(
        _SWEEP,
        {
            "as_of": as_of,
            "now": now,
            "due_soon_days": due_soon_days,
            "minor_units": json.dumps(MINOR_UNITS),
            "traceparent": traceparent,
            "threshold_names": [name for name, _ in thresholds],
            "threshold_starts": [start for _, start in thresholds],
            "due_soon": due_soon,
            "kept_days": links.RENEWED_FOR.days,
            "longest_days": LINK_LONGEST_AFTER_DUE.days,
            "due_soon_type": InvoiceDueSoon.event_type(),
            "due_soon_version": InvoiceDueSoon.version,
            "overdue_type": InvoiceOverdue.event_type(),
            "overdue_version": InvoiceOverdue.version,
            "topic": topic_of(INVOICING),
            "source": f"/arflow/{InvoiceOverdue.publisher}",
            "specversion": Envelope.model_fields["specversion"].default,
            "datacontenttype": Envelope.model_fields["datacontenttype"].default,
            "headers": json.dumps([["content-type", CONTENT_TYPE]]),
        },
    )
    return {row.threshold: row.notices for row in rows}
