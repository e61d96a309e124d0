"""The 催款函 of each ladder step: what it says and how it is laid out.

A letter is what a finance department would post: the creditor's letterhead (legal name, 统一社会
信用代码, address, phone), its number 催字〔2026〕第0001号, the addressee, date and subject, wording
that fits the step (before due, overdue, final demand, handover to legal proceedings), the invoices
in a table that breaks across pages under a repeated header, the total with 人民币大写, the payee
account with the payment references, and the signature block. zh-CN and en letters carry every
label in their own language.

No late interest or fee is printed. Invoicing computes it from each invoice's own terms (kind, rate,
grace days, cap, what was already charged), day by day on the balance; dunning sees none of those
terms, and applying one rate of its own to every invoice is how a letter once showed 7.21 of
interest while the statement for the same day showed 0.00. A fee invoicing has charged is an
invoice of its own (kind late_fee) and is listed like any other, with the amount the statement has.

The legal-handover evidence pack is in actions.pack, the CSV exports in actions.exports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from reportlab.lib import colors
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from arflow.documents.amounts import amount, amount_in_words
from arflow.documents.creditor import Creditor
from arflow.money import parse_decimal, to_minor_units
from dunning.actions.pages import FONT, LIGHT, WIDTH, DoubleRule, Running, Styles, build_pdf, styles
from dunning.actions.rendering import format_date
from dunning.domain import LetterKind


@dataclass(frozen=True)
class LetterItem:
    """One invoice the letter names."""

    invoice_number: str
    invoice_date: date | None
    due_date: date
    days_overdue: int
    days_until_due: int
    amount_due: Decimal
    payment_reference: str | None


@dataclass(frozen=True)
class Letter:
    """Everything a letter says, fixed when the step is taken."""

    kind: LetterKind
    language: str
    number: str
    letter_date: date
    customer_name: str
    currency: str
    items: tuple[LetterItem, ...]
    creditor: Creditor
    customer_address: str | None = None  # the billing contact's postal address, under the name

    @property
    def total(self) -> Decimal:
        """The sum of the amounts as printed (each rounded to the minor unit), so the total adds up on paper."""
        return sum((to_minor_units(i.amount_due, self.currency) for i in self.items), Decimal(0))


def letter_items(details: dict[str, Any]) -> tuple[LetterItem, ...]:
    """The letter's invoices from an action's details (as the step stored them)."""
    return tuple(
        LetterItem(
            invoice_number=str(i["number"]),
            invoice_date=date.fromisoformat(i["invoice_date"]) if i.get("invoice_date") else None,
            due_date=date.fromisoformat(i["due_date"]),
            days_overdue=int(i.get("days_overdue") or 0),
            days_until_due=int(i.get("days_until_due") or 0),
            amount_due=parse_decimal(i["amount_due"]),
            payment_reference=i.get("payment_reference"),
        )
        for i in details["invoices"]
    )


# --- words --------------------------------------------------------------------------------

LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "uscc": "统一社会信用代码",
        "address": "地址",
        "phone": "电话",
        "date": "日期",
        "to": "致",
        "subject": "事由",
        "invoice_number": "账单编号",
        "invoice_date": "开票日期",
        "due_date": "到期日",
        "days_overdue": "逾期天数",
        "days_until_due": "距到期天数",
        "amount_due": "应付金额（{currency}）",
        "not_due": "未到期",
        "days": "{days} 天",
        "total": "合计",
        "in_words": "合计金额（大写）",
        "payee": "收款账户",
        "account_name": "户名",
        "bank": "开户行",
        "account_number": "账号",
        "reference": "付款附言",
        "reference_text": "请在转账附言中注明付款参考号：{references}",
        "closing": "特此函告。",
        "department": "财务部",
        "seal": "（盖章）",
        "page": "第 {page} 页 / 共 {pages} 页",
        "demo": "示例债权人，仅供演示，请勿据此付款",
        "none": "—",
    },
    "en": {
        "uscc": "Unified Social Credit Code",
        "address": "Address",
        "phone": "Tel.",
        "date": "Date",
        "to": "To",
        "subject": "Re",
        "invoice_number": "Invoice no.",
        "invoice_date": "Invoice date",
        "due_date": "Due date",
        "days_overdue": "Days overdue",
        "days_until_due": "Days until due",
        "amount_due": "Amount due ({currency})",
        "not_due": "not yet due",
        "days": "{days}",
        "total": "Total",
        "in_words": "Amount in words (Chinese capitals)",
        "payee": "Payee account",
        "account_name": "Account name",
        "bank": "Bank",
        "account_number": "Account no.",
        "reference": "Payment reference",
        "reference_text": "Please quote the payment reference in your transfer: {references}",
        "closing": "Yours faithfully,",
        "department": "Finance Department",
        "seal": "(Company seal)",
        "page": "Page {page} of {pages}",
        "demo": "Demo creditor for demonstration only: do not pay into this account",
        "none": "—",
    },
}


@dataclass(frozen=True)
class Wording:
    title: str
    subject: str
    body: str  # {date}: the letter's date, {total}: the total with its currency
    after: str  # said after the payee account


WORDINGS: dict[str, dict[LetterKind, Wording]] = {
    "zh-CN": {
        "before_due": Wording(
            title="付 款 提 醒 函",
            subject="关于账款即将到期的付款提醒",
            body="感谢贵公司一直以来的信任与合作。截至{date}，贵公司下列账单即将到期，合计应付 {total}。"
            "请贵公司于各账单到期日前，将款项汇入下列收款账户。",
            after="如贵公司已安排付款，请忽略本函；如对上述账单有任何疑问，请致电 {phone} 与我司财务部联系。",
        ),
        "overdue": Wording(
            title="催 款 函",
            subject="关于贵公司逾期未付账款的催收函",
            body="截至{date}，贵公司下列账单已超过付款期限，尚未结清，合计应付 {total}。我司此前已提醒贵公司，"
            "但至今未收到上述款项。请贵公司于收到本函之日起七日内，将上述款项汇入下列收款账户。",
            after="如贵公司已付款，请将付款凭证发送我司以便核对；如对上述账单有异议，请于收到本函之日起七日内"
            "书面告知我司，或致电 {phone} 与我司财务部联系。",
        ),
        "final": Wording(
            title="最 后 催 款 通 知 函",
            subject="关于逾期未付账款的最后催告",
            body="截至{date}，贵公司下列账单已逾期未付，合计应付 {total}。我司已多次通过邮件、电话及书面方式"
            "催告，贵公司至今仍未付清。现正式通知贵公司：请于收到本函之日起七日内付清上述全部欠款。",
            after="逾期仍未付清的，我司将不再另行通知，依法通过诉讼或仲裁等途径追讨欠款，并依合同约定主张"
            "逾期付款的违约责任及因此产生的全部费用。如有疑问，请致电 {phone} 与我司财务部联系。",
        ),
        "legal_handover": Wording(
            title="移 交 法 律 程 序 通 知 函",
            subject="关于逾期账款移交法律程序处理的通知",
            body="截至{date}，贵公司下列账单经我司多次催告仍未付清，合计应付 {total}。我司已于{date}将上述"
            "欠款移交法律程序处理，将依法通过诉讼或仲裁等途径追讨，并依合同约定主张逾期付款的违约责任及相关费用。",
            after="在诉讼或仲裁程序启动前，贵公司仍可将全部欠款汇入上述收款账户并注明付款参考号，"
            "并将付款凭证发送我司。如有疑问，请致电 {phone} 与我司财务部联系。",
        ),
    },
    "en": {
        "before_due": Wording(
            title="PAYMENT REMINDER",
            subject="Invoices falling due shortly",
            body="Thank you for your continued business. As of {date}, the invoices below fall due shortly, "
            "{total} in total. Please arrange payment to the payee account below by each invoice's due date.",
            after="If you have already arranged payment, please disregard this letter. If you have any question "
            "about these invoices, please call our Finance Department on {phone}.",
        ),
        "overdue": Wording(
            title="DEMAND FOR PAYMENT",
            subject="Overdue invoices",
            body="As of {date}, the invoices below are past their due date and remain unpaid, {total} in total. "
            "We have reminded you before but have not received payment. Please pay the full amount to the "
            "payee account below within seven days of receiving this letter.",
            after="If you have already paid, please send us the remittance advice so that we can match it. If you "
            "dispute any of these invoices, please tell us in writing within seven days of receiving this letter "
            "or call our Finance Department on {phone}.",
        ),
        "final": Wording(
            title="FINAL DEMAND FOR PAYMENT",
            subject="Final demand: overdue invoices",
            body="As of {date}, the invoices below are overdue and unpaid, {total} in total, although we have "
            "reminded you by email, telephone and letter. We hereby formally demand payment of the full amount "
            "within seven days of your receipt of this letter.",
            after="Should payment not be received within that period, we shall without further notice take legal "
            "action to recover the debt, and claim the contractual consequences of late payment and all costs "
            "incurred. For any question, please call our Finance Department on {phone}.",
        ),
        "legal_handover": Wording(
            title="NOTICE OF REFERRAL TO LEGAL PROCEEDINGS",
            subject="Overdue invoices referred to legal proceedings",
            body="As of {date}, the invoices below remain unpaid despite our repeated demands, {total} in total. "
            "On {date} we referred this debt to legal proceedings: we shall recover it through litigation or "
            "arbitration and claim the contractual consequences of late payment and related costs.",
            after="Until proceedings are issued you may still pay the full amount into the payee account above, "
            "quoting the payment references, and send us the remittance advice. For any question, please call "
            "our Finance Department on {phone}.",
        ),
    },
}


def wording(letter: Letter) -> Wording:
    return WORDINGS[letter.language][letter.kind]


def subject_of(letter: Letter) -> str:
    """The letter's subject line (the email that carries it says the same)."""
    return wording(letter).subject


def title_of(letter: Letter) -> str:
    """The letter's title without the spacing of the printed heading: 催款函, DEMAND FOR PAYMENT."""
    title = wording(letter).title
    return title.replace(" ", "") if letter.language == "zh-CN" else title


def money_text(value: Decimal, currency: str) -> str:
    return f"{currency} {amount(value, currency)}"


# --- the letter ---------------------------------------------------------------------------


def table_style(commands: list[tuple[Any, ...]]) -> TableStyle:
    """A table style in the embedded font: a cell left empty would otherwise be set in Helvetica."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), *commands])


def paragraph(text: str, style: Any) -> Paragraph:
    """A paragraph of plain text (escaped: a customer's name may hold & or <)."""
    return Paragraph(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), style)


def letterhead(creditor: Creditor, language: str, s: Styles) -> list[Flowable]:
    labels = LABELS[language]
    separator = "\u00a0\u00a0·\u00a0\u00a0"  # no-break spaces: a paragraph collapses ordinary ones
    colon = "：" if language == "zh-CN" else ": "
    line = separator.join(
        [
            f"{labels['uscc']}{colon}{creditor.uscc}",
            f"{labels['address']}{colon}{creditor.address}",
            f"{labels['phone']}{colon}{creditor.phone}",
        ]
    )
    return [
        paragraph(creditor.legal_name, s.letterhead),
        paragraph(line, s.letterhead_line),
        Spacer(1, 2),
        DoubleRule(),
    ]


def items_table(items: Sequence[LetterItem], *, currency: str, language: str, before_due: bool, s: Styles) -> Table:
    """The invoices, a header repeated on every page, the total and 人民币大写 under them."""
    labels = LABELS[language]
    days_label = labels["days_until_due" if before_due else "days_overdue"]
    header = [
        labels["invoice_number"],
        labels["invoice_date"],
        labels["due_date"],
        days_label,
        labels["amount_due"].format(currency=currency),
    ]
    rows: list[list[Any]] = [[paragraph(h, s.head) for h in header[:4]] + [paragraph(header[4], s.head)]]
    for item in items:
        if before_due:
            days = labels["days"].format(days=item.days_until_due)
        else:
            days = labels["days"].format(days=item.days_overdue) if item.days_overdue > 0 else labels["not_due"]
        rows.append(
            [
                paragraph(item.invoice_number, s.cell),
                paragraph(format_date(item.invoice_date, language) if item.invoice_date else labels["none"], s.cell),
                paragraph(format_date(item.due_date, language), s.cell),
                paragraph(days, s.cell_right),
                paragraph(amount(item.amount_due, currency), s.cell_right),
            ]
        )
    total = sum((to_minor_units(i.amount_due, currency) for i in items), Decimal(0))
    rows.append([paragraph(labels["total"], s.head), "", "", "", paragraph(amount(total, currency), s.cell_right)])
    words = amount_in_words(total, currency)
    if words is not None:
        colon = "：" if language == "zh-CN" else ": "
        rows.append([paragraph(f"{labels['in_words']}{colon}人民币{words}", s.cell), "", "", "", ""])
    widths = [0.25, 0.18, 0.18, 0.16, 0.23]
    table = Table(rows, colWidths=[WIDTH * w for w in widths], repeatRows=1)
    last_item = len(items)
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), LIGHT),
        ("LINEABOVE", (0, 0), (-1, 0), 0.9, colors.black),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
        ("LINEBELOW", (0, 1), (-1, last_item), 0.25, colors.HexColor("#bdbdbd")),
        ("LINEABOVE", (0, last_item + 1), (-1, last_item + 1), 0.6, colors.black),
        ("SPAN", (0, last_item + 1), (3, last_item + 1)),
        ("LINEBELOW", (0, -1), (-1, -1), 0.9, colors.black),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    if words is not None:
        commands.append(("SPAN", (0, -1), (-1, -1)))
    table.setStyle(table_style(commands))
    return table


def _payee(letter: Letter, s: Styles) -> Flowable:
    labels, creditor = LABELS[letter.language], letter.creditor
    references = "、" if letter.language == "zh-CN" else ", "
    refs = references.join(dict.fromkeys(i.payment_reference or i.invoice_number for i in letter.items))
    rows = [
        [paragraph(labels["payee"], s.head), ""],
        [paragraph(labels["account_name"], s.cell), paragraph(creditor.bank_account_name, s.cell)],
        [paragraph(labels["bank"], s.cell), paragraph(creditor.bank_name, s.cell)],
        [paragraph(labels["account_number"], s.cell), paragraph(creditor.bank_account_number, s.cell)],
        [paragraph(labels["reference"], s.cell), paragraph(labels["reference_text"].format(references=refs), s.cell)],
    ]
    table = Table(rows, colWidths=[WIDTH * 0.22, WIDTH * 0.78])
    table.setStyle(
        table_style(
            [
                ("SPAN", (0, 0), (-1, 0)),
                ("BACKGROUND", (0, 0), (-1, 0), LIGHT),
                ("BOX", (0, 0), (-1, -1), 0.6, colors.black),
                ("LINEBELOW", (0, 0), (-1, -2), 0.25, colors.HexColor("#bdbdbd")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return KeepTogether([table])


def signature_block(letter: Letter, s: Styles) -> Flowable:
    labels = LABELS[letter.language]
    lines = [
        letter.creditor.legal_name,
        labels["department"],
        labels["seal"],
        format_date(letter.letter_date, letter.language),
    ]
    block = Table([[paragraph(line, s.right)] for line in lines], colWidths=[WIDTH * 0.6], hAlign="RIGHT")
    block.setStyle(
        table_style(
            [
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return KeepTogether([paragraph(labels["closing"], s.body), Spacer(1, 6), block])


def running_of(letter_head: str, language: str, demo: bool) -> Running:
    labels = LABELS[language]
    return Running(header=letter_head, footer=labels["page"], warning=labels["demo"] if demo else None)


def dunning_letter(letter: Letter) -> bytes:
    """The letter as a PDF."""
    s, labels, words = styles(letter.language), LABELS[letter.language], wording(letter)
    colon = "：" if letter.language == "zh-CN" else ": "
    day = format_date(letter.letter_date, letter.language)
    total = money_text(letter.total, letter.currency)
    story: list[Flowable] = [
        *letterhead(letter.creditor, letter.language, s),
        Spacer(1, 8),
        paragraph(letter.number, s.right),
    ]
    if letter.language == "en":  # an English letter is dated at the top; a Chinese one under its signature
        story.append(paragraph(f"{labels['date']}{colon}{day}", s.right))
    story += [
        paragraph(words.title, s.title),
        paragraph(f"{labels['to']}{colon}{letter.customer_name}", s.addressee),
        *(
            [paragraph(f"{labels['address']}{colon}{letter.customer_address}", s.addressee)]
            if letter.customer_address
            else []
        ),
        paragraph(f"{labels['subject']}{colon}{words.subject}", s.addressee),
        Spacer(1, 8),
    ]
    if letter.language == "en":
        story.append(paragraph("Dear Sir or Madam,", s.body))
    story += [
        paragraph(words.body.format(date=day, total=total), s.body),
        Spacer(1, 4),
        items_table(
            letter.items,
            currency=letter.currency,
            language=letter.language,
            before_due=letter.kind == "before_due",
            s=s,
        ),
        Spacer(1, 10),
        _payee(letter, s),
        Spacer(1, 8),
        paragraph(words.after.format(phone=letter.creditor.phone), s.body),
        Spacer(1, 10),
        signature_block(letter, s),
    ]
    return build_pdf(
        story,
        running=running_of(f"{letter.creditor.legal_name}  {letter.number}", letter.language, letter.creditor.demo),
        title=f"{title_of(letter)} {letter.number}",
        author=letter.creditor.legal_name,
        language=letter.language,
    )


def letter_filename(letter: Letter) -> str:
    """催款函-催字〔2026〕第0001号.pdf: what the customer's download and the attachment are called."""
    return f"{title_of(letter)}-{letter.number}.pdf".replace(" ", "-")
