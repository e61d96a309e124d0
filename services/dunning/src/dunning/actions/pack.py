"""The legal-handover evidence pack: a zip with a cover for whoever takes the case to court, the statement
of the case with its action log, the invoices and the action log as CSV, and every letter sent."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from reportlab.lib import colors
from reportlab.platypus import Flowable, Spacer, Table

from arflow.documents.amounts import amount_in_words
from arflow.documents.creditor import Creditor
from arflow.money import to_minor_units
from arflow.spreadsheet import SafeWriter
from dunning.actions.exports import actions_csv
from dunning.actions.letters import (
    Letter,
    LetterItem,
    items_table,
    letterhead,
    money_text,
    paragraph,
    running_of,
    signature_block,
    table_style,
)
from dunning.actions.pages import LIGHT, WIDTH, build_pdf, styles
from dunning.actions.rendering import format_date
from dunning.models import DunningAction, DunningCase, DunningCaseItem

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
        [[paragraph(k, s.head), paragraph(v, s.cell)] for k, v in lines],
        colWidths=[WIDTH * 0.2, WIDTH * 0.8],
        hAlign="LEFT",
    )
    summary.setStyle(
        table_style(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, colors.black),
                ("LINEBELOW", (0, 0), (-1, -2), 0.25, colors.HexColor("#bdbdbd")),
                ("BACKGROUND", (0, 0), (0, -1), LIGHT),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    contents = Table(
        [[paragraph(name, s.cell), paragraph(what, s.cell)] for name, what in PACK_CONTENTS],
        colWidths=[WIDTH * 0.3, WIDTH * 0.7],
    )
    contents.setStyle(table_style([("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#bdbdbd"))]))
    story: list[Flowable] = [
        *letterhead(facts.creditor, language, s),
        paragraph("逾期账款案件移交材料", s.title),
        paragraph("本材料由催收系统于移交之日生成，记载移交时的欠款及全部催收经过，供法务或代理律师使用。", s.body),
        Spacer(1, 6),
        summary,
        Spacer(1, 10),
        paragraph("欠款明细", s.head),
        items_table(items, currency=facts.case.currency, language=language, before_due=False, s=s),
        Spacer(1, 10),
        paragraph("材料清单", s.head),
        contents,
        Spacer(1, 12),
        signature_block(
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
        running=running_of(f"{facts.creditor.legal_name}  案件移交材料", language, facts.creditor.demo),
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
    log_rows: list[list[Any]] = [[paragraph(h, s.head) for h in ("时间 (UTC)", "步骤", "方式", "状态", "结果")]]
    for a in facts.actions:
        log_rows.append(
            [
                paragraph(_local(a.created_at), s.cell),
                paragraph(a.step, s.cell),
                paragraph(CHANNEL_NAMES.get(a.channel, a.channel), s.cell),
                paragraph(STATUS_NAMES.get(a.status, a.status), s.cell),
                paragraph(a.outcome or "—", s.cell),
            ]
        )
    log = Table(log_rows, colWidths=[WIDTH * w for w in (0.24, 0.24, 0.14, 0.14, 0.24)], repeatRows=1)
    log.setStyle(
        table_style(
            [
                ("BACKGROUND", (0, 0), (-1, 0), LIGHT),
                ("LINEABOVE", (0, 0), (-1, 0), 0.9, colors.black),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#bdbdbd")),
            ]
        )
    )
    story: list[Flowable] = [
        *letterhead(facts.creditor, language, s),
        paragraph("对账单及催收记录", s.title),
        paragraph(f"客户：{facts.customer_name}", s.cell),
        paragraph(
            f"截至：{format_date(facts.as_of, language)}　币种：{facts.case.currency}　催收级别：{facts.case.level}",
            s.cell,
        ),
        Spacer(1, 8),
        items_table(items, currency=facts.case.currency, language=language, before_due=False, s=s),
        Spacer(1, 12),
        paragraph("催收记录", s.head),
        Spacer(1, 4),
        log,
    ]
    return build_pdf(
        story,
        running=running_of(f"{facts.creditor.legal_name}  对账单及催收记录", language, facts.creditor.demo),
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
