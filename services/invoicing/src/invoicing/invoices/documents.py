"""The invoice as a PDF, drawn with the statement's labels and PDF pieces (reports.documents)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from arflow.money import to_minor_units
from invoicing.invoices.schemas import InvoiceOut
from invoicing.reports.documents import build_pdf, labels, paragraph_styles, ruled_table


def invoice_pdf(invoice: InvoiceOut, *, legal_name: str, language: str) -> bytes:
    """The invoice as a PDF in the customer's language."""
    t = labels(language)
    title, body = paragraph_styles()
    c = invoice.currency
    story: list[Any] = [
        Paragraph(f"{t['invoice']} {invoice.number or ''}", title),
        ruled_table(
            [
                [t["customer"], legal_name],
                [t["number"], invoice.number or "—"],
                [t["invoice_date"], invoice.invoice_date],
                [t["due_date"], invoice.due_date],
                [t["reference"], invoice.payment_reference or "—"],
            ],
            widths=[40 * mm, 130 * mm],
            header=False,
        ),
        Spacer(1, 8),
    ]
    rows: list[list[Any]] = [[t["description"], t["quantity"], t["unit_price"], t["tax_rate"], t["tax"], t["amount"]]]
    for line in invoice.lines:
        rows.append(
            [
                Paragraph(escape(line.description), body),
                plain_number(line.quantity),
                amount(line.unit_price, c),
                f"{plain_number(line.tax_rate * 100)}%",
                amount(line.tax_amount, c),
                amount(line.gross_amount, c),
            ]
        )
    story.append(ruled_table(rows, widths=[70 * mm, 16 * mm, 24 * mm, 16 * mm, 22 * mm, 26 * mm]))
    story.append(Spacer(1, 6))
    story.append(
        ruled_table(
            [
                [t["subtotal"], f"{amount(invoice.subtotal, c)} {c}"],
                [t["tax"], f"{amount(invoice.tax_total, c)} {c}"],
                [t["total"], f"{amount(invoice.total, c)} {c}"],
                [t["amount_paid"], f"{amount(invoice.amount_paid, c)} {c}"],
                [t["amount_due"], f"{amount(invoice.balance, c)} {c}"],
            ],
            widths=[40 * mm, 50 * mm],
            header=False,
        )
    )
    if invoice.memo:
        story += [Spacer(1, 6), Paragraph(escape(f"{t['memo']}: {invoice.memo}"), body)]
    story += [Spacer(1, 10), Paragraph(t["pay_by"], body)]
    return build_pdf(story, f"{t['invoice']} {invoice.number or invoice.id}")


def plain_number(value: Decimal) -> str:
    """A quantity or rate as people write it: 2, 1.5, 6 (never 2E+1, which Decimal.normalize() gives)."""
    return format(value.normalize(), "f")


def amount(value: Decimal, currency: str) -> str:
    """An amount with thousands separators and exactly the currency's decimals: 1,200.00."""
    return format(to_minor_units(value, currency), ",f")
