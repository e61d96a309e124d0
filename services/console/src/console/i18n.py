"""The console's two languages: zh-CN by default, English when the browser or the switch asks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from arflow.clock import DEFAULT_TIME_ZONE
from console import wording
from console.labels import LABELS

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
    # customer 360
    "customer_360": ("客户全景", "Customer 360"),
    "overdue": ("已逾期", "Overdue"),
    "days_short": ("天", "d"),
    "uscc": ("统一社会信用代码", "USCC"),
    "payment_terms": ("账期", "Payment terms"),
    "tags": ("标签", "Tags"),
    "credit_hold": ("信用冻结", "Credit hold"),
    "dunning_excluded": ("不催收", "Excluded from dunning"),
    "archived": ("已归档", "Archived"),
    "contacts": ("联系人", "Contacts"),
    "contact_name": ("姓名", "Name"),
    "contact_role": ("角色", "Role"),
    "email": ("邮箱", "Email"),
    "phone": ("电话", "Phone"),
    "postal_address": ("邮寄地址", "Postal address"),
    "preferred_channel": ("首选渠道", "Preferred channel"),
    "no_contacts": ("没有登记联系人。", "No contacts on file."),
    "balance": ("余额", "Balance"),
    "invoiced": ("已开票", "Invoiced"),
    "applied": ("已收款", "Paid"),
    "credited": ("已冲减", "Credited"),
    "unapplied_credit": ("未核销预收", "Unapplied credit"),
    "invoices": ("账单", "Invoices"),
    "invoice_number": ("账单编号", "Invoice"),
    "invoice_date": ("开票日期", "Invoice date"),
    "due_date": ("到期日", "Due date"),
    "total": ("金额", "Total"),
    "open_balance": ("未收余额", "Balance"),
    "status": ("状态", "Status"),
    "open_pdf": ("PDF", "PDF"),
    "newest_shown": ("仅显示最近 100 条。", "The newest 100 are shown."),
    "no_invoices": ("没有账单。", "No invoices."),
    "payments": ("收款", "Payments"),
    "received_on": ("到账日期", "Received on"),
    "payer": ("付款人", "Payer"),
    "applied_to": ("核销到", "Applied to"),
    "no_payments": ("没有收款记录。", "No payments."),
    "credit_notes": ("红字冲销", "Credit notes"),
    "ledger": ("往来明细", "Ledger"),
    "ledger_period": ("期间", "Period"),
    "entry_date": ("日期", "Date"),
    "entry_kind": ("类型", "Entry"),
    "document": ("单据", "Document"),
    "debit": ("借方", "Debit"),
    "credit": ("贷方", "Credit"),
    "running_balance": ("余额", "Balance"),
    "opening_balance": ("期初余额", "Opening balance"),
    "closing_balance": ("期末余额", "Closing balance"),
    "no_ledger": ("本期没有往来。", "Nothing in the period."),
    "dunning_cases": ("催收案件", "Dunning cases"),
    "case_opened": ("立案时间", "Opened"),
    "collector": ("催收员", "Collector"),
    "policy": ("催收策略", "Policy"),
    "ladder": ("催收阶梯", "Ladder"),
    "step_done": ("已执行", "done"),
    "step_next": ("下一步", "next"),
    "on_hold": ("暂停中", "On hold"),
    "no_cases": ("没有催收案件。", "No dunning cases."),
    "promises": ("承诺付款", "Promises to pay"),
    "promised_date": ("承诺日期", "Promised for"),
    "made_by": ("承诺人", "Made by"),
    "amount_received": ("已收到", "Received"),
    "no_promises": ("没有承诺付款。", "No promises to pay."),
    "disputes": ("争议", "Disputes"),
    "opened_at": ("提出时间", "Opened"),
    "resolution": ("处理结果", "Resolution"),
    "no_disputes": ("没有争议。", "No disputes."),
    "documents": ("催收文书", "Dunning letters"),
    "statements": ("对账单", "Statements of account"),
    "statement_number": ("对账单编号", "Statement"),
    "statement_period": ("对账期间", "Period"),
    "answer_due_on": ("回复期限", "Answer by"),
    "no_statements": ("还没有发出对账单。", "No statement sent yet."),
    "deliveries": ("单据发送记录", "Documents sent"),
    "channel": ("渠道", "Channel"),
    "recipient": ("收件人", "Sent to"),
    "sent_at": ("发送时间", "Sent"),
    "attempts": ("尝试次数", "attempts"),
    "doc_invoice": ("账单", "Invoice"),
    "doc_statement": ("对账单", "Statement"),
    "no_deliveries": ("没有发送记录。", "Nothing sent yet."),
    "ladder_step": ("催收步骤", "Step"),
    "no_limit": ("额度为零", "no limit granted"),
    "document_kind": ("文书", "Document"),
    "created_at": ("生成时间", "Made"),
    "no_documents": ("没有催收文书。", "No dunning letters."),
    "open_tasks": ("待办任务", "Open tasks"),
    "task_kind": ("任务", "Task"),
    "assignee": ("负责人", "Assignee"),
    "credit_file": ("信用档案", "Credit file"),
    "score": ("评分", "Score"),
    "tier": ("等级", "Tier"),
    "payment_index": ("付款指数", "Payment index"),
    "probability_bad": ("违约概率", "Probability of default"),
    "reason_codes": ("主要扣分原因", "Reason codes"),
    "points_lost": ("扣分", "Points lost"),
    "score_history": ("评分历史", "Score history"),
    "scored_at": ("评分时间", "Scored"),
    "trigger": ("触发", "Trigger"),
    "credit_limit": ("信用额度", "Credit limit"),
    "recommended_limit": ("建议额度", "Recommended"),
    "exposure": ("敞口", "Exposure"),
    "utilisation": ("使用率", "Utilisation"),
    "invoices_paid_late": ("逾期付款笔数", "Invoices paid late"),
    "average_dbt": ("平均逾期天数", "Average days beyond terms"),
    "max_days_past_due": ("最长逾期天数", "Longest days past due"),
    "tenure_days": ("合作天数", "Tenure (days)"),
    "no_score": ("尚未评分。", "Not scored yet."),
    "alerts": ("预警", "Alerts"),
    "timeline": ("时间线", "Timeline"),
    "no_events": ("还没有任何事件。", "Nothing has happened yet."),
    "section_unavailable": (
        "以下服务暂时无法访问，相关部分未显示：",
        "These services did not answer; their parts are missing:",
    ),
    "ev_invoice_issued": ("开具账单", "Invoice issued"),
    "ev_invoice_paid": ("账单结清", "Invoice paid"),
    "ev_invoice_voided": ("账单作废", "Invoice voided"),
    "ev_invoice_written_off": ("核销坏账", "Written off"),
    "ev_credit_note": ("红字冲销", "Credit note"),
    "ev_payment_received": ("收到付款", "Payment received"),
    "ev_dispute_opened": ("提出争议", "Dispute opened"),
    "ev_dispute_resolved": ("争议解决", "Dispute resolved"),
    "ev_case_opened": ("催收立案", "Dunning case opened"),
    "ev_case_resolved": ("催收结案", "Dunning case closed"),
    "ev_dunning_step": ("催收步骤", "Dunning step"),
    "ev_promise_made": ("承诺付款", "Promise to pay"),
    "ev_promise_kept": ("承诺已兑现", "Promise kept"),
    "ev_promise_broken": ("承诺未兑现", "Promise broken"),
    "ev_task_done": ("完成任务", "Task done"),
    "ev_document": ("生成文书", "Document made"),
    "ev_score": ("信用评分", "Credit score"),
    "ev_alert": ("信用预警", "Credit alert"),
    # monthly collection plan
    "plan": ("每月催账计划", "Monthly collection plan"),
    "plan_intro": (
        "催收服务为本月排定的每个案件的步骤，以及每位催收员的工作量。",
        "The steps dunning plans for each case this month, and each collector's load.",
    ),
    "plan_collectors": ("催收员工作量", "Collectors' load"),
    "plan_lines": ("案件与计划步骤", "Cases and their planned steps"),
    "cases": ("案件数", "Cases"),
    "planned_steps": ("计划步骤", "Planned steps"),
    "unassigned": ("未分配", "Unassigned"),
    "plan_no_lines": ("本月没有计划中的案件。", "No case is planned this month."),
    "plan_none": ("这个月还没有催账计划。", "There is no plan for this month yet."),
    "plan_draw_up": ("现在制定本月计划", "Draw up this month's plan now"),
    # review queue
    "review": ("待核对", "To review"),
    "review_intro": (
        "对账引擎无法确定归属的收款，附带按置信度排序的建议。Alt+数字 确认对应建议，Alt+A 手动分配，"
        "Alt+S 拆分，Alt+U 上传对账单，Tab 逐条移动。",
        "Payments the matching engine could not place, with its suggestions by confidence. "
        "Alt+number confirms that suggestion, Alt+A allocates by hand, Alt+S splits, Alt+U uploads a statement; "
        "Tab moves through them.",
    ),
    "confirm": ("确认", "Confirm"),
    "confirmed": ("已确认", "Confirmed"),
    "undo": ("撤销", "Undo"),
    "undone": ("已撤销：款项已回到待核对", "Undone: the money is back in the queue"),
    "confidence": ("置信度", "Confidence"),
    "no_suggestion": ("没有建议：请按客户手工核销。", "No suggestion: allocate it by hand."),
    "review_empty": ("没有待核对的收款。", "Nothing to review."),
    # reports
    "reports": ("报表", "Reports"),
    "reports_intro": (
        "应收账龄、DSO 与 CEI 趋势、回款率、坏账、按信用等级的组合以及催收员业绩；每张表都可下载。",
        "Aging, DSO and CEI trend, collection rate, bad debt, the portfolio by tier and each collector's results; "
        "every table downloads.",
    ),
    "as_of": ("截至", "As of"),
    "months": ("月数", "Months"),
    "show": ("查看", "Show"),
    "download_csv": ("下载 CSV", "CSV"),
    "download_xlsx": ("下载 Excel", "Excel"),
    "report_empty": ("暂无数据。", "No figures yet."),
    "report_aging": ("应收账龄", "AR aging"),
    "report_dso_cei": ("DSO 与 CEI 趋势", "DSO and CEI trend"),
    "report_collection": ("回款率", "Collection rate"),
    "report_bad_debt": ("坏账", "Bad debt"),
    "report_portfolio": ("按信用等级的客户组合", "Portfolio by tier"),
    "report_collectors": ("催收员业绩", "Collectors' results"),
    "currency": ("币种", "Currency"),
    "bucket_current": ("未到期", "Current"),
    "bucket_1-30": ("逾期 1-30 天", "1-30 days"),
    "bucket_31-60": ("逾期 31-60 天", "31-60 days"),
    "bucket_61-90": ("逾期 61-90 天", "61-90 days"),
    "bucket_90+": ("逾期 90 天以上", "Over 90 days"),
    "invoice_count": ("账单数", "Invoices"),
    "month": ("月份", "Month"),
    "kpi_dso": ("DSO（天）", "DSO (days)"),
    "kpi_best_possible_dso": ("最佳 DSO（天）", "Best possible DSO (days)"),
    "kpi_average_days_delinquent": ("平均逾期天数", "Average days delinquent"),
    "kpi_cei": ("CEI（%）", "CEI (%)"),
    "kpi_collection_rate": ("回款率（%）", "Collection rate (%)"),
    "kpi_collected": ("收回金额", "Collected"),
    "kpi_credit_sales": ("赊销额", "Credit sales"),
    "kpi_opening_receivables": ("期初应收", "Opening receivables"),
    "kpi_bad_debt_rate": ("坏账率（%）", "Bad-debt rate (%)"),
    "kpi_written_off": ("核销金额", "Written off"),
    "clients": ("客户数", "Clients"),
    "kpi_exposure": ("各等级敞口", "Exposure by tier"),
    "clients_on_hold": ("信用冻结客户", "On credit hold"),
    "display_name": ("姓名", "Name"),
    "cases_worked": ("处理案件", "Cases worked"),
    "contacts_made": ("联系次数", "Contacts"),
    "actions_sent": ("发出催收", "Steps sent"),
    "calls_logged": ("电话记录", "Calls logged"),
    "promises_made": ("承诺付款", "Promises made"),
    "promises_kept": ("兑现承诺", "Promises kept"),
    "amount_collected": ("收回金额", "Collected"),
    # search
    "search": ("搜索", "Search"),
    "search_intro": (
        "按客户名称或统一社会信用代码查找客户，按账单编号或金额（账单总额）查找账单。",
        "Find a customer by name or USCC, an invoice by its number or its amount (the invoice's total).",
    ),
    "search_placeholder": ("客户名称 / 信用代码 / 账单编号 / 金额", "Name / USCC / invoice number / amount"),
    "search_as": ("按此搜索", "Searched as"),
    "kind_name": ("客户名称", "customer name"),
    "kind_uscc": ("统一社会信用代码", "USCC"),
    "kind_invoice_number": ("账单编号", "invoice number"),
    "kind_amount": ("金额", "amount"),
    "search_empty": ("没有找到匹配的客户。", "No customer matches."),
    "search_empty_invoices": ("没有找到匹配的账单。", "No invoice matches."),
    # 待核对: by hand, and statements
    "allocate_by_hand": ("手动分配", "Allocate by hand"),
    "split_payment": ("拆分收款", "Split the payment"),
    "suggested": ("建议", "suggested"),
    "find_customer": ("查找其他客户", "Another customer"),
    "find_customer_placeholder": ("客户名称或统一社会信用代码", "Name or USCC"),
    "choose": ("选择", "Choose"),
    "find": ("查找", "Find"),
    "available": ("可核销", "Open to pay"),
    "give": ("本次核销", "Apply"),
    "allocate": ("确认分配", "Allocate"),
    "allocate_rest": (
        "未分配的部分计为该客户的预收款。",
        "What is not given to an invoice becomes the customer's unapplied credit.",
    ),
    "no_open_items": ("该客户没有可核销的未结账单。", "This customer has no open invoice to pay."),
    "no_candidates": ("没有建议的客户：请按名称或信用代码查找。", "No customer suggested: find one by name or USCC."),
    "not_an_amount": ("金额格式不正确。", "That is not an amount."),
    "split": ("确认拆分", "Split"),
    "add_part": ("再加一行", "Add a part"),
    "split_rule": (
        "各部分金额之和须等于收款金额；每部分按该客户最早到期的账单核销。",
        "The parts must add up to the payment; each pays its customer's oldest invoices first.",
    ),
    "split_done": ("已拆分", "Split"),
    "upload_statement": ("上传对账单", "Upload a statement"),
    "statement_file": ("银行对账单或支付账单文件", "Bank statement or gateway bill"),
    "statement_format": ("格式", "Format"),
    "format_sniffed": ("自动识别", "Recognise it"),
    "upload": ("上传", "Upload"),
    "no_file": ("请选择要上传的文件。", "Choose a file to upload."),
    "file_too_large": (
        "文件超过 20 MB：请通过对账服务的接口直接导入。",
        "The file is over 20 MB: import it through reconciliation's API.",
    ),
    "imported_before": ("该文件已导入过，显示的是那次导入", "this file was imported before: that import"),
    "import_progress": ("导入进度", "Import progress"),
    "lines": ("行", "lines"),
    "booking_date": ("记账日", "Booked"),
    "remittance": ("附言", "Remittance"),
    "more_lines": ("只显示前 200 行。", "The first 200 lines are shown."),
    # working a case (今日工作)
    "case": ("催收案件", "Case"),
    "work_case": ("处理", "Work"),
    "release_case": ("恢复催收", "Release"),
    "released": ("已恢复催收", "Case released"),
    "log_outcome": ("记录结果", "Log the outcome"),
    "outcome": ("结果", "Outcome"),
    "note": ("备注", "Note"),
    "promised_amount": ("承诺金额", "Amount promised"),
    "disputed_invoices": ("有异议的账单（结果为“提出异议”时）", "Disputed invoices (when the outcome is a dispute)"),
    "no_open_tasks": (
        "此案件没有待打的电话或待办的拜访：催收阶梯排到电话或拜访时会生成。",
        "No call or visit to make on this case: the ladder makes one when it reaches that step.",
    ),
    "record_promise": ("记录承诺付款", "Record a promise"),
    "record_dispute": ("登记争议", "Record a dispute"),
    "dispute_by_call": (
        "催收员在记录电话或拜访结果时登记争议（结果选“提出异议”并勾选账单）。",
        "A collector records a dispute with a call's or a visit's outcome (a dispute, naming the invoices).",
    ),
    "disputed": ("有争议，暂停催收", "Disputed: not chased"),
    "held_until": ("暂停至（可不填）", "Hold until (optional)"),
    "next_step_by_tick": (
        "不提前发送时，下一步由每小时运行的催收任务按时执行。",
        "Unless sent now, the next step is taken on its date by the hourly dunning run.",
    ),
    "send_step_now": ("立即发送下一步", "Send the next step now"),
    "send_now": ("立即发送", "Send now"),
    "step_now_reason": ("控制台：催收员提前发送下一步", "Console: the collector sent the next step ahead of its day"),
    "step_sent": ("已发送", "Sent"),
    "step_was_due": ("原定", "was due"),
    "no_step_to_send": ("没有可发送的下一步", "No next step to send"),
    "done_step_sent": ("已提前发送下一步。", "Next step sent."),
    "done_outcome_logged": ("已记录结果。", "Outcome logged."),
    "done_promise_recorded": ("已记录承诺付款，到期前暂停催收。", "Promise recorded: the case waits until its date."),
    "done_dispute_recorded": ("已登记争议，该账单暂停催收。", "Dispute recorded: that invoice is not chased."),
    "done_held": ("已暂停催收。", "Case on hold."),
    "done_released": ("已恢复催收。", "Case released."),
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

    def label(self, group: str, code: str | None) -> str:
        """A service's code (a status, a channel) in words; an unknown code is shown as it came."""
        if not code:
            return "—"
        zh, en = LABELS.get(group, {}).get(code, (code, code))
        return zh if self.chinese else en

    @property
    def colon(self) -> str:
        """The colon after a label: full-width in Chinese text (当前用户：), ": " in English."""
        return "：" if self.chinese else ": "

    def paren(self, text: str) -> str:
        """An aside in brackets: full-width in Chinese text."""
        return f"（{text}）" if self.chinese else f"({text})"

    def step(self, step: str | None, channel: str | None = None) -> str:
        """A ladder step in words, with its channel unless its name says it (短信提醒, not 短信提醒（短信）)."""
        named = self.label("step", step)
        if not channel:
            return named
        by = self.label("channel", channel)
        return named if by.lower() in named.lower() else f"{named}{self.paren(by)}"

    def reason(self, reason: dict[str, Any]) -> str:
        """A worklist reason of dunning's in this language, its step codes in words."""
        return wording.reason_text(reason, self.language)

    def half(self, text: str | None) -> str:
        """This language's half of a service's `english / 中文` sentence (a person's own text whole)."""
        return wording.bilingual_half(text, self.language)

    def warning(self, warning: dict[str, Any]) -> str:
        """An import warning's detail in this language."""
        return wording.warning_detail(warning, self.language)

    def import_error(self, record: dict[str, Any]) -> str:
        """A failed statement import's error in this language."""
        return wording.import_error(record, self.language)

    def why_matched(self, suggestion: dict[str, Any]) -> list[str]:
        """Why reconciliation suggests a match, sentence by sentence, in this language."""
        return wording.match_sentences(suggestion, self.language)

    def money(self, amount: str | None, currency: str | None) -> str:
        """1500.5 CNY -> '1,500.50 CNY' (Decimal all the way; no float)."""
        if amount is None:
            return "—"
        try:
            value = Decimal(amount)
        except InvalidOperation:
            return f"{amount} {currency or ''}".strip()
        return f"{value:,.2f} {currency or ''}".strip()

    def percent(self, ratio: str | None) -> str:
        """A ratio the services send as a decimal string (0.4215) as a percentage, one decimal."""
        if ratio is None:
            return "—"
        try:
            return f"{Decimal(ratio) * 100:.1f}%"
        except InvalidOperation:
            return str(ratio)

    def moment(self, value: datetime) -> str:
        """An aware datetime as the firm's local time, minutes shown."""
        return value.astimezone(ZoneInfo(DEFAULT_TIME_ZONE)).strftime("%Y-%m-%d %H:%M")

    def instant(self, value: str | None) -> str:
        """An ISO instant as the firm's local time, minutes shown."""
        if not value:
            return "—"
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(ZoneInfo(DEFAULT_TIME_ZONE))
        return moment.strftime("%Y-%m-%d %H:%M")
