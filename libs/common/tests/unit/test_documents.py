"""The pieces every customer-facing document shares, and the checks its tests lean on."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from arflow.documents.amounts import amount, amount_in_words, plain_number, rmb_in_words
from arflow.documents.creditor import DEMO, CreditorNotConfigured, CreditorSettings
from arflow.documents.fonts import register_cjk_font
from arflow.testing import pdf


@pytest.mark.parametrize(
    ("figures", "words"),
    [
        ("1000", "壹仟元整"),
        ("10.05", "壹拾元零伍分"),
        ("0.50", "伍角"),
        ("1200.30", "壹仟贰佰元叁角"),
        ("1010.10", "壹仟零壹拾元壹角"),
        ("100000000.01", "壹亿元零壹分"),
        ("105000", "壹拾万伍仟元整"),
        ("-25.00", "负贰拾伍元整"),
        ("0", "零元整"),
    ],
)
def test_rmb_in_words_follows_the_payment_settlement_rules(figures: str, words: str) -> None:
    assert rmb_in_words(Decimal(figures)) == words


def test_words_and_figures_round_the_same_way() -> None:
    printed = amount(Decimal("3.455"), "CNY")
    assert rmb_in_words(Decimal("3.455")) == rmb_in_words(Decimal(printed))


def test_amounts_and_quantities_as_people_write_them() -> None:
    assert amount(Decimal("1234567.5"), "CNY") == "1,234,567.50"
    assert amount(Decimal("1200"), "JPY") == "1,200"
    assert plain_number(Decimal("2.000")) == "2"
    assert plain_number(Decimal("3E+2")) == "300"
    assert amount_in_words(Decimal("10"), "USD") is None


FULL_CREDITOR = {
    "creditor_name": "上海某某代理记账有限公司",
    "creditor_uscc": "91310000MA1FL0000X",
    "creditor_address": "上海市黄浦区某某路 1 号",
    "creditor_phone": "021-6000 0000",
    "bank_name": "招商银行上海分行",
    "bank_account_name": "上海某某代理记账有限公司",
    "bank_account_number": "1219 0000 0000 001",
}


def test_a_fully_set_creditor_is_used_as_set() -> None:
    creditor = CreditorSettings.model_validate(FULL_CREDITOR).creditor()
    assert not creditor.demo
    assert creditor.legal_name == FULL_CREDITOR["creditor_name"]
    assert creditor.bank_account_number == FULL_CREDITOR["bank_account_number"]
    assert CreditorSettings.model_validate(FULL_CREDITOR).creditor_readiness() == "ok"


def test_half_a_creditor_is_refused_naming_what_is_missing() -> None:
    settings = CreditorSettings.model_validate({**FULL_CREDITOR, "bank_account_number": None, "creditor_uscc": ""})
    with pytest.raises(CreditorNotConfigured) as refused:
        settings.creditor()
    assert refused.value.status == 409
    assert refused.value.extensions["missing"] == ["creditor_uscc", "bank_account_number"]
    assert "ARFLOW_BANK_ACCOUNT_NUMBER" in refused.value.detail
    assert "ARFLOW_BANK_ACCOUNT_NUMBER" in (refused.value.detail_zh or "")
    assert settings.creditor_readiness().startswith("not configured")


def test_the_demo_creditor_only_when_asked_for_and_never_mixed() -> None:
    settings = CreditorSettings.model_validate({**FULL_CREDITOR, "bank_account_number": None, "creditor_demo": True})
    assert settings.creditor() == DEMO
    assert DEMO.demo and "DEMO" in DEMO.legal_name
    assert settings.creditor_readiness().startswith("demo creditor")


def _pdf(draw: object) -> bytes:
    buffer = io.BytesIO()
    # The canvas's first font is Helvetica unless told otherwise, and lands in the file unembedded.
    page = canvas.Canvas(buffer, pagesize=A4, initialFontName=register_cjk_font())
    draw(page)  # type: ignore[operator]
    page.save()
    return buffer.getvalue()


def test_the_cjk_font_ships_in_a_wheel_and_is_embedded() -> None:
    font = register_cjk_font()

    def draw(page: canvas.Canvas) -> None:
        page.setFont(font, 12)
        page.drawString(72, 700, "对账单 应收合计 壹仟元整")

    document = _pdf(draw)
    assert pdf.fonts(document) and all(pdf.fonts(document).values())
    assert "对账单 应收合计 壹仟元整" in pdf.text(document)
    assert pdf.layout_problems(document) == []


def test_layout_problems_name_what_a_reader_would_see_broken() -> None:
    font = register_cjk_font()

    def draw(page: canvas.Canvas) -> None:
        page.setFont(font, 12)
        page.drawString(500, 700, "a description far too long for the page it is printed on")
        page.drawString(72, 650, "<reportlab.platypus.paragraph.Paragraph object at 0x7f00>")
        page.setFont("Helvetica", 12)
        page.drawString(72, 600, "unit price 3E+2")

    problems = pdf.layout_problems(_pdf(draw))
    assert any("outside the page" in p for p in problems)
    assert any("object dump" in p for p in problems)
    assert any("Helvetica is not embedded" in p for p in problems)
