"""A report's table as a download: CSV (arflow.spreadsheet's formula-safe writer) or XLSX (XlsxWriter)."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal

import xlsxwriter

from arflow.spreadsheet import SafeWriter, safe_cell
from console.reports import Cell, Table


def _text(cell: Cell) -> str:
    return "" if cell is None else str(cell)


def as_csv(table: Table, heading: Callable[[str], str]) -> bytes:
    """UTF-8 with a BOM, so Excel opens the Chinese headings as Chinese; decimals as the services wrote them."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow([heading(c) for c in table.columns])
    writer.writerows([[_text(cell) for cell in row] for row in table.rows])
    return ("\ufeff" + out.getvalue()).encode()


def as_xlsx(table: Table, heading: Callable[[str], str], sheet: str) -> bytes:
    """One sheet, a bold heading row, money as numbers with two decimals.

    A spreadsheet cell holds an IEEE double: a figure becomes a float only here, in the file, where
    Excel would read it as one anyway; every amount arflow sends has at most two decimals and
    fewer than 15 digits, so it reads back as written.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    page = book.add_worksheet(sheet[:31])
    bold, money = book.add_format({"bold": True}), book.add_format({"num_format": "#,##0.00"})
    for column, name in enumerate(table.columns):
        page.write_string(0, column, heading(name), bold)
        page.set_column(column, column, max(12, len(heading(name)) * 2))
    for number, row in enumerate(table.rows, start=1):
        for column, cell in enumerate(row):
            if isinstance(cell, Decimal):
                page.write_number(number, column, float(cell), money if column in table.money_columns else None)
            elif isinstance(cell, int):
                page.write_number(number, column, cell)
            elif cell is not None:
                page.write_string(number, column, str(safe_cell(cell)))
    page.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()
