"""The invoice (账单) as a PDF, drawn with the statement's letterhead, labels and PDF pieces (reports.pdf)."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import segno
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Image, KeepTogether, Spacer, Table

from arflow.documents.amounts import amount, amount_in_words, plain_number
from arflow.documents.creditor import Creditor
from invoicing.invoices.line_table import line_table
from invoicing.invoices.schemas import InvoiceOut
from invoicing.reports.labels import currency_name, labels, money
from invoicing.reports.pdf import (
    ACCENT,
    CONTENT_WIDTH,
    RULE,
    build_pdf,
    field_table,
    para,
    styles,
    table_style,
    title_block,
)

QR_SIZE = 34 * mm
QR_PIXELS_PER_MODULE = 8  # whole pixels per module: sharp however a viewer scales the image
QR_BORDER = 2  # modules of quiet zone inside the image (the box's white adds more)


def invoice_pdf(
    invoice: InvoiceOut,
    *,
    customer_name: str,
    customer_uscc: str | None,
    creditor: Creditor,
    language: str,
    hosted_url: str | None = None,
) -> bytes:
    """The invoice as a PDF in the customer's language, from the creditor, with where and how to pay;
    with `hosted_url`, its hosted page as a QR code in the box kept for it."""
    t = labels(language)
    s = styles()
    c = invoice.currency
    number = invoice.number or "—"  # a draft has no number yet
    half = CONTENT_WIDTH / 2
    customer: list[Flowable] = [para(t["bill_to"], s["label"]), para(customer_name, s["party"])]
    if customer_uscc:
        customer.append(para(f"{t['uscc']} {customer_uscc}", s["small"]))
    facts = [
        (t["invoice_date"], str(invoice.invoice_date)),
        (t["due_date"], str(invoice.due_date)),
        (t["reference"], invoice.payment_reference or "—"),
    ]
    header = Table(
        [[customer, field_table(facts, [30 * mm, half - 30 * mm])]],
        colWidths=[half, half],
    )
    header.setStyle(table_style([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story: list[Flowable] = [title_block(t["invoice"], t["invoice_number"], number), Spacer(1, 4 * mm), header]
    if invoice.status == "void":
        story += [Spacer(1, 2 * mm), para(t["voided"], s["mark"])]
    elif invoice.status == "draft":
        story += [Spacer(1, 2 * mm), para(t["draft"], s["mark"])]
    unit = currency_name(c, language)
    rows = [
        [
            t["description"],
            t["quantity"],
            f"{t['unit_price']}（{unit}）" if language == "zh-CN" else f"{t['unit_price']} ({c})",
            t["tax_rate"],
            t["tax"],
            f"{t['amount']}（{unit}）" if language == "zh-CN" else f"{t['amount']} ({c})",
        ]
    ]
    for line in invoice.lines:
        rows.append(
            [
                line.description,
                plain_number(line.quantity),
                unit_price(line.unit_price, c),
                f"{plain_number(line.tax_rate * 100)}%",
                amount(line.tax_amount, c),
                amount(line.gross_amount, c),
            ]
        )
    story += [Spacer(1, 5 * mm), line_table(rows), Spacer(1, 3 * mm)]
    story.append(_totals(invoice, t, language))
    if invoice.memo:
        story += [Spacer(1, 3 * mm), para(f"{t['memo']}{t['colon']}{invoice.memo}", s["body"])]
    if invoice.status != "void":
        story += [Spacer(1, 6 * mm), _payment_block(invoice, creditor, t, hosted_url)]
    return build_pdf(
        story,
        title=f"{t['invoice']} {invoice.number or invoice.id}",
        creditor=creditor,
        language=language,
        number=f"{t['invoice_number']} {number}",
    )


def unit_price(value: Decimal, currency: str) -> str:
    """A unit price with separators and the currency's decimals, or all of its own when it has more (0.1234)."""
    shown = amount(value, currency)
    return shown if Decimal(shown.replace(",", "")) == value else format(value.normalize(), ",f")


def _totals(invoice: InvoiceOut, t: dict[str, str], language: str) -> Flowable:
    """Subtotal, tax and total, what was paid or credited, and the amount due; 大写 under total and due."""
    s = styles()
    c = invoice.currency
    rows: list[list[Any]] = []
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]

    def line(label: str, value: str, kind: str = "total") -> None:
        rows.append([para(label, s[kind]), para(value, s[kind])])

    def in_words(value: Any) -> None:
        words = amount_in_words(value, c)
        if words:
            rows.append([para(f"{t['in_words']}{t['colon']}{words}", s["words"]), ""])
            commands.append(("SPAN", (0, len(rows) - 1), (1, len(rows) - 1)))

    line(t["subtotal"], money(invoice.subtotal, c, language))
    line(t["tax"], money(invoice.tax_total, c, language))
    commands.append(("LINEABOVE", (0, len(rows)), (-1, len(rows)), 0.6, RULE))
    line(t["total"], money(invoice.total, c, language))
    in_words(invoice.total)
    if invoice.amount_paid:
        line(t["amount_paid"], money(-invoice.amount_paid, c, language))
    if invoice.amount_credited:
        line(t["amount_credited"], money(-invoice.amount_credited, c, language))
    commands.append(("LINEABOVE", (0, len(rows)), (-1, len(rows)), 1.0, ACCENT))
    line(t["amount_due"], money(invoice.balance, c, language), "due")
    in_words(invoice.balance)
    commands.append(("LINEBELOW", (0, len(rows) - 1), (-1, len(rows) - 1), 1.0, ACCENT))
    table = Table(rows, colWidths=[50 * mm, 50 * mm], hAlign="RIGHT")
    table.setStyle(table_style(commands))
    return KeepTogether([table])


def qr_image(url: str, size: float) -> Image:
    """The link as a QR code (segno, error correction M), a PNG of whole pixels per module drawn `size` wide."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=QR_PIXELS_PER_MODULE, border=QR_BORDER)
    buffer.seek(0)
    return Image(buffer, width=size, height=size)


def _payment_block(invoice: InvoiceOut, creditor: Creditor, t: dict[str, str], hosted_url: str | None) -> Flowable:
    """Where to pay and what to quote, beside the QR code of the invoice's hosted page (when it is known)."""
    s = styles()
    if invoice.payment_reference:
        instruction = t["pay_by"].format(date=invoice.due_date, reference=invoice.payment_reference)
    else:
        instruction = t["pay_by_no_reference"].format(date=invoice.due_date)
    details: list[Flowable] = [
        para(t["how_to_pay"], s["heading"]),
        field_table(
            [
                (t["bank_name"], creditor.bank_name),
                (t["account_name"], creditor.bank_account_name),
                (t["account_number"], creditor.bank_account_number),
                (t["reference"], invoice.payment_reference or invoice.number or "—"),
            ],
            [30 * mm, CONTENT_WIDTH - QR_SIZE - 46 * mm],
        ),
        Spacer(1, 2 * mm),
        para(instruction, s["body"]),
    ]
    # The box keeps its place and size with or without the code, so adding it moves nothing.
    if hosted_url:
        cells = [[qr_image(hosted_url, QR_SIZE - 8 * mm)], [para(t["scan_to_view"], s["centre"])]]
        heights = [QR_SIZE - 7 * mm, 7 * mm]
    else:  # the link exists in clear only where it was handed out (hosted/links.py)
        cells = [[para(t["online_payment"], s["centre"])], [para(t["link_in_email"], s["centre"])]]
        heights = [QR_SIZE / 2, QR_SIZE / 2]
    qr = Table(cells, colWidths=[QR_SIZE], rowHeights=heights)
    qr.setStyle(
        table_style(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, RULE, 1, (3, 2)),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("VALIGN", (0, 0), (0, 0), "BOTTOM" if not hosted_url else "MIDDLE"),
                ("VALIGN", (0, 1), (0, 1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    block = Table([[details, qr]], colWidths=[CONTENT_WIDTH - QR_SIZE - 8 * mm, QR_SIZE + 8 * mm])
    block.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEABOVE", (0, 0), (-1, 0), 0.8, ACCENT),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("RIGHTPADDING", (1, 0), (1, 0), 0),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("TOPPADDING", (0, 0), (-1, -1), 2 * mm),
            ]
        )
    )
    return KeepTogether([block])
