"""The hosted statement page as HTML, in the invoice page's look (its templates' base and stylesheet, its CSP).

Everything on it is drawn from the statement's frozen content, never from the ledger as it stands: what
the customer reads is what the hash the answer carries is of. The page's language only changes the labels.
No script: the dispute form opens in a <details>, and amounts are typed, not computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from arflow.documents.amounts import amount_in_words
from invoicing.hosted.formats import local_time, money
from invoicing.hosted.page import PAGE_LABELS, _common, _env
from invoicing.reports.labels import labels
from invoicing.statements import domain

STATEMENT_LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "statement_from": "对账方",
        "status.issued": "待确认",
        "status.confirmed": "已确认无误",
        "status.disputed": "已提出差异",
        "lines_title": "往来明细",
        "summary_amount": "金额",
        "download_statement_pdf": "下载 PDF 对账单",
        "answer_title": "请确认本对账单",
        "answer_intro": "请核对上述往来明细和期末余额，并由经办人填写姓名和职务后回复。每份对账单只能回复一次。",
        "responder_name": "经办人姓名",
        "responder_title": "职务",
        "confirm": "确认无误",
        "dispute": "有差异",
        "dispute_intro": "请勾选有差异的明细行或期末余额，填写贵公司记录的金额，并说明差异。",
        "line_differs": "此行有差异",
        "your_amount": "贵公司记录的金额",
        "balance_differs": "期末余额有差异",
        "your_balance": "贵公司记录的期末余额",
        "comment": "差异说明",
        "reply_file": "盖章回函（可选；PDF、JPG 或 PNG，不超过 {mb} MB）",
        "submit_dispute": "提交差异",
        "answered.confirmed": "贵公司已于 {time}确认本对账单无误（经办人：{name}）。谢谢！",
        "answered.disputed": "贵公司已于 {time}就本对账单提出差异（经办人：{name}）。我们会尽快核实，并与您联系。",
        "fingerprint": "内容校验码（SHA-256）",
        "statement_not_found_body": "此对账单链接无效、已过期或已停用。如链接已过期，请输入贵公司在我方登记的电子邮箱，"
        "我们会将新的链接发送至该邮箱。",
        "statement_renew_sent_body": "如该邮箱与对账单客户登记的邮箱一致，新的对账单链接将发送至该邮箱。",
        "already_title": "本对账单已回复",
        "already_body": "每份对账单只能回复一次，此前的回复已记录。如需更正，请与我们联系。",
        "invalid_title": "回复未提交",
        "form_expired_body": "此页面已失效（链接可能已更换）。请重新打开对账单链接后再回复。",
        "back_to_statement": "返回对账单",
        "per_currency": "{currency}",
    },
    "en": {
        "statement_from": "From",
        "status.issued": "Awaiting your confirmation",
        "status.confirmed": "Confirmed",
        "status.disputed": "Disputed",
        "lines_title": "Entries",
        "summary_amount": "Amount",
        "download_statement_pdf": "Download the statement (PDF)",
        "answer_title": "Please confirm this statement",
        "answer_intro": "Check the entries and the closing balance above; the person answering gives their name "
        "and title. A statement is answered once.",
        "responder_name": "Your name",
        "responder_title": "Your title",
        "confirm": "Confirm: it is correct",
        "dispute": "Something differs",
        "dispute_intro": "Tick the entries or the closing balance that differ, give the amount in your books, and "
        "say what differs.",
        "line_differs": "This entry differs",
        "your_amount": "Amount in your books",
        "balance_differs": "The closing balance differs",
        "your_balance": "Closing balance in your books",
        "comment": "What differs",
        "reply_file": "Stamped reply (optional; PDF, JPG or PNG, up to {mb} MB)",
        "submit_dispute": "Send the difference",
        "answered.confirmed": "You confirmed this statement on {time}, answered by {name}. Thank you!",
        "answered.disputed": "You disputed this statement on {time}, answered by {name}. We will look into it "
        "and come back to you.",
        "fingerprint": "Content fingerprint (SHA-256)",
        "statement_not_found_body": "This statement link is unknown, expired or no longer in use. If it has "
        "expired, enter the email address we have on file for your company and we will send a new link to it.",
        "statement_renew_sent_body": "If the address is one we have on file for the statement's customer, a new "
        "link to the statement will be sent to it.",
        "already_title": "This statement was already answered",
        "already_body": "A statement is answered once, and your earlier answer is on record. Please contact us "
        "to correct it.",
        "invalid_title": "The answer was not sent",
        "form_expired_body": "This page no longer works (the link may have been replaced). Open the statement's "
        "link again and answer there.",
        "back_to_statement": "Back to the statement",
        "per_currency": "{currency}",
    },
}


def _labels(language: str) -> dict[str, str]:
    return {**labels(language), **PAGE_LABELS[language], **STATEMENT_LABELS[language]}


def _common_statement(language: str) -> dict[str, Any]:
    return {**_common(language), "t": _labels(language)}


@dataclass(frozen=True)
class Answered:
    kind: str
    responder_name: str
    responded_at: datetime


@dataclass(frozen=True)
class StatementView:
    """What the page shows of one statement: its frozen content, state, and the link's form token."""

    content: dict[str, Any]
    content_sha256: str
    status: str
    expires_on: str
    time_zone: str
    form_token: str
    max_reply_mb: int
    answered: Answered | None = None


def _parts(content: dict[str, Any], language: str, t: dict[str, str]) -> list[dict[str, Any]]:
    parts = []
    for part in sorted(content["statement"]["currencies"], key=lambda p: domain.currency_order(p["currency"])):
        code = part["currency"]
        rows = []
        for n, entry in enumerate(part["entries"], start=1):
            debit, credit = Decimal(entry["debit"]), Decimal(entry["credit"])
            rows.append(
                {
                    "key": f"{code}:{n}",
                    "date": entry["entry_date"],
                    "what": t[f"{entry['kind']}.kind"],
                    "number": entry.get("invoice_number") or "",
                    "amount": money(debit - credit, code, language),
                    "balance": money(Decimal(entry["balance"]), code, language),
                }
            )
        parts.append(
            {
                "currency": code,
                "opening": money(Decimal(part["opening_balance"]), code, language),
                "invoiced": money(Decimal(part["invoiced"]), code, language),
                "credited": money(Decimal(part["credited"]), code, language),
                "paid": money(Decimal(part["paid"]), code, language),
                "closing": money(Decimal(part["closing_balance"]), code, language),
                "closing_words": amount_in_words(Decimal(part["closing_balance"]), code),
                "rows": rows,
            }
        )
    return parts


def statement_page(view: StatementView, *, language: str, token: str) -> str:
    """The statement as its customer sees it at its link, with the answer forms while it is unanswered."""
    t = _labels(language)
    content = view.content
    shown = content["statement"]
    answered = None
    if view.answered is not None:
        when = local_time(view.answered.responded_at, view.time_zone, language)
        answered = t[f"answered.{view.answered.kind}"].format(time=when, name=view.answered.responder_name)
    return _env.get_template("statement.html").render(
        **_common_statement(language),
        creditor=content["creditor"],
        customer=content["customer"],
        number=content["number"],
        period=t["period_value"].format(start=shown["period_start"], end=shown["period_end"]),
        period_end=shown["period_end"],
        parts=_parts(content, language, t),
        status=view.status,
        answered=answered,
        content_sha256=view.content_sha256,
        form_token=view.form_token,
        pdf_href=f"{token}/pdf?lang={language}",  # relative to /s/<token>: the page never names its host
        confirm_action=f"{token}/confirm?lang={language}",
        dispute_action=f"{token}/dispute?lang={language}",
        reply_label=t["reply_file"].format(mb=view.max_reply_mb),
        expires=t["expires"].format(date=view.expires_on),
    )


def not_found_page(*, language: str) -> str:
    """The one answer for every statement link that does not work, with the form that asks for a new one."""
    return _env.get_template("not_found.html").render(
        **_common_statement(language), body_key="statement_not_found_body"
    )


def renewal_received_page(*, language: str) -> str:
    """The one answer to a renewal asked for on a dead link, whether or not the address was on file."""
    return _env.get_template("message.html").render(
        **_common_statement(language), title_key="renew_sent_title", body_key="statement_renew_sent_body"
    )


def message_page(*, language: str, title_key: str, body_key: str | None = None, text: str | None = None) -> str:
    """A short page: a title and either a label's text or a message (a problem's Chinese or English detail)."""
    return _env.get_template("statement_message.html").render(
        **_common_statement(language), title_key=title_key, body_key=body_key, text=text
    )
