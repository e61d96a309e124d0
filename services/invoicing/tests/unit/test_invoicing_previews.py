"""The README's previews are built from sample data by the functions the endpoints call; they stay sound."""

from __future__ import annotations

from arflow.testing.pdf import layout_problems
from invoicing.invoices.previews import documents


def test_the_previewed_documents_have_no_layout_problems() -> None:
    built = documents()
    assert sorted(built) == ["invoice-en", "invoice-zh-CN", "statement-en", "statement-zh-CN"]
    assert {stem: layout_problems(pdf) for stem, pdf in built.items()} == {stem: [] for stem in built}
