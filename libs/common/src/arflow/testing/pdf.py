"""A PDF as a reader sees it, for tests of customer-facing documents.

Each page is rendered by PDFium (the engine of Chromium's viewer) to an image and to text with the
box of every run of text, so a test can assert the layout: nothing drawn off the page, no object
repr printed where a value belongs, every font embedded. Fonts are read with pypdf, which sees the
font dictionaries PDFium does not expose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

# What printing a Python object instead of its value leaves in a document.
OBJECT_DUMP = re.compile(r"<[\w.]+ object at 0x|Paragraph\(|Table\(|Decimal\(|datetime\.|\bNone\b|\dE[+-]\d")


@dataclass(frozen=True)
class TextBox:
    text: str
    left: float
    bottom: float
    right: float
    top: float


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    text: str
    boxes: tuple[TextBox, ...]


def pages(pdf: bytes) -> list[Page]:
    """Every page's size, text and text boxes (PDF points, origin bottom left)."""
    document = pdfium.PdfDocument(pdf)
    try:
        out = []
        for page in document:
            width, height = page.get_size()
            text_page = page.get_textpage()
            boxes = []
            for i in range(text_page.count_rects()):
                left, bottom, right, top = text_page.get_rect(i)
                boxes.append(
                    TextBox(text_page.get_text_bounded(left, bottom, right, top).strip(), left, bottom, right, top)
                )
            out.append(Page(width, height, text_page.get_text_range(), tuple(boxes)))
        return out
    finally:
        document.close()


def text(pdf: bytes) -> str:
    """All the text of the document, page after page."""
    return "\n".join(page.text for page in pages(pdf))


def render_png(pdf: bytes, directory: Path, stem: str, *, scale: float = 2.0) -> list[Path]:
    """Render each page to directory/stem-N.png (N from 1) and return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument(pdf)
    try:
        paths = []
        for number, page in enumerate(document, start=1):
            path = directory / f"{stem}-{number}.png"
            page.render(scale=scale).to_pil().save(path)
            paths.append(path)
        return paths
    finally:
        document.close()


def fonts(pdf: bytes) -> dict[str, bool]:
    """Each font the pages use, by base name, and whether its program is embedded in the file."""
    found: dict[str, bool] = {}
    for page in PdfReader(_stream(pdf)).pages:
        resources = page.get("/Resources")
        if resources is None:
            continue
        font_dict = resources.get_object().get("/Font")
        if font_dict is None:
            continue
        for ref in font_dict.get_object().values():
            font = ref.get_object()
            found[str(font.get("/BaseFont"))] = _embedded(font)
    return found


def _embedded(font: DictionaryObject) -> bool:
    if font.get("/Subtype") == "/Type0":
        descendants: Any = font["/DescendantFonts"]
        return all(_embedded(d.get_object()) for d in descendants)
    descriptor: Any = font.get("/FontDescriptor")
    if descriptor is None:
        return False  # one of the 14 standard fonts or a CID font left to the viewer
    descriptor = descriptor.get_object()
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def layout_problems(pdf: bytes) -> list[str]:
    """Everything a reader would see as broken: text off the page, object dumps, fonts not embedded."""
    problems = []
    for number, page in enumerate(pages(pdf), start=1):
        for box in page.boxes:
            if box.left < 0 or box.bottom < 0 or box.right > page.width or box.top > page.height:
                problems.append(f"page {number}: {box.text!r} lies outside the page")
        dump = OBJECT_DUMP.search(page.text)
        if dump:
            problems.append(f"page {number}: object dump {dump.group()!r} in the text")
    for name, embedded in fonts(pdf).items():
        if not embedded:
            problems.append(f"font {name} is not embedded")
    return problems


def _stream(pdf: bytes) -> Any:
    from io import BytesIO

    return BytesIO(pdf)
