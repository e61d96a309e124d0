"""`python -m dunning.previews [directory]`: PNGs of page 1 of a zh-CN and an en overdue letter.

Written to docs/previews/letter-zh-CN.png and letter-en.png (scale 1.5) for the README. The letters
are from the marked demo creditor, so a preview never shows payee details anyone could pay into.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

from arflow.documents.creditor import DEMO
from arflow.testing.pdf import render_png
from dunning.actions.letters import Letter, LetterItem, dunning_letter
from dunning.domain import letter_number

DOCS = Path(__file__).resolve().parents[4] / "docs" / "previews"
LETTER_DATE = date(2026, 3, 22)
ITEMS = (
    LetterItem("INV-2026-000118", date(2026, 1, 5), date(2026, 2, 4), 46, 0, Decimal("3200.00"), "RF18INV2026000118"),
    LetterItem("INV-2026-000143", date(2026, 1, 20), date(2026, 2, 19), 31, 0, Decimal("1850.50"), "RF63INV2026000143"),
    LetterItem("INV-2026-000171", date(2026, 2, 5), date(2026, 3, 7), 15, 0, Decimal("960.00"), "RF92INV2026000171"),
)


def sample_letter(language: str) -> Letter:
    """The overdue letter the previews show."""
    return Letter(
        kind="overdue",
        language=language,
        number=letter_number(LETTER_DATE.year, 7),
        letter_date=LETTER_DATE,
        customer_name="杭州云帆科技有限公司",
        currency="CNY",
        items=ITEMS,
        creditor=DEMO,
    )


def write_previews(directory: Path) -> list[Path]:
    """Render page 1 of each language's letter to directory/letter-<language>.png."""
    written = []
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for language in ("zh-CN", "en"):
            first = render_png(dunning_letter(sample_letter(language)), Path(scratch), language, scale=1.5)[0]
            target = directory / f"letter-{language}.png"
            shutil.move(first, target)
            written.append(target)
    return written


def main(argv: list[str]) -> int:
    for path in write_previews(Path(argv[0]) if argv else DOCS):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
