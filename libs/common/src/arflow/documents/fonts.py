"""The CJK font every PDF is set in, shipped inside a pip wheel and embedded in each document.

ReportLab embeds only TrueType (glyf) outlines, not the CFF-flavoured OTF that
Noto Sans CJK is published as, so the font is WenQuanYi Micro Hei (文泉驿微米黑,
TrueType, covers GB 18030's common set and Latin) from the wheel
``paperang-p2-fonts-cjk``, pinned in requirements.txt. A built-in CID font
(STSong-Light) is never embedded: how it looked depended on the reader's viewer.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT = "WenQuanYiMicroHei"
FONT_PACKAGE = "paperang_p2_fonts_cjk"


def font_path() -> Path:
    """Where the wheel installed the font collection (read through importlib.resources, never a system path)."""
    return Path(str(resources.files(FONT_PACKAGE).joinpath("fonts", "wqy-microhei.ttc")))


def register_cjk_font() -> str:
    """Register the embedded CJK font with ReportLab once and return its name."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        # subfontIndex 0 of the collection is Micro Hei (1 is its monospaced twin). ReportLab subsets
        # TrueType fonts and embeds the subset in every PDF that uses them.
        pdfmetrics.registerFont(TTFont(FONT, str(font_path()), subfontIndex=0))
    return FONT
