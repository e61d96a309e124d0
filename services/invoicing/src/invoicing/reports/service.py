"""Statements, aging, KPIs and late interest, read from the ledger's dated entries. Never commits."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import DEFAULT_TIME_ZONE, Clock, local_date
from arflow.events.catalog import Language
from arflow.money import to_minor_units
from invoicing import domain
from invoicing.lookups import get_invoice, require_customer
from invoicing.models import Customer, Invoice
from invoicing.reports import repository
from invoicing.reports.errors import InvalidPeriod
from invoicing.reports.schemas import (
    AgingBuckets,
    AgingReportOut,
    AgingRow,
    KpiOut,
    KpiReportOut,
    StatementCurrency,
    StatementEntry,
    StatementOut,
)


async def late_interest(session: AsyncSession, invoice: Invoice, *, clock: Clock) -> Decimal:
    """Interest accrued on an open invoice to today (the customer's today), per its terms."""
    if invoice.status not in ("open", "uncollectible") or invoice.interest_kind == "none":
        return to_minor_units(Decimal(0), invoice.currency)
    customer = await session.get(Customer, invoice.customer_id)
    time_zone = customer.time_zone if customer else DEFAULT_TIME_ZONE
    return await late_interest_as_of(session, invoice, local_date(clock.now(), time_zone))


async def late_interest_as_of(session: AsyncSession, invoice: Invoice, as_of: date) -> Decimal:
    """Day-by-day interest on the invoice's balance to `as_of`, since it was last charged (domain.late_interest)."""
    if invoice.interest_kind == "none" or not domain.interest_days(invoice.due_date, as_of, invoice.grace_days):
        return to_minor_units(Decimal(0), invoice.currency)  # nothing to read: most invoices stop here
    entries = await repository.balance_entries(session, [invoice.id], as_of)
    return domain.late_interest(
        entries[invoice.id],
        invoice.due_date,
        as_of,
        kind=invoice.interest_kind,
        rate=invoice.interest_rate,
        grace_days=invoice.grace_days,
        cap_ratio=invoice.interest_cap_ratio,
        currency=invoice.currency,
        since=invoice.interest_charged_to,
        charged=invoice.interest_charged,
    )


def _buckets(amounts: dict[str, Decimal], currency: str) -> AgingBuckets:
    values = {name: to_minor_units(amounts.get(name, Decimal(0)), currency) for name in domain.AGING_BUCKETS}
    return AgingBuckets.model_validate({**values, "total": sum(values.values(), Decimal(0))})


async def statement(
    session: AsyncSession, *, clock: Clock, customer_id: UUID, start: date, end: date, language: Language | None
) -> StatementOut:
    """The customer's statement of account (对账单) for a period, per currency."""
    if end < start:
        raise InvalidPeriod("The period ends before it starts.", detail_zh="期间的结束日期早于开始日期。")
    if (end - start).days > 3660:
        raise InvalidPeriod("A statement covers at most ten years.", detail_zh="一份对账单最多涵盖十年。")
    customer = await require_customer(session, customer_id)
    opening = await repository.balances_before(session, customer.id, start)
    entries = await repository.statement_entries(session, customer.id, start, end)
    open_items = await repository.open_items_as_of(session, end, customer_id=customer.id, write_offs=False)
    currencies = sorted(set(opening) | {e.currency for e in entries} | {i.currency for i in open_items})
    out = []
    for currency in currencies:
        balance = opening.get(currency, Decimal(0))
        rows, invoiced, credited, paid = [], Decimal(0), Decimal(0), Decimal(0)
        for entry in (e for e in entries if e.currency == currency):
            balance += entry.amount
            if entry.kind == "invoice":
                invoiced += entry.amount
            elif entry.kind in ("void", "credit_note"):
                credited -= entry.amount
            else:
                paid -= entry.amount
            rows.append(
                StatementEntry(
                    entry_date=entry.entry_date,
                    kind=entry.kind,
                    document=entry.document,
                    invoice_number=entry.invoice_number,
                    debit=to_minor_units(max(entry.amount, Decimal(0)), currency),
                    credit=to_minor_units(max(-entry.amount, Decimal(0)), currency),
                    balance=to_minor_units(balance, currency),
                )
            )
        aging: dict[str, Decimal] = {}
        interest = Decimal(0)
        for item in (i for i in open_items if i.currency == currency):
            bucket = domain.aging_bucket(item.days_overdue)
            aging[bucket] = aging.get(bucket, Decimal(0)) + item.amount
            invoice = await get_invoice(session, item.invoice_id)
            if invoice is not None:
                interest += await late_interest_as_of(session, invoice, end)
        out.append(
            StatementCurrency(
                currency=currency,
                opening_balance=to_minor_units(opening.get(currency, Decimal(0)), currency),
                invoiced=to_minor_units(invoiced, currency),
                credited=to_minor_units(credited, currency),
                paid=to_minor_units(paid, currency),
                closing_balance=to_minor_units(balance, currency),
                late_interest=to_minor_units(interest, currency),
                aging=_buckets(aging, currency),
                entries=rows,
            )
        )
    return StatementOut(
        customer_id=customer.id,
        legal_name=customer.legal_name,
        period_start=start,
        period_end=end,
        language=language or cast(Language, customer.preferred_language),
        currencies=out,
    )


async def aging_report(
    session: AsyncSession, *, as_of: date, customer_id: UUID | None, currency: str | None, per_customer: bool = True
) -> AgingReportOut:
    """Receivables as of a day per customer (unless not asked for) and in total, per currency, by days past due."""
    if not per_customer:
        rows = await repository.aging_totals_as_of(session, as_of, customer_id=customer_id, currency=currency)
        return AgingReportOut(as_of=as_of, customers=[], totals=_aging_totals(rows))
    rows = await repository.aging_as_of(session, as_of, customer_id=customer_id, currency=currency)
    customers: dict[tuple[UUID, str], dict[str, Any]] = {}
    for row in rows:
        entry = customers.setdefault(
            (row.customer_id, row.currency), {"name": row.legal_name, "amounts": {}, "invoices": 0}
        )
        entry["amounts"][row.bucket] = entry["amounts"].get(row.bucket, Decimal(0)) + row.amount
        entry["invoices"] += row.invoices
    return AgingReportOut(
        as_of=as_of,
        customers=[
            AgingRow(
                customer_id=key[0],
                legal_name=value["name"],
                currency=key[1],
                buckets=_buckets(value["amounts"], key[1]),
                invoices=value["invoices"],
            )
            for key, value in customers.items()
        ],
        totals=_aging_totals(rows),
    )


def _aging_totals(rows: list[Any]) -> list[AgingRow]:
    """One total row per currency from (currency, bucket, amount, invoices) rows."""
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        total = totals.setdefault(row.currency, {"amounts": {}, "invoices": 0})
        total["amounts"][row.bucket] = total["amounts"].get(row.bucket, Decimal(0)) + row.amount
        total["invoices"] += row.invoices
    return [
        AgingRow(
            customer_id=None,
            legal_name=None,
            currency=code,
            buckets=_buckets(value["amounts"], code),
            invoices=value["invoices"],
        )
        for code, value in sorted(totals.items())
    ]


async def kpi_report(
    session: AsyncSession, *, start: date, end: date, customer_id: UUID | None, currency: str | None
) -> KpiReportOut:
    """DSO, best-possible DSO, ADD, CEI, bad-debt and collection rates for a period, per currency."""
    if end < start:
        raise InvalidPeriod("The period ends before it starts.", detail_zh="期间的结束日期早于开始日期。")
    rows = await repository.kpi_figures(session, start, end, customer_id=customer_id, currency=currency)
    return KpiReportOut(data=[_kpi_out(row, start, end) for row in rows])


MAX_MONTHS = 60


def monthly_periods(start: date, end: date) -> list[tuple[date, date]]:
    """The calendar months from `start` to `end`, the first starting at `start` and the last ending at `end`."""
    periods = []
    first = start
    while first <= end:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        periods.append((first, min(following - timedelta(days=1), end)))
        first = following
    return periods


async def monthly_kpi_report(
    session: AsyncSession, *, start: date, end: date, customer_id: UUID | None, currency: str | None
) -> KpiReportOut:
    """kpi_report for each calendar month from `start` to `end`, read in one pass: month by month, per currency."""
    if end < start:
        raise InvalidPeriod("The period ends before it starts.", detail_zh="期间的结束日期早于开始日期。")
    periods = monthly_periods(start, end)
    if len(periods) > MAX_MONTHS:
        raise InvalidPeriod(
            f"A monthly series covers at most {MAX_MONTHS} months.", detail_zh=f"按月序列最多涵盖 {MAX_MONTHS} 个月。"
        )
    rows = await repository.kpi_figures_by_period(session, periods, customer_id=customer_id, currency=currency)
    return KpiReportOut(data=[_kpi_out(row, *periods[row.period - 1]) for row in rows])


def _kpi_out(row: Any, start: date, end: date) -> KpiOut:
    days = (end - start).days + 1
    figures = domain.KpiInputs(
        days=days,
        opening=row.opening,
        closing=row.closing,
        closing_current=row.closing_current,
        sales=row.sales,
        collected=row.collected,
        written_off=row.written_off,
    )
    code = row.currency
    return KpiOut(
        currency=code,
        period_start=start,
        period_end=end,
        days=days,
        opening_receivables=to_minor_units(row.opening, code),
        closing_receivables=to_minor_units(row.closing, code),
        closing_current=to_minor_units(row.closing_current, code),
        credit_sales=to_minor_units(row.sales, code),
        collected=to_minor_units(row.collected, code),
        written_off=to_minor_units(row.written_off, code),
        **domain.kpis(figures),
    )
