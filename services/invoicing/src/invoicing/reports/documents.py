"""Documents a person reads: the statement of account (对账单, CSV and PDF) in zh-CN or English, and the
letterhead, labels and PDF pieces the invoice (invoices.documents) is drawn with.

PDFs are ReportLab platypus documents set in the embedded CJK font of arflow.documents.fonts (a built-in
CID font such as STSong-Light is never embedded, so it looked different in every viewer). Every page
carries the creditor's letterhead (name, 统一社会信用代码, address, phone) and a footer with the document's
number and "page X of Y". Every label comes from the document's language; only data (names, numbers,
人民币大写, which is how a renminbi amount is written in words whatever the language) is not translated.
Rendering is pure (data in, bytes out) and CPU-bound; callers run it off the event loop.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import partial
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from arflow.documents.amounts import amount, amount_in_words
from arflow.documents.creditor import Creditor
from arflow.documents.fonts import register_cjk_font
from arflow.problems import PROBLEM_JSON
from arflow.spreadsheet import SafeWriter
from invoicing.reports.schemas import StatementCurrency, StatementOut

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

INK = colors.HexColor("#1f2328")
MUTED = colors.HexColor("#59636e")
ACCENT = colors.HexColor("#1f3a5f")
RULE = colors.HexColor("#9aa4ae")
HEADER_FILL = colors.HexColor("#e9eef4")
DEMO_RED = colors.HexColor("#b42318")

# Currencies by name in Chinese documents (人民币, not CNY); others keep their ISO code.
CURRENCY_NAMES_ZH = {
    "CNY": "人民币",
    "USD": "美元",
    "EUR": "欧元",
    "HKD": "港币",
    "JPY": "日元",
    "GBP": "英镑",
    "MOP": "澳门元",
    "TWD": "新台币",
    "SGD": "新加坡元",
    "AUD": "澳元",
    "CAD": "加元",
    "CHF": "瑞士法郎",
    "KRW": "韩元",
}

LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {
        # letterhead and footer
        "colon": "：",
        "uscc": "统一社会信用代码",
        "address": "地址",
        "phone": "电话",
        "page": "第 {page} 页 / 共 {pages} 页",
        "demo_banner": "示例单据：债权人和收款账户均为演示数据，请勿向此账户付款。",
        # invoice
        "invoice": "账单",
        "invoice_number": "账单编号",
        "bill_to": "客户",
        "invoice_date": "开票日期",
        "due_date": "到期日",
        "reference": "付款参考号",
        "description": "项目",
        "quantity": "数量",
        "unit_price": "单价",
        "tax_rate": "税率",
        "tax": "税额",
        "amount": "价税合计",
        "subtotal": "不含税金额",
        "total": "价税合计",
        "amount_paid": "已收款",
        "amount_credited": "已冲减",
        "amount_due": "应付余额",
        "in_words": "人民币大写",
        "memo": "备注",
        "how_to_pay": "付款信息",
        "bank_name": "开户银行",
        "account_name": "户名",
        "account_number": "账号",
        "pay_by": "请于 {date} 前通过银行转账付款，并在转账附言中注明付款参考号 {reference}。",
        "pay_by_no_reference": "请于 {date} 前通过银行转账付款，并在转账附言中注明账单编号。",
        "online_payment": "在线支付",
        "online_payment_note": "二维码、链接即将开通",
        "voided": "本账单已作废，无需付款。",
        "draft": "草稿：本账单尚未开具，仅供核对。",
        # statement
        "statement": "对账单",
        "statement_number": "对账单编号",
        "customer": "客户",
        "period": "对账期间",
        "period_value": "{start} 至 {end}",
        "intro": "截至 {end}，贵公司与本公司的往来账款如下。请核对，并将文末的对账确认函盖章后寄回本公司。",
        "currency": "币种",
        "opening": "期初余额",
        "invoiced": "本期开票",
        "credited": "本期冲减",
        "paid": "本期收款",
        "closing": "期末余额",
        "closing_in_words": "期末余额大写",
        "date": "日期",
        "kind": "摘要",
        "document": "单据号",
        "debit": "借方",
        "credit": "贷方",
        "balance": "余额",
        "period_totals": "本期发生额合计",
        "interest_note": "截至期末按约定应计、尚未入账的逾期利息 {amount}，未计入上述余额。",
        "aging": "账龄（期末未结清金额）",
        "current": "未到期",
        "1-30": "1-30天",
        "31-60": "31-60天",
        "61-90": "61-90天",
        "90+": "90天以上",
        "aging_total": "合计",
        "no_activity": "本期无往来，期末无欠款。",
        "statement_pay": "付款时请在转账附言中注明所付账单的付款参考号或账单编号。",
        "invoice.kind": "开票",
        "void.kind": "作废",
        "credit_note.kind": "红字冲销",
        "payment.kind": "收款",
        "payment_reversal.kind": "收款退回",
        # confirmation slip
        "slip_cut": "请沿此线剪下，盖章后寄回",
        "slip_title": "对账确认函（回执）",
        "slip_to": "致：{creditor}",
        "slip_from": "客户名称：{customer}",
        "slip_owe": "本公司确认截至 {date} 结欠贵公司 {money} 无误。",
        "slip_owed": "本公司确认截至 {date} 贵公司结欠本公司 {money}（本公司多付或预付的款项）无误。",
        "slip_money_cny": "人民币 {amount} 元（大写：{words}）",
        "slip_money": "{currency} {amount}",
        "slip_disagree": "如有不符，请列明差异：",
        "slip_seal": "单位盖章",
        "slip_signed_by": "经办人",
        "slip_date": "日期",
        "slip_contact": "如有疑问，请致电 {phone}。",
    },
    "en": {
        "colon": ": ",
        "uscc": "USCC",
        "address": "Address",
        "phone": "Tel.",
        "page": "Page {page} of {pages}",
        "demo_banner": "DEMO document: the creditor and the payee account are examples. Do not pay into this account.",
        "invoice": "INVOICE",
        "invoice_number": "Invoice No.",
        "bill_to": "Bill to",
        "invoice_date": "Invoice date",
        "due_date": "Due date",
        "reference": "Payment reference",
        "description": "Description",
        "quantity": "Qty",
        "unit_price": "Unit price",
        "tax_rate": "Tax rate",
        "tax": "Tax",
        "amount": "Amount",
        "subtotal": "Subtotal",
        "total": "Total",
        "amount_paid": "Paid",
        "amount_credited": "Credited",
        "amount_due": "Amount due",
        "in_words": "In words (RMB)",
        "memo": "Notes",
        "how_to_pay": "How to pay",
        "bank_name": "Bank",
        "account_name": "Account name",
        "account_number": "Account number",
        "pay_by": "Please pay by bank transfer by {date}, quoting the payment reference {reference}.",
        "pay_by_no_reference": "Please pay by bank transfer by {date}, quoting the invoice number.",
        "online_payment": "Pay online",
        "online_payment_note": "QR code and link coming soon",
        "voided": "This invoice has been voided; nothing is to be paid.",
        "draft": "DRAFT: this invoice has not been issued yet.",
        "statement": "STATEMENT OF ACCOUNT",
        "statement_number": "Statement No.",
        "customer": "Customer",
        "period": "Period",
        "period_value": "{start} to {end}",
        "intro": "Below is your account with us up to {end}. Please check it, then sign, stamp and return "
        "the balance confirmation at the end.",
        "currency": "Currency",
        "opening": "Opening balance",
        "invoiced": "Invoiced",
        "credited": "Credited",
        "paid": "Received",
        "closing": "Closing balance",
        "closing_in_words": "Closing balance in words",
        "date": "Date",
        "kind": "Entry",
        "document": "Document",
        "debit": "Debit",
        "credit": "Credit",
        "balance": "Balance",
        "period_totals": "Period totals",
        "interest_note": "Late interest accrued to the period end and not yet charged: {amount} "
        "(not included in the balance above).",
        "aging": "Aging of what is open at the period end",
        "current": "Not yet due",
        "1-30": "1-30 days",
        "31-60": "31-60 days",
        "61-90": "61-90 days",
        "90+": "Over 90 days",
        "aging_total": "Total",
        "no_activity": "No activity in the period; nothing is owed.",
        "statement_pay": "When you pay, please quote the payment reference or number of each invoice paid.",
        "invoice.kind": "Invoice",
        "void.kind": "Void",
        "credit_note.kind": "Credit note",
        "payment.kind": "Payment",
        "payment_reversal.kind": "Payment reversed",
        "slip_cut": "Cut here, sign and return",
        "slip_title": "BALANCE CONFIRMATION (please return)",
        "slip_to": "To: {creditor}",
        "slip_from": "From: {customer}",
        "slip_owe": "We confirm that as of {date} we owe you {money}, and that this is correct.",
        "slip_owed": "We confirm that as of {date} you owe us {money} (our overpayment or prepayment), "
        "and that this is correct.",
        "slip_money_cny": "CNY {amount} (in words: {words})",
        "slip_money": "{currency} {amount}",
        "slip_disagree": "If it does not agree, please state the differences:",
        "slip_seal": "Company seal",
        "slip_signed_by": "Signed by",
        "slip_date": "Date",
        "slip_contact": "Questions: please call {phone}.",
    },
}


# The OpenAPI answer of every operation that produces a customer-facing document.
CREDITOR_NOT_CONFIGURED: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "`creditor_not_configured`: the creditor's name, USCC, address, phone or payee account is "
        "not set (the problem's `missing` names the settings), so no document goes out with a wrong payee",
        "content": {PROBLEM_JSON: {}},
    }
}


def labels(language: str) -> dict[str, str]:
    return LABELS.get(language, LABELS["en"])


def currency_name(currency: str, language: str) -> str:
    """人民币 in a Chinese document, CNY in an English one."""
    return CURRENCY_NAMES_ZH.get(currency, currency) if language == "zh-CN" else currency


def money(value: Decimal, currency: str, language: str) -> str:
    """An amount with its currency as the document's language writes it: ¥1,200.00, -CNY 1,200.00."""
    sign, figures = ("-", amount(-value, currency)) if value < 0 else ("", amount(value, currency))
    if language == "zh-CN" and currency == "CNY":
        return f"{sign}¥{figures}"
    return f"{sign}{currency_name(currency, language)} {figures}"


def statement_csv(statement: StatementOut) -> str:
    """One row per entry (with opening and closing rows per currency), UTF-8 with a BOM for spreadsheet tools."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = SafeWriter(out)
    writer.writerow(["currency", "date", "kind", "document", "invoice_number", "debit", "credit", "balance"])
    for part in statement.currencies:
        writer.writerow([part.currency, statement.period_start, "opening", "", "", "", "", part.opening_balance])
        for e in part.entries:
            writer.writerow(
                [
                    part.currency,
                    e.entry_date,
                    e.kind,
                    e.document or "",
                    e.invoice_number or "",
                    e.debit,
                    e.credit,
                    e.balance,
                ]
            )
        writer.writerow([part.currency, statement.period_end, "closing", "", "", "", "", part.closing_balance])
    return out.getvalue()


# --- the pieces every document is drawn with ----------------------------------------------------------


def style(name: str, **overrides: Any) -> ParagraphStyle:
    """A paragraph style in the embedded font (which has no bold face: <b> maps to the regular one)."""
    font = register_cjk_font()
    registerFontFamily(font, normal=font, bold=font, italic=font, boldItalic=font)
    values: dict[str, Any] = {"fontName": font, "fontSize": 9, "leading": 13, "textColor": INK}
    values.update(overrides)
    return ParagraphStyle(name, **values)


CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def para(text: str, paragraph_style: ParagraphStyle) -> Paragraph:
    """Text (escaped: a customer's '<' is text, not markup) laid out in its box.

    Chinese text has no spaces to break at, so it wraps between any two characters (ReportLab's CJK
    mode); English wraps between words, which CJK mode would split ("Tax rat / e").
    """
    if CJK.search(text):
        paragraph_style = ParagraphStyle(f"{paragraph_style.name}-cjk", parent=paragraph_style, wordWrap="CJK")
    return Paragraph(escape(text), paragraph_style)


def styles() -> dict[str, ParagraphStyle]:
    return {
        "body": style("body"),
        "small": style("small", fontSize=7.5, leading=10, textColor=MUTED),
        "label": style("label", fontSize=7.5, leading=10, textColor=MUTED),
        "title": style("title", fontSize=20, leading=24, textColor=ACCENT),
        "number": style("number", fontSize=10, leading=14, alignment=TA_RIGHT, textColor=INK),
        "heading": style("heading", fontSize=11, leading=15, textColor=ACCENT, spaceBefore=4, spaceAfter=3),
        "party": style("party", fontSize=11, leading=15),
        "cell": style("cell", fontSize=8.5, leading=11),
        "cell_right": style("cell_right", fontSize=8.5, leading=11, alignment=TA_RIGHT),
        "head": style("head", fontSize=8, leading=10.5, textColor=ACCENT),
        "head_right": style("head_right", fontSize=8, leading=10.5, textColor=ACCENT, alignment=TA_RIGHT),
        "total": style("total", fontSize=9.5, leading=13, alignment=TA_RIGHT),
        "due": style("due", fontSize=11.5, leading=15, alignment=TA_RIGHT, textColor=ACCENT),
        "words": style("words", fontSize=8.5, leading=11.5, alignment=TA_RIGHT, textColor=INK),
        "centre": style("centre", fontSize=8, leading=11, alignment=TA_CENTER, textColor=MUTED),
        "demo": style("demo", fontSize=8.5, leading=11, textColor=DEMO_RED),
        "mark": style("mark", fontSize=10, leading=14, textColor=DEMO_RED),
    }


def table_style(commands: Sequence[tuple[Any, ...]]) -> TableStyle:
    """A table style whose string cells (blank ones included) are set in the embedded font, not Helvetica."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), register_cjk_font()), *commands])


def item_table(
    rows: Sequence[Sequence[str]], widths: Sequence[float], *, right: Sequence[int] = (), repeat_header: bool = True
) -> Table:
    """A ruled table whose first row is the header, repeated on every page it runs onto; each cell wraps."""
    s = styles()
    cells = []
    for number, row in enumerate(rows):
        if number == 0:
            cells.append([para(v, s["head_right" if i in right else "head"]) for i, v in enumerate(row)])
        else:
            cells.append([para(v, s["cell_right" if i in right else "cell"]) for i, v in enumerate(row)])
    table = Table(cells, colWidths=list(widths), repeatRows=1 if repeat_header else 0)
    table.setStyle(
        table_style(
            [
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                ("LINEABOVE", (0, 0), (-1, 0), 0.8, ACCENT),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def field_table(rows: Sequence[tuple[str, str]], widths: Sequence[float]) -> Table:
    """Label: value pairs, unruled (dates, numbers, the bank account)."""
    s = styles()
    table = Table([[para(k, s["label"]), para(v, s["body"])] for k, v in rows], colWidths=list(widths))
    table.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                # The label's smaller type sits on the value's baseline.
                ("TOPPADDING", (0, 0), (0, -1), 3),
            ]
        )
    )
    return table


def title_block(title: str, number_label: str, number: str) -> Table:
    """The document's title on the left, its number on the right."""
    s = styles()
    table = Table(
        [[para(title, s["title"]), para(f"{number_label} {number}", s["number"])]],
        colWidths=[CONTENT_WIDTH * 0.5, CONTENT_WIDTH * 0.5],
    )
    table.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, ACCENT),
            ]
        )
    )
    return table


def _letterhead(creditor: Creditor, t: dict[str, str]) -> list[Paragraph]:
    s = styles()
    details = "\u2003·\u2003".join(
        [f"{t['uscc']} {creditor.uscc}", f"{t['address']} {creditor.address}", f"{t['phone']} {creditor.phone}"]
    )
    head = [
        para(creditor.legal_name, style("creditor", fontSize=13, leading=17, textColor=ACCENT)),
        para(details, s["small"]),
    ]
    if creditor.demo:
        head.append(para(t["demo_banner"], s["demo"]))
    return head


def _letterhead_height(creditor: Creditor, t: dict[str, str]) -> float:
    return float(sum(p.wrap(CONTENT_WIDTH, PAGE_HEIGHT)[1] for p in _letterhead(creditor, t)))


LETTERHEAD_TOP = 11 * mm  # from the top edge to the creditor's name
FOOTER_RULE = 14 * mm  # from the bottom edge


class _NumberedCanvas(Canvas):  # type: ignore[misc]  # ReportLab ships no type hints
    """Holds each page back until the last, so every footer can say "page X of Y"."""

    def __init__(self, *args: Any, footer: Callable[[Canvas, int, int], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []
        self._footer = footer

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._footer(self, self._pageNumber, total)
            super().showPage()
        super().save()


def build_pdf(story: list[Flowable], *, title: str, creditor: Creditor, language: str, number: str) -> bytes:
    """Lay the story out on A4 pages under the creditor's letterhead, each with a footer naming the document."""
    font = register_cjk_font()
    t = labels(language)
    top = LETTERHEAD_TOP + _letterhead_height(creditor, t) + 8 * mm

    def letterhead(canvas: Canvas, _doc: Any) -> None:
        canvas.saveState()
        y = PAGE_HEIGHT - LETTERHEAD_TOP
        for paragraph in _letterhead(creditor, t):
            _, height = paragraph.wrap(CONTENT_WIDTH, PAGE_HEIGHT)
            y -= height
            paragraph.drawOn(canvas, MARGIN, y)
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(0.8)
        canvas.line(MARGIN, y - 2.5 * mm, PAGE_WIDTH - MARGIN, y - 2.5 * mm)
        canvas.restoreState()

    def footer(canvas: Canvas, page: int, pages: int) -> None:
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN, FOOTER_RULE, PAGE_WIDTH - MARGIN, FOOTER_RULE)
        canvas.setFont(font, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, FOOTER_RULE - 4.5 * mm, f"{creditor.legal_name}\u2003{number}")
        canvas.drawRightString(PAGE_WIDTH - MARGIN, FOOTER_RULE - 4.5 * mm, t["page"].format(page=page, pages=pages))
        canvas.restoreState()

    buffer = io.BytesIO()
    bottom = FOOTER_RULE + 6 * mm
    # An unpadded frame exactly between the margins: tables, paragraphs and the letterhead share one edge.
    frame = Frame(
        MARGIN,
        bottom,
        CONTENT_WIDTH,
        PAGE_HEIGHT - top - bottom,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    document = BaseDocTemplate(
        buffer,
        pagesize=A4,
        pageTemplates=[PageTemplate(id="page", frames=[frame], onPage=letterhead)],
        title=title,
        author=creditor.legal_name,
        lang=language,
        # Without it ReportLab sets an initial Helvetica, which is never embedded, in every PDF.
        initialFontName=font,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=top,
        bottomMargin=bottom,
    )
    document.build(story, canvasmaker=partial(_NumberedCanvas, footer=footer))
    return buffer.getvalue()


# --- the statement of account --------------------------------------------------------------------------


def statement_number(statement: StatementOut) -> str:
    """The statement's number: the period's last day and the customer (the same statement, the same number)."""
    return f"{statement.period_end:%Y%m%d}-{statement.customer_id.int % 1_000_000:06d}"


def statement_pdf(statement: StatementOut, *, creditor: Creditor, customer_uscc: str | None) -> bytes:
    """The statement of account (对账单) as a PDF in its language, ending with a confirmation slip to return."""
    language = statement.language
    t = labels(language)
    s = styles()
    number = statement_number(statement)
    period = t["period_value"].format(start=statement.period_start, end=statement.period_end)
    customer_rows = [(t["customer"], statement.legal_name)]
    if customer_uscc:
        customer_rows.append((t["uscc"], customer_uscc))
    half = CONTENT_WIDTH / 2
    story: list[Flowable] = [
        title_block(t["statement"], t["statement_number"], number),
        Spacer(1, 4 * mm),
        _two_columns(
            field_table(customer_rows, [26 * mm, half - 30 * mm]),
            field_table([(t["period"], period)], [22 * mm, half - 22 * mm]),
        ),
        Spacer(1, 3 * mm),
        para(t["intro"].format(end=statement.period_end), s["body"]),
        Spacer(1, 2 * mm),
    ]
    for part in statement.currencies:
        story += _statement_currency(statement, part, t, s)
    if not statement.currencies:
        story += [Spacer(1, 4 * mm), para(t["no_activity"], s["body"])]
    story += [
        Spacer(1, 4 * mm),
        _payee(creditor, t, s),
        Spacer(1, 6 * mm),
        _confirmation_slip(statement, creditor, t, s),
    ]
    return build_pdf(
        story,
        title=f"{t['statement']} {statement.legal_name}",
        creditor=creditor,
        language=language,
        number=f"{t['statement_number']} {number}",
    )


def _two_columns(left: Flowable, right: Flowable) -> Table:
    table = Table([[left, right]], colWidths=[CONTENT_WIDTH / 2, CONTENT_WIDTH / 2])
    table.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _statement_currency(
    statement: StatementOut, part: StatementCurrency, t: dict[str, str], s: dict[str, ParagraphStyle]
) -> list[Flowable]:
    language = statement.language
    c = part.currency
    heading = f"{t['currency']}{t['colon']}{currency_name(c, language)}"
    summary = item_table(
        [
            [t["opening"], t["invoiced"], t["credited"], t["paid"], t["closing"]],
            [
                amount(part.opening_balance, c),
                amount(part.invoiced, c),
                amount(part.credited, c),
                amount(part.paid, c),
                amount(part.closing_balance, c),
            ],
        ],
        [CONTENT_WIDTH / 5] * 5,
        right=range(5),
    )
    rows = [[t["date"], t["kind"], t["document"], t["debit"], t["credit"], t["balance"]]]
    rows.append([str(statement.period_start), t["opening"], "", "", "", amount(part.opening_balance, c)])
    for e in part.entries:
        document = e.invoice_number if e.kind in ("payment", "payment_reversal") else e.document
        rows.append(
            [
                str(e.entry_date),
                t[f"{e.kind}.kind"],
                document or "",
                _blank_if_zero(e.debit, c),
                _blank_if_zero(e.credit, c),
                amount(e.balance, c),
            ]
        )
    debits = sum((e.debit for e in part.entries), Decimal(0))
    credits = sum((e.credit for e in part.entries), Decimal(0))
    rows.append(["", t["period_totals"], "", amount(debits, c), amount(credits, c), ""])
    rows.append([str(statement.period_end), t["closing"], "", "", "", amount(part.closing_balance, c)])
    movements = item_table(rows, [22 * mm, 30 * mm, 38 * mm, 28 * mm, 28 * mm, 28 * mm], right=(3, 4, 5))
    movements.setStyle(
        table_style(
            [
                ("LINEABOVE", (0, -2), (-1, -2), 0.6, RULE),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, ACCENT),
                ("LINEBELOW", (0, -1), (-1, -1), 0.8, ACCENT),
            ]
        )
    )
    out: list[Flowable] = [
        CondPageBreak(40 * mm),
        Spacer(1, 3 * mm),
        para(heading, s["heading"]),
        summary,
        Spacer(1, 3 * mm),
        movements,
    ]
    words = amount_in_words(part.closing_balance, c)
    if words:
        out += [Spacer(1, 1.5 * mm), para(f"{t['closing_in_words']}{t['colon']}{words}", s["words"])]
    if part.late_interest:
        note = t["interest_note"].format(amount=money(part.late_interest, c, language))
        out += [Spacer(1, 2 * mm), para(note, s["small"])]
    aging = part.aging
    buckets = [aging.current, aging.d1_30, aging.d31_60, aging.d61_90, aging.d90_plus, aging.total]
    out += [
        Spacer(1, 3 * mm),
        KeepTogether(
            [
                para(t["aging"], s["label"]),
                Spacer(1, 1 * mm),
                item_table(
                    [
                        [t["current"], t["1-30"], t["31-60"], t["61-90"], t["90+"], t["aging_total"]],
                        [amount(value, c) for value in buckets],
                    ],
                    [CONTENT_WIDTH / 6] * 6,
                    right=range(6),
                ),
            ]
        ),
    ]
    return out


def _payee(creditor: Creditor, t: dict[str, str], s: dict[str, ParagraphStyle]) -> Flowable:
    """Where the customer pays what the statement says it owes."""
    return KeepTogether(
        [
            para(t["how_to_pay"], s["heading"]),
            field_table(
                [
                    (t["bank_name"], creditor.bank_name),
                    (t["account_name"], creditor.bank_account_name),
                    (t["account_number"], creditor.bank_account_number),
                ],
                [30 * mm, CONTENT_WIDTH - 30 * mm],
            ),
            Spacer(1, 1 * mm),
            para(t["statement_pay"], s["small"]),
        ]
    )


def _blank_if_zero(value: Decimal, currency: str) -> str:
    return amount(value, currency) if value else ""


def _confirmation_slip(
    statement: StatementOut, creditor: Creditor, t: dict[str, str], s: dict[str, ParagraphStyle]
) -> Flowable:
    """The 对账确认函 the customer stamps and returns: what it owes per currency, room for differences."""
    language = statement.language
    # A statement with no activity still asks the customer to confirm that nothing is owed.
    balances = [(p.currency, p.closing_balance) for p in statement.currencies] or [("CNY", Decimal("0.00"))]
    statements = []
    for currency, balance in balances:
        shown = abs(balance)
        words = amount_in_words(shown, currency)
        if words:
            figure = t["slip_money_cny"].format(amount=amount(shown, currency), words=words)
        else:
            figure = t["slip_money"].format(currency=currency_name(currency, language), amount=amount(shown, currency))
        template = t["slip_owed"] if balance < 0 else t["slip_owe"]
        statements.append(para(template.format(date=statement.period_end, money=figure), s["body"]))
    lines = Table([[""], [""], [""]], colWidths=[CONTENT_WIDTH - 8 * mm], rowHeights=[6.5 * mm] * 3)
    lines.setStyle(table_style([("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE)]))
    signature = Table(
        [
            [
                para(t["slip_seal"] + t["colon"].rstrip(), s["body"]),
                "",
                para(t["slip_signed_by"] + t["colon"].rstrip(), s["body"]),
                "",
                para(t["slip_date"] + t["colon"].rstrip(), s["body"]),
                "",
            ]
        ],
        colWidths=[24 * mm, 36 * mm, 20 * mm, 36 * mm, 14 * mm, 36 * mm],
        rowHeights=[13 * mm],
    )
    signature.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 0), (1, 0), 0.4, INK),
                ("LINEBELOW", (3, 0), (3, 0), 0.4, INK),
                ("LINEBELOW", (5, 0), (5, 0), 0.4, INK),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    inner: list[Flowable] = [
        para(t["slip_title"], style("slip_title", fontSize=13, leading=17, alignment=TA_CENTER, textColor=ACCENT)),
        Spacer(1, 3 * mm),
        para(t["slip_to"].format(creditor=creditor.legal_name), s["body"]),
        para(t["slip_from"].format(customer=statement.legal_name), s["body"]),
        Spacer(1, 2 * mm),
        *statements,
        Spacer(1, 3 * mm),
        para(t["slip_disagree"], s["body"]),
        lines,
        signature,
        Spacer(1, 3 * mm),
        para(t["slip_contact"].format(phone=creditor.phone), s["small"]),
    ]
    box = Table([[inner]], colWidths=[CONTENT_WIDTH])
    box.setStyle(
        table_style(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 4 * mm),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4 * mm),
                ("TOPPADDING", (0, 0), (-1, -1), 3 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm),
            ]
        )
    )
    cut = Table([[para(t["slip_cut"], s["centre"])]], colWidths=[CONTENT_WIDTH])
    cut.setStyle(table_style([("LINEABOVE", (0, 0), (-1, 0), 0.5, RULE, 1, (3, 2))]))
    return KeepTogether([cut, Spacer(1, 2 * mm), box])
