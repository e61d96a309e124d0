"""What an approval notice says, in Chinese with English below (pure: no I/O, no clock).

People have no language of their own in arflow yet, so every notice is bilingual, zh-CN first. Amounts are
written as the finance team writes them (CNY 150,000.00: the currency's decimals, half-up, thousands
separated: arflow.documents.amounts); instants in the firm's time zone (Asia/Shanghai).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from html import escape
from urllib.parse import urlencode, urlsplit, urlunsplit
from uuid import UUID
from zoneinfo import ZoneInfo

from arflow.clock import DEFAULT_TIME_ZONE
from arflow.documents.amounts import amount as format_amount

LANGUAGE = "zh-CN"  # Content-Language of a bilingual notice is "zh-CN, en"
FIRM_ZONE = ZoneInfo(DEFAULT_TIME_ZONE)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SERVICES = {
    "invoicing": ("开票", "invoicing"),
    "reconciliation": ("对账", "reconciliation"),
    "dunning": ("催收", "dunning"),
    "credit-scoring": ("信用评估", "credit scoring"),
    "people": ("人员", "people"),
}
SUBJECTS = {
    "invoice": ("账单", "invoice"),
    "credit_limit": ("客户信用额度", "customer's credit limit"),
    "dunning_case": ("催收案件", "dunning case"),
    "customer": ("客户", "customer"),
    "payment": ("收款", "payment"),
}


@dataclass(frozen=True)
class Name:
    """Someone as a notice names them: a person's display name with their account, or an integration's key."""

    actor: str
    display_name: str | None = None

    def __str__(self) -> str:
        return f"{self.display_name}（{self.actor}）" if self.display_name else self.actor

    def english(self) -> str:
        return f"{self.display_name} ({self.actor})" if self.display_name else self.actor


@dataclass(frozen=True)
class Asked:
    """What was asked for, as the approval was heard."""

    approval_id: UUID
    service: str
    action: str
    title_zh: str
    title_en: str
    subject_type: str
    subject_id: str
    amount: Decimal | None
    currency: str | None
    reason: str | None
    requested_by: Name
    requested_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Decision:
    status: str  # approved | rejected
    decided_by: Name
    decided_at: datetime
    comment: str | None


@dataclass(frozen=True)
class Wording:
    subject: str
    text: str
    html: str


def inbox_link(inbox_url: str, approval_id: UUID) -> str:
    """The console's approvals inbox, opened at this approval."""
    parts = urlsplit(inbox_url)
    query = "&".join(q for q in (parts.query, urlencode({"approval": str(approval_id)})) if q)
    return urlunsplit(parts._replace(query=query))


def money(asked: Asked) -> str | None:
    if asked.amount is None or not asked.currency:
        return None
    return f"{asked.currency} {format_amount(asked.amount, asked.currency)}"


def when_zh(instant: datetime) -> str:
    local = instant.astimezone(FIRM_ZONE)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}（北京时间）"


def when_en(instant: datetime) -> str:
    local = instant.astimezone(FIRM_ZONE)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} {local:%H:%M} (Beijing time)"


def _facts(asked: Asked) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    service_zh, service_en = SERVICES.get(asked.service, (asked.service, asked.service))
    object_zh, object_en = SUBJECTS.get(asked.subject_type, (asked.subject_type, asked.subject_type))
    figure = money(asked)
    zh = [
        ("操作", f"{asked.title_zh}（{service_zh}服务，{asked.action}）"),
        ("对象", f"{object_zh} {asked.subject_id}"),
        ("金额", figure or "无金额"),
        ("申请人", str(asked.requested_by)),
        ("事由", asked.reason or "（未填写）"),
        ("申请时间", when_zh(asked.requested_at)),
        ("审批期限", when_zh(asked.expires_at)),
    ]
    en = [
        ("Action", f"{asked.title_en} ({service_en}, {asked.action})"),
        ("Object", f"{object_en} {asked.subject_id}"),
        ("Amount", figure or "no amount"),
        ("Requested by", asked.requested_by.english()),
        ("Reason", asked.reason or "(none given)"),
        ("Requested at", when_en(asked.requested_at)),
        ("Decide by", when_en(asked.expires_at)),
    ]
    return zh, en


def _text_table(rows: list[tuple[str, str]]) -> str:
    return "\n".join(f"  {label}：{value}" if _is_zh(label) else f"  {label}: {value}" for label, value in rows)


def _is_zh(label: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in label)


def _html_table(rows: list[tuple[str, str]]) -> str:
    cells = "".join(
        f'<tr><th style="text-align:left;padding:4px 16px 4px 0;color:#555;font-weight:normal;white-space:nowrap">'
        f'{escape(label)}</th><td style="padding:4px 0">{escape(value)}</td></tr>'
        for label, value in rows
    )
    return f'<table style="border-collapse:collapse;margin:8px 0 16px">{cells}</table>'


@dataclass(frozen=True)
class Part:
    """One language's part of the HTML: paragraphs before the facts, the facts, the button, paragraphs after."""

    lang: str
    before: list[str]
    rows: list[tuple[str, str]]
    button: str
    after: list[str]


def _html(parts: list[Part], link: str) -> str:
    def block(part: Part) -> str:
        before = "".join(f"<p>{escape(p)}</p>" for p in part.before)
        after = "".join(f'<p style="color:#555">{escape(p)}</p>' for p in part.after)
        return (
            f'<div lang="{part.lang}">{before}{_html_table(part.rows)}'
            f'<p><a href="{escape(link, quote=True)}" style="display:inline-block;padding:8px 16px;background:#1f6feb;'
            f'color:#fff;text-decoration:none;border-radius:4px">{escape(part.button)}</a></p>{after}</div>'
        )

    rule = '<hr style="border:none;border-top:1px solid #ddd;margin:24px 0">'
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"></head>'
        "<body style=\"font-family:-apple-system,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif;"
        'font-size:14px;line-height:1.6;color:#222;max-width:640px">'
        + rule.join(block(part) for part in parts)
        + "</body></html>"
    )


def request_notice(asked: Asked, *, approver: str, inbox_url: str) -> Wording:
    """To an approver: what waits for them, and where to decide it."""
    zh_rows, en_rows = _facts(asked)
    link = inbox_link(inbox_url, asked.approval_id)
    figure = money(asked)
    subject = f"待审批：{asked.title_zh}" + (f" {figure}" if figure else "") + f" / Approval needed: {asked.title_en}"
    zh = [
        f"{approver}，您好：{asked.requested_by} 提交了一项需要第二人审批的操作，您可以审批：",
        f"请在审批收件箱中批准或驳回：{link}",
        f"期限前无人审批，申请即过期；申请人不能审批自己的申请。审批编号：{asked.approval_id}",
    ]
    en = [
        f"Hello {approver}, {asked.requested_by.english()} asked for an action that waits for a second person, "
        "and you may decide it:",
        f"Approve or reject it in the approvals inbox: {link}",
        f"A request nobody decides in time expires; nobody approves their own request. Approval {asked.approval_id}",
    ]
    text = "\n\n".join([zh[0], _text_table(zh_rows), *zh[1:], "—" * 20, en[0], _text_table(en_rows), *en[1:]])
    html = _html(
        [
            Part("zh-CN", zh[:1], zh_rows, "打开审批收件箱", zh[2:]),
            Part("en", en[:1], en_rows, "Open the approvals inbox", en[2:]),
        ],
        link,
    )
    return Wording(subject, text + "\n", html)


def decision_notice(asked: Asked, decision: Decision, *, requester: str, inbox_url: str) -> Wording:
    """To the requester: approved (and applied) or rejected, by whom, with their comment."""
    zh_rows, en_rows = _facts(asked)
    link = inbox_link(inbox_url, asked.approval_id)
    approved = decision.status == "approved"
    verdict_zh, verb_zh, verdict_en = ("已批准", "批准", "Approved") if approved else ("已驳回", "驳回", "Rejected")
    figure = money(asked)
    subject = (
        f"{verdict_zh}：{asked.title_zh}" + (f" {figure}" if figure else "") + f" / {verdict_en}: {asked.title_en}"
    )
    comment_zh = f"审批意见：{decision.comment}" if decision.comment else "审批意见：（未填写）"
    comment_en = f"Comment: {decision.comment}" if decision.comment else "Comment: (none given)"
    outcome_zh = "操作已按申请执行。" if approved else "操作未执行，未做任何变更；如仍需要，请重新申请。"
    outcome_en = (
        "The action was applied as you asked it."
        if approved
        else "Nothing was changed; ask again if it is still needed."
    )
    zh = [
        f"{requester}，您好：您的申请已由 {decision.decided_by} 于 {when_zh(decision.decided_at)}{verb_zh}。"
        f"{outcome_zh}",
        comment_zh,
        f"审批记录：{link}",
    ]
    en = [
        f"Hello {requester}, your request was {verdict_en.lower()} by {decision.decided_by.english()} on "
        f"{when_en(decision.decided_at)}. {outcome_en}",
        comment_en,
        f"The approval: {link}",
    ]
    text = "\n\n".join([zh[0], zh[1], _text_table(zh_rows), zh[2], "—" * 20, en[0], en[1], _text_table(en_rows), en[2]])
    html = _html(
        [Part("zh-CN", zh[:2], zh_rows, "查看审批记录", []), Part("en", en[:2], en_rows, "See the approval", [])],
        link,
    )
    return Wording(subject, text + "\n", html)
