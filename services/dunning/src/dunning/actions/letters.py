"""Documents of the dunning service: the 催款函 of each ladder step and the legal-handover pack.

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

The evidence pack is a zip: a cover for whoever takes the case to court, the statement of the case
with its action log, the invoices and the action log as CSV (UTF-8 with BOM, so spreadsheet tools
read Chinese), and every letter sent.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from reportlab.lib import colors
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from arflow.documents.amounts import amount, amount_in_words
from arflow.documents.creditor import Creditor
from arflow.money import parse_decimal, to_minor_units
from arflow.spreadsheet import SafeWriter
from dunning.actions.pages import FONT, LIGHT, WIDTH, DoubleRule, Running, Styles, build_pdf, styles
from dunning.actions.rendering import format_date
from dunning.domain import LetterKind
from dunning.models import DunningAction, DunningCase, DunningCaseItem


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


def _table_style(commands: list[tuple[Any, ...]]) -> TableStyle:
    """A table style in the embedded font: a cell left empty would otherwise be set in Helvetica."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), *commands])


def _p(text: str, style: Any) -> Paragraph:
    """A paragraph of plain text (escaped: a customer's name may hold & or <)."""
    return Paragraph(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), style)


def _letterhead(creditor: Creditor, language: str, s: Styles) -> list[Flowable]:
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
    return [_p(creditor.legal_name, s.letterhead), _p(line, s.letterhead_line), Spacer(1, 2), DoubleRule()]


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
    rows: list[list[Any]] = [[_p(h, s.head) for h in header[:4]] + [_p(header[4], s.head)]]
    for item in items:
        if before_due:
            days = labels["days"].format(days=item.days_until_due)
        else:
            days = labels["days"].format(days=item.days_overdue) if item.days_overdue > 0 else labels["not_due"]
        rows.append(
            [
                _p(item.invoice_number, s.cell),
                _p(format_date(item.invoice_date, language) if item.invoice_date else labels["none"], s.cell),
                _p(format_date(item.due_date, language), s.cell),
                _p(days, s.cell_right),
                _p(amount(item.amount_due, currency), s.cell_right),
            ]
        )
    total = sum((to_minor_units(i.amount_due, currency) for i in items), Decimal(0))
    rows.append([_p(labels["total"], s.head), "", "", "", _p(amount(total, currency), s.cell_right)])
    words = amount_in_words(total, currency)
    if words is not None:
        colon = "：" if language == "zh-CN" else ": "
        rows.append([_p(f"{labels['in_words']}{colon}人民币{words}", s.cell), "", "", "", ""])
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
    table.setStyle(_table_style(commands))
    return table


def _payee(letter: Letter, s: Styles) -> Flowable:
    labels, creditor = LABELS[letter.language], letter.creditor
    references = "、" if letter.language == "zh-CN" else ", "
    refs = references.join(dict.fromkeys(i.payment_reference or i.invoice_number for i in letter.items))
    rows = [
        [_p(labels["payee"], s.head), ""],
        [_p(labels["account_name"], s.cell), _p(creditor.bank_account_name, s.cell)],
        [_p(labels["bank"], s.cell), _p(creditor.bank_name, s.cell)],
        [_p(labels["account_number"], s.cell), _p(creditor.bank_account_number, s.cell)],
        [_p(labels["reference"], s.cell), _p(labels["reference_text"].format(references=refs), s.cell)],
    ]
    table = Table(rows, colWidths=[WIDTH * 0.22, WIDTH * 0.78])
    table.setStyle(
        _table_style(
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


def _signature(letter: Letter, s: Styles) -> Flowable:
    labels = LABELS[letter.language]
    lines = [
        letter.creditor.legal_name,
        labels["department"],
        labels["seal"],
        format_date(letter.letter_date, letter.language),
    ]
    block = Table([[_p(line, s.right)] for line in lines], colWidths=[WIDTH * 0.6], hAlign="RIGHT")
    block.setStyle(
        _table_style(
            [
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return KeepTogether([_p(labels["closing"], s.body), Spacer(1, 6), block])


def _running(letter_head: str, language: str, demo: bool) -> Running:
    labels = LABELS[language]
    return Running(header=letter_head, footer=labels["page"], warning=labels["demo"] if demo else None)


def dunning_letter(letter: Letter) -> bytes:
    """The letter as a PDF."""
    s, labels, words = styles(letter.language), LABELS[letter.language], wording(letter)
    colon = "：" if letter.language == "zh-CN" else ": "
    day = format_date(letter.letter_date, letter.language)
    total = money_text(letter.total, letter.currency)
    story: list[Flowable] = [
        *_letterhead(letter.creditor, letter.language, s),
        Spacer(1, 8),
        _p(letter.number, s.right),
    ]
    if letter.language == "en":  # an English letter is dated at the top; a Chinese one under its signature
        story.append(_p(f"{labels['date']}{colon}{day}", s.right))
    story += [
        _p(words.title, s.title),
        _p(f"{labels['to']}{colon}{letter.customer_name}", s.addressee),
        *([_p(f"{labels['address']}{colon}{letter.customer_address}", s.addressee)] if letter.customer_address else []),
        _p(f"{labels['subject']}{colon}{words.subject}", s.addressee),
        Spacer(1, 8),
    ]
    if letter.language == "en":
        story.append(_p("Dear Sir or Madam,", s.body))
    story += [
        _p(words.body.format(date=day, total=total), s.body),
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
        _p(words.after.format(phone=letter.creditor.phone), s.body),
        Spacer(1, 10),
        _signature(letter, s),
    ]
    return build_pdf(
        story,
        running=_running(f"{letter.creditor.legal_name}  {letter.number}", letter.language, letter.creditor.demo),
        title=f"{title_of(letter)} {letter.number}",
        author=letter.creditor.legal_name,
        language=letter.language,
    )


def letter_filename(letter: Letter) -> str:
    """催款函-催字〔2026〕第0001号.pdf: what the customer's download and the attachment are called."""
    return f"{title_of(letter)}-{letter.number}.pdf".replace(" ", "-")


# --- the legal-handover pack --------------------------------------------------------------

PACK_CONTENTS = (
    ("cover.pdf", "本封面（移交说明）"),
    ("statement.pdf", "对账单及催收记录"),
    ("invoices.csv", "账单明细（CSV）"),
    ("actions.csv", "全部催收记录（CSV）"),
    ("letters/", "已发出的全部函件（PDF）"),
)


@dataclass(frozen=True)
class PackFacts:
    """What the pack's cover and statement say of a case."""

    case: DunningCase
    customer_name: str
    items: Sequence[DunningCaseItem]
    actions: Sequence[DunningAction]
    letter_numbers: Sequence[str]
    creditor: Creditor
    as_of: date


def _case_items(facts: PackFacts) -> tuple[LetterItem, ...]:
    open_items = [i for i in facts.items if i.status == "open"]
    return tuple(
        LetterItem(
            invoice_number=i.invoice_number,
            invoice_date=i.invoice_date,
            due_date=i.due_date,
            days_overdue=max((facts.as_of - i.due_date).days, 0),
            days_until_due=max((i.due_date - facts.as_of).days, 0),
            amount_due=i.amount_due,
            payment_reference=i.payment_reference,
        )
        for i in open_items
    )


def pack_cover(facts: PackFacts) -> bytes:
    """The cover of the pack handed to legal: who owes what, since when, what was done, what is inside."""
    s, language = styles("zh-CN"), "zh-CN"
    items = _case_items(facts)
    total = sum((to_minor_units(i.amount_due, facts.case.currency) for i in items), Decimal(0))
    sent = [a for a in facts.actions if a.status == "sent"]
    first = min((a.created_at for a in sent), default=None)
    lines = [
        ("债务人", facts.customer_name),
        ("案件编号", str(facts.case.id)),
        ("移交日期", format_date(facts.as_of, language)),
        ("欠款合计", money_text(total, facts.case.currency)),
        ("大写", amount_in_words(total, facts.case.currency) or "—"),
        ("首次催收", format_date(first.date(), language) if first else "—"),
        ("已发催收", f"{len(sent)} 次"),
        ("已发函件", "、".join(facts.letter_numbers) or "—"),
    ]
    summary = Table(
        [[_p(k, s.head), _p(v, s.cell)] for k, v in lines], colWidths=[WIDTH * 0.2, WIDTH * 0.8], hAlign="LEFT"
    )
    summary.setStyle(
        _table_style(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, colors.black),
                ("LINEBELOW", (0, 0), (-1, -2), 0.25, colors.HexColor("#bdbdbd")),
                ("BACKGROUND", (0, 0), (0, -1), LIGHT),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    contents = Table(
        [[_p(name, s.cell), _p(what, s.cell)] for name, what in PACK_CONTENTS], colWidths=[WIDTH * 0.3, WIDTH * 0.7]
    )
    contents.setStyle(_table_style([("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#bdbdbd"))]))
    story: list[Flowable] = [
        *_letterhead(facts.creditor, language, s),
        _p("逾期账款案件移交材料", s.title),
        _p("本材料由催收系统于移交之日生成，记载移交时的欠款及全部催收经过，供法务或代理律师使用。", s.body),
        Spacer(1, 6),
        summary,
        Spacer(1, 10),
        _p("欠款明细", s.head),
        items_table(items, currency=facts.case.currency, language=language, before_due=False, s=s),
        Spacer(1, 10),
        _p("材料清单", s.head),
        contents,
        Spacer(1, 12),
        _signature(
            Letter(
                "legal_handover",
                language,
                "",
                facts.as_of,
                facts.customer_name,
                facts.case.currency,
                items,
                facts.creditor,
            ),
            s,
        ),
    ]
    return build_pdf(
        story,
        running=_running(f"{facts.creditor.legal_name}  案件移交材料", language, facts.creditor.demo),
        title="逾期账款案件移交材料",
        author=facts.creditor.legal_name,
        language=language,
    )


CHANNEL_NAMES = {
    "email": "邮件",
    "sms": "短信",
    "letter": "函件",
    "phone_task": "电话",
    "visit_task": "上门",
    "internal_alert": "内部预警",
    "legal_handover": "移交法务",
}
STATUS_NAMES = {"sent": "已发出", "pending": "待发送", "failed": "失败", "skipped": "未发送", "cancelled": "已取消"}


def _local(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%d %H:%M")


def case_statement(facts: PackFacts) -> bytes:
    """The statement of the case: the invoices owed and every dunning action, oldest first."""
    s, language = styles("zh-CN"), "zh-CN"
    items = _case_items(facts)
    log_rows: list[list[Any]] = [[_p(h, s.head) for h in ("时间 (UTC)", "步骤", "方式", "状态", "结果")]]
    for a in facts.actions:
        log_rows.append(
            [
                _p(_local(a.created_at), s.cell),
                _p(a.step, s.cell),
                _p(CHANNEL_NAMES.get(a.channel, a.channel), s.cell),
                _p(STATUS_NAMES.get(a.status, a.status), s.cell),
                _p(a.outcome or "—", s.cell),
            ]
        )
    log = Table(log_rows, colWidths=[WIDTH * w for w in (0.24, 0.24, 0.14, 0.14, 0.24)], repeatRows=1)
    log.setStyle(
        _table_style(
            [
                ("BACKGROUND", (0, 0), (-1, 0), LIGHT),
                ("LINEABOVE", (0, 0), (-1, 0), 0.9, colors.black),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#bdbdbd")),
            ]
        )
    )
    story: list[Flowable] = [
        *_letterhead(facts.creditor, language, s),
        _p("对账单及催收记录", s.title),
        _p(f"客户：{facts.customer_name}", s.cell),
        _p(
            f"截至：{format_date(facts.as_of, language)}　币种：{facts.case.currency}　催收级别：{facts.case.level}",
            s.cell,
        ),
        Spacer(1, 8),
        items_table(items, currency=facts.case.currency, language=language, before_due=False, s=s),
        Spacer(1, 12),
        _p("催收记录", s.head),
        Spacer(1, 4),
        log,
    ]
    return build_pdf(
        story,
        running=_running(f"{facts.creditor.legal_name}  对账单及催收记录", language, facts.creditor.demo),
        title="对账单及催收记录",
        author=facts.creditor.legal_name,
        language=language,
    )


def evidence_pack(facts: PackFacts, *, letters: Sequence[tuple[str, bytes]]) -> bytes:
    """A zip: the cover, the statement PDF, invoices.csv, actions.csv and every letter sent."""
    invoices = io.StringIO()
    writer = SafeWriter(invoices)
    writer.writerow(
        [
            "invoice_id",
            "number",
            "invoice_date",
            "amount_due",
            "currency",
            "due_date",
            "days_overdue",
            "status",
            "closure",
        ]
    )
    for i in facts.items:
        writer.writerow(
            [
                i.invoice_id,
                i.invoice_number,
                i.invoice_date or "",
                to_minor_units(i.amount_due, i.currency),
                i.currency,
                i.due_date,
                i.days_overdue,
                i.status,
                i.closure or "",
            ]
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
        pack.writestr("cover.pdf", pack_cover(facts))
        pack.writestr("statement.pdf", case_statement(facts))
        pack.writestr("invoices.csv", "\ufeff" + invoices.getvalue())
        pack.writestr("actions.csv", "\ufeff" + actions_csv(facts.actions))
        for name, content in letters:
            pack.writestr(f"letters/{name}", content)
    return buffer.getvalue()


ACTION_COLUMNS = (
    "id",
    "created_at",
    "case_id",
    "customer_id",
    "step",
    "level",
    "channel",
    "recipient",
    "template",
    "language",
    "status",
    "outcome",
    "attempts",
    "amount_overdue",
    "currency",
    "sent_at",
    "completed_at",
    "operator",
)


def actions_csv(actions: Sequence[DunningAction]) -> str:
    """The action log as CSV (one row per action, oldest first)."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(ACTION_COLUMNS)
    for a in actions:
        row = {c: getattr(a, c, None) for c in ACTION_COLUMNS}
        row["operator"] = (a.details or {}).get("operator")
        writer.writerow(["" if row[c] is None else str(row[c]) for c in ACTION_COLUMNS])
    return out.getvalue()


PLAN_COLUMNS = (
    "rank",
    "customer_name",
    "customer_id",
    "tier",
    "policy",
    "level",
    "collector",
    "currency",
    "amount_overdue",
    "priority",
    "paused",
    "step",
    "channel",
    "date",
)


def plan_csv(lines: Sequence[dict[str, Any]], collectors: Sequence[dict[str, Any]]) -> str:
    """The plan as CSV: one row per planned step, then the totals per collector."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(PLAN_COLUMNS)
    for line in lines:
        for step in line["planned_steps"]:
            row = {**line, **step}
            writer.writerow(["" if row.get(c) is None else str(row[c]) for c in PLAN_COLUMNS])
    writer.writerow([])
    writer.writerow(["collector", "currency", "cases", "amount_overdue", "planned_steps"])
    for total in collectors:
        writer.writerow(
            [
                total["collector"] or "",
                total["currency"],
                total["cases"],
                total["amount_overdue"],
                total["planned_steps"],
            ]
        )
    return out.getvalue()
