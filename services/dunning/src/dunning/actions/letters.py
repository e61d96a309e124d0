"""Documents of the dunning service: the formal dunning letter (催账函) and the legal evidence pack.

The letter is a PDF drawn with reportlab's built-in CID font STSong-Light, so
Chinese renders without shipping a font file and the text stays extractable.
The evidence pack is a zip of the letter-style statement PDF, the invoices and
the full action log as CSV (UTF-8 with BOM, so spreadsheet tools read Chinese).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from arflow.spreadsheet import SafeWriter
from dunning.actions.rendering import format_date, format_money
from dunning.models import DunningAction, DunningCase, DunningCaseItem

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

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


def _pdf(lines: Iterable[tuple[int, str]], *, title: str) -> bytes:
    """A simple A4 PDF: (font size, text) lines top to bottom, new pages as needed."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setTitle(title)
    width, height = A4
    y = height - 60
    for size, text in lines:
        if y < 60:
            canvas.showPage()
            y = height - 60
        canvas.setFont(FONT, size)
        if size >= 16:
            canvas.drawCentredString(width / 2, y, text)
        else:
            canvas.drawString(50, y, text)
        y -= size + 8
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def dunning_letter(*, action: DunningAction, case: DunningCase, details: dict[str, Any], language: str) -> bytes:
    """The formal dunning letter (催账函) naming every invoice, amount, due date, days late and interest."""
    currency = details["currency"]
    lines: list[tuple[int, str]] = [(18, "催 账 函"), (10, f"编号：{action.id}"), (12, "")]
    lines.append((12, f"致：{details.get('customer_name') or '尊敬的客户'}"))
    lines.append((12, "截至" + format_date(details["as_of_date"], "zh-CN") + "，贵公司下列账单已逾期未付："))
    for invoice in details["invoices"]:
        lines.append(
            (
                11,
                f"  账单 {invoice['number']}：应付 {format_money(invoice['amount_due'], currency)}，"
                f"到期日 {format_date(invoice['due_date'], 'zh-CN')}，已逾期 {invoice['days_overdue']} 天，"
                f"违约金 {format_money(invoice['interest'], currency)}",
            )
        )
    lines.append((12, f"合计欠款：{format_money(details['amount_overdue'], currency)}"))
    lines.append((12, f"截至目前违约金合计：{format_money(details['interest_total'], currency)}"))
    bank = details["bank"]
    lines.append((12, "请于收到本函之日起七日内付清上述款项，汇入以下账户："))
    lines.append((11, f"  开户行：{bank['name']}  户名：{bank['account_name']}  账号：{bank['account_number']}"))
    lines.append(
        (
            11,
            "  转账附言请填写各账单的付款参考号："
            + "、".join(str(i["payment_reference"] or i["number"]) for i in details["invoices"]),
        )
    )
    lines.append((12, "逾期不付，我方将保留采取法律手段追讨欠款及相关费用的权利。"))
    lines.append((12, ""))
    lines.append((12, f"{details.get('creditor_name', '')}  应收账款部"))
    lines.append((12, format_date(details["as_of_date"], "zh-CN")))
    return _pdf(lines, title="催账函")


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


def evidence_pack(
    *,
    case: DunningCase,
    customer_name: str | None,
    items: Sequence[DunningCaseItem],
    actions: Sequence[DunningAction],
    letters: Sequence[tuple[str, bytes]],
) -> bytes:
    """A zip: the statement PDF, invoices.csv, actions.csv and every letter sent."""
    invoices = io.StringIO()
    writer = SafeWriter(invoices)
    writer.writerow(["invoice_id", "number", "amount_due", "currency", "due_date", "days_overdue", "status", "closure"])
    for i in items:
        writer.writerow(
            [
                i.invoice_id,
                i.invoice_number,
                i.amount_due,
                i.currency,
                i.due_date,
                i.days_overdue,
                i.status,
                i.closure or "",
            ]
        )
    statement: list[tuple[int, str]] = [(18, "对账单及催收记录"), (12, f"客户：{customer_name or case.customer_id}")]
    statement.append((10, f"案件：{case.id}  币种：{case.currency}  级别：{case.level}"))
    for i in items:
        statement.append(
            (10, f"{i.invoice_number}  {format_money(i.amount_due, i.currency)}  到期 {i.due_date}  {i.status}")
        )
    statement.append((12, "催收记录："))
    for a in actions:
        statement.append((9, f"{a.created_at:%Y-%m-%d %H:%M}  {a.step}  {a.channel}  {a.status}  {a.outcome or ''}"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
        pack.writestr("statement.pdf", _pdf(statement, title="对账单"))
        pack.writestr("invoices.csv", "\ufeff" + invoices.getvalue())
        pack.writestr("actions.csv", "\ufeff" + actions_csv(actions))
        for name, content in letters:
            pack.writestr(f"letters/{name}", content)
    return buffer.getvalue()


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
