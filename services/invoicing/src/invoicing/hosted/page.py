"""The hosted invoice page as HTML: Jinja2 templates (autoescaped), zh-CN unless the reader asks for English.

No script at all, and the one stylesheet is inline with its SHA-256 in the Content-Security-Policy, so
the policy allows nothing else: no script, no other style, no frame, no form posting elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from arflow.documents.amounts import amount_in_words, plain_number
from arflow.documents.creditor import Creditor
from arflow.money import to_minor_units
from invoicing.hosted.checkout import SCANNED, AmountRefused, CheckoutOrder, part_allowed
from invoicing.hosted.formats import local_time, money
from invoicing.invoices.schemas import InvoiceOut
from invoicing.reports.labels import labels

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("zh-CN", "en")

PAGE_LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "lang_switch": "English",
        "from": "开票方",
        "status": "状态",
        "status.open": "待付款",
        "status.paid": "已付清",
        "status.uncollectible": "待付款",
        "overdue": "已逾期",
        "download_pdf": "下载 PDF 账单",
        "receipt": "已于 {date} 收到全部款项 {amount}，谢谢！",
        "bank_transfer": "银行转账",
        "not_found_title": "链接无效或已过期",
        "not_found_body": "此账单链接无效、已过期或已停用。如链接已过期，请输入贵公司在我方登记的电子邮箱，"
        "我们会将新的链接发送至该邮箱。",
        "email": "电子邮箱",
        "renew": "发送新链接",
        "renew_sent_title": "已收到您的请求",
        "renew_sent_body": "如该邮箱与账单登记的邮箱一致，新的链接将发送至该邮箱。",
        "too_many_title": "请求过于频繁",
        "too_many_body": "请稍后再试。",
        "lines": "账单明细",
        "expires": "本链接有效期至 {date}",
        "pay_online": "在线付款",
        "method.alipay_precreate": "支付宝扫码付款",
        "method.alipay_page_pay": "支付宝网页付款",
        "method.wechat_native": "微信支付扫码付款",
        "method.stripe_checkout": "银行卡付款（Stripe）",
        "scan.alipay_precreate": "请打开支付宝，扫一扫下方二维码付款",
        "scan.wechat_native": "请打开微信，扫一扫下方二维码付款",
        "open.alipay_precreate": "在支付宝中打开",
        "go.alipay_page_pay": "前往支付宝付款",
        "go.stripe_checkout": "前往银行卡付款页面",
        "waiting": "付款完成后，本页会自动显示付款结果。",
        "back": "返回账单",
        "order_expires": "本次付款订单有效至 {time}",
        "checkout_unavailable": "暂时无法使用该支付方式，请稍后再试，或通过银行转账付款。",
        "pay_rest": "支付余款",
        "partly_paid": "已付 {paid}，尚欠 {balance}。",
        "pay_amount": "本次付款金额",
        "pay_amount_hint": "可分次付款：每次至少 {minimum}，最多为未付余额 {balance}。",
        "amount_invalid": "请输入付款金额，例如 {example}。",
        "amount_cents": "付款金额最多精确到分（两位小数）。",
        "amount_below": "每次付款至少 {minimum}（或一次付清余额）。",
        "amount_above": "付款金额不能超过未付余额 {balance}。",
    },
    "en": {
        "lang_switch": "中文",
        "from": "From",
        "status": "Status",
        "status.open": "Open",
        "status.paid": "Paid",
        "status.uncollectible": "Open",
        "overdue": "Overdue",
        "download_pdf": "Download the invoice (PDF)",
        "receipt": "Paid in full on {date}: {amount}. Thank you!",
        "bank_transfer": "Bank transfer",
        "not_found_title": "This link does not work",
        "not_found_body": "This invoice link is unknown, expired or no longer in use. If it has expired, enter the "
        "email address we have on file for your company and we will send a new link to it.",
        "email": "Email",
        "renew": "Send a new link",
        "renew_sent_title": "Request received",
        "renew_sent_body": "If the address is the one on file for the invoice, a new link will be sent to it.",
        "too_many_title": "Too many requests",
        "too_many_body": "Please try again later.",
        "lines": "Lines",
        "expires": "This link works until {date}",
        "pay_online": "Pay online",
        "method.alipay_precreate": "Alipay: scan a QR code",
        "method.alipay_page_pay": "Alipay: web cashier",
        "method.wechat_native": "WeChat Pay: scan a QR code",
        "method.stripe_checkout": "Card (Stripe)",
        "scan.alipay_precreate": "Open Alipay and scan the code below to pay",
        "scan.wechat_native": "Open WeChat and scan the code below to pay",
        "open.alipay_precreate": "Open in Alipay",
        "go.alipay_page_pay": "Continue to Alipay",
        "go.stripe_checkout": "Continue to the card payment page",
        "waiting": "Once you have paid, this page shows the result by itself.",
        "back": "Back to the invoice",
        "order_expires": "This payment order is open until {time}",
        "checkout_unavailable": "This way of paying is unavailable just now: please try again later, or pay by "
        "bank transfer.",
        "pay_rest": "Pay the rest",
        "partly_paid": "Paid so far: {paid}. Still open: {balance}.",
        "pay_amount": "Amount to pay now",
        "pay_amount_hint": "You may pay in parts: at least {minimum} at a time, at most the open {balance}.",
        "amount_invalid": "Enter the amount to pay, e.g. {example}.",
        "amount_cents": "The amount can have at most two decimals (to the cent).",
        "amount_below": "A part payment must be at least {minimum} (or pay the whole balance).",
        "amount_above": "The amount cannot be more than the open balance of {balance}.",
    },
}

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
STYLESHEET = (TEMPLATES / "page.css").read_text(encoding="utf-8")
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLESHEET.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
}


def page_language(query: str | None, accept_language: str | None) -> str:
    """?lang= wins, then the first language of Accept-Language we have; zh-CN by default."""
    if query in LANGUAGES:
        return query
    if query and query.lower().startswith("en"):
        return "en"
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return "zh-CN"


@dataclass(frozen=True)
class PageContext:
    invoice: InvoiceOut
    customer_name: str
    creditor: Creditor
    overdue: bool
    expires_on: str
    time_zone: str  # the customer's: every time the page shows is in it, and says so


def _common(language: str) -> dict[str, Any]:
    return {
        "language": language,
        "t": {**labels(language), **PAGE_LABELS[language]},
        "stylesheet": STYLESHEET,
        "other_language": "en" if language == "zh-CN" else "zh-CN",
    }


def typed_amount(value: Decimal, currency: str) -> str:
    """An amount as the customer types it into the form: 1294.50 (no separators, the currency's decimals)."""
    return format(to_minor_units(value, currency), "f")


@dataclass(frozen=True)
class PartForm:
    """The pay form's amount field (when the creditor allows part payments): what it shows, and why not taken."""

    minimum: Decimal
    typed: str | None = None  # what the customer typed, shown again with the refusal
    refused: AmountRefused | None = None


def invoice_page(
    page: PageContext,
    *,
    language: str,
    token: str,
    methods: Sequence[str] = (),
    unavailable: bool = False,
    part: PartForm | None = None,
) -> str:
    """The invoice as its customer sees it at its link (with an amount to pay when `part` allows a part)."""
    invoice, c = page.invoice, page.invoice.currency
    t = {**labels(language), **PAGE_LABELS[language]}
    here = "." if part is not None and part.refused is not None else token  # /i/<token>/pay answers the refusal

    def shown(value: Decimal) -> str:
        return money(value, c, language)

    partly_paid = None
    if invoice.status != "paid" and invoice.amount_paid > 0 and invoice.balance > 0:
        partly_paid = t["partly_paid"].format(paid=shown(invoice.amount_paid), balance=shown(invoice.balance))
    amount_field = None
    if part is not None and invoice.status == "open" and part_allowed(part.minimum, invoice.balance):
        error = None
        if part.refused is not None:
            values = {name: shown(value) for name, value in part.refused.values.items()}
            error = t[part.refused.key].format(example=typed_amount(invoice.balance, c), **values)
        amount_field = {
            "value": part.typed if part.typed is not None else typed_amount(invoice.balance, c),
            "hint": t["pay_amount_hint"].format(minimum=shown(part.minimum), balance=shown(invoice.balance)),
            "error": error,
        }
    if invoice.payment_reference:
        instruction = t["pay_by"].format(date=invoice.due_date, reference=invoice.payment_reference)
    else:
        instruction = t["pay_by_no_reference"].format(date=invoice.due_date)
    receipt = None
    if invoice.status == "paid" and invoice.paid_on is not None:
        receipt = t["receipt"].format(date=invoice.paid_on, amount=money(invoice.total, c, language))
    return _env.get_template("invoice.html").render(
        **_common(language),
        invoice=invoice,
        customer_name=page.customer_name,
        creditor=page.creditor,
        overdue=page.overdue,
        money=lambda value: money(value, c, language),
        words=lambda value: amount_in_words(value, c),
        number=plain_number,
        # Relative to /i/<token> (the page never names its host), or to /i/<token>/pay when the form came back.
        pdf_href=f"{here}/pdf?lang={language}",
        self_href="" if part is None or part.refused is None else f"../{token}",
        instruction=instruction,
        receipt=receipt,
        expires=t["expires"].format(date=page.expires_on),
        methods=methods if invoice.status == "open" and invoice.balance > 0 else (),
        pay_action=f"{here}/pay?lang={language}#pay-online",
        unavailable=unavailable,
        partly_paid=partly_paid,
        amount_field=amount_field,
    )


def pay_page(page: PageContext, order: CheckoutOrder, *, language: str, token: str) -> str:
    """What the customer pays with: a QR code to scan (or open in the app), or the gateway's page to go to.

    It refreshes itself (no script: a meta refresh) until the invoice is paid, then its link shows the receipt.
    """
    t = {**labels(language), **PAGE_LABELS[language]}
    qr = None
    if order.method in SCANNED:
        # Inline SVG, drawn by attributes (no style): nothing the Content-Security-Policy has to allow.
        qr = segno.make(order.pay_url, error="m", micro=False).svg_inline(scale=6, border=2, title=order.method)
    expires = ""
    if order.expires_at:
        when = datetime.fromisoformat(order.expires_at)
        expires = t["order_expires"].format(time=local_time(when, page.time_zone, language))
    return _env.get_template("pay.html").render(
        **_common(language),
        invoice=page.invoice,
        creditor=page.creditor,
        order=order,
        money=lambda value: money(value, page.invoice.currency, language),
        amount=Decimal(order.amount),
        qr=Markup(qr) if qr else None,
        back_href=f"../../{token}?lang={language}",  # relative to /i/<token>/pay/<method>
        refresh_href=f"{order.method}?lang={language}",
        order_expires=expires,
    )


def not_found_page(*, language: str) -> str:
    """The one answer for every link that does not work, with the form that asks for a new one."""
    return _env.get_template("not_found.html").render(**_common(language), body_key="not_found_body")


def message_page(*, language: str, title_key: str, body_key: str) -> str:
    return _env.get_template("message.html").render(**_common(language), title_key=title_key, body_key=body_key)
