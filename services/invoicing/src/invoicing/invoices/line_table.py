"""The invoice's line table, its columns sized so that no amount ever wraps.

A figure split over two lines ("128,395,061.6" above a lone "0") reads as a different amount, so every
numeric column is at least as wide as the widest figure printed in it, measured in the font it is set in.
The description takes what remains and wraps; if even the figures do not fit beside a readable
description, the figures are set a step smaller rather than broken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Table

from arflow.documents.fonts import register_cjk_font
from invoicing.reports.pdf import ACCENT, CONTENT_WIDTH, HEADER_FILL, RULE, para, style, styles, table_style

# The widths an ordinary invoice has always had (quantity, unit price, tax rate, tax, amount): wide
# enough for the headers; a column grows past its width only for a figure that needs it.
NUMERIC_WIDTHS = (14 * mm, 24 * mm, 14 * mm, 24 * mm, 32 * mm)
# Narrower than this and the headers would break between every character.
NARROWEST_NUMERIC = 12 * mm
NARROWEST_DESCRIPTION = 40 * mm
FONT_STEPS = (8.5, 8.0, 7.5, 7.0, 6.5, 6.0)  # the first is the cell style's own size
CELL_PADDING = 6 + 6  # a Table cell's default left and right padding, points
SLACK = 1.0  # points: ReportLab's line breaking must never find the figure a hair too wide


@dataclass(frozen=True)
class Layout:
    widths: tuple[float, ...]  # description first, then each numeric column
    font_size: float  # of the figures


def layout(rows: Sequence[Sequence[str]], content_width: float = CONTENT_WIDTH) -> Layout:
    """Column widths and the figures' font size for these rows (the first is the header, which may wrap)."""
    font = register_cjk_font()
    figures = [row[1:] for row in rows[1:]]
    narrowest = (NARROWEST_NUMERIC,) * len(NUMERIC_WIDTHS)
    # First the usual widths, so an ordinary invoice looks as it always did; then only what the figures need,
    # at the cell's own size and then a step smaller each time.
    attempts = [(FONT_STEPS[0], NUMERIC_WIDTHS), *((size, narrowest) for size in FONT_STEPS)]
    for size, floors in attempts:
        needed = [
            max([stringWidth(row[i], font, size) for row in figures], default=0.0) + CELL_PADDING + SLACK
            for i in range(len(NUMERIC_WIDTHS))
        ]
        numeric = [max(n, floor) for n, floor in zip(needed, floors, strict=True)]
        if content_width - sum(numeric) >= NARROWEST_DESCRIPTION or size == FONT_STEPS[-1]:
            # At the last step the description gets whatever is left: the figures stay whole regardless.
            return Layout((content_width - sum(numeric), *numeric), size)
    raise AssertionError("unreachable: the last font step always returns")


def line_table(rows: Sequence[Sequence[str]], content_width: float = CONTENT_WIDTH) -> Table:
    """The ruled line table (header repeated on every page) with columns and figures from `layout`."""
    chosen = layout(rows, content_width)
    s = styles()
    figure = s["cell_right"]
    if chosen.font_size != FONT_STEPS[0]:
        figure = style("figure", fontSize=chosen.font_size, leading=chosen.font_size * 1.3, alignment=TA_RIGHT)
    cells = [[para(v, s["head_right"] if i else s["head"]) for i, v in enumerate(rows[0])]]
    cells += [[para(row[0], s["cell"]), *(para(v, figure) for v in row[1:])] for row in rows[1:]]
    table = Table(cells, colWidths=list(chosen.widths), repeatRows=1)
    table.setStyle(
        table_style(  # the look of reports.pdf's item_table
            [
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                ("LINEABOVE", (0, 0), (-1, 0), 0.8, ACCENT),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table
