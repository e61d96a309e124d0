"""The services' sentences as a person reads them: step codes inside dunning's reasons put in words, the two halves
of a bilingual reason, reconciliation's import warnings and match notes in Chinese, dunning's refusals without codes.

Each works from what the services send: the fields of their own first (a worklist reason's `step` and `channel`,
a warning's `detail_zh`, a note's `text_zh`), else — for an answer of an older service — the sentence with a code
or figures in it; what it cannot read is shown as it came, never an error.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from arflow.clock import DEFAULT_TIME_ZONE
from console.labels import LABELS

# dunning's worklist writes the ladder's next step as `name（channel）` (zh) and `name (channel)` (en).
_STEP_ZH = re.compile(r"(^|[^A-Za-z0-9_]) ?([a-z][a-z0-9_]*)（([a-z_]+)）")
_STEP_EN = re.compile(r"(^|[^A-Za-z0-9_])([a-z][a-z0-9_]*) \(([a-z_]+)\)")
_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


def _label(group: str, code: str, chinese: bool) -> str:
    zh, en = LABELS.get(group, {}).get(code, (code, code))
    return zh if chinese else en


def step_words(step: str, channel: str | None, chinese: bool) -> str:
    """A ladder step and its channel in words: “催款函”（信函）, Formal letter (Letter); the channel left out where the
    step's name says it (短信提醒, not 短信提醒（短信）)."""
    named = _label("step", step, chinese)
    by = _label("channel", channel, chinese) if channel else ""
    if chinese:
        return f"“{named}”" if not by or by.lower() in named.lower() else f"“{named}”（{by}）"
    return named if not by or by.lower() in named.lower() else f"{named} ({by})"


def reason_step(reason: dict[str, Any]) -> tuple[str, str | None] | None:
    """The ladder step (and its channel) a worklist reason is about: dunning's `step` / `channel` fields, else — an
    older dunning's answer — read out of its English sentence; None for a reason about no step."""
    if reason.get("code") not in ("step_due", "step_soon"):
        return None
    if reason.get("step"):
        return str(reason["step"]), (str(reason["channel"]) if reason.get("channel") else None)
    found = _STEP_EN.search(str(reason.get("text") or ""))
    return (found.group(2), found.group(3)) if found else None


def reason_text(reason: dict[str, Any], language: str) -> str:
    """A worklist reason in the person's language, its step and channel codes put in words."""
    chinese = language == "zh-CN"
    said = str((reason.get("text_zh") if chinese else reason.get("text")) or reason.get("text") or "")
    if reason.get("step"):  # the fields say exactly which words of the sentence are the step and its channel
        step, channel = str(reason["step"]), str(reason.get("channel") or "")
        words = step_words(step, channel or None, chinese)
        written = (f" {step}（{channel}）", f"{step}（{channel}）") if chinese else (f"{step} ({channel})",)
        for form in written:
            if form in said:
                return said.replace(form, words, 1)
        return said
    pattern = _STEP_ZH if chinese else _STEP_EN

    def named(found: re.Match[str]) -> str:
        before, step, channel = found.group(1), found.group(2), found.group(3)
        if step not in LABELS["step"] and channel not in LABELS["channel"]:
            return found.group(0)
        return before + step_words(step, channel, chinese)

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
    """An import warning's detail in the person's language: reconciliation's own `detail_zh` on a Chinese page; from
    a reconciliation that sends English only, its figures read out into a Chinese sentence (what does not parse is
    shown as reconciliation wrote it)."""
    detail = str(warning.get("detail") or "")
    if language != "zh-CN":
        return detail
    if warning.get("detail_zh"):
        return str(warning["detail_zh"])
    if not detail:
        return detail
    known = _DETAILS.get(str(warning.get("code")))
    found = known[0].search(detail) if known else None
    if known is None or found is None:
        return detail
    figures = {k: _money(v) if k in _AMOUNTS else v for k, v in found.groupdict().items()}
    return known[1].format(**figures)


def import_error(record: dict[str, Any], language: str) -> str:
    """A failed import's error in the person's language (`error_zh` beside reconciliation's English)."""
    if language == "zh-CN" and record.get("error_zh"):
        return str(record["error_zh"])
    return str(record.get("error") or "")


def match_sentences(suggestion: dict[str, Any], language: str) -> list[str]:
    """Why reconciliation suggests a match, in the person's language: its `notes` (`text` / `text_zh`), else — an
    older reconciliation's answer — the `reasons` / `reasons_zh` sentences."""
    chinese = language == "zh-CN"
    notes = [n for n in suggestion.get("notes") or [] if isinstance(n, dict)]
    if notes:
        return [str((n.get("text_zh") if chinese else None) or n.get("text") or "") for n in notes]
    if chinese and suggestion.get("reasons_zh"):
        return [str(r) for r in suggestion["reasons_zh"]]
    return [str(r) for r in suggestion.get("reasons") or []]


_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})")
_CODE = re.compile(r"(?<![A-Za-z0-9_:/“])([a-z][a-z0-9]*(?:[_-][a-z0-9]+)+)(?![A-Za-z0-9_”])")


def _local(instant: str) -> str:
    moment = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(DEFAULT_TIME_ZONE)).strftime("%Y-%m-%d %H:%M")


def refusal_text(problem: dict[str, Any], language: str, *, sent_step: str | None = None) -> str:
    """dunning's refusal of a step (its problem's detail, already in the caller's language) as a person reads it:
    the step and channel codes and the reason codes in words, the case's and the approval's ids left out (the page
    is the case's own), instants in the firm's local time."""
    chinese = language == "zh-CN"
    text = str(problem.get("detail") or "")
    text = re.sub(r" ?\(GET /approvals/[^)]*\)", "", text)
    if chinese:
        text = re.sub(rf"催收案件 ?{_UUID} ?", "该案件", text)
        text = re.sub(rf" ?{_UUID} ?", "", text)
    else:
        text = re.sub(rf"\bCase {_UUID}", "The case", text)
        text = re.sub(rf"\bcase {_UUID}", "the case", text)
        text = re.sub(rf" ?{_UUID}", "", text)
    text = _INSTANT.sub(lambda found: _local(found.group(0)), text)
    steps = set(LABELS["step"]) | {str(s) for s in (problem.get("step"), sent_step) if s}
    spaced = r"\s?" if chinese else ""
    with_channel = (
        re.compile(spaced + r"([a-z][a-z0-9_]*)（([a-z_]+)）\s?")
        if chinese
        else re.compile(r"(?<![A-Za-z0-9_])([a-z][a-z0-9_]*) \(([a-z_]+)\)")
    )
    text = with_channel.sub(
        lambda f: step_words(f.group(1), f.group(2), chinese) if f.group(1) in steps else f.group(0), text
    )
    for step in sorted(steps, key=len, reverse=True):
        alone = rf"{spaced}(?<![A-Za-z0-9_“]){re.escape(step)}(?![A-Za-z0-9_”]){spaced}"
        # the words as a literal replacement (a backslash in them must not read as a group)
        text = re.sub(alone, step_words(step, None, chinese).replace("\\", "\\\\"), text)

    def other(found: re.Match[str]) -> str:
        code = found.group(1)
        for group in ("blocked", "policy", "channel"):
            if code in LABELS.get(group, {}):
                return _label(group, code, chinese)
        return code

    return _CODE.sub(other, text)
