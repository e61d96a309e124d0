"""What a statement import warns of, in English and Chinese, with its figures as fields of their own.

Every warning is a dict (stored in `statement_import.warnings`, JSON) with a stable `code`, `detail` (the English
sentence, unchanged from before: clients may read it), `detail_zh` (the same in Chinese) and the figures the
sentences are made of, each a field (amounts as decimal strings, counts as integers), so a client can write its
own sentence in any language. Warnings stored before `detail_zh` existed get it when read (`localised`): their
figures are read back from the English sentence, which this module wrote.

Pure: no I/O.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from arflow.money import to_minor_units

# The English sentence of a failed import that is not the file's fault (importing.failure_of).
IMPORT_FAILED = (
    "The import stopped on an internal error. The lines booked before it are kept; upload the file again "
    "to finish it (nothing is booked twice), or ask an operator, who finds the cause in the service log "
    "(statement_import.failed with this import's id)."
)
IMPORT_FAILED_ZH = (
    "导入因内部错误而中止。此前已入账的交易行予以保留；请重新上传该文件以完成导入（不会重复入账），"
    "或请运维人员在服务日志中按本导入的编号查找 statement_import.failed 记录。"
)
UNREADABLE = "The statement cannot be read: "
UNREADABLE_ZH = "无法读取对账单："


def _amount(value: Decimal, currency: str | None) -> str:
    """A decimal string to the currency's minor unit (a statement's amounts have no more decimals than it, so
    nothing is rounded; the previous closing balance comes back from NUMERIC(19, 4) as 150.0000)."""
    return format(to_minor_units(value, currency) if currency else value, "f")


def balance_mismatch(
    *, currency: str, opening: Decimal, entries: Decimal, closing: Decimal, where: dict[str, Any]
) -> dict[str, Any]:
    """Opening balance + booked entries ≠ closing balance."""
    expected = opening + entries
    figures = {
        "currency": currency,
        "opening_balance": _amount(opening, currency),
        "entries_total": _amount(entries, currency),
        "expected_closing_balance": _amount(expected, currency),
        "closing_balance": _amount(closing, currency),
    }
    return {"code": "balance_mismatch", **_said("balance_mismatch", figures), **figures, **where}


def opening_not_previous_closing(
    *, currency: str | None, opening: Decimal, previous_closing: Decimal, where: dict[str, Any]
) -> dict[str, Any]:
    """The opening balance is not the previous statement's closing balance (a statement missing, or a bank's error)."""
    figures = {
        "currency": currency,
        "opening_balance": _amount(opening, currency),
        "previous_closing_balance": _amount(previous_closing, currency),
    }
    return {
        "code": "opening_not_previous_closing",
        **_said("opening_not_previous_closing", figures),
        **figures,
        **where,
    }


def sequence_gap(*, number: int, previous: int, where: dict[str, Any]) -> dict[str, Any]:
    """The statement's sequence number skips one or more after the previous statement's."""
    figures = {
        "sequence_number": number,
        "previous_sequence_number": previous,
        "missing_statements": number - previous - 1,
    }
    return {"code": "sequence_gap", **_said("sequence_gap", figures), **figures, **where}


def statement_already_imported(*, statement: str | None, sequence: str | None) -> dict[str, Any]:
    """A statement of the file was imported before: its lines are duplicates."""
    return {
        "code": "statement_already_imported",
        **_said("statement_already_imported", {}),
        "statement": statement,
        "sequence": sequence,
    }


def import_requeued(*, previous_error: str | None) -> dict[str, Any]:
    """The file of a failed import uploaded again: the import runs again."""
    figures = {"previous_error": previous_error, "previous_error_zh": failure_zh(previous_error)}
    return {"code": "import_requeued", **_said("import_requeued", figures), **figures}


def reversal_unlinked(*, count: int) -> dict[str, Any]:
    """Reversal lines that name no payment reconciliation knows."""
    figures = {"reversal_lines": count}
    return {"code": "reversal_unlinked", **_said("reversal_unlinked", figures), **figures}


def failure_zh(error: str | None) -> str | None:
    """A failed import's `error` (importing.failure_of) in Chinese; the parser's own words stay as they are."""
    if error is None:
        return None
    if error == IMPORT_FAILED:
        return IMPORT_FAILED_ZH
    if error.startswith(UNREADABLE):
        return UNREADABLE_ZH + error.removeprefix(UNREADABLE).removesuffix(".") + "。"
    return error


# code → (English, Chinese), `{field}` standing for the warning's figures. The English is the sentence warnings
# always had (the console read figures out of it).
_SENTENCES: dict[str, tuple[str, str]] = {
    "balance_mismatch": (
        "opening {opening_balance} + entries {entries_total} = {expected_closing_balance}, "
        "but the closing balance is {closing_balance}",
        "期初余额 {opening_balance} 加本期发生额 {entries_total} 应为 {expected_closing_balance}，"
        "但对账单的期末余额为 {closing_balance}",
    ),
    "opening_not_previous_closing": (
        "opening balance {opening_balance} differs from the previous statement's closing balance "
        "{previous_closing_balance}",
        "本期期初余额 {opening_balance} 与上一期对账单的期末余额 {previous_closing_balance} 不一致",
    ),
    "sequence_gap": (
        "sequence {sequence_number} follows {previous_sequence_number}: {missing_statements} statement(s) missing",
        "对账单序号 {sequence_number} 紧接在 {previous_sequence_number} 之后，中间缺少 {missing_statements} 份对账单",
    ),
    "statement_already_imported": (
        "this statement was imported before; its lines are skipped as duplicates",
        "该对账单以前已导入，其交易行按重复跳过",
    ),
    "import_requeued": (
        "the import of this file failed ({previous_error}); it is queued again, "
        "and lines it booked before are skipped as duplicates",
        "该文件的导入曾失败（{previous_error_zh}）；现已重新排队，此前已入账的交易行按重复跳过",
    ),
    "reversal_unlinked": (
        "{reversal_lines} reversal line(s) name no payment we know",
        "{reversal_lines} 笔冲正找不到对应的原收款",
    ),
}


def _said(code: str, figures: dict[str, Any]) -> dict[str, str]:
    en, zh = _SENTENCES[code]
    return {"detail": en.format(**figures), "detail_zh": zh.format(**figures)}


# Figures read back from the English of a warning stored before detail_zh: the sentences above, as patterns.
_NUMBER = r"-?[\d.]+"
_STORED: dict[str, re.Pattern[str]] = {
    "balance_mismatch": re.compile(
        rf"^opening (?P<opening_balance>{_NUMBER}) \+ entries (?P<entries_total>{_NUMBER}) = "
        rf"(?P<expected_closing_balance>{_NUMBER}), but the closing balance is (?P<closing_balance>{_NUMBER})$"
    ),
    "opening_not_previous_closing": re.compile(
        rf"^opening balance (?P<opening_balance>{_NUMBER}) differs from the previous statement's closing balance "
        rf"(?P<previous_closing_balance>{_NUMBER})$"
    ),
    "sequence_gap": re.compile(
        r"^sequence (?P<sequence_number>\d+) follows (?P<previous_sequence_number>\d+): "
        r"(?P<missing_statements>\d+) statement\(s\) missing$"
    ),
    "statement_already_imported": re.compile(r"^this statement was imported before"),
    "import_requeued": re.compile(r"^the import of this file failed \((?P<previous_error>.*)\); it is queued again"),
    "reversal_unlinked": re.compile(r"^(?P<reversal_lines>\d+) reversal line\(s\) name no payment we know$"),
}
_COUNTS = frozenset({"sequence_number", "previous_sequence_number", "missing_statements", "reversal_lines"})


def localised(warning: dict[str, Any]) -> dict[str, Any]:
    """A stored warning with `detail_zh` and its figures: as stored when it has them, else read from its English."""
    if "detail_zh" in warning:
        return warning
    code, detail = str(warning.get("code")), str(warning.get("detail") or "")
    pattern = _STORED.get(code)
    found = pattern.search(detail) if pattern is not None else None
    if found is None:
        return {**warning, "detail_zh": detail}  # (a warning of a kind this module never wrote: as it came)
    figures: dict[str, Any] = {key: int(value) if key in _COUNTS else value for key, value in found.groupdict().items()}
    if code == "import_requeued":
        figures["previous_error_zh"] = failure_zh(figures["previous_error"])
    return {**warning, **figures, "detail_zh": _SENTENCES[code][1].format(**figures)}
