"""The statement of account (对账单) a person reads, as CSV and as a PDF in zh-CN or English.

The PDF is drawn with the pieces of reports.pdf (the letterhead and the numbered footer on every page)
and the labels of reports.labels. Every label comes from the document's language; only data (names, numbers,
人民币大写, which is how a renminbi amount is written in words whatever the language) is not translated.
Rendering is pure (data in, bytes out) and CPU-bound; callers run it off the event loop.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Spacer,
    Table,
)

from arflow.documents.amounts import amount, amount_in_words
from arflow.documents.creditor import Creditor
from arflow.problems import PROBLEM_JSON
from arflow.spreadsheet import SafeWriter
from invoicing.reports.labels import currency_name, labels, money
from invoicing.reports.pdf import (
    ACCENT,
    CONTENT_WIDTH,
    INK,
    RULE,
    build_pdf,
    field_table,
    item_table,
    para,
    style,
    styles,
    table_style,
    title_block,
)
from invoicing.reports.schemas import StatementCurrency, StatementOut

# The OpenAPI answer of every operation that produces a customer-facing document.
CREDITOR_NOT_CONFIGURED: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "`creditor_not_configured`: the creditor's name, USCC, address, phone or payee account is "
        "not set (the problem's `missing` names the settings), so no document goes out with a wrong payee",
        "content": {PROBLEM_JSON: {}},
    }
}


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
