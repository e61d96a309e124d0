"""All SQL of the invoicing service."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Row, any_, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.events.catalog import INVOICING, topic_of
from arflow.events.envelope import CONTENT_TYPE
from arflow.money import MINOR_UNITS
from arflow.pagination import PageParams
from invoicing.models import (
    ContractPeriod,
    CreditNote,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceNumberSeries,
    PaymentApplication,
    PaymentTerms,
    ServiceContract,
    UnappliedCredit,
)


async def get_customer(session: AsyncSession, customer_id: UUID, *, for_update: bool = False) -> Customer | None:
    """A customer; `for_update` serialises ledger work on it (FOR NO KEY UPDATE).

    NO KEY: inserting an invoice takes FOR KEY SHARE on its customer (the foreign
    key); a plain FOR UPDATE here would deadlock with a concurrent request that
    inserted an invoice for the same customer and waits for the number series.
    """
    query = select(Customer).where(Customer.id == customer_id)
    if for_update:
        query = query.with_for_update(key_share=True)
    return (await session.execute(query)).scalar_one_or_none()


async def customer_for_invoicing(
    session: AsyncSession, customer_id: UUID, credit_currency: str | None
) -> tuple[Customer | None, bool]:
    """A customer to invoice and, when a currency is given, whether it has free credit in it (one round trip)."""
    if credit_currency is None:
        return await get_customer(session, customer_id), False
    credit = select(UnappliedCredit.id).where(
        UnappliedCredit.customer_id == customer_id,
        UnappliedCredit.currency == credit_currency,
        UnappliedCredit.remaining > 0,
        UnappliedCredit.reversed_on.is_(None),
    )
    row = (await session.execute(select(Customer, credit.exists()).where(Customer.id == customer_id))).one_or_none()
    return (row[0], bool(row[1])) if row else (None, False)


async def customer_by_external_reference(session: AsyncSession, reference: str) -> Customer | None:
    return (
        await session.execute(select(Customer).where(Customer.external_reference == reference))
    ).scalar_one_or_none()


async def list_customers(
    session: AsyncSession,
    page: PageParams,
    *,
    tag: str | None,
    search: str | None,
    include_archived: bool,
    credit_hold: bool | None = None,
    dunning_excluded: bool | None = None,
    external_reference: str | None = None,
    payment_terms_code: str | None = None,
) -> list[Customer]:
    query = select(Customer).order_by(Customer.id.desc()).limit(page.limit + 1)
    if page.starting_after:
        query = query.where(Customer.id < page.starting_after)
    if tag:
        query = query.where(any_(Customer.tags) == tag)
    if search:
        pattern = f"%{search}%"
        query = query.where(Customer.legal_name.ilike(pattern) | Customer.short_name.ilike(pattern))
    if not include_archived:
        query = query.where(Customer.archived_at.is_(None))
    if credit_hold is not None:
        query = query.where(Customer.credit_hold.is_(credit_hold))
    if dunning_excluded is not None:
        query = query.where(Customer.dunning_excluded.is_(dunning_excluded))
    if external_reference:
        query = query.where(Customer.external_reference == external_reference)
    if payment_terms_code:
        query = query.where(Customer.payment_terms_code == payment_terms_code)
    return list((await session.execute(query)).scalars())


async def customer_has_ledger_entries(session: AsyncSession, customer_id: UUID) -> bool:
    """True once the customer has an invoice (even a draft) or received money."""
    invoiced = select(Invoice.id).where(Invoice.customer_id == customer_id).limit(1)
    credited = select(UnappliedCredit.id).where(UnappliedCredit.customer_id == customer_id).limit(1)
    return (await session.scalar(select(invoiced.exists() | credited.exists()))) or False


async def delete_customer(session: AsyncSession, customer_id: UUID) -> None:
    await session.execute(delete(Customer).where(Customer.id == customer_id))


# --- payment terms ---------------------------------------------------------------


async def terms_by_code(session: AsyncSession, code: str, *, for_update: bool = False) -> PaymentTerms | None:
    query = select(PaymentTerms).where(PaymentTerms.code == code)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def list_terms(session: AsyncSession, page: PageParams, *, include_archived: bool) -> list[PaymentTerms]:
    query = select(PaymentTerms).order_by(PaymentTerms.id.desc()).limit(page.limit + 1)
    if page.starting_after:
        query = query.where(PaymentTerms.id < page.starting_after)
    if not include_archived:
        query = query.where(PaymentTerms.archived_at.is_(None))
    return list((await session.execute(query)).scalars())


async def get_invoice(session: AsyncSession, invoice_id: UUID, *, for_update: bool = False) -> Invoice | None:
    query = select(Invoice).where(Invoice.id == invoice_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


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
) -> list[Invoice]:
    query = select(Invoice).order_by(Invoice.id.desc()).limit(page.limit + 1)
    if page.starting_after:
        query = query.where(Invoice.id < page.starting_after)
    if customer_id:
        query = query.where(Invoice.customer_id == customer_id)
    if status:
        query = query.where(Invoice.status == status)
    if currency:
        query = query.where(Invoice.currency == currency)
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
    if kind:
        query = query.where(Invoice.kind == kind)
    return list((await session.execute(query)).scalars())


async def replace_lines(session: AsyncSession, invoice_id: UUID, lines: list[InvoiceLine]) -> None:
    await session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id))
    session.add_all(lines)


async def delete_invoice(session: AsyncSession, invoice_id: UUID) -> None:
    await session.execute(delete(Invoice).where(Invoice.id == invoice_id))


async def open_invoices_for_update(session: AsyncSession, customer_id: UUID, currency: str) -> list[Invoice]:
    """The customer's open and uncollectible invoices in a currency, locked, oldest due first."""
    query = (
        select(Invoice)
        .where(
            Invoice.customer_id == customer_id,
            Invoice.currency == currency,
            Invoice.status.in_(("open", "uncollectible")),
        )
        .order_by(Invoice.due_date, Invoice.id)
        .with_for_update()
    )
    return list((await session.execute(query)).scalars())


async def active_applications_of_payment(session: AsyncSession, payment_id: UUID) -> list[PaymentApplication]:
    """The applications of a payment that are not reversed, locked, oldest first."""
    query = (
        select(PaymentApplication)
        .where(PaymentApplication.payment_id == payment_id, PaymentApplication.reversed_on.is_(None))
        .order_by(PaymentApplication.id)
        .with_for_update()
    )
    return list((await session.execute(query)).scalars())


async def credits_of_payment(session: AsyncSession, payment_id: UUID) -> list[UnappliedCredit]:
    query = select(UnappliedCredit).where(UnappliedCredit.payment_id == payment_id).with_for_update()
    return list((await session.execute(query)).scalars())


async def payment_seen(session: AsyncSession, payment_id: UUID) -> bool:
    """True when a payment already left a trace in the ledger (applications or credit)."""
    applied = select(PaymentApplication.id).where(PaymentApplication.payment_id == payment_id).limit(1)
    credited = select(UnappliedCredit.id).where(UnappliedCredit.payment_id == payment_id).limit(1)
    return (await session.scalar(select(applied.exists() | credited.exists()))) or False


async def free_credit_for_update(session: AsyncSession, customer_id: UUID, currency: str) -> list[UnappliedCredit]:
    """The customer's unapplied credit in a currency with something left, oldest first, locked."""
    query = (
        select(UnappliedCredit)
        .where(
            UnappliedCredit.customer_id == customer_id,
            UnappliedCredit.currency == currency,
            UnappliedCredit.remaining > 0,
            UnappliedCredit.reversed_on.is_(None),
        )
        .order_by(UnappliedCredit.received_on, UnappliedCredit.id)
        .with_for_update()
    )
    return list((await session.execute(query)).scalars())


async def has_free_credit(session: AsyncSession, customer_id: UUID, currency: str) -> bool:
    query = select(UnappliedCredit.id).where(
        UnappliedCredit.customer_id == customer_id,
        UnappliedCredit.currency == currency,
        UnappliedCredit.remaining > 0,
        UnappliedCredit.reversed_on.is_(None),
    )
    return (await session.scalar(select(query.exists()))) or False


async def unapplied_credit_totals(session: AsyncSession, customer_id: UUID) -> dict[str, Decimal]:
    query = (
        select(UnappliedCredit.currency, func.sum(UnappliedCredit.remaining))
        .where(UnappliedCredit.customer_id == customer_id, UnappliedCredit.reversed_on.is_(None))
        .group_by(UnappliedCredit.currency)
    )
    return {currency: total for currency, total in (await session.execute(query)).all()}


async def ledger_totals(session: AsyncSession, customer_id: UUID) -> list[Row[Any]]:
    """Per currency: issued invoices, active applications, credit notes, and the sum of invoice balances."""
    return list((await session.execute(_LEDGER_TOTALS, {"customer_id": customer_id})).all())


_LEDGER_TOTALS = text(
    """
    WITH invoiced AS (
        SELECT currency, sum(total) AS invoiced, sum(total - amount_paid - amount_credited) AS balances
        FROM invoice WHERE customer_id = :customer_id AND status IN ('open', 'paid', 'uncollectible')
        GROUP BY currency
    ), applied AS (
        SELECT a.currency, sum(a.amount) AS applied
        FROM payment_application a JOIN invoice i ON i.id = a.invoice_id
        WHERE a.customer_id = :customer_id AND a.reversed_on IS NULL AND i.status <> 'void'
        GROUP BY a.currency
    ), credited AS (
        SELECT currency, sum(amount) AS credited FROM credit_note WHERE customer_id = :customer_id GROUP BY currency
    )
    SELECT coalesce(v.currency, a.currency, c.currency) AS currency,
           coalesce(v.invoiced, 0) AS invoiced, coalesce(a.applied, 0) AS applied,
           coalesce(c.credited, 0) AS credited, coalesce(v.balances, 0) AS balances
    FROM invoiced v
    FULL JOIN applied a ON a.currency = v.currency
    FULL JOIN credited c ON c.currency = coalesce(v.currency, a.currency)
    ORDER BY 1
    """
)


# --- credit notes ------------------------------------------------------------------


async def get_credit_note(session: AsyncSession, credit_note_id: UUID) -> CreditNote | None:
    return await session.get(CreditNote, credit_note_id)


async def list_credit_notes(
    session: AsyncSession, page: PageParams, *, customer_id: UUID | None, invoice_id: UUID | None
) -> list[CreditNote]:
    query = select(CreditNote).order_by(CreditNote.id.desc()).limit(page.limit + 1)
    if page.starting_after:
        query = query.where(CreditNote.id < page.starting_after)
    if customer_id:
        query = query.where(CreditNote.customer_id == customer_id)
    if invoice_id:
        query = query.where(CreditNote.invoice_id == invoice_id)
    return list((await session.execute(query)).scalars())


async def has_credit_note_of_kind(session: AsyncSession, invoice_id: UUID, kind: str) -> bool:
    query = select(CreditNote.id).where(CreditNote.invoice_id == invoice_id, CreditNote.kind == kind)
    return (await session.scalar(select(query.exists()))) or False


async def next_invoice_number(session: AsyncSession, series: str, year: int) -> int:
    """Take the next number of a series; the row lock serialises concurrent issuers (gapless).

    One statement when the series exists (every time but the first of a year).
    """
    value = await session.scalar(_TAKE_NUMBER, {"series": series, "year": year})
    if value is None:  # the year's first number: create the series row, then take it like everyone else
        await session.execute(
            pg_insert(InvoiceNumberSeries).values(series=series, year=year, next_value=1).on_conflict_do_nothing()
        )
        value = await session.scalar(_TAKE_NUMBER, {"series": series, "year": year})
    assert value is not None
    return int(value)


async def number_invoice(session: AsyncSession, invoice_id: UUID, series: str, year: int) -> tuple[str, str]:
    """Take the series' next number and write it on the invoice with its RF reference: one round trip.

    The number is `SERIES-YEAR-nnnnnn` (domain.format_invoice_number) and the reference
    its ISO 11649 RF creditor reference (domain.rf_creditor_reference), computed in SQL
    so the series row is locked for one statement less; the caller checks both.
    """
    params = {
        "invoice_id": invoice_id,
        "series": series,
        "year": year,
        "year_text": str(year),
        "series_digits": "".join(str(int(ch, 36)) for ch in series),  # ISO 7064: A=10 … Z=35
    }
    row = (await session.execute(_NUMBER_INVOICE, params)).one_or_none()
    if row is None:  # the year's first number: create the series row, then take it like everyone else
        await session.execute(
            pg_insert(InvoiceNumberSeries).values(series=series, year=year, next_value=1).on_conflict_do_nothing()
        )
        row = (await session.execute(_NUMBER_INVOICE, params)).one()
    return row.number, row.payment_reference


_NUMBER_INVOICE = text(
    """
    WITH taken AS (
        UPDATE invoice_number_series SET next_value = next_value + 1
        WHERE series = :series AND year = :year
        RETURNING lpad((next_value - 1)::text, greatest(6, length((next_value - 1)::text)), '0') AS digits
    )
    UPDATE invoice SET
        number = :series || '-' || :year_text || '-' || t.digits,
        payment_reference = 'RF'
            || lpad((98 - mod(CAST(:series_digits || :year_text || t.digits || '271500' AS numeric), 97))::text, 2, '0')
            || :series || :year_text || t.digits
    FROM taken t WHERE invoice.id = :invoice_id
    RETURNING invoice.number, invoice.payment_reference
    """
)
_TAKE_NUMBER = text(
    "UPDATE invoice_number_series SET next_value = next_value + 1"
    " WHERE series = :series AND year = :year RETURNING next_value - 1"
)


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
        JOIN (VALUES ('overdue', 1), ('31-60', 31), ('61-90', 61), ('90+', 91)) AS t(name, start_day)
          ON o.local_today - o.due_date >= t.start_day
        WHERE o.local_today - o.due_date > o.grace_days
        UNION ALL
        SELECT o.id, 'due-soon', o.local_today
        FROM open_invoice o CROSS JOIN params p
        WHERE o.due_date - o.local_today BETWEEN 0 AND p.due_soon_days AND p.due_soon_days > 0
    ), inserted AS (
        INSERT INTO overdue_notice (invoice_id, threshold, as_of, created_at)
        SELECT c.invoice_id, c.threshold, c.local_today, (SELECT now FROM params) FROM candidate c
        WHERE NOT EXISTS (
            SELECT 1 FROM overdue_notice done WHERE done.invoice_id = c.invoice_id AND done.threshold = c.threshold
        )
        RETURNING invoice_id, threshold, as_of
    ), fact AS (
        -- The event id is drawn in the target list of a materialized CTE, once per row. Drawn in a
        -- LATERAL subquery keyed by threshold, PostgreSQL could memoize it: one id for many events.
        SELECT gen_random_uuid()::text AS event_id,
               CASE WHEN n.threshold = 'due-soon' THEN 'InvoiceDueSoon' ELSE 'InvoiceOverdue' END AS event_type,
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
                   'specversion', '1.0', 'id', f.event_id, 'source', CAST(:source AS text), 'type', f.event_type,
                   'time', (SELECT now FROM params), 'subject', f.customer_id::text,
                   'datacontenttype', 'application/json', 'dataversion', 1,
                   'traceparent', CAST(:traceparent AS text),
                   'data', CASE WHEN f.threshold = 'due-soon' THEN jsonb_build_object(
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
        ORDER BY f.customer_id, f.due_date, f.id, f.threshold = 'due-soon' DESC, f.days_overdue
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
    traceparent: str | None,
) -> dict[str, int]:
    """Record and publish (via the outbox) every due-soon and overdue threshold newly reached as of an instant.

    Returns how many notices each threshold produced.
    """
    rows = await session.execute(
        _SWEEP,
        {
            "as_of": as_of,
            "now": now,
            "due_soon_days": due_soon_days,
            "minor_units": json.dumps(MINOR_UNITS),
            "traceparent": traceparent,
            "topic": topic_of(INVOICING),
            "source": f"/arflow/{INVOICING}",
            "headers": json.dumps([["content-type", CONTENT_TYPE]]),
        },
    )
    return {row.threshold: row.notices for row in rows}


# --- statements, aging and KPIs: everything read from the ledger's entries -----------
#
# Every change to what a customer owes is an entry dated on the customer's
# calendar: an invoice (+total), its void (-total), a credit note (-amount), a
# payment application (-amount) and its reversal (+amount). The balance as of
# any day is the sum of the entries up to that day, so statements, aging and
# KPIs can be read for any past date. Management figures (aging, KPIs) also
# count write-offs (-amount written off) as leaving receivables; the customer's
# statement does not, since a written-off invoice is still owed.

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


async def aging_as_of(
    session: AsyncSession, as_of: date, *, customer_id: UUID | None, currency: str | None
) -> list[Row[Any]]:
    """Outstanding per customer, currency and aging bucket as of a day, in one grouped query."""
    query = text(
        f"""
        WITH outstanding AS (
            SELECT e.invoice_id, sum(e.amount) AS amount FROM ({_entries(write_offs=True)}) e
            WHERE e.entry_date <= :as_of
              AND (CAST(:customer_id AS uuid) IS NULL OR e.customer_id = CAST(:customer_id AS uuid))
              AND (CAST(:currency AS text) IS NULL OR e.currency = CAST(:currency AS text))
            GROUP BY e.invoice_id HAVING sum(e.amount) > 0
        )
        SELECT i.customer_id, c.legal_name, i.currency,
               CASE WHEN CAST(:as_of AS date) - i.due_date <= 0 THEN 'current'
                    WHEN CAST(:as_of AS date) - i.due_date <= 30 THEN '1-30'
                    WHEN CAST(:as_of AS date) - i.due_date <= 60 THEN '31-60'
                    WHEN CAST(:as_of AS date) - i.due_date <= 90 THEN '61-90' ELSE '90+' END AS bucket,
               sum(o.amount) AS amount, count(*) AS invoices
        FROM outstanding o JOIN invoice i ON i.id = o.invoice_id JOIN customer c ON c.id = i.customer_id
        GROUP BY 1, 2, 3, 4 ORDER BY 2, 1, 3
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
                   WHERE e.entry_date BETWEEN :start AND :end AND e.kind = 'write_off'), 0) AS written_off
        FROM ({_entries(write_offs=True)}) e JOIN invoice i ON i.id = e.invoice_id
        WHERE (CAST(:customer_id AS uuid) IS NULL OR e.customer_id = CAST(:customer_id AS uuid))
          AND (CAST(:currency AS text) IS NULL OR e.currency = CAST(:currency AS text))
        GROUP BY e.currency ORDER BY e.currency
        """
    )
    params = {"start": start, "end": end, "customer_id": customer_id, "currency": currency}
    return list((await session.execute(query, params)).all())


# --- service contracts -------------------------------------------------------------


async def get_contract(session: AsyncSession, contract_id: UUID, *, for_update: bool = False) -> ServiceContract | None:
    query = select(ServiceContract).where(ServiceContract.id == contract_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def list_contracts(
    session: AsyncSession, page: PageParams, *, customer_id: UUID | None, status: str | None
) -> list[ServiceContract]:
    query = select(ServiceContract).order_by(ServiceContract.id.desc()).limit(page.limit + 1)
    if page.starting_after:
        query = query.where(ServiceContract.id < page.starting_after)
    if customer_id:
        query = query.where(ServiceContract.customer_id == customer_id)
    if status:
        query = query.where(ServiceContract.status == status)
    return list((await session.execute(query)).scalars())


async def billable_contracts(session: AsyncSession) -> list[ServiceContract]:
    """Contracts that may have a period to bill: active, or cancelled (their last, partial period)."""
    query = (
        select(ServiceContract).where(ServiceContract.status.in_(("active", "cancelled"))).order_by(ServiceContract.id)
    )
    return list((await session.execute(query)).scalars())


async def claim_period(
    session: AsyncSession, contract_id: UUID, period_start: date, period_end: date, now: datetime
) -> bool:
    """Record a contract period as billed; False when it already was (by this run, another, or a replica)."""
    claimed = await session.scalar(
        pg_insert(ContractPeriod)
        .values(contract_id=contract_id, period_start=period_start, period_end=period_end, created_at=now)
        .on_conflict_do_nothing()
        .returning(ContractPeriod.period_start)
    )
    return claimed is not None


async def set_period_invoice(session: AsyncSession, contract_id: UUID, period_start: date, invoice_id: UUID) -> None:
    await session.execute(
        update(ContractPeriod)
        .where(ContractPeriod.contract_id == contract_id, ContractPeriod.period_start == period_start)
        .values(invoice_id=invoice_id)
    )


async def billed_periods_ending_after(session: AsyncSession, contract_id: UUID, day: date) -> list[ContractPeriod]:
    """A contract's periods already invoiced whose billed days run past `day`, oldest first."""
    query = (
        select(ContractPeriod)
        .where(
            ContractPeriod.contract_id == contract_id,
            ContractPeriod.period_end > day,
            ContractPeriod.invoice_id.is_not(None),
        )
        .order_by(ContractPeriod.period_start)
    )
    return list((await session.execute(query)).scalars())


async def invoices_due_for_late_fees(session: AsyncSession, as_of: datetime) -> list[UUID]:
    """Open invoices past due + grace (customer's calendar) whose terms charge interest or a fee,
    not yet charged in the current month."""
    query = text(
        """
        SELECT i.id FROM invoice i JOIN customer c ON c.id = i.customer_id
        WHERE i.status IN ('open', 'uncollectible') AND i.kind = 'standard'
          AND (i.interest_kind <> 'none' OR i.late_fee > 0)
          AND (timezone(c.time_zone, CAST(:as_of AS timestamptz)))::date - i.due_date > i.grace_days
          AND (i.interest_charged_to IS NULL OR date_trunc('month', i.interest_charged_to)
               < date_trunc('month', (timezone(c.time_zone, CAST(:as_of AS timestamptz)))::date))
        ORDER BY i.customer_id, i.due_date, i.id
        """
    )
    return list((await session.execute(query, {"as_of": as_of})).scalars())
