"""The pieces every PDF of invoicing is drawn with: styles, tables, the creditor's letterhead on every page and
the footer with the document's number and "page X of Y".

Set in the embedded CJK font of arflow.documents.fonts (a built-in CID font such as STSong-Light is never
embedded, so it looked different in every viewer). Rendering is pure (data in, bytes out) and CPU-bound.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)

from arflow.documents.creditor import Creditor
from arflow.documents.fonts import register_cjk_font
from invoicing.reports.labels import labels

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

INK = colors.HexColor("#1f2328")
MUTED = colors.HexColor("#59636e")
ACCENT = colors.HexColor("#1f3a5f")
RULE = colors.HexColor("#9aa4ae")
HEADER_FILL = colors.HexColor("#e9eef4")
DEMO_RED = colors.HexColor("#b42318")


def style(name: str, **overrides: Any) -> ParagraphStyle:
    """A paragraph style in the embedded font (which has no bold face: <b> maps to the regular one)."""
    font = register_cjk_font()
    registerFontFamily(font, normal=font, bold=font, italic=font, boldItalic=font)
    values: dict[str, Any] = {"fontName": font, "fontSize": 9, "leading": 13, "textColor": INK}
    values.update(overrides)
    return ParagraphStyle(name, **values)


CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def para(text: str, paragraph_style: ParagraphStyle) -> Paragraph:
    """Text (escaped: a customer's '<' is text, not markup) laid out in its box.

    Chinese text has no spaces to break at, so it wraps between any two characters (ReportLab's CJK
    mode); English wraps between words, which CJK mode would split ("Tax rat / e").
    """
    if CJK.search(text):
        paragraph_style = ParagraphStyle(f"{paragraph_style.name}-cjk", parent=paragraph_style, wordWrap="CJK")
    return Paragraph(escape(text), paragraph_style)


def styles() -> dict[str, ParagraphStyle]:
    return {
        "body": style("body"),
        "small": style("small", fontSize=7.5, leading=10, textColor=MUTED),
        "label": style("label", fontSize=7.5, leading=10, textColor=MUTED),
        "title": style("title", fontSize=20, leading=24, textColor=ACCENT),
        "number": style("number", fontSize=10, leading=14, alignment=TA_RIGHT, textColor=INK),
        "heading": style("heading", fontSize=11, leading=15, textColor=ACCENT, spaceBefore=4, spaceAfter=3),
        "party": style("party", fontSize=11, leading=15),
        "cell": style("cell", fontSize=8.5, leading=11),
        "cell_right": style("cell_right", fontSize=8.5, leading=11, alignment=TA_RIGHT),
        "head": style("head", fontSize=8, leading=10.5, textColor=ACCENT),
        "head_right": style("head_right", fontSize=8, leading=10.5, textColor=ACCENT, alignment=TA_RIGHT),
        "total": style("total", fontSize=9.5, leading=13, alignment=TA_RIGHT),
        "due": style("due", fontSize=11.5, leading=15, alignment=TA_RIGHT, textColor=ACCENT),
        "words": style("words", fontSize=8.5, leading=11.5, alignment=TA_RIGHT, textColor=INK),
        "centre": style("centre", fontSize=8, leading=11, alignment=TA_CENTER, textColor=MUTED),
        "demo": style("demo", fontSize=8.5, leading=11, textColor=DEMO_RED),
        "mark": style("mark", fontSize=10, leading=14, textColor=DEMO_RED),
    }


def table_style(commands: Sequence[tuple[Any, ...]]) -> TableStyle:
    """A table style whose string cells (blank ones included) are set in the embedded font, not Helvetica."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), register_cjk_font()), *commands])


def item_table(
    rows: Sequence[Sequence[str]], widths: Sequence[float], *, right: Sequence[int] = (), repeat_header: bool = True
) -> Table:
    """A ruled table whose first row is the header, repeated on every page it runs onto; each cell wraps."""
    s = styles()
    cells = []
    for number, row in enumerate(rows):
        if number == 0:
            cells.append([para(v, s["head_right" if i in right else "head"]) for i, v in enumerate(row)])
        else:
            cells.append([para(v, s["cell_right" if i in right else "cell"]) for i, v in enumerate(row)])
    table = Table(cells, colWidths=list(widths), repeatRows=1 if repeat_header else 0)
    table.setStyle(
        table_style(
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


def field_table(rows: Sequence[tuple[str, str]], widths: Sequence[float]) -> Table:
    """Label: value pairs, unruled (dates, numbers, the bank account)."""
    s = styles()
    table = Table([[para(k, s["label"]), para(v, s["body"])] for k, v in rows], colWidths=list(widths))
    table.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                # The label's smaller type sits on the value's baseline.
                ("TOPPADDING", (0, 0), (0, -1), 3),
            ]
        )
    )
    return table


def title_block(title: str, number_label: str, number: str) -> Table:
    """The document's title on the left, its number on the right."""
    s = styles()
    table = Table(
        [[para(title, s["title"]), para(f"{number_label} {number}", s["number"])]],
        colWidths=[CONTENT_WIDTH * 0.5, CONTENT_WIDTH * 0.5],
    )
    table.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, ACCENT),
            ]
        )
    )
    return table


def _letterhead(creditor: Creditor, t: dict[str, str]) -> list[Paragraph]:
    s = styles()
    details = "\u2003·\u2003".join(
        [f"{t['uscc']} {creditor.uscc}", f"{t['address']} {creditor.address}", f"{t['phone']} {creditor.phone}"]
    )
    head = [
        para(creditor.legal_name, style("creditor", fontSize=13, leading=17, textColor=ACCENT)),
        para(details, s["small"]),
    ]
    if creditor.demo:
        head.append(para(t["demo_banner"], s["demo"]))
    return head


def _letterhead_height(creditor: Creditor, t: dict[str, str]) -> float:
    return float(sum(p.wrap(CONTENT_WIDTH, PAGE_HEIGHT)[1] for p in _letterhead(creditor, t)))


LETTERHEAD_TOP = 11 * mm  # from the top edge to the creditor's name
FOOTER_RULE = 14 * mm  # from the bottom edge


class _NumberedCanvas(Canvas):  # type: ignore[misc]  # ReportLab ships no type hints
    """Holds each page back until the last, so every footer can say "page X of Y"."""

    def __init__(self, *args: Any, footer: Callable[[Canvas, int, int], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []
        self._footer = footer

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._footer(self, self._pageNumber, total)
            super().showPage()
        super().save()


def build_pdf(story: list[Flowable], *, title: str, creditor: Creditor, language: str, number: str) -> bytes:
    """Lay the story out on A4 pages under the creditor's letterhead, each with a footer naming the document."""
    font = register_cjk_font()
    t = labels(language)
    top = LETTERHEAD_TOP + _letterhead_height(creditor, t) + 8 * mm

    def letterhead(canvas: Canvas, _doc: Any) -> None:
        canvas.saveState()
        y = PAGE_HEIGHT - LETTERHEAD_TOP
        for paragraph in _letterhead(creditor, t):
            _, height = paragraph.wrap(CONTENT_WIDTH, PAGE_HEIGHT)
            y -= height
            paragraph.drawOn(canvas, MARGIN, y)
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(0.8)
        canvas.line(MARGIN, y - 2.5 * mm, PAGE_WIDTH - MARGIN, y - 2.5 * mm)
        canvas.restoreState()

    def footer(canvas: Canvas, page: int, pages: int) -> None:
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN, FOOTER_RULE, PAGE_WIDTH - MARGIN, FOOTER_RULE)
        canvas.setFont(font, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, FOOTER_RULE - 4.5 * mm, f"{creditor.legal_name}\u2003{number}")
        canvas.drawRightString(PAGE_WIDTH - MARGIN, FOOTER_RULE - 4.5 * mm, t["page"].format(page=page, pages=pages))
        canvas.restoreState()

    buffer = io.BytesIO()
    bottom = FOOTER_RULE + 6 * mm
    # An unpadded frame exactly between the margins: tables, paragraphs and the letterhead share one edge.
    frame = Frame(
        MARGIN,
        bottom,
        CONTENT_WIDTH,
        PAGE_HEIGHT - top - bottom,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    document = BaseDocTemplate(
        buffer,
        pagesize=A4,
        pageTemplates=[PageTemplate(id="page", frames=[frame], onPage=letterhead)],
        title=title,
        author=creditor.legal_name,
        lang=language,
        # Without it ReportLab sets an initial Helvetica, which is never embedded, in every PDF.
        initialFontName=font,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=top,
        bottomMargin=bottom,
    )
    document.build(story, canvasmaker=partial(_NumberedCanvas, footer=footer))
    return buffer.getvalue()
