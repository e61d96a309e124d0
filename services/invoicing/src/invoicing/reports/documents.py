"""Documents a person reads: statements (CSV, PDF) in zh-CN or English, and the labels and PDF pieces
the invoice PDF (invoices.documents) draws with.

PDFs are drawn with reportlab's built-in CID font STSong-Light, so Chinese text
renders without shipping a font file and stays extractable as text. Rendering
is pure (data in, bytes out) and CPU-bound; callers run it off the event loop.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from arflow.spreadsheet import SafeWriter
from invoicing.reports.schemas import StatementOut

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "statement": "对账单",
        "invoice": "账单",
        "customer": "客户",
        "period": "期间",
        "currency": "币种",
        "opening": "期初余额",
        "closing": "期末余额",
        "invoiced": "本期开票",
        "credited": "本期冲减",
        "paid": "本期收款",
        "interest": "逾期利息",
        "aging": "账龄",
        "date": "日期",
        "kind": "类型",
        "document": "单据",
        "debit": "借方",
        "credit": "贷方",
        "balance": "余额",
        "number": "账单编号",
        "invoice_date": "开票日期",
        "due_date": "到期日",
        "reference": "付款参考号",
        "description": "项目",
        "quantity": "数量",
        "unit_price": "单价",
        "tax_rate": "税率",
        "amount": "金额",
        "subtotal": "小计",
        "tax": "税额",
        "total": "合计",
        "amount_paid": "已付",
        "amount_due": "应付余额",
        "memo": "备注",
        "pay_by": "请于到期日前转账，并在附言中注明付款参考号。",
        "invoice.kind": "开票",
        "void.kind": "作废",
        "credit_note.kind": "红字冲销",
        "payment.kind": "收款",
        "payment_reversal.kind": "退款/退票",
    },
    "en": {
        "statement": "Statement of account",
        "invoice": "Invoice",
        "customer": "Customer",
        "period": "Period",
        "currency": "Currency",
        "opening": "Opening balance",
        "closing": "Closing balance",
        "invoiced": "Invoiced",
        "credited": "Credited",
        "paid": "Paid",
        "interest": "Late interest",
        "aging": "Aging",
        "date": "Date",
        "kind": "Entry",
        "document": "Document",
        "debit": "Debit",
        "credit": "Credit",
        "balance": "Balance",
        "number": "Invoice number",
        "invoice_date": "Invoice date",
        "due_date": "Due date",
        "reference": "Payment reference",
        "description": "Description",
        "quantity": "Qty",
        "unit_price": "Unit price",
        "tax_rate": "Tax rate",
        "amount": "Amount",
        "subtotal": "Subtotal",
        "tax": "Tax",
        "total": "Total",
        "amount_paid": "Paid",
        "amount_due": "Amount due",
        "memo": "Memo",
        "pay_by": "Please pay by bank transfer before the due date, quoting the payment reference.",
        "invoice.kind": "Invoice",
        "void.kind": "Void",
        "credit_note.kind": "Credit note",
        "payment.kind": "Payment",
        "payment_reversal.kind": "Payment reversed",
    },
}


def labels(language: str) -> dict[str, str]:
    return LABELS.get(language, LABELS["en"])


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


def paragraph_styles() -> tuple[ParagraphStyle, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12)
    title = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=20, spaceAfter=6)
    return title, body


def ruled_table(rows: Sequence[Sequence[Any]], widths: Sequence[float] | None = None, header: bool = True) -> Table:
    """A ruled table; a Paragraph cell is laid out in its column (as text it printed its repr and ran off the page)."""
    cells = [[cell if isinstance(cell, Flowable) else str(cell) for cell in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("FONT", (0, 0), (-1, -1), FONT, 8.5),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke))
    table.setStyle(TableStyle(style))
    return table


def build_pdf(story: list[Any], title: str) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, title=title, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm
    )
    document.build(story)
    return buffer.getvalue()


def statement_pdf(statement: StatementOut) -> bytes:
    """The statement as a PDF in its language."""
    t = labels(statement.language)
    title, body = paragraph_styles()
    story: list[Any] = [
        Paragraph(t["statement"], title),
        Paragraph(escape(f"{t['customer']}: {statement.legal_name}"), body),
        Paragraph(f"{t['period']}: {statement.period_start} – {statement.period_end}", body),
        Spacer(1, 6),
    ]
    for part in statement.currencies:
        story.append(Paragraph(f"{t['currency']}: {part.currency}", body))
        story.append(
            ruled_table(
                [
                    [t["opening"], t["invoiced"], t["credited"], t["paid"], t["closing"], t["interest"]],
                    [
                        part.opening_balance,
                        part.invoiced,
                        part.credited,
                        part.paid,
                        part.closing_balance,
                        part.late_interest,
                    ],
                ]
            )
        )
        story.append(Spacer(1, 4))
        rows: list[list[Any]] = [[t["date"], t["kind"], t["document"], t["debit"], t["credit"], t["balance"]]]
        for e in part.entries:
            document = e.invoice_number if e.kind == "payment" or e.kind == "payment_reversal" else e.document
            rows.append([e.entry_date, t[f"{e.kind}.kind"], document or "", e.debit, e.credit, e.balance])
        story.append(ruled_table(rows, widths=[22 * mm, 24 * mm, 48 * mm, 28 * mm, 28 * mm, 30 * mm]))
        story.append(Spacer(1, 4))
        aging = part.aging.model_dump(mode="json")
        story.append(Paragraph(t["aging"], body))
        story.append(ruled_table([list(aging), list(aging.values())]))
        story.append(Spacer(1, 10))
    return build_pdf(story, f"{t['statement']} {statement.legal_name}")
