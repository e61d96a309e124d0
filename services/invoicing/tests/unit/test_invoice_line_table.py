"""The line table's columns: figures measured in the font they are printed in, never narrower than they are."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from arflow.documents.fonts import register_cjk_font
from invoicing.invoices.line_table import CELL_PADDING, FONT_STEPS, NARROWEST_DESCRIPTION, layout
from invoicing.reports.pdf import CONTENT_WIDTH

HEADER = ["项目", "数量", "单价（人民币）", "税率", "税额", "价税合计（人民币）"]


def fits(rows: list[list[str]]) -> bool:
    """Every figure is narrower than the room its cell gives it (the width less the cell's padding)."""
    chosen = layout(rows)
    font = register_cjk_font()
    return all(
        stringWidth(value, font, chosen.font_size) <= width - CELL_PADDING
        for row in rows[1:]
        for value, width in zip(row[1:], chosen.widths[1:], strict=True)
    )


def test_an_ordinary_invoice_keeps_the_widths_it_always_had() -> None:
    rows = [HEADER, ["代理记账服务费", "1", "1,000.00", "6%", "60.00", "1,060.00"]]
    chosen = layout(rows)
    assert [round(w / mm, 6) for w in chosen.widths] == [66, 14, 24, 14, 24, 32]
    assert chosen.font_size == FONT_STEPS[0]


def test_a_large_tax_widens_its_column_and_the_description_gives_way() -> None:
    rows = [HEADER, ["设备采购", "1000", "987,654.32", "13%", "128,395,061.60", "1,116,049,381.60"]]
    chosen = layout(rows)
    assert chosen.widths[4] > 24 * mm  # 24 mm left "128,395,061.6" and a lone "0"
    assert chosen.font_size == FONT_STEPS[0]
    assert sum(chosen.widths) == CONTENT_WIDTH and chosen.widths[0] >= NARROWEST_DESCRIPTION
    assert fits(rows)


def test_figures_too_wide_for_their_size_are_set_smaller_not_broken() -> None:
    # The largest figures the API accepts: a quantity below 10^9 times a price of 13 integer digits.
    big = "999,999,999,999,999,999,999.99"
    rows = [HEADER, ["设备", "999,999,999.999999", big, "13.5%", big, big]]
    chosen = layout(rows)
    assert chosen.font_size < FONT_STEPS[0]
    assert abs(sum(chosen.widths) - CONTENT_WIDTH) < 1e-6 and chosen.widths[0] > 0
    assert fits(rows)
