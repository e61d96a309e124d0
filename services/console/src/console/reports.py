"""The finance manager's reports as tables and charts, from the services' report bodies (pure: no I/O).

Each report is one table (what the CSV and the XLSX hold, cell for cell) and the
chart drawn from it. The figures are the services' own, parsed as Decimal: the
console computes no figure, it only lays them out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from console import charts

BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
REPORTS = ("aging", "dso_cei", "collection", "bad_debt", "portfolio", "collectors")
Cell = str | int | Decimal | None


@dataclass
class Table:
    name: str
    columns: list[str]  # i18n keys
    rows: list[list[Cell]] = field(default_factory=list)
    money_columns: frozenset[int] = frozenset()  # shown with thousands separators and two decimals

    def figure_columns(self) -> frozenset[int]:
        """The columns of figures (right-aligned, their heading too): the money ones and any holding a number."""
        counted = {i for row in self.rows for i, cell in enumerate(row) if isinstance(cell, (int, Decimal))}
        return self.money_columns | counted


def month_starts(as_of: date, months: int) -> list[date]:
    """The first days of the `months` calendar months ending with as_of's, oldest first."""
    starts, year, month = [], as_of.year, as_of.month
    for _ in range(months):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(starts))


def _d(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def aging_table(body: dict[str, Any]) -> Table:
    table = Table("aging", ["currency", *(f"bucket_{b}" for b in BUCKETS), "total", "invoice_count"])
    table.money_columns = frozenset(range(1, 7))
    for row in body["totals"]:
        buckets = row["buckets"]
        table.rows.append([row["currency"], *(_d(buckets[b]) for b in BUCKETS), _d(buckets["total"]), row["invoices"]])
    return table


KPI_COLUMNS = {
    "dso_cei": ["dso", "best_possible_dso", "average_days_delinquent", "cei"],
    "collection": ["collection_rate", "collected", "credit_sales", "opening_receivables"],
    "bad_debt": ["bad_debt_rate", "written_off", "credit_sales"],
}
MONEY_KPIS = {"collected", "credit_sales", "opening_receivables", "written_off"}


def kpi_table(name: str, body: dict[str, Any]) -> Table:
    """One row per month and currency: invoicing's monthly KPIs, the columns the report is about."""
    figures = KPI_COLUMNS[name]
    table = Table(name, ["month", "currency", *(f"kpi_{f}" for f in figures)])
    table.money_columns = frozenset(2 + i for i, f in enumerate(figures) if f in MONEY_KPIS)
    for kpi in body.get("data", []):
        month = str(kpi["period_start"])[:7]
        table.rows.append([month, kpi["currency"], *(_d(kpi.get(f)) for f in figures)])
    return table


def portfolio_table(body: dict[str, Any]) -> Table:
    table = Table("portfolio", ["tier", "clients", "clients_on_hold", "currency", "exposure", "credit_limit"])
    table.money_columns = frozenset({4, 5})
    for tier in body["tiers"]:
        currencies = sorted(set(tier["exposure"]) | set(tier["limits"])) or [None]
        for currency in currencies:
            table.rows.append(
                [
                    tier["tier"],
                    tier["clients"],
                    tier["on_hold"],
                    currency,
                    _d(tier["exposure"].get(currency)) if currency else None,
                    _d(tier["limits"].get(currency)) if currency else None,
                ]
            )
    return table


def collectors_table(body: dict[str, Any]) -> Table:
    """One row per collector and currency collected (a collector who collected nothing: one row, no currency)."""
    columns = ["collector", "display_name", "cases_worked", "contacts_made", "actions_sent", "calls_logged"]
    table = Table("collectors", [*columns, "promises_made", "promises_kept", "currency", "amount_collected"])
    table.money_columns = frozenset({9})
    for c in body["data"]:
        counts: list[Cell] = [c[k] for k in columns[2:]]
        collected = c["amount_collected"] or [{"currency": None, "amount": None}]
        for money in collected:
            table.rows.append(
                [
                    c["collector"],
                    c.get("display_name"),
                    *counts,
                    c["promises_made"],
                    c["promises_kept"],
                    money["currency"],
                    _d(money["amount"]),
                ]
            )
    return table


def _by_currency(
    table: Table, label_of: Callable[[list[Cell]], str], column: int
) -> tuple[list[str], list[charts.Series]]:
    """The table's `column` as one series per currency over the labels the rows give, in first-seen order."""
    labels: list[str] = []
    values: dict[str, dict[str, Decimal]] = {}
    currency_at = table.columns.index("currency")
    for row in table.rows:
        label = label_of(row)
        if label not in labels:
            labels.append(label)
        value, currency = row[column], row[currency_at]
        if isinstance(value, (Decimal, int)) and currency:
            values.setdefault(str(currency), {})[label] = Decimal(value)
    series = [charts.Series(cur, [by.get(label) for label in labels]) for cur, by in values.items()]
    return labels, series


def chart_of(table: Table, title: Callable[[str], str]) -> list[tuple[str, Markup]]:
    """The report's charts, each with its caption; `title` is the translator (i18n key -> words)."""
    if table.name == "aging":
        series = [
            charts.Series(str(row[0]), [v if isinstance(v, Decimal) else None for v in row[1:6]]) for row in table.rows
        ]
        labels = [title(f"bucket_{b}") for b in BUCKETS]
        return [(title("report_aging"), charts.bar_chart(labels, series, label=title("report_aging")))]
    if table.name in KPI_COLUMNS:
        month = table.columns.index("month")
        drawn = {"dso_cei": [2, 5], "collection": [2], "bad_debt": [2]}[table.name]
        out: list[tuple[str, Markup]] = []
        for column in drawn:
            labels, series = _by_currency(table, lambda row: str(row[month]), column)
            unit = "%" if table.columns[column] in ("kpi_cei", "kpi_collection_rate", "kpi_bad_debt_rate") else ""
            caption = title(table.columns[column])
            out.append((caption, charts.line_chart(labels, series, label=caption, unit=unit)))
        return out
    if table.name == "portfolio":
        labels, series = _by_currency(table, lambda row: str(row[0]), 4)
        if not series:  # no exposure anywhere yet: the clients per tier
            clients = {str(row[0]): Decimal(int(row[1] or 0)) for row in table.rows}
            labels = list(clients)
            series = [charts.Series(title("clients"), list(clients.values()))]
        caption = title("kpi_exposure" if series and series[0].name != title("clients") else "clients")
        return [(caption, charts.bar_chart(labels, series, label=caption))]
    labels, series = _by_currency(table, lambda row: str(row[1] or row[0]), 9)
    return [(title("amount_collected"), charts.bar_chart(labels, series, label=title("amount_collected")))]
