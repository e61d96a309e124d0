"""The console's two languages: zh-CN by default, English when the browser or the switch asks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from arflow.clock import DEFAULT_TIME_ZONE

LANGUAGES = ("zh-CN", "en")
LANGUAGE_COOKIE = "console_lang"

# key: (中文, English)
MESSAGES: dict[str, tuple[str, str]] = {
    "app_name": ("arflow 应收账款控制台", "arflow receivables console"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出登录", "Sign out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "sign_in_intro": ("请用您的 arflow 账号登录。", "Sign in with your arflow account."),
    "signed_in_as": ("当前用户", "Signed in as"),
    "change_password": ("修改密码", "Change password"),
    "change_password_intro": (
        "这是管理员给您的初始密码，请先设置您自己的密码（至少 12 个字符）。",
        "This is the first password you were given: set one of your own first (at least 12 characters).",
    ),
    "current_password": ("当前密码", "Current password"),
    "new_password": ("新密码", "New password"),
    "confirm_password": ("再次输入新密码", "New password again"),
    "passwords_differ": ("两次输入的新密码不一致。", "The two new passwords differ."),
    "save": ("保存", "Save"),
    "worklist": ("今日工作", "Today's work"),
    "approvals": ("审批", "Approvals"),
    "worklist_intro": (
        "按紧急程度排序的待办案件：原因、逾期金额与逾期天数。",
        "Your open cases, most urgent first: why, how much and how many days overdue.",
    ),
    "rank": ("序号", "#"),
    "customer": ("客户", "Customer"),
    "reasons": ("原因", "Reasons"),
    "amount_overdue": ("逾期金额", "Amount overdue"),
    "days_overdue": ("逾期天数", "Days overdue"),
    "level": ("催收阶段", "Level"),
    "action": ("操作", "Action"),
    "hold_case": ("暂停催收", "Hold case"),
    "held": ("已暂停催收", "Case on hold"),
    "hold_reason": ("控制台：催收员暂停，等待客户回复", "Console: held by the collector while the customer answers"),
    "next_page": ("下一页", "Next page"),
    "first_page": ("回到第一页", "First page"),
    "worklist_empty": ("今天没有待办案件。", "Nothing to work on today."),
    "not_a_collector": (
        "您还不是催收员：请管理员在催收服务中为您登记。",
        "You are not a collector yet: ask an administrator to register you in dunning.",
    ),
    "approvals_intro": (
        "各服务中等待您审批的申请。驳回时必须填写意见。",
        "Requests waiting for a decision at every service. A rejection needs a comment.",
    ),
    "service": ("服务", "Service"),
    "request": ("申请", "Request"),
    "amount": ("金额", "Amount"),
    "requested_by": ("申请人", "Requested by"),
    "requested_at": ("申请时间", "Requested at"),
    "reason": ("理由", "Reason"),
    "expires_at": ("到期", "Expires"),
    "comment": ("意见", "Comment"),
    "approve": ("批准", "Approve"),
    "reject": ("驳回", "Reject"),
    "approved": ("已批准", "Approved"),
    "rejected": ("已驳回", "Rejected"),
    "comment_required": ("驳回时必须填写意见。", "A rejection needs a comment."),
    "approvals_empty": ("没有待审批的申请。", "No approvals are waiting."),
    "service_unreachable": ("暂时无法连接以下服务：", "These services could not be reached:"),
    "invalid_credentials": ("用户名或密码错误。", "Wrong username or password."),
    "csrf_failed": (
        "页面已过期或请求来源不可信，请刷新后重试。",
        "The page expired or the request did not come from it: reload and try again.",
    ),
    "session_expired": ("登录已过期，请重新登录。", "Your sign-in has expired: sign in again."),
    "not_found_title": ("找不到页面", "Page not found"),
    "not_found": ("您要找的页面不存在。", "There is no such page."),
    "error_title": ("出错了", "Something went wrong"),
    "error": (
        "控制台出现了意外错误，已记录在日志中。请稍后再试。",
        "The console met an unexpected error; it is in the log. Try again shortly.",
    ),
    "back_home": ("返回首页", "Back to the start"),
    "language": ("语言", "Language"),
    "backend_unavailable": ("服务暂时不可用，请稍后再试。", "A service is unavailable: try again shortly."),
}

SERVICE_NAMES: dict[str, tuple[str, str]] = {
    "invoicing": ("开票", "Invoicing"),
    "reconciliation": ("对账", "Reconciliation"),
    "dunning": ("催收", "Dunning"),
    "credit-scoring": ("信用评分", "Credit scoring"),
    "people": ("人员", "People"),
}


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    """The switch's choice, else the browser's first of zh/en by its q-values, else zh-CN."""
    if cookie in LANGUAGES:
        return cookie
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])  # a q-value is a weight, not money
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in ("zh", "en") and quality > 0:
            ranked.append((-quality, index, "zh-CN" if primary == "zh" else "en"))
    return min(ranked)[2] if ranked else "zh-CN"


class Translator:
    """What a template calls as `t('key')`, plus the formats a person reads."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.chinese = language == "zh-CN"

    def __call__(self, key: str) -> str:
        zh, en = MESSAGES[key]
        return zh if self.chinese else en

    def service(self, name: str) -> str:
        zh, en = SERVICE_NAMES.get(name, (name, name))
        return zh if self.chinese else en

    def money(self, amount: str | None, currency: str | None) -> str:
        """1500.5 CNY -> '1,500.50 CNY' (Decimal all the way; no float)."""
        if amount is None:
            return "—"
        try:
            value = Decimal(amount)
        except InvalidOperation:
            return f"{amount} {currency or ''}".strip()
        return f"{value:,.2f} {currency or ''}".strip()

    def instant(self, value: str | None) -> str:
        """An ISO instant as the firm's local time, minutes shown."""
        if not value:
            return "—"
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(ZoneInfo(DEFAULT_TIME_ZONE))
        return moment.strftime("%Y-%m-%d %H:%M")
