"""The services' sentences as a person reads them: step codes inside dunning's reasons put in words, the two halves
of a bilingual reason, reconciliation's English import warnings in Chinese.

Each works from what the services send today (a sentence with a code or figures in it); what it cannot read is
shown as it came, never an error.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from console.labels import LABELS

# dunning's worklist writes the ladder's next step as `name（channel）` (zh) and `name (channel)` (en).
_STEP_ZH = re.compile(r"(^|[^A-Za-z0-9_]) ?([a-z][a-z0-9_]*)（([a-z_]+)）")
_STEP_EN = re.compile(r"(^|[^A-Za-z0-9_])([a-z][a-z0-9_]*) \(([a-z_]+)\)")
_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


def _label(group: str, code: str, chinese: bool) -> str:
    zh, en = LABELS.get(group, {}).get(code, (code, code))
    return zh if chinese else en


def reason_text(reason: dict[str, Any], language: str) -> str:
    """A worklist reason in the person's language, its step and channel codes put in words."""
    chinese = language == "zh-CN"
    said = str((reason.get("text_zh") if chinese else reason.get("text")) or reason.get("text") or "")
    pattern = _STEP_ZH if chinese else _STEP_EN

    def named(found: re.Match[str]) -> str:
        before, step, channel = found.group(1), found.group(2), found.group(3)
        if step not in LABELS["step"] and channel not in LABELS["channel"]:
            return found.group(0)
        step_words, channel_words = _label("step", step, chinese), _label("channel", channel, chinese)
        if channel_words.lower() in step_words.lower():  # 短信提醒（短信）says it twice
            return f"{before}“{step_words}”" if chinese else f"{before}{step_words}"
        return f"{before}“{step_words}”（{channel_words}）" if chinese else f"{before}{step_words} ({channel_words})"

    return pattern.sub(named, said)


def bilingual_half(text: str | None, language: str) -> str:
    """`english / 中文` (how the services write an approval's reason for both) → the person's half.

    A reason a person typed is one language and has no such split: it is shown whole.
    """
    if not text:
        return ""
    if not re.match(r"[A-Za-z]", text):
        return text
    # the first " / " a Chinese sentence follows (a person's own reason inside may hold either language)
    for found in re.finditer(r" / ", text):
        rest = text[found.end() :]
        if rest and _CJK.match(rest):
            return rest if language == "zh-CN" else text[: found.start()]
    return text


def _money(value: str) -> str:
    try:
        return f"{Decimal(value):,.2f}"
    except InvalidOperation:
        return value


# reconciliation's warning details (statements/rules.py, importing.py), figure by figure.
_DETAILS: dict[str, tuple[re.Pattern[str], str]] = {
    "balance_mismatch": (
        re.compile(
            r"^opening (?P<opening>-?[\d.]+) \+ entries (?P<entries>-?[\d.]+) = (?P<expected>-?[\d.]+), "
            r"but the closing balance is (?P<closing>-?[\d.]+)$"
        ),
        "期初余额 {opening} 加本期发生额 {entries} 应为 {expected}，但对账单的期末余额为 {closing}",
    ),
    "opening_not_previous_closing": (
        re.compile(
            r"^opening balance (?P<opening>-?[\d.]+) differs from the previous statement's "
            r"closing balance (?P<closing>-?[\d.]+)$"
        ),
        "本期期初余额 {opening} 与上一期对账单的期末余额 {closing} 不一致",
    ),
    "sequence_gap": (
        re.compile(r"^sequence (?P<now>\d+) follows (?P<before>\d+): (?P<missing>\d+) statement\(s\) missing$"),
        "对账单序号 {now} 紧接在 {before} 之后，中间缺少 {missing} 份对账单",
    ),
    "reversal_unlinked": (
        re.compile(r"^(?P<count>\d+) reversal line\(s\) name no payment we know$"),
        "{count} 笔冲正找不到对应的原收款",
    ),
    "statement_already_imported": (
        re.compile(r"^this statement was imported before"),
        "该对账单以前已导入，其交易行按重复跳过",
    ),
}
_AMOUNTS = frozenset({"opening", "entries", "expected", "closing"})


def warning_detail(warning: dict[str, Any], language: str) -> str:
    """An import warning's detail in the person's language: the figures reconciliation wrote, in a Chinese sentence
    on a Chinese page (what does not parse is shown as reconciliation wrote it)."""
    detail = str(warning.get("detail") or "")
    if language != "zh-CN" or not detail:
        return detail
    known = _DETAILS.get(str(warning.get("code")))
    found = known[0].search(detail) if known else None
    if known is None or found is None:
        return detail
    figures = {k: _money(v) if k in _AMOUNTS else v for k, v in found.groupdict().items()}
    return known[1].format(**figures)
