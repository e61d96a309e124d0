"""An invoice of large amounts as its customer reads it: every figure whole on one line, nothing off the page.

QA found 1000 × 987,654.32 at 13% printing its tax as "128,395,061.6" with the last "0" wrapped under it,
on every line of a five-page invoice. The PDF is read back as PDFium renders it (arflow.testing.pdf).
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from arflow.documents.amounts import amount
from arflow.testing.pdf import fonts, layout_problems, pages, render_png, text
from arflow.testing.services import RunningService

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
NewInvoice = Callable[..., Awaitable[dict[str, Any]]]

MARGIN = 18 * 72 / 25.4 - 1  # points, less a point of anti-aliasing
FIGURE = re.compile(r"\d[\d,]*\.\d+")  # an amount or a price as printed: 1,116,049,381.60, 0.1234
LONG = "（含增值税申报、社保公积金代缴、年度企业所得税汇算清缴与个人所得税经营所得申报，按季度计费，附明细表）"
# Where to leave the rendered pages for a person to look at (ARFLOW_RENDER_DIR), if anywhere.
RENDER_DIR = os.environ.get("ARFLOW_RENDER_DIR")


def lines_of(pdf: bytes) -> list[str]:
    return [line.strip() for line in text(pdf).splitlines()]


async def pdf_of(invoicing: RunningService, invoice: dict[str, Any], language: str) -> bytes:
    response = await invoicing.client.get(f"/invoices/{invoice['id']}/pdf", params={"language": language})
    assert response.status_code == 200, response.text
    return response.content


def assert_on_the_page(pdf: bytes) -> None:
    assert layout_problems(pdf) == []
    for page in pages(pdf):
        outside = [b.text for b in page.boxes if b.left < MARGIN or b.right > page.width - MARGIN]
        assert outside == []
    used = fonts(pdf)
    assert used and all(used.values()), used


@pytest.fixture(scope="module")
async def large(new_customer: NewCustomer, new_invoice: NewInvoice) -> dict[str, Any]:
    customer = await new_customer(legal_name="深圳前海大额贸易有限公司")
    lines = [
        {
            "description": f"第{i:02d}项 设备采购{LONG}",
            "quantity": "1000",
            "unit_price": "987654.32",
            "tax_rate": "0.13",
        }
        for i in range(1, 71)
    ]
    invoice: dict[str, Any] = await new_invoice(customer["id"], lines=lines)
    return invoice


@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_every_amount_of_a_large_invoice_is_whole_on_one_line(
    invoicing: RunningService, large: dict[str, Any], language: str
) -> None:
    pdf = await pdf_of(invoicing, large, language)
    if RENDER_DIR:
        render_png(pdf, Path(RENDER_DIR), f"large-{language}")
    assert_on_the_page(pdf)
    found = pages(pdf)
    assert len(found) >= 5
    tax, gross = amount(Decimal("128395061.60"), "CNY"), amount(Decimal("1116049381.60"), "CNY")
    assert (tax, gross) == ("128,395,061.60", "1,116,049,381.60")
    # Each of the 70 lines prints its quantity, price, rate, tax and amount together on one text line.
    row = f"1000 987,654.32 13% {tax} {gross}"
    assert sum(row in line for line in lines_of(pdf)) == 70
    # And nothing that looks like a figure is a piece of one: every figure printed is a whole known amount.
    known = {"987,654.32", tax, gross}
    known |= {amount(Decimal(large[k]), "CNY") for k in ("subtotal", "tax_total", "total", "balance")}
    assert set(FIGURE.findall(text(pdf))) <= known, set(FIGURE.findall(text(pdf))) - known
    assert not re.search(r"128,395,061\.6(?!0)", text(pdf))
    # The descriptions wrap instead, and none of them is lost at a page break.
    flat = re.sub(r"\s+", "", text(pdf))
    assert all(flat.count(f"第{i:02d}项设备采购") == 1 for i in range(1, 71))
    header = "项目" if language == "zh-CN" else "Description"
    with_items = [page for page in found if re.search(r"第\d\d项", page.text)]
    assert len(with_items) >= 3
    assert all(header in page.text for page in with_items)


async def test_an_ordinary_invoice_keeps_its_columns(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    customer = await new_customer(legal_name="杭州云帆科技有限公司")
    lines = [
        {"description": "代理记账服务费（2026年1月）", "unit_price": "1000.00", "tax_rate": "0.06"},
        {"description": "年度企业所得税汇算清缴申报", "unit_price": "234.50", "tax_rate": "0.06"},
    ]
    invoice = await new_invoice(customer["id"], lines=lines)
    pdf = await pdf_of(invoicing, invoice, "zh-CN")
    if RENDER_DIR:
        render_png(pdf, Path(RENDER_DIR), "ordinary-zh-CN")
    assert_on_the_page(pdf)
    assert "代理记账服务费（2026年1月） 1 1,000.00 6% 60.00 1,060.00" in lines_of(pdf)
    # The amount column's right edge is the right margin and the description starts at the left one, as before.
    [page] = pages(pdf)
    [box] = [b for b in page.boxes if b.text == "1,060.00"]
    assert page.width - MARGIN - 8 < box.right <= page.width - MARGIN


async def test_figures_too_wide_for_the_usual_size_are_set_smaller_and_stay_whole(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    # Near the largest an invoice can be (it totals below 10^13), counted and priced finer than the fen.
    customer = await new_customer(legal_name="深圳前海大额贸易有限公司")
    lines = [
        {
            "description": f"整厂设备{LONG}",
            "quantity": "123456.789012",
            "unit_price": "65432109.876543",
            "tax_rate": "0.135",
        }
    ]
    invoice = await new_invoice(customer["id"], lines=lines)
    pdf = await pdf_of(invoicing, invoice, "zh-CN")
    if RENDER_DIR:
        render_png(pdf, Path(RENDER_DIR), "largest-zh-CN")
    assert_on_the_page(pdf)
    row = "123456.789012 65,432,109.876543 13.5% 1,090,535,154,791.18 9,168,573,338,429.55"
    assert sum(row in line for line in lines_of(pdf)) == 1
    known = {"123456.789012", "65,432,109.876543", "13.5", "1,090,535,154,791.18", "9,168,573,338,429.55"}
    known |= {amount(Decimal(invoice[k]), "CNY") for k in ("subtotal", "tax_total", "total", "balance")}
    assert set(FIGURE.findall(text(pdf))) <= known, set(FIGURE.findall(text(pdf))) - known
