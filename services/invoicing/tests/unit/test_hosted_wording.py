"""How the public pages write amounts, times and Chinese punctuation (hosted.formats, the pages' labels)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from lxml import html

from arflow.documents.creditor import DEMO
from invoicing.hosted import page
from invoicing.hosted.checkout import CheckoutOrder
from invoicing.hosted.formats import local_time, money
from invoicing.hosted.page import PAGE_LABELS
from invoicing.hosted.statement_page import STATEMENT_LABELS
from invoicing.invoices.schemas import InvoiceOut
from invoicing.reports.labels import LABELS

# ASCII marks that Chinese text writes full-width (，！？；：（）); placeholders like {date} aside.
HALF_WIDTH = re.compile(r"[!?,;:()]")


@pytest.mark.parametrize(
    ("value", "currency", "language", "shown"),
    [
        ("-10000", "CNY", "en", "CNY -10,000.00"),
        ("-10000", "CNY", "zh-CN", "¥-10,000.00"),
        ("2680", "CNY", "zh-CN", "¥2,680.00"),
        ("-5.5", "USD", "zh-CN", "美元 -5.50"),
        ("-1234", "JPY", "en", "JPY -1,234"),
        ("0", "CNY", "en", "CNY 0.00"),
    ],
)
def test_a_negative_amount_keeps_the_currency_first(value: str, currency: str, language: str, shown: str) -> None:
    assert money(Decimal(value), currency, language) == shown


@pytest.mark.parametrize(
    ("zone", "language", "shown"),
    [
        ("Asia/Shanghai", "zh-CN", "2026-12-07 23:09（北京时间）"),
        ("Asia/Shanghai", "en", "2026-12-07 23:09 (China Standard Time)"),
        ("Asia/Hong_Kong", "zh-CN", "2026-12-07 23:09（香港时间）"),
        ("Europe/Berlin", "en", "2026-12-07 16:09 (Europe/Berlin, UTC+01:00)"),
        ("America/New_York", "zh-CN", "2026-12-07 10:09（America/New_York，UTC-05:00）"),
    ],
)
def test_a_time_says_its_zone(zone: str, language: str, shown: str) -> None:
    assert local_time(datetime(2026, 12, 7, 15, 9, tzinfo=UTC), zone, language) == shown


def test_summer_time_shows_the_offset_of_that_instant() -> None:
    assert local_time(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), "Europe/Berlin", "en") == (
        "2026-07-01 14:00 (Europe/Berlin, UTC+02:00)"
    )


@pytest.mark.parametrize("table", [PAGE_LABELS, STATEMENT_LABELS, LABELS], ids=["page", "statement", "documents"])
def test_every_chinese_label_is_punctuated_full_width(table: dict[str, dict[str, str]]) -> None:
    half = {k: v for k, v in table["zh-CN"].items() if HALF_WIDTH.search(re.sub(r"\{[^}]*\}", "", v))}
    assert half == {}
    assert set(table["zh-CN"]) == set(table["en"])  # and each has its English


def _pay_page(language: str, zone: str) -> str:
    invoice = InvoiceOut.model_construct(number="INV-2026-000001", currency="CNY")
    context = page.PageContext(
        invoice=invoice,
        customer_name="杭州云帆科技有限公司",
        creditor=DEMO,
        overdue=False,
        expires_on="2027-02-05",
        time_zone=zone,
    )
    order = CheckoutOrder(
        method="alipay_precreate",
        pay_url="https://qr.alipay.com/bax00000",
        amount="2680.00",
        currency="CNY",
        expires_at="2026-12-07T15:09:00+00:00",
    )
    return page.pay_page(context, order, language=language, token="t" * 43)


def test_the_payment_order_expires_at_a_time_in_the_customers_zone() -> None:
    zh = html.fromstring(_pay_page("zh-CN", "Asia/Shanghai"))
    assert zh.get_element_by_id("order-expires").text_content() == "本次付款订单有效至 2026-12-07 23:09（北京时间）"
    en = html.fromstring(_pay_page("en", "Asia/Shanghai"))
    assert en.get_element_by_id("order-expires").text_content() == (
        "This payment order is open until 2026-12-07 23:09 (China Standard Time)"
    )
    tokyo = html.fromstring(_pay_page("zh-CN", "Asia/Tokyo"))
    assert tokyo.get_element_by_id("order-expires").text_content().endswith("2026-12-08 00:09（日本时间）")
