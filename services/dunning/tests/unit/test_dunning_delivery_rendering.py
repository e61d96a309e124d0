"""The invoice's own email and SMS on issue: what they say, in each language, and what no policy may send."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from lxml import html

from arflow.documents.creditor import Creditor
from arflow.events.catalog import InvoiceIssued, StatementBalance, StatementIssued
from arflow.money import Money
from arflow.testing.creditor import TEST_CREDITOR
from dunning.actions.delivery import sender_context
from dunning.actions.rendering import render_email, render_sms, template_exists
from dunning.deliveries.sending import EMAIL_TEMPLATES, SMS_TEMPLATES
from dunning.deliveries.service import invoice_details, statement_details

CREDITOR = Creditor(
    legal_name=TEST_CREDITOR["creditor_name"],
    uscc=TEST_CREDITOR["creditor_uscc"],
    address=TEST_CREDITOR["creditor_address"],
    phone=TEST_CREDITOR["creditor_phone"],
    bank_name=TEST_CREDITOR["bank_name"],
    bank_account_name=TEST_CREDITOR["bank_account_name"],
    bank_account_number=TEST_CREDITOR["bank_account_number"],
)
LINK = "https://pay.example.cn/i/kq3J8vX2mN5pR7tW9yB1cD4fG6hK8lM0nP2qS4uV6xZ"
CONTEXT = {**sender_context(CREDITOR), "hosted_link": LINK}
ISSUED_AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def details(**changes: Any) -> dict[str, Any]:
    event = InvoiceIssued(
        customer_id=uuid4(),
        invoice_id=uuid4(),
        invoice_number="INV-2026-000123",
        currency="CNY",
        subtotal=Money.of("3000.00", "CNY"),
        tax_total=Money.of("180.00", "CNY"),
        total=Money.of("3180.00", "CNY"),
        invoice_date=date(2026, 3, 2),
        due_date=date(2026, 3, 2) + timedelta(days=30),
        net_days=30,
        payment_reference="RF18INV2026000123",
        issued_at=ISSUED_AT,
        hosted_invoice_url=LINK,
    )
    return {**invoice_details(event, None), **changes}


def test_the_chinese_email_names_the_invoice_its_amount_in_words_the_link_and_how_to_pay() -> None:
    email = render_email(EMAIL_TEMPLATES["invoice"], "zh-CN", details(), CONTEXT)
    assert email.subject == "账单 INV-2026-000123 已开具：CNY 3,180.00，2026年4月1日到期"
    for expected in (
        "尊敬的客户：",
        "CNY 3,180.00",
        "人民币叁仟壹佰捌拾元整",
        "2026年3月2日",
        "RF18INV2026000123",
        LINK,
    ):
        assert expected in email.text, expected
    assert TEST_CREDITOR["bank_account_number"] in email.text and "账单 PDF 见附件" in email.text
    page = html.fromstring(email.html)
    assert [a.get("href") for a in page.xpath("//a")] == [LINK]
    assert "人民币叁仟壹佰捌拾元整" in page.text_content() and "None" not in page.text_content()


def test_the_english_email_says_the_same_in_english() -> None:
    email = render_email(EMAIL_TEMPLATES["invoice"], "en", details(customer_name="Acme GmbH"), CONTEXT)
    assert email.subject == "Invoice INV-2026-000123: CNY 3,180.00, due 1 April 2026"
    assert email.text.startswith("Dear Acme GmbH,") and "1 April 2026" in email.text and LINK in email.text
    assert "元" not in email.text and "its PDF is attached" in email.text


def test_a_customers_name_cannot_break_the_subject_or_the_html() -> None:
    email = render_email(
        EMAIL_TEMPLATES["invoice"], "en", details(number="INV\r\nBcc: x@example.com", customer_name="<b>x</b>"), CONTEXT
    )
    assert "\n" not in email.subject and "<b>x</b>" not in email.html and "&lt;b&gt;x&lt;/b&gt;" in email.html


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_sms_carries_the_link_the_amount_and_the_due_date_on_one_line(language: str) -> None:
    text = render_sms(SMS_TEMPLATES["invoice"], language, details(), CONTEXT)
    assert LINK in text and "CNY 3,180.00" in text and "INV-2026-000123" in text and "\n" not in text
    assert TEST_CREDITOR["creditor_name"] in text
    # A Chinese SMS segment holds 70 characters (the link's aside, which is what it is), a GSM one 160.
    assert len(text) - len(LINK) <= 70 if language == "zh-CN" else len(text) <= 160


def test_no_policy_step_can_name_the_invoice_templates() -> None:
    for template in (*EMAIL_TEMPLATES.values(), *SMS_TEMPLATES.values()):
        assert not template_exists(template, "zh-CN", "email") and not template_exists(template, "zh-CN", "sms")


def statement(*balances: tuple[str, str]) -> dict[str, Any]:
    def figures(amount: str, currency: str) -> StatementBalance:
        zero, closing = Money.of("0.00", currency), Money.of(amount, currency)
        return StatementBalance(
            currency=currency, opening_balance=zero, invoiced=zero, credited=zero, paid=zero, closing_balance=closing
        )

    rows = [figures(a, c) for a, c in balances]
    event = StatementIssued(
        customer_id=uuid4(),
        statement_id=uuid4(),
        statement_number="ST-2026-000042",
        period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 28),
        cycle="monthly",
        business_date=date(2026, 3, 1),
        language="zh-CN",
        closing_balance=rows[0].closing_balance,
        balances=rows,
        content_sha256="0" * 64,
        hosted_statement_url=LINK.replace("/i/", "/s/"),
        link_expires_on=date(2026, 4, 30),
        issued_at=ISSUED_AT,
    )
    return {**statement_details(event, None), "customer_name": "嘉兴南湖贸易有限公司"}


def test_the_statement_email_names_the_period_each_balance_and_how_to_answer() -> None:
    context = {**CONTEXT, "hosted_link": LINK.replace("/i/", "/s/")}
    email = render_email(EMAIL_TEMPLATES["statement"], "zh-CN", statement(("4550.50", "CNY"), ("120", "USD")), context)
    assert email.subject == "对账单 ST-2026-000042（2026年2月1日至2026年2月28日）：请核对确认"
    for expected in ("CNY 4,550.50", "人民币肆仟伍佰伍拾元伍角", "USD 120.00", "确认无误", "有差异", "2026年4月30日"):
        assert expected in email.text, expected
    assert "嘉兴南湖贸易有限公司：" in email.text and str(context["hosted_link"]) in email.html
    english = render_email(EMAIL_TEMPLATES["statement"], "en", statement(("4550.50", "CNY")), context)
    assert english.subject == "Statement ST-2026-000042 (1 February 2026 to 28 February 2026): please confirm"
    assert "Your balance at 28 February 2026:" in english.html and "30 April 2026" in english.text


def test_a_credit_balance_is_not_written_in_words_as_a_debt() -> None:
    email = render_email(EMAIL_TEMPLATES["statement"], "zh-CN", statement(("-100.00", "CNY")), CONTEXT)
    assert "CNY -100.00" in email.text and "大写" not in email.text and "大写" not in email.html


def test_the_statement_sms_carries_its_number_balance_and_link() -> None:
    text = render_sms(SMS_TEMPLATES["statement"], "zh-CN", statement(("4550.50", "CNY")), CONTEXT)
    assert "ST-2026-000042" in text and "CNY 4,550.50" in text and text.endswith(LINK)
    assert len(text) - len(LINK) <= 70
