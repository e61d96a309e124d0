"""The 催款函 as a reader sees it: rendered by PDFium, its layout, fonts, labels and figures checked."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from arflow.documents.amounts import amount_in_words
from arflow.documents.creditor import Creditor
from arflow.testing.creditor import TEST_CREDITOR
from arflow.testing.pdf import fonts, layout_problems, pages, text
from dunning.actions.letters import Letter, LetterItem, dunning_letter
from dunning.domain import LetterKind

CREDITOR = Creditor(
    legal_name=TEST_CREDITOR["creditor_name"],
    uscc=TEST_CREDITOR["creditor_uscc"],
    address=TEST_CREDITOR["creditor_address"],
    phone=TEST_CREDITOR["creditor_phone"],
    bank_name=TEST_CREDITOR["bank_name"],
    bank_account_name=TEST_CREDITOR["bank_account_name"],
    bank_account_number=TEST_CREDITOR["bank_account_number"],
)
KINDS: tuple[LetterKind, ...] = ("before_due", "overdue", "final", "legal_handover")
LANGUAGES = ("zh-CN", "en")
CUSTOMER = "杭州云帆科技有限公司"
NUMBER = "催字〔2026〕第0042号"


def items(count: int, *, overdue: bool = True) -> tuple[LetterItem, ...]:
    due = date(2026, 2, 1)
    return tuple(
        LetterItem(
            invoice_number=f"INV-2026-{n:06d}",
            invoice_date=due - timedelta(days=30 - n % 20),
            due_date=due + timedelta(days=n % 20),
            days_overdue=(49 - n % 20) if overdue else 0,
            days_until_due=0 if overdue else 3 + n,
            amount_due=Decimal("1000.00") + Decimal(n) * Decimal("37.15"),
            payment_reference=f"RF18INV2026{n:06d}",
        )
        for n in range(1, count + 1)
    )


def letter(kind: LetterKind = "overdue", language: str = "zh-CN", count: int = 3) -> Letter:
    return Letter(
        kind=kind,
        language=language,
        number=NUMBER,
        letter_date=date(2026, 3, 22),
        customer_name=CUSTOMER,
        currency="CNY",
        items=items(count, overdue=kind != "before_due"),
        creditor=CREDITOR,
    )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_letter_lies_inside_its_pages_with_embedded_fonts_only(kind: LetterKind, language: str) -> None:
    pdf = dunning_letter(letter(kind, language))
    assert layout_problems(pdf) == []
    used = fonts(pdf)
    assert used and all(used.values()), used
    assert all("WenQuanYi" in name for name in used), used  # no Helvetica, no CID font left to the viewer


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_long_letter_breaks_its_table_across_pages_under_the_repeated_header(language: str) -> None:
    pdf = dunning_letter(letter(language=language, count=60))
    assert layout_problems(pdf) == []
    read = pages(pdf)
    assert len(read) >= 3
    header = "账单编号" if language == "zh-CN" else "Invoice no."
    footer = "第 {page} 页 / 共 {pages} 页" if language == "zh-CN" else "Page {page} of {pages}"
    for number, page in enumerate(read, start=1):
        assert footer.format(page=number, pages=len(read)) in page.text
    # The table runs over the first two pages at least: its header starts each of them.
    assert header in read[0].text and header in read[1].text
    body = text(pdf)
    for item in items(60):
        assert body.count(item.invoice_number) == 1, item.invoice_number


def _figures(pdf: bytes) -> list[Decimal]:
    return [Decimal(m.replace(",", "")) for m in re.findall(r"(?<![\d.])\d{1,3}(?:,\d{3})*\.\d{2}(?![\d])", text(pdf))]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_total_and_its_words_agree_with_the_items(language: str) -> None:
    written = letter(language=language, count=7)
    pdf = dunning_letter(written)
    body = text(pdf)
    total = sum((i.amount_due for i in written.items), Decimal(0))
    assert total == Decimal("8040.20")
    figures = _figures(pdf)
    assert [f for f in figures if f != total] == [i.amount_due for i in written.items]
    assert figures.count(total) == 2  # in the body's sentence and the table's total row
    words = amount_in_words(total, "CNY")
    assert words == "捌仟零肆拾元贰角"
    assert f"人民币{words}" in body.replace("\n", "").replace("\r", "")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_creditor_and_its_account_are_on_the_letter_and_no_placeholder(language: str) -> None:
    body = text(dunning_letter(letter(language=language))).replace("\r", "")
    for value in (CREDITOR.legal_name, CREDITOR.uscc, CREDITOR.address, CREDITOR.phone):
        assert value in body
    for value in (CREDITOR.bank_name, CREDITOR.bank_account_name, CREDITOR.bank_account_number):
        assert value in body
    assert "1001 2345 6789 0123 456" not in body and "中国工商银行" not in body and "arflow" not in body
    assert NUMBER in body and CUSTOMER in body
    assert "RF18INV2026000001" in body  # the payment reference to quote


# What a letter holds that is not a label: the values, in whatever script they are written.
VALUES = re.compile(
    "|".join(
        re.escape(v)
        for v in (
            *TEST_CREDITOR.values(),
            CUSTOMER,
            NUMBER,
            "CNY",
        )
    )
    + r"|INV-2026-\d{6}|RF18INV2026\d{6}|人民币[零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整]+"
)


@pytest.mark.parametrize("kind", KINDS)
def test_a_chinese_letter_has_no_english_label(kind: LetterKind) -> None:
    body = VALUES.sub("", text(dunning_letter(letter(kind, "zh-CN"))))
    assert re.findall(r"[A-Za-z]{2,}", body) == []


@pytest.mark.parametrize("kind", KINDS)
def test_an_english_letter_has_no_chinese_label(kind: LetterKind) -> None:
    body = VALUES.sub("", text(dunning_letter(letter(kind, "en"))))
    assert re.findall(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+", body) == []


def test_each_step_says_what_it_is() -> None:
    said = {kind: text(dunning_letter(letter(kind))).replace(" ", "") for kind in KINDS}
    assert "付款提醒函" in said["before_due"] and "即将到期" in said["before_due"]
    assert "距到期天数" in said["before_due"] and "逾期天数" not in said["before_due"]
    assert "催款函" in said["overdue"] and "已超过付款期限" in said["overdue"]
    assert "最后催款通知函" in said["final"] and "诉讼或仲裁" in said["final"]
    assert "移交法律程序通知函" in said["legal_handover"] and "已于" in said["legal_handover"]
    english = {kind: text(dunning_letter(letter(kind, "en"))) for kind in KINDS}
    assert "PAYMENT REMINDER" in english["before_due"] and "Days until due" in english["before_due"]
    assert "DEMAND FOR PAYMENT" in english["overdue"] and "FINAL" not in english["overdue"]
    assert "FINAL DEMAND FOR PAYMENT" in english["final"]
    assert "REFERRAL TO LEGAL PROCEEDINGS" in english["legal_handover"]


def test_no_letter_prints_a_late_fee() -> None:
    for kind in KINDS:
        for language in LANGUAGES:
            body = text(dunning_letter(letter(kind, language)))
            assert "违约金" not in body.replace("违约责任", "") and "利息" not in body
            assert "interest" not in body.lower() and "late fee" not in body.lower()


@pytest.mark.parametrize(("language", "label"), [("zh-CN", "地址"), ("en", "Address")])
def test_the_letter_is_addressed_to_the_customers_postal_address(language: str, label: str) -> None:
    addressed = replace(letter(language=language), customer_address="杭州市西湖区文三路100号")
    printed = text(dunning_letter(addressed))
    assert f"{label}" in printed and "杭州市西湖区文三路100号" in printed
    assert layout_problems(dunning_letter(addressed)) == []
    assert "文三路" not in text(dunning_letter(letter(language=language)))
