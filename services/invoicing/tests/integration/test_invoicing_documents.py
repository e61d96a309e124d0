"""The invoice (账单) and the statement of account (对账单) as a customer receives them.

Each PDF is fetched through the API and read back as PDFium renders it (arflow.testing.pdf): nothing off
the page, no object dumps, every font embedded, the creditor's letterhead and "page X of Y" on every page,
figures and 人民币大写 that agree with what the API says the ledger holds, and labels in one language.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from arflow.documents.amounts import amount, rmb_in_words
from arflow.documents.creditor import DEMO
from arflow.events.catalog import Allocation, PaymentReceived
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.creditor import TEST_CREDITOR
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.pdf import fonts, layout_problems, pages, text
from arflow.testing.services import RunningService
from arflow.testing.services import test_settings as settings_for
from invoicing.config import InvoicingSettings
from invoicing.main import create_app

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
NewInvoice = Callable[..., Awaitable[dict[str, Any]]]

DOCUMENTS = [("invoice", "zh-CN"), ("invoice", "en"), ("statement", "zh-CN"), ("statement", "en")]
LINES = [
    {"description": "代理记账服务费（2026年1月）", "unit_price": "1000.00"},
    {"description": "年度企业所得税汇算清缴申报", "unit_price": "234.50"},
]
PERIOD = {"from": "2026-01-01", "to": "2026-01-31"}
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def compact(value: str) -> str:
    """Text without whitespace: a wrapped line or PDFium's spacing does not change what it says."""
    return re.sub(r"\s+", "", value)


def lines_of(pdf: bytes) -> list[str]:
    return [line.strip() for line in text(pdf).splitlines()]


@pytest.fixture(scope="module")
async def account(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer, new_invoice: NewInvoice
) -> dict[str, Any]:
    """One customer's January: an invoice of 1,234.50 dated 01-05 (due 02-04), 234.50 of it paid on 01-20."""
    customer = await new_customer(legal_name="杭州云帆科技有限公司")
    invoice = await new_invoice(customer["id"], lines=LINES)
    assert invoice["total"] == "1234.50"
    await publish_events(
        infra.bootstrap,
        PaymentReceived(
            customer_id=uuid.UUID(customer["id"]),
            payment_id=uuid.uuid4(),
            amount=Money.of("234.50", "CNY"),
            received_on=date(2026, 1, 20),
            source="bank_statement",
            allocations=[Allocation(invoice_id=uuid.UUID(invoice["id"]), amount=Money.of("234.50", "CNY"))],
        ),
    )

    async def applied() -> bool:
        balance: str = (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()["balance"]
        return balance == "1000.00"

    await eventually(applied, what="the January payment")
    invoice = (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()
    statement = await invoicing.client.get(f"/customers/{customer['id']}/statement", params=PERIOD)
    assert statement.status_code == 200, statement.text
    return {"customer": customer, "invoice": invoice, "statement": statement.json()}


async def fetch(invoicing: RunningService, account: dict[str, Any], kind: str, language: str) -> bytes:
    if kind == "invoice":
        url, params = f"/invoices/{account['invoice']['id']}/pdf", {"language": language}
    else:
        url = f"/customers/{account['customer']['id']}/statement"
        params = {**PERIOD, "format": "pdf", "language": language}
    response = await invoicing.client.get(url, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return response.content


@pytest.fixture(scope="module")
async def documents(invoicing: RunningService, account: dict[str, Any]) -> dict[tuple[str, str], bytes]:
    return {(kind, language): await fetch(invoicing, account, kind, language) for kind, language in DOCUMENTS}


@contextmanager
def creditor_settings(invoicing: RunningService, **changes: Any) -> Iterator[None]:
    """The service's settings with the creditor changed, for one test (endpoints read them per request)."""
    original = invoicing.app.state.settings
    invoicing.app.state.settings = original.model_copy(update=changes)
    try:
        yield
    finally:
        invoicing.app.state.settings = original


@pytest.mark.parametrize(("kind", "language"), DOCUMENTS)
async def test_the_document_reads_as_laid_out(
    documents: dict[tuple[str, str], bytes], kind: str, language: str
) -> None:
    pdf = documents[(kind, language)]
    assert layout_problems(pdf) == []
    # Stricter than "on the page": every line of text keeps to the 18 mm margins, none runs into them.
    margin = 18 * 72 / 25.4 - 1
    for page in pages(pdf):
        outside = [b.text for b in page.boxes if b.left < margin or b.right > page.width - margin]
        assert outside == []
    used = fonts(pdf)
    assert used and all(used.values()), used
    assert all("WenQuanYi" in name for name in used), used  # one embedded font, never a viewer's substitute


@pytest.mark.parametrize(("kind", "language"), DOCUMENTS)
async def test_every_page_has_the_letterhead_and_says_page_x_of_y(
    documents: dict[tuple[str, str], bytes], account: dict[str, Any], kind: str, language: str
) -> None:
    found = pages(documents[(kind, language)])
    uscc = "统一社会信用代码" if language == "zh-CN" else "USCC"
    for number, page in enumerate(found, start=1):
        page_lines = [line.strip() for line in page.text.splitlines()]
        assert page_lines[0] == TEST_CREDITOR["creditor_name"]
        assert page_lines[1].startswith(f"{uscc} {TEST_CREDITOR['creditor_uscc']}")
        assert TEST_CREDITOR["creditor_address"] in page_lines[1] and TEST_CREDITOR["creditor_phone"] in page_lines[1]
        said = f"第 {number} 页 / 共 {len(found)} 页" if language == "zh-CN" else f"Page {number} of {len(found)}"
        assert compact(said) in compact(page_lines[-1])
        if kind == "invoice":
            assert account["invoice"]["number"] in page_lines[-1]


@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_the_invoice_total_and_amount_due_agree_with_the_ledger_in_figures_and_words(
    documents: dict[tuple[str, str], bytes], account: dict[str, Any], language: str
) -> None:
    invoice = account["invoice"]
    total, due = Decimal(invoice["total"]), Decimal(invoice["balance"])
    lines = lines_of(documents[("invoice", language)])
    if language == "zh-CN":
        total_line, due_line = f"价税合计 ¥{amount(total, 'CNY')}", f"应付余额 ¥{amount(due, 'CNY')}"
        words = "人民币大写：{}"
    else:
        total_line, due_line = f"Total CNY {amount(total, 'CNY')}", f"Amount due CNY {amount(due, 'CNY')}"
        words = "In words (RMB): {}"
    # Each figure on its label's line, and its 大写 on the line right under it.
    at_total, at_due = lines.index(total_line), lines.index(due_line)
    assert lines[at_total + 1] == words.format(rmb_in_words(total))
    assert lines[at_due + 1] == words.format(rmb_in_words(due))
    # The same, written out by hand once: the words are not just whatever the function says.
    assert lines[at_total + 1] == words.format("壹仟贰佰叁拾肆元伍角")
    assert lines[at_due + 1] == words.format("壹仟元整")
    paid = "已收款 -¥234.50" if language == "zh-CN" else "Paid -CNY 234.50"
    assert paid in lines


@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_the_statement_closing_balance_agrees_with_the_ledger_in_figures_and_words(
    documents: dict[tuple[str, str], bytes], account: dict[str, Any], language: str
) -> None:
    [cny] = account["statement"]["currencies"]
    closing = Decimal(cny["closing_balance"])
    assert closing == Decimal("1000.00")
    pdf = documents[("statement", language)]
    lines, flat = lines_of(pdf), compact(text(pdf))
    figures = amount(closing, "CNY")
    words = rmb_in_words(closing)
    assert words == "壹仟元整"
    aging = cny["aging"]
    buckets = " ".join(amount(Decimal(aging[k]), "CNY") for k in ("current", "1-30", "31-60", "61-90", "90+", "total"))
    if language == "zh-CN":
        assert f"2026-01-31 期末余额 {figures}" in lines
        assert f"期末余额大写：{words}" in lines
        assert f"本公司确认截至2026-01-31结欠贵公司人民币{figures}元（大写：{words}）无误。" in flat
        header = "未到期 1-30天 31-60天 61-90天 90天以上 合计"
    else:
        assert f"2026-01-31 Closing balance {figures}" in lines
        assert f"Closing balance in words: {words}" in lines
        assert compact(f"we owe you CNY {figures} (in words: {words})") in flat
        header = "Not yet due 1-30 days 31-60 days 61-90 days Over 90 days Total"
    # The aging of what is open at the end, under headers in the document's language.
    assert lines[lines.index(header) + 1] == buckets
    assert buckets == "1,000.00 0.00 0.00 0.00 0.00 1,000.00"


@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_the_statement_ends_with_a_confirmation_slip_to_return(
    documents: dict[tuple[str, str], bytes], language: str
) -> None:
    found = pages(documents[("statement", language)])
    last = compact(found[-1].text)
    if language == "zh-CN":
        expected = ["对账确认函（回执）", "如有不符，请列明差异：", "单位盖章：", "经办人：", "日期："]
    else:
        expected = ["BALANCE CONFIRMATION", "If it does not agree, please state the differences:", "Company seal:"]
        expected += ["Signed by:", "Date:"]
    for words in expected:
        assert compact(words) in last, words
    # The slip comes after every currency's figures (the aging is the last of them), not before.
    flat = compact(text(documents[("statement", language)]))
    aging = "未到期1-30天" if language == "zh-CN" else "Notyetdue1-30days"
    assert flat.index(compact(expected[0])) > flat.index(aging)


@pytest.mark.parametrize(("kind", "language"), DOCUMENTS)
async def test_customers_are_told_to_pay_into_the_creditors_account(
    documents: dict[tuple[str, str], bytes], kind: str, language: str
) -> None:
    flat = compact(text(documents[(kind, language)]))
    assert compact(TEST_CREDITOR["bank_account_number"]) in flat
    assert compact(TEST_CREDITOR["bank_name"]) in flat
    assert compact(DEMO.bank_account_number) not in flat and "DEMO" not in flat and "示例" not in flat


@pytest.mark.parametrize("kind", ["invoice", "statement"])
async def test_the_chinese_document_has_no_english_label(
    documents: dict[tuple[str, str], bytes], account: dict[str, Any], kind: str
) -> None:
    rest = compact(text(documents[(kind, "zh-CN")]))
    # What is data, not a label, may be in Latin letters: codes and document numbers.
    data = [
        account["invoice"]["number"],
        account["invoice"]["payment_reference"],
        account["customer"]["unified_social_credit_code"],
        TEST_CREDITOR["creditor_uscc"],
    ]
    for value in data:
        rest = rest.replace(compact(value), "")
    assert re.findall(r"[A-Za-z]+", rest) == []


@pytest.mark.parametrize("kind", ["invoice", "statement"])
async def test_the_english_document_has_no_chinese_label(
    documents: dict[tuple[str, str], bytes], account: dict[str, Any], kind: str
) -> None:
    rest = compact(text(documents[(kind, "en")]))
    # The creditor's and the customer's own names and details, what was sold, and 人民币大写 (the way a
    # renminbi amount is written in words) are data in whatever language the document is in.
    data = [*TEST_CREDITOR.values(), account["customer"]["legal_name"], *(line["description"] for line in LINES)]
    data += ["壹仟贰佰叁拾肆元伍角", "壹仟元整"]
    for value in sorted(data, key=len, reverse=True):
        rest = rest.replace(compact(value), "")
    assert CJK.findall(rest) == []


async def test_a_long_invoice_breaks_across_pages_with_the_table_header_on_each(
    invoicing: RunningService, account: dict[str, Any], new_invoice: NewInvoice
) -> None:
    lines = [
        {
            "description": f"第{i:02d}项 代理记账服务费（含增值税申报、社保公积金代缴与年度汇算清缴，按月计费）",
            "quantity": "1",
            "unit_price": "100.00",
            "tax_rate": "0.06",
        }
        for i in range(1, 61)
    ]
    invoice = await new_invoice(account["customer"]["id"], lines=lines)
    response = await invoicing.client.get(f"/invoices/{invoice['id']}/pdf", params={"language": "zh-CN"})
    assert response.status_code == 200, response.text
    pdf = response.content
    assert layout_problems(pdf) == []
    found = pages(pdf)
    header = "项目 数量 单价（人民币） 税率 税额 价税合计（人民币）"
    with_items = [page for page in found if re.search(r"第\d\d项", page.text)]
    assert len(with_items) >= 2
    for page in with_items:
        assert header in [line.strip() for line in page.text.splitlines()]
    flat = compact(text(pdf))
    # Every line once, none lost or doubled at a page break, and the last ones on a later page.
    assert all(flat.count(f"第{i:02d}项") == 1 for i in range(1, 61))
    assert "第01项" in compact(found[0].text) and "第60项" not in compact(found[0].text)
    assert f"价税合计¥{amount(Decimal(invoice['total']), 'CNY')}" in flat
    assert invoice["total"] == "6360.00" and "人民币大写：陆仟叁佰陆拾元整" in flat


async def test_documents_are_refused_while_the_creditor_is_not_set(
    invoicing: RunningService, account: dict[str, Any]
) -> None:
    statement_url = f"/customers/{account['customer']['id']}/statement"
    with creditor_settings(invoicing, creditor_uscc=None, bank_account_number=None):
        for url, params in [
            (f"/invoices/{account['invoice']['id']}/pdf", {}),
            (statement_url, {**PERIOD, "format": "pdf"}),
        ]:
            refused = await invoicing.client.get(url, params=params)
            assert refused.status_code == 409, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            problem = refused.json()
            assert problem["code"] == "creditor_not_configured"
            assert problem["missing"] == ["creditor_uscc", "bank_account_number"]
            assert "ARFLOW_BANK_ACCOUNT_NUMBER" in problem["detail"]
        # The statement's data (JSON, CSV) names no payee and is still there for the operator.
        data = await invoicing.client.get(statement_url, params=PERIOD)
        assert data.status_code == 200, data.text


@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_the_demo_creditor_is_marked_on_every_page(
    invoicing: RunningService, account: dict[str, Any], language: str
) -> None:
    banner = (
        "示例单据：债权人和收款账户均为演示数据，请勿向此账户付款。"
        if language == "zh-CN"
        else "DEMO document: the creditor and the payee account are examples. Do not pay into this account."
    )
    with creditor_settings(invoicing, creditor_name=None, creditor_demo=True):
        for kind in ("invoice", "statement"):
            pdf = await fetch(invoicing, account, kind, language)
            for page in pages(pdf):
                assert compact(banner) in compact(page.text)
                assert page.text.splitlines()[0].strip() == DEMO.legal_name
            flat = compact(text(pdf))
            assert compact(DEMO.bank_account_number) in flat
            assert compact(TEST_CREDITOR["bank_account_number"]) not in flat


async def test_the_refusal_is_in_the_openapi_of_each_document(invoicing: RunningService) -> None:
    schema = (await invoicing.client.get("/openapi.json")).json()
    for path in ("/invoices/{invoice_id}/pdf", "/customers/{customer_id}/statement"):
        conflict = schema["paths"][path]["get"]["responses"]["409"]
        assert "creditor_not_configured" in conflict["description"]
        assert "application/problem+json" in conflict["content"]


async def test_readiness_says_whether_the_creditor_is_set(
    invoicing: RunningService, infra: TestInfrastructure, api_key: str
) -> None:
    ready = await invoicing.client.get("/readyz")
    assert ready.json()["advisories"]["creditor"] == "ok"
    unset = settings_for(InvoicingSettings, infra, api_key, bank_account_number=None)
    unset_app = create_app(settings=unset)
    unset_app.state.db = invoicing.app.state.db  # the advisory reads whether one was set through the API
    advice = await unset_app.state.advisories["creditor"]()
    assert advice.startswith("not configured") and "ARFLOW_BANK_ACCOUNT_NUMBER" in advice


async def test_a_unit_price_finer_than_the_fen_is_printed_as_priced(
    invoicing: RunningService, account: dict[str, Any], new_invoice: NewInvoice
) -> None:
    lines = [{"description": "电子发票开具（按张计）", "quantity": "1000", "unit_price": "0.1234"}]
    invoice = await new_invoice(account["customer"]["id"], lines=lines)
    response = await invoicing.client.get(f"/invoices/{invoice['id']}/pdf", params={"language": "zh-CN"})
    assert response.status_code == 200, response.text
    # 0.1234 rounded to 0.12 would not multiply out to the line's 123.40.
    assert "电子发票开具（按张计） 1000 0.1234 0% 0.00 123.40" in lines_of(response.content)
    assert invoice["total"] == "123.40"
