"""The console's words: Chinese punctuation in the zh catalog, one word for an invoice, codes put in words."""

from __future__ import annotations

import re
from pathlib import Path

from console import wording
from console.i18n import MESSAGES, SERVICE_NAMES, Translator
from console.labels import LABELS

TEMPLATES = Path(wording.__file__).parent / "templates"
CJK = r"[\u3400-\u9fff]"


def zh_texts() -> list[tuple[str, str]]:
    texts = [(key, zh) for key, (zh, _) in MESSAGES.items()]
    texts += [(f"service:{key}", zh) for key, (zh, _) in SERVICE_NAMES.items()]
    texts += [(f"{group}:{code}", zh) for group, codes in LABELS.items() for code, (zh, _) in codes.items()]
    return texts


def test_no_chinese_text_has_a_half_width_colon_comma_or_semicolon_after_a_chinese_character() -> None:
    wrong = [(key, zh) for key, zh in zh_texts() if re.search(CJK + r"\s*[:,;?!]", zh)]
    assert wrong == []


def test_no_chinese_text_has_half_width_brackets_around_chinese() -> None:
    wrong = [(key, zh) for key, zh in zh_texts() if re.search(r"\([^)]*" + CJK, zh)]
    assert wrong == []


def test_no_template_puts_a_half_width_colon_after_a_label() -> None:
    """A label's colon is t.colon (：in Chinese); `{{ t('x') }}: ` would print a half-width one in zh."""
    wrong = [
        f"{path.name}: {line.strip()[:80]}"
        for path in TEMPLATES.glob("*.html")
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.search(r"\}\}: |\}\}:<", line)
    ]
    assert wrong == []


def test_an_invoice_is_a_zhangdan_as_invoicing_calls_it_in_its_pdf_and_page() -> None:
    assert [(key, zh) for key, zh in zh_texts() if "发票" in zh] == []
    assert Translator("zh-CN")("invoice_number") == "账单编号"  # invoicing's PDF: 账单编号


def test_a_label_in_each_language_and_an_unknown_code_as_it_came() -> None:
    zh, en = Translator("zh-CN"), Translator("en")
    assert (zh.label("step", "sms_reminder"), en.label("step", "sms_reminder")) == ("短信提醒", "SMS reminder")
    assert zh.label("delivery", "skipped") == "未发送（无联系人）"
    assert zh.label("score_reason", "MAX_DAYS_PAST_DUE") == "当前最长逾期天数"
    assert zh.label("step", "our_own_step") == "our_own_step"
    assert zh.label("no_such_group", "x") == "x"
    assert zh.label("step", None) == "—"
    assert (zh.colon, en.colon) == ("：", ": ")


def test_dunnings_step_codes_inside_a_worklist_reason_are_put_in_words() -> None:
    due = {
        "code": "step_due",
        "text": "The ladder's next step, sms_reminder (sms), is due.",
        "text_zh": "催收流程的下一步 sms_reminder（sms）已到期。",
    }
    assert wording.reason_text(due, "zh-CN") == "催收流程的下一步“短信提醒”已到期。"
    assert wording.reason_text(due, "en") == "The ladder's next step, SMS reminder, is due."
    soon = {
        "code": "step_soon",
        "text": "The ladder's next step, pre_due_reminder (email), comes in 3 days (2026-03-01).",
        "text_zh": "催收流程的下一步 pre_due_reminder（email）将于 3 天后（2026年3月1日）进行。",
    }
    assert wording.reason_text(soon, "zh-CN") == "催收流程的下一步“到期前提醒”（邮件）将于 3 天后（2026年3月1日）进行。"
    own = {"text": "x", "text_zh": "催收流程的下一步 call_the_boss（fax）已到期。"}
    assert wording.reason_text(own, "zh-CN") == own["text_zh"]  # a policy's own step, as it is named
    assert wording.reason_text({"text": "only English"}, "zh-CN") == "only English"


def test_reconciliations_balance_warning_is_said_in_chinese_from_its_figures() -> None:
    warning = {
        "code": "balance_mismatch",
        "detail": "opening 0.00 + entries -45.59 = -45.59, but the closing balance is 3.47",
    }
    assert wording.warning_detail(warning, "zh-CN") == (
        "期初余额 0.00 加本期发生额 -45.59 应为 -45.59，但对账单的期末余额为 3.47"
    )
    assert wording.warning_detail(warning, "en") == warning["detail"]
    gap = {"code": "sequence_gap", "detail": "sequence 7 follows 4: 2 statement(s) missing"}
    assert wording.warning_detail(gap, "zh-CN") == "对账单序号 7 紧接在 4 之后，中间缺少 2 份对账单"
    changed = {"code": "balance_mismatch", "detail": "the balances differ by 3.47"}
    assert wording.warning_detail(changed, "zh-CN") == changed["detail"]  # unread: shown as written


def test_a_services_bilingual_reason_shows_the_persons_half_and_a_persons_own_reason_whole() -> None:
    both = "payment plan of 1,000.00 CNY in 3 instalments to 2026-06-30 / 分期还款 1,000.00 CNY，共 3 期，至 2026-06-30"
    assert wording.bilingual_half(both, "zh-CN") == "分期还款 1,000.00 CNY，共 3 期，至 2026-06-30"
    assert wording.bilingual_half(both, "en") == "payment plan of 1,000.00 CNY in 3 instalments to 2026-06-30"
    assert wording.bilingual_half("客户已破产清算", "en") == "客户已破产清算"
    assert wording.bilingual_half("either / or", "zh-CN") == "either / or"
    assert wording.bilingual_half(None, "zh-CN") == ""
    mixed = "manual limit 250,000.00 CNY: 战略客户 / 人工额度 250,000.00 CNY：战略客户"  # the person's words in both
    assert wording.bilingual_half(mixed, "zh-CN") == "人工额度 250,000.00 CNY：战略客户"
    assert wording.bilingual_half(mixed, "en") == "manual limit 250,000.00 CNY: 战略客户"
    assert wording.bilingual_half("客户说 / 下月付", "en") == "客户说 / 下月付"


def test_a_worklist_reason_with_dunnings_step_fields_is_put_in_words_from_them() -> None:
    due = {
        "code": "step_due",
        "step": "formal_letter",
        "channel": "letter",
        "text": "The ladder's next step, formal_letter (letter), is due.",
        "text_zh": "催收流程的下一步 formal_letter（letter）已到期。",
    }
    assert wording.reason_text(due, "zh-CN") == "催收流程的下一步“催款函”（信函）已到期。"
    assert wording.reason_text(due, "en") == "The ladder's next step, Formal letter, is due."
    assert wording.reason_step(due) == ("formal_letter", "letter")
    # an older dunning without the fields: the step read out of the sentence
    older = {k: v for k, v in due.items() if k not in ("step", "channel")}
    assert wording.reason_step(older) == ("formal_letter", "letter")
    assert wording.reason_step({"code": "open_balance", "text": "x (y)"}) is None
    # a policy's own step, as it is named, quoted where the fields say it is a step
    own = {
        "code": "step_due",
        "step": "call_the_boss",
        "channel": "fax",
        "text_zh": "下一步 call_the_boss（fax）已到期。",
    }
    assert wording.reason_text(own, "zh-CN") == "下一步“call_the_boss”（fax）已到期。"


CASE = "01a252de-3a68-70d5-94b3-29ee735fdc6f"


def test_dunnings_refusal_of_a_step_is_its_detail_without_codes_ids_or_utc() -> None:
    changed = {
        "code": "next_step_changed",
        "step": "formal_letter",
        "detail": f"催收案件 {CASE} 的下一步是 formal_letter，而不是 follow_up，请刷新后再试。",
    }
    assert wording.refusal_text(changed, "zh-CN", sent_step="follow_up") == (
        "该案件的下一步是“催款函”，而不是“跟进提醒”，请刷新后再试。"
    )
    gap = {
        "code": "contact_not_allowed",
        "step": "sms_reminder",
        "detail": f"Step sms_reminder (sms) of case {CASE} cannot be sent now: the minimum gap between two "
        "contacts has not passed (not before 2026-03-09T01:00:00+00:00).",
    }
    assert wording.refusal_text(gap, "en") == (
        "Step SMS reminder of the case cannot be sent now: the minimum gap between two contacts has not passed "
        "(not before 2026-03-09 09:00)."
    )
    none = {"code": "no_next_step", "detail": f"催收案件 {CASE} 没有适用的催收阶梯（customer_unknown）。"}
    assert wording.refusal_text(none, "zh-CN") == "该案件没有适用的催收阶梯（客户资料未同步）。"
    approval = {
        "code": "step_needs_approval",
        "step": "legal_handover",
        "detail": f"The next step of case {CASE} is legal_handover, a legal handover a second person approves: "
        f"its approval {CASE} is pending (GET /approvals/{CASE}).",
    }
    said = wording.refusal_text(approval, "en")
    assert said.startswith("The next step of the case is Legal handover,") and CASE not in said
    assert "GET" not in said and "legal_handover" not in said


def test_reconciliations_own_chinese_is_used_and_an_older_answer_still_read() -> None:
    warning = {
        "code": "balance_mismatch",
        "detail": "opening 0.00 + entries -45.59 = -45.59, but the closing balance is 3.47",
        "detail_zh": "期初余额 0.00 加本期发生额 -45.59 应为 -45.59（对账单自述）",
    }
    assert wording.warning_detail(warning, "zh-CN") == warning["detail_zh"]
    assert wording.warning_detail(warning, "en") == warning["detail"]
    failed = {"error": "the file is not a camt.053", "error_zh": "文件不是 camt.053 对账单"}
    assert wording.import_error(failed, "zh-CN") == "文件不是 camt.053 对账单"
    assert wording.import_error({"error": "x"}, "zh-CN") == "x"
    suggestion = {
        "reasons": ["old English"],
        "reasons_zh": ["旧中文"],
        "notes": [{"code": "reference_named", "text": "names INV-1", "text_zh": "附言写明 INV-1"}],
    }
    assert wording.match_sentences(suggestion, "zh-CN") == ["附言写明 INV-1"]
    assert wording.match_sentences(suggestion, "en") == ["names INV-1"]
    older = {"reasons": ["old English"], "reasons_zh": ["旧中文"]}
    assert wording.match_sentences(older, "zh-CN") == ["旧中文"]
    assert wording.match_sentences({"reasons": ["only English"]}, "zh-CN") == ["only English"]
