"""The evidence's sentences: written when read, in English or Chinese, with the values of the moment it was found."""

from __future__ import annotations

from decimal import Decimal

from reconciliation.matching import reasons as why
from reconciliation.matching.engine import Incoming, match

from .test_reconciliation_matching import SETTINGS, portfolio

D = Decimal


def test_a_combination_is_explained_with_the_balances_it_was_found_with() -> None:
    index, items = portfolio()
    decision = match(Incoming(D("1378.00"), "CNY", None, payer_name="杭州云帆科技有限公司"), index, SETTINGS)
    assert decision.best is not None
    index.commit(decision.best.allocations)  # both items are now paid: their balances are 0.00
    assert items["y1"].available == 0
    assert decision.best.reasons == (
        "payer name '杭州云帆科技有限公司' is customer 杭州云帆科技有限公司",
        "amount 1378.00 is the sum of INV-2026-000001 (318.00) + INV-2026-000003 (1060.00)",
    )
    assert why.said(decision.best.evidence, "zh") == (
        "付款人 '杭州云帆科技有限公司' 即客户 杭州云帆科技有限公司",
        "金额 1378.00 为 INV-2026-000001 (318.00) + INV-2026-000003 (1060.00) 之和",
    )


def test_several_named_invoices_are_listed_in_each_language() -> None:
    evidence = ((0.85, why.REFERENCE_NAMED, (("INV-1", "INV-2"),)),)
    assert why.said(evidence) == ("remittance names INV-1, INV-2",)
    assert why.said(evidence, "zh") == ("附言写明 INV-1、INV-2",)


def test_amounts_are_written_to_the_cent_and_similarity_as_a_whole_percentage() -> None:
    assert why.PARTIAL.say((D("500"), D("1060.5"))) == "pays 500.00 of the 1060.50 the named items owe"
    assert why.NAME_RESEMBLES.say(("云帆科枝", "杭州云帆科技有限公司", 88.46), "zh") == (
        "付款人 '云帆科枝' 与 杭州云帆科技有限公司 相似（88%）"
    )


def test_every_reason_has_both_languages_with_the_same_values() -> None:
    kinds = [value for value in vars(why).values() if isinstance(value, why.Reason)]
    assert len(kinds) >= 15
    for reason in kinds:
        assert reason.en and reason.zh and reason.en != reason.zh
        placeholders = {part.split("}")[0].split(":")[0] for part in reason.en.split("{")[1:]}
        assert placeholders == {part.split("}")[0].split(":")[0] for part in reason.zh.split("{")[1:]}, reason
