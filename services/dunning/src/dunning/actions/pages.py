"""The page every dunning PDF is printed on: A4, the embedded CJK font, a running header, page X/Y.

ReportLab platypus lays the story out (paragraphs that wrap, tables that break across pages with
their header repeated); the canvas is told the embedded font as its initial font, so no unembedded
Helvetica is ever set, not even for an empty page. Page X of Y needs the page count, known only once
the story is laid out: the canvas keeps each page's state and draws the footers when it is saved.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from arflow.documents.fonts import register_cjk_font

FONT = register_cjk_font()
INK = colors.HexColor("#1f1f1f")
MUTED = colors.HexColor("#5a5a5a")
RULE = colors.HexColor("#9c1c1c")  # the letterhead's rule: the dark red of a Chinese business letterhead
LIGHT = colors.HexColor("#f1f1f1")
MARGIN = 20 * mm
WIDTH = A4[0] - 2 * MARGIN


def style(
    name: str, *, language: str, size: float = 10.5, leading: float | None = None, **extra: Any
) -> ParagraphStyle:
    """A paragraph style in the embedded font; Chinese wraps between any two characters, English at spaces."""
    return ParagraphStyle(
        name,
        fontName=FONT,
        fontSize=size,
        leading=leading or size * 1.55,
        textColor=extra.pop("textColor", INK),
        wordWrap="CJK" if language == "zh-CN" else None,
        **extra,
    )


@dataclass(frozen=True)
class Styles:
    """The few styles a letter uses, for one language."""

    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_right: ParagraphStyle
    head: ParagraphStyle
    title: ParagraphStyle
    right: ParagraphStyle
    addressee: ParagraphStyle
    letterhead: ParagraphStyle
    letterhead_line: ParagraphStyle


def styles(language: str) -> Styles:
    zh = language == "zh-CN"
    return Styles(
        body=style("body", language=language, firstLineIndent=21 if zh else 0, spaceAfter=4, alignment=TA_LEFT),
        small=style("small", language=language, size=9, textColor=MUTED),
        cell=style("cell", language=language, size=9.5, leading=13),
        cell_right=style("cell_right", language=language, size=9.5, leading=13, alignment=TA_RIGHT),
        head=style("head", language=language, size=9.5, leading=13, textColor=INK),
        title=style("title", language=language, size=19, leading=28, alignment=TA_CENTER, spaceBefore=6, spaceAfter=8),
        right=style("right", language=language, alignment=TA_RIGHT),
        addressee=style("addressee", language=language, size=11, leading=17),
        letterhead=style("letterhead", language=language, size=17, leading=24, alignment=TA_CENTER, textColor=RULE),
        letterhead_line=style("letterhead_line", language=language, size=8.5, leading=12, alignment=TA_CENTER),
    )


class DoubleRule(Flowable):  # type: ignore[misc]  # reportlab ships no types
    """The letterhead's rule: a thick line over a thin one."""

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, 6

    def draw(self) -> None:
        self.canv.setStrokeColor(RULE)
        self.canv.setLineWidth(1.6)
        self.canv.line(0, 5, self.width, 5)
        self.canv.setLineWidth(0.5)
        self.canv.line(0, 2, self.width, 2)


@dataclass(frozen=True)
class Running:
    """What every page carries: the running header of later pages and the footer's words."""

    header: str  # e.g. the creditor's name and the letter's number
    footer: str  # "第 {page} 页 / 共 {pages} 页", formatted per page
    warning: str | None = None  # a demo document says so on every page


def _numbered_canvas(running: Running) -> type[Canvas]:
    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab ships no types
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(self._pageNumber, total)
                super().showPage()
            super().save()

        def _decorate(self, page: int, total: int) -> None:
            width, height = A4
            self.saveState()
            self.setFont(FONT, 8.5)
            self.setFillColor(MUTED)
            self.setStrokeColor(colors.HexColor("#c8c8c8"))
            self.setLineWidth(0.4)
            self.line(MARGIN, 14 * mm, width - MARGIN, 14 * mm)
            self.drawCentredString(width / 2, 9 * mm, running.footer.format(page=page, pages=total))
            if page > 1:
                self.drawString(MARGIN, height - 12 * mm, running.header)
                self.line(MARGIN, height - 13.5 * mm, width - MARGIN, height - 13.5 * mm)
            if running.warning:
                self.setFillColor(RULE)
                self.setFont(FONT, 9)
                self.drawCentredString(width / 2, height - 8 * mm, running.warning)
            self.restoreState()

    return NumberedCanvas


def build_pdf(story: Sequence[Flowable], *, running: Running, title: str, author: str, language: str) -> bytes:
    """Lay `story` out on A4 pages with the running header and the page X/Y footer."""
    buffer = io.BytesIO()
    document = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
        title=title,
        author=author,
        subject=title,
        lang=language,
        initialFontName=FONT,
        invariant=True,  # the same letter gives the same bytes (no creation instant, no random id)
    )
    frame = Frame(document.leftMargin, document.bottomMargin, document.width, document.height, id="body")
    document.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    document.build(list(story), canvasmaker=_numbered_canvas(running))
    return buffer.getvalue()
