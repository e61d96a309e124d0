from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from arflow.documents.creditor import Creditor
from arflow.testing.creditor import TEST_CREDITOR
from dunning.actions.delivery import build_message, sender_context
from dunning.actions.rendering import format_date, format_money, render_email
from dunning.models import DunningAction

CREDITOR = Creditor(
    legal_name=TEST_CREDITOR["creditor_name"],
    uscc=TEST_CREDITOR["creditor_uscc"],
    address=TEST_CREDITOR["creditor_address"],
    phone=TEST_CREDITOR["creditor_phone"],
    bank_name=TEST_CREDITOR["bank_name"],
    bank_account_name=TEST_CREDITOR["bank_account_name"],
    bank_account_number=TEST_CREDITOR["bank_account_number"],
)
SENDER = sender_context(CREDITOR)

# An action's details as the service stores them: JSON.
DETAILS: dict[str, Any] = {
    "customer_name": "上海星河代理记账有限公司",
    "currency": "CNY",
    "amount_overdue": "12345.6000",
    "invoices": [
        {
            "invoice_id": str(uuid4()),
            "number": "INV-2026-000042",
            "amount_due": "12345.6000",
            "due_date": "2026-02-10",
            "days_overdue": 20,
            "payment_reference": "RF71INV2026000042",
        }
    ],
}


@pytest.mark.parametrize(
    ("language", "due_date"), [("zh-CN", "2026年2月10日"), ("en", "10 February 2026")], ids=["zh", "en"]
)
def test_notice_names_invoice_amount_due_date_days_and_reference(language: str, due_date: str) -> None:
    email = render_email("overdue_notice", language, DETAILS, SENDER)
    for part in (email.text, email.html):
        assert "INV-2026-000042" in part
        assert "CNY 12,345.60" in part
        assert due_date in part
        assert "20" in part
        assert "RF71INV2026000042" in part
    assert "INV-2026-000042" in email.subject
    assert "CNY 12,345.60" in email.subject


def test_chinese_notice_is_in_chinese() -> None:
    email = render_email("overdue_notice", "zh-CN", DETAILS, SENDER)
    assert email.subject.startswith("逾期付款提醒")
    assert "转账附言" in email.text
    assert "已逾期：20 天" in email.text
    assert "上海星河代理记账有限公司" in email.text


def test_english_notice_is_in_english() -> None:
    email = render_email("overdue_notice", "en", DETAILS, SENDER)
    assert email.subject.startswith("Payment overdue")
    assert "quote the payment reference" in email.text
    assert "Days overdue:      20" in email.text
    assert "逾期" not in email.text


def test_unknown_language_renders_chinese() -> None:
    assert render_email("overdue_notice", "fr", DETAILS, SENDER).subject.startswith("逾期付款提醒")


def test_html_escapes_what_the_customer_typed_but_text_keeps_it() -> None:
    email = render_email("overdue_notice", "en", {**DETAILS, "customer_name": "<script>alert(1)</script> & Co"}, SENDER)
    assert "<script>" not in email.html
    assert "&lt;script&gt;" in email.html
    assert "&amp; Co" in email.html
    assert "<script>alert(1)</script> & Co" in email.text


def test_missing_reference_falls_back_to_the_invoice_number() -> None:
    invoice = {**DETAILS["invoices"][0], "payment_reference": None}
    email = render_email("overdue_notice", "en", {**DETAILS, "invoices": [invoice]}, SENDER)
    assert "Payment reference: INV-2026-000042" in email.text


def test_several_invoices_are_all_named_and_summed_in_the_subject() -> None:
    second = {**DETAILS["invoices"][0], "number": "INV-2026-000043", "amount_due": "100.00"}
    details = {**DETAILS, "amount_overdue": "12445.60", "invoices": [DETAILS["invoices"][0], second]}
    email = render_email("overdue_notice", "zh-CN", details, SENDER)
    assert "2 张账单" in email.subject
    assert "CNY 12,445.60" in email.subject
    assert "INV-2026-000042" in email.text and "INV-2026-000043" in email.text


def test_subject_stays_on_one_line_whatever_the_number_says() -> None:
    invoice = {**DETAILS["invoices"][0], "number": "INV\r\nBcc: victim@example.com"}
    subject = render_email("overdue_notice", "en", {**DETAILS, "invoices": [invoice]}, SENDER).subject
    assert "\n" not in subject and "\r" not in subject


def test_money_is_rounded_half_up_to_the_minor_unit_with_separators() -> None:
    assert format_money("1234.565", "CNY") == "CNY 1,234.57"
    assert format_money(Decimal("1000000"), "JPY") == "JPY 1,000,000"
    assert format_money("0.5", "USD") == "USD 0.50"


def test_dates_are_written_the_way_each_language_reads_them() -> None:
    assert format_date(date(2026, 12, 1), "zh-CN") == "2026年12月1日"
    assert format_date("2026-12-01", "en") == "1 December 2026"


def test_message_has_text_and_html_parts_and_a_stable_message_id() -> None:
    action = DunningAction(id=uuid4(), recipient="anna@example.com", language="en")
    rendered = render_email("overdue_notice", "en", DETAILS, SENDER)
    message = build_message(
        action,
        rendered,
        sender="ar@arflow.local",
        display_name=CREDITOR.legal_name,
        reply_to="collections@arflow.local",
        now=datetime(2026, 3, 2, 2, 0, tzinfo=UTC),
    )
    assert message["To"] == "anna@example.com"
    assert message["From"].addresses[0].display_name == "上海澄账代理记账有限公司"
    assert message["From"].addresses[0].addr_spec == "ar@arflow.local"
    assert message["Reply-To"] == "collections@arflow.local"
    assert message["Message-ID"] == f"<{action.id}@arflow.local>"
    assert message["Content-Language"] == "en"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    body = message.get_body(("plain",))
    assert body is not None
    assert "INV-2026-000042" in body.get_content()


PRE_DUE: dict[str, Any] = {
    **DETAILS,
    "invoices": [{**DETAILS["invoices"][0], "days_overdue": 0, "days_until_due": 3}],
}


def test_pre_due_reminder_says_when_the_invoice_falls_due_not_that_it_is_overdue() -> None:
    email = render_email("pre_due_reminder", "zh-CN", PRE_DUE, SENDER)
    for part in (email.text, email.html):
        assert "已逾期" not in part
        assert "逾期" not in part
    assert "距到期日：3 天" in email.text
    assert '<th align="left">到期情况</th>' in email.html and "3 天后到期" in email.html


def test_english_pre_due_reminder_says_due_in_so_many_days() -> None:
    email = render_email("pre_due_reminder", "en", PRE_DUE, SENDER)
    assert "overdue" not in email.text.lower() and "overdue" not in email.html.lower()
    assert "Days until due:    3" in email.text and "due in 3 days" in email.html


def test_a_cny_total_is_also_written_in_words_and_the_payee_is_the_creditors() -> None:
    email = render_email("overdue_notice", "zh-CN", {**DETAILS, "amount_overdue": "12345.60"}, SENDER)
    assert "大写：人民币壹万贰仟叁佰肆拾伍元陆角" in email.text
    assert "1219 0880 1510 001" in email.text and "招商银行上海分行营业部" in email.html
    assert "上海澄账代理记账有限公司" in email.text


def test_no_message_mentions_late_interest() -> None:
    for language in ("zh-CN", "en"):
        for template in ("pre_due_reminder", "overdue_notice", "follow_up"):
            email = render_email(template, language, DETAILS, SENDER)
            for part in (email.text, email.html):
                assert "违约金" not in part and "interest" not in part.lower()
