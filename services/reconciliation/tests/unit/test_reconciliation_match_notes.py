"""Every sentence of a match reads back as a note: a stable code, its figures as fields, English and Chinese."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from reconciliation.matching import notes
from reconciliation.matching import reasons as why

D = Decimal
SAMPLES: dict[str, Any] = {
    "amount": D("1060.00"),
    "count": 3,
    "percent": 92.0,
    "numbers": ("INV-2026-000123", "INV-2026-000124"),
    "summands": why.Summands((("INV-2026-000001", D("10.00")), ("INV-2026-000002", D("20.50")))),
    "text": "杭州云帆科技有限公司",
}


def test_every_kind_of_sentence_has_a_code() -> None:
    kinds = {value for value in vars(why).values() if isinstance(value, why.Reason)}
    assert kinds == set(notes.NOTES)
    codes = [code for code, _ in notes.NOTES.values()]
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize("reason", list(notes.NOTES), ids=[code for code, _ in notes.NOTES.values()])
def test_a_sentence_reads_back_as_its_code_and_figures_in_both_languages(reason: why.Reason) -> None:
    code, kinds = notes.NOTES[reason]
    values = tuple(SAMPLES[kind] for _, kind in kinds)
    read = notes.note(reason.say(values))
    assert read["code"] == code
    assert (read["text"], read["text_zh"]) == (reason.say(values), reason.say(values, "zh"))
    for name, _ in kinds:
        assert name in read, (code, name)
    if ("amount", "amount") in kinds:
        assert read["amount"] == "1060.00"


def test_the_written_off_suggestion_reads_in_chinese_with_its_figures() -> None:
    english = why.WRITTEN_OFF_SUGGESTED.say((("INV-2026-000050",), D("300.00")))
    read = notes.note(english)
    assert (read["code"], read["invoice_numbers"], read["owed"]) == (
        "written_off_suggested",
        ["INV-2026-000050"],
        "300.00",
    )
    assert read["text_zh"].startswith("该客户的 INV-2026-000050 已核销为坏账（尚欠 300.00）")


def test_the_more_specific_sentence_wins_and_a_payer_name_with_odd_characters_is_kept() -> None:
    only = notes.note(why.AMOUNT_ONLY.say((D("5.00"), "INV-2026-000009")))
    assert (only["code"], only["invoice_number"]) == ("amount_only", "INV-2026-000009")
    named = notes.note(why.NAME_IS.say(("O'Brien (HK) Ltd.", "O'Brien Trading")))
    assert (named["payer_name"], named["customer_name"]) == ("O'Brien (HK) Ltd.", "O'Brien Trading")
    split = notes.note(why.SPLIT_PART.say((uuid.UUID(int=1), "finance@example.com")))
    assert split["code"] == "split_part" and split["payment_id"] == str(uuid.UUID(int=1))


def test_a_sentence_no_template_fits_is_kept_as_it_came_and_stored_chinese_wins() -> None:
    assert notes.note("something else") == {"code": "other", "text": "something else", "text_zh": "something else"}
    [read] = notes.notes(["remittance names INV-1"], ["附言写明 INV-1（存储的）"])
    assert read["text_zh"] == "附言写明 INV-1（存储的）"
