"""The format an Accept header asks for, among those an endpoint offers."""

from __future__ import annotations

import pytest

from arflow.negotiation import NotAcceptable, chosen_format

OFFERED = {"application/json": "json", "text/csv": "csv", "application/pdf": "pdf"}


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "json"),
        ("", "json"),
        ("*/*", "json"),
        ("application/pdf", "pdf"),
        ("text/csv", "csv"),
        ("text/*", "csv"),
        ("application/pdf;q=0.5, text/csv", "csv"),
        ("text/csv;q=0.2, application/pdf;q=0.9", "pdf"),
        ("application/json, application/pdf;q=0.1", "json"),
        ("text/html, */*;q=0.1", "json"),
        ("application/pdf, */*;q=0.8", "pdf"),
        ("APPLICATION/PDF", "pdf"),
        ("application/pdf;q=oops, text/csv;q=0.1", "csv"),
    ],
)
def test_the_preferred_offered_format_wins(accept: str | None, expected: str) -> None:
    assert chosen_format(accept, OFFERED, default="json") == expected


@pytest.mark.parametrize("accept", ["text/html", "image/png, text/html;q=0.9", "application/pdf;q=0"])
def test_asking_for_nothing_offered_is_a_406_that_lists_the_offer(accept: str) -> None:
    with pytest.raises(NotAcceptable) as refused:
        chosen_format(accept, OFFERED, default="json")
    assert refused.value.status == 406 and "application/pdf" in str(refused.value.detail)
