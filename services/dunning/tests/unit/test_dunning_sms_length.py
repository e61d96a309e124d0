"""The delivery SMS with its short link fits the parts documented (rules.SMS_PARTS_AT_MOST), and how parts count.

One SMS holds 160 GSM 03.38 characters or 70 UCS-2 (any Chinese character makes it UCS-2); a longer one goes
in parts of 153 or 67. The links are 128-bit tokens (22 characters); the texts are written to fit two parts with
a creditor name of up to 20 characters, a public address of up to 30 and the largest amounts a customer owes.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest

from arflow.documents.creditor import Creditor
from arflow.events.catalog import InvoiceIssued, StatementBalance, StatementIssued
from arflow.money import Money
from arflow.testing.creditor import TEST_CREDITOR
from dunning.actions.delivery import sender_context
from dunning.actions.rendering import render_sms
from dunning.deliveries.rules import SMS_PARTS_AT_MOST, sms_parts
from dunning.deliveries.sending import SMS_TEMPLATES
from dunning.deliveries.service import invoice_details, statement_details

LONGEST_NAME = "新疆生产建设兵团第十二师乌鲁木齐科技有限公司"[:20]  # 20 characters
LONGEST_BASE = "https://pay.accounts-example.cn"  # 30 characters
AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def link(base: str, page: str = "i") -> str:
    token = secrets.token_urlsafe(16)
    assert len(token) == 22  # the 128 bits invoicing's links carry
    return f"{base}/{page}/{token}"


def context(name: str, hosted_link: str) -> dict[str, Any]:
    creditor = Creditor(
        legal_name=name,
        uscc=TEST_CREDITOR["creditor_uscc"],
        address=TEST_CREDITOR["creditor_address"],
        phone=TEST_CREDITOR["creditor_phone"],
        bank_name=TEST_CREDITOR["bank_name"],
        bank_account_name=TEST_CREDITOR["bank_account_name"],
        bank_account_number=TEST_CREDITOR["bank_account_number"],
    )
    return {**sender_context(creditor), "hosted_link": hosted_link}


def invoice(total: str) -> dict[str, Any]:
    money = Money.of(total, "CNY")
    event = InvoiceIssued(
        customer_id=uuid4(),
        invoice_id=uuid4(),
        invoice_number="INV-2026-000123",
        currency="CNY",
        subtotal=money,
        tax_total=Money.of("0.00", "CNY"),
        total=money,
        invoice_date=date(2026, 12, 1),
        due_date=date(2026, 12, 31),
        net_days=30,
        payment_reference="RF18INV2026000123",
        issued_at=AT,
    )
    return invoice_details(event, None)


def statement(balance: str) -> dict[str, Any]:
    money, zero = Money.of(balance, "CNY"), Money.of("0.00", "CNY")
    event = StatementIssued(
        customer_id=uuid4(),
        statement_id=uuid4(),
        statement_number="ST-2026-000042",
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        cycle="monthly",
        business_date=date(2026, 12, 1),
        language="zh-CN",
        closing_balance=money,
        balances=[
            StatementBalance(
                currency="CNY", opening_balance=zero, invoiced=money, credited=zero, paid=zero, closing_balance=money
            )
        ],
        content_sha256="0" * 64,
        hosted_statement_url="https://x/s/y",
        issued_at=AT,
    )
    return statement_details(event, None)


@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize("amount", ["300.00", "98765432.10"])
@pytest.mark.parametrize("name", [TEST_CREDITOR["creditor_name"], LONGEST_NAME])
def test_an_invoice_sms_with_its_link_fits_the_parts_documented(language: str, amount: str, name: str) -> None:
    hosted = link(LONGEST_BASE)
    text = render_sms(SMS_TEMPLATES["invoice"], language, invoice(amount), context(name, hosted))
    assert text.endswith(hosted) and "INV-2026-000123" in text and name in text
    assert sms_parts(text) <= SMS_PARTS_AT_MOST, (len(text), text)


@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize("name", [TEST_CREDITOR["creditor_name"], LONGEST_NAME])
def test_a_statement_sms_with_its_link_fits_the_parts_documented(language: str, name: str) -> None:
    hosted = link(LONGEST_BASE, "s")
    text = render_sms(SMS_TEMPLATES["statement"], language, statement("-98765432.10"), context(name, hosted))
    assert text.endswith(hosted) and "ST-2026-000042" in text
    assert sms_parts(text) <= SMS_PARTS_AT_MOST, (len(text), text)


def test_an_ordinary_chinese_invoice_sms_is_two_parts_and_an_english_one_from_an_ascii_name_is_one() -> None:
    zh = render_sms(
        SMS_TEMPLATES["invoice"],
        "zh-CN",
        invoice("3180.00"),
        context("上海澄账代理记账有限公司", link("https://pay.example.cn")),
    )
    assert len(zh) <= 2 * 67 and sms_parts(zh) == 2
    en = render_sms(
        SMS_TEMPLATES["invoice"], "en", invoice("3180.00"), context("Chengzhang Ltd", link("https://pay.example.cn"))
    )
    assert sms_parts(en) == 1


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("账" * 70, 1),
        ("账" * 71, 2),
        ("账" * 134, 2),
        ("账" * 135, 3),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("{" * 80, 1),  # an extension character takes two septets
        ("{" * 81, 2),
        ("a" * 69 + "é", 1),  # é is in GSM's alphabet
        ("a" * 70 + "ā", 2),  # ā is not: the whole text goes UCS-2
    ],
)
def test_sms_parts_counts_gsm_and_ucs2(text: str, parts: int) -> None:
    assert sms_parts(text) == parts
