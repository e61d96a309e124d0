"""A statement import's warnings in English and Chinese, with their figures as fields (statements.notices)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from reconciliation.statements import notices
from reconciliation.statements.parsers import Balance, Statement, StatementLine
from reconciliation.statements.rules import PreviousStatement, integrity_warnings

D = Decimal


def statement(opening: str, closing: str, *amounts: str, sequence: str = "2") -> Statement:
    lines = tuple(
        StatementLine(
            amount=abs(D(a)),
            currency="CNY",
            direction="credit" if D(a) > 0 else "debit",
            booking_date=date(2026, 3, 1),
            value_date=date(2026, 3, 1),
            status="booked",
        )
        for a in amounts
    )
    balances = (
        Balance("opening", D(opening), "CNY", date(2026, 3, 1)),
        Balance("closing", D(closing), "CNY", date(2026, 3, 1)),
    )
    return Statement("S", "ACC", "CNY", sequence, balances=balances, lines=lines)


def test_the_balance_warning_of_the_review_reads_in_chinese_with_its_figures() -> None:
    [warning] = integrity_warnings(statement("0.00", "3.47", "-45.59"), None)
    assert warning["code"] == "balance_mismatch"
    assert warning["detail"] == "opening 0.00 + entries -45.59 = -45.59, but the closing balance is 3.47"
    assert warning["detail_zh"] == "期初余额 0.00 加本期发生额 -45.59 应为 -45.59，但对账单的期末余额为 3.47"
    figures = {k: warning[k] for k in ("currency", "opening_balance", "entries_total", "expected_closing_balance")}
    assert figures == {
        "currency": "CNY",
        "opening_balance": "0.00",
        "entries_total": "-45.59",
        "expected_closing_balance": "-45.59",
    }
    assert (warning["closing_balance"], warning["statement"], warning["account"]) == ("3.47", "S", "ACC")


def test_the_chain_and_the_sequence_warnings_carry_their_figures_in_both_languages() -> None:
    previous = PreviousStatement(sequence="1", closing_balance=D("90.00"), closing_date=date(2026, 2, 28))
    warnings = {
        w["code"]: w for w in integrity_warnings(statement("100.00", "130.00", "30.00", sequence="4"), previous)
    }
    chain, gap = warnings["opening_not_previous_closing"], warnings["sequence_gap"]
    assert (chain["opening_balance"], chain["previous_closing_balance"]) == ("100.00", "90.00")
    assert chain["detail_zh"] == "本期期初余额 100.00 与上一期对账单的期末余额 90.00 不一致"
    assert (gap["sequence_number"], gap["previous_sequence_number"], gap["missing_statements"]) == (4, 1, 2)
    assert gap["detail"] == "sequence 4 follows 1: 2 statement(s) missing"
    assert gap["detail_zh"] == "对账单序号 4 紧接在 1 之后，中间缺少 2 份对账单"


def test_the_other_warnings_have_chinese_and_figures_too() -> None:
    unlinked = notices.reversal_unlinked(count=3)
    assert (unlinked["reversal_lines"], unlinked["detail_zh"]) == (3, "3 笔冲正找不到对应的原收款")
    again = notices.import_requeued(previous_error=notices.IMPORT_FAILED)
    assert again["previous_error_zh"] == notices.IMPORT_FAILED_ZH
    assert again["detail_zh"].startswith("该文件的导入曾失败（导入因内部错误而中止。")
    seen = notices.statement_already_imported(statement="S", sequence="2")
    assert seen["detail_zh"] == "该对账单以前已导入，其交易行按重复跳过"


def test_a_warning_stored_before_detail_zh_gets_it_and_its_figures_when_read() -> None:
    stored = {
        "code": "balance_mismatch",
        "detail": "opening 0.00 + entries -45.59 = -45.59, but the closing balance is 3.47",
        "statement": "S",
    }
    read = notices.localised(stored)
    assert read["detail_zh"] == "期初余额 0.00 加本期发生额 -45.59 应为 -45.59，但对账单的期末余额为 3.47"
    assert (read["opening_balance"], read["closing_balance"], read["statement"]) == ("0.00", "3.47", "S")
    gap = notices.localised({"code": "sequence_gap", "detail": "sequence 4 follows 1: 2 statement(s) missing"})
    assert gap["missing_statements"] == 2
    unknown = {"code": "something_new", "detail": "as it came"}
    assert notices.localised(unknown)["detail_zh"] == "as it came"
    fresh = notices.reversal_unlinked(count=1)
    assert notices.localised(fresh) is fresh


def test_a_failed_import_says_why_in_chinese() -> None:
    assert notices.failure_zh(notices.IMPORT_FAILED) == notices.IMPORT_FAILED_ZH
    assert notices.failure_zh("The statement cannot be read: line 8 (Amt).") == "无法读取对账单：line 8 (Amt)。"
    assert notices.failure_zh(None) is None
