"""The matching engine: evidence, shapes, confidence, and the allocation invariants (property tests)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciliation.keys import (
    _BRACKETED,
    _NON_ALNUM,
    _REGION_PREFIX,
    _SUFFIX,
    _strip_company_form,
    _strip_region,
    half_width,
    normalise_name,
    text_keys,
)
from reconciliation.matching.engine import Incoming, MatchSettings, check_decision, match, subset_sums
from reconciliation.matching.index import Customer, Item, MatchIndex

D = Decimal
SETTINGS = MatchSettings(threshold=0.9, tolerance_absolute=D("1.00"))


def customer(name: str, short: str | None = None) -> Customer:
    return Customer(uuid.uuid4(), name, short)


def item(owner: Customer, amount: str, serial: int, *, due: date = date(2026, 2, 1), currency: str = "CNY") -> Item:
    return Item(
        invoice_id=uuid.uuid4(),
        customer_id=owner.customer_id,
        invoice_number=f"INV-2026-{serial:06d}",
        currency=currency,
        due_date=due,
        available=D(amount),
        payment_reference=f"RF18INV2026{serial:06d}",
    )


YUNFAN = customer("杭州云帆科技有限公司", "云帆科技")
XINGHE = customer("上海星河代理记账有限公司")
ACME = customer("Acme Trading Co., Ltd.")


def portfolio() -> tuple[MatchIndex, dict[str, Item]]:
    items = {
        "y1": item(YUNFAN, "318.00", 1, due=date(2026, 1, 31)),
        "y2": item(YUNFAN, "530.00", 2, due=date(2026, 2, 28)),
        "y3": item(YUNFAN, "1060.00", 3, due=date(2026, 3, 31)),
        "x1": item(XINGHE, "300.00", 11),
        "x2": item(XINGHE, "300.00", 12, due=date(2026, 3, 1)),
        "a1": item(ACME, "2000.00", 21),
    }
    return MatchIndex.build([YUNFAN, XINGHE, ACME], items.values(), {"6222020200001234567": ACME.customer_id}), items


def test_names_lose_region_prefix_and_company_form() -> None:
    assert normalise_name("杭州云帆科技有限公司") == "云帆科技"
    assert normalise_name("上海市星河代理记账有限责任公司") == "星河代理记账"
    assert normalise_name("ACME Trading Co., Ltd.") == "acmetrading"
    assert normalise_name("云帆科技（杭州）股份有限公司") == "云帆科技"


def test_full_width_reference_is_found_in_text() -> None:
    assert "INV2026000001" in text_keys("货款 ＩＮＶ－２０２６－０００００１ 谢谢")
    assert "INV2026000001" in text_keys("inv 2026 000001")


def test_exact_reference_and_amount_is_applied_automatically() -> None:
    index, items = portfolio()
    decision = match(Incoming(D("318.00"), "CNY", "payment INV-2026-000001"), index, SETTINGS)
    assert decision.automatic and decision.best is not None
    assert decision.best.shape == "one_to_one"
    assert [(a.invoice_id, a.amount) for a in decision.best.allocations] == [(items["y1"].invoice_id, D("318.00"))]
    assert any("INV-2026-000001" in r for r in decision.best.reasons)


def test_rf_reference_in_groups_of_four_is_found() -> None:
    index, items = portfolio()
    decision = match(Incoming(D("530.00"), "CNY", "RF18 INV2 0260 0000 2"), index, SETTINGS)
    assert decision.automatic
    assert decision.best is not None and decision.best.allocations[0].invoice_id == items["y2"].invoice_id


def test_one_payment_for_several_named_invoices() -> None:
    index, items = portfolio()
    decision = match(Incoming(D("848.00"), "CNY", "INV-2026-000001 INV-2026-000002"), index, SETTINGS)
    assert decision.automatic and decision.best is not None and decision.best.shape == "one_to_many"
    assert {a.invoice_id: a.amount for a in decision.best.allocations} == {
        items["y1"].invoice_id: D("318.00"),
        items["y2"].invoice_id: D("530.00"),
    }


def test_the_named_invoices_are_listed_in_number_order_whatever_the_text_says() -> None:
    index, _ = portfolio()
    decision = match(Incoming(D("848.00"), "CNY", "INV-2026-000002 / inv 2026 000001"), index, SETTINGS)
    assert decision.best is not None
    assert decision.best.reasons[0] == "remittance names INV-2026-000001, INV-2026-000002"


def test_name_and_a_subset_sum_find_the_combination() -> None:
    index, items = portfolio()
    decision = match(Incoming(D("1378.00"), "CNY", None, payer_name="杭州云帆科技有限公司"), index, SETTINGS)
    assert decision.best is not None and decision.best.shape == "one_to_many"
    assert {a.invoice_id for a in decision.best.allocations} == {items["y1"].invoice_id, items["y3"].invoice_id}
    assert decision.automatic
    assert any("sum of" in r for r in decision.best.reasons)


def test_partial_payment_of_a_named_invoice_with_the_payer_name_is_applied() -> None:
    index, items = portfolio()
    decision = match(Incoming(D("500.00"), "CNY", "INV-2026-000003", payer_name="云帆科技"), index, SETTINGS)
    assert decision.automatic and decision.best is not None and decision.best.shape == "partial"
    assert [(a.invoice_id, a.amount) for a in decision.best.allocations] == [(items["y3"].invoice_id, D("500.00"))]


def test_overpayment_leaves_the_rest_unallocated() -> None:
    index, _items = portfolio()
    decision = match(Incoming(D("400.00"), "CNY", "INV-2026-000001", payer_name="杭州云帆科技"), index, SETTINGS)
    assert decision.best is not None and decision.best.shape == "overpayment"
    assert sum(a.amount for a in decision.best.allocations) == D("318.00")
    assert decision.automatic


def test_underpayment_within_tolerance_matches_the_item() -> None:
    index, items = portfolio()
    decision = match(Incoming(D("1999.50"), "CNY", None, payer_account="6222 0202 0000 1234 567"), index, SETTINGS)
    assert decision.best is not None and decision.best.shape == "underpayment"
    assert decision.automatic
    assert [(a.invoice_id, a.amount) for a in decision.best.allocations] == [(items["a1"].invoice_id, D("1999.50"))]


def test_learned_account_identifies_the_customer() -> None:
    index, _ = portfolio()
    decision = match(Incoming(D("2000.00"), "CNY", None, payer_account="6222020200001234567"), index, SETTINGS)
    assert decision.customer_id == ACME.customer_id and decision.automatic


def test_name_only_without_a_fitting_amount_goes_to_review() -> None:
    index, _ = portfolio()
    decision = match(Incoming(D("123.00"), "CNY", None, payer_name="上海星河代理记账有限公司"), index, SETTINGS)
    assert not decision.automatic and decision.customer_id == XINGHE.customer_id


def test_two_equal_items_are_ambiguous_and_go_to_review() -> None:
    index, items = portfolio()
    decision = match(Incoming(D("300.00"), "CNY", None, payer_name="星河代理记账"), index, SETTINGS)
    assert not decision.automatic
    assert decision.best is not None and decision.best.allocations[0].invoice_id == items["x1"].invoice_id


def test_typo_in_the_invoice_number_with_name_and_amount_is_applied() -> None:
    index, items = portfolio()
    decision = match(Incoming(D("530.00"), "CNY", "INV-2026-00002", payer_name="杭州云帆科技有限公司"), index, SETTINGS)
    assert decision.automatic and decision.best is not None
    assert decision.best.allocations[0].invoice_id == items["y2"].invoice_id


def test_fuzzy_name_is_a_weaker_reason() -> None:
    index, _ = portfolio()
    decision = match(Incoming(D("318.00"), "CNY", None, payer_name="杭州云帆科枝有限公司"), index, SETTINGS)
    assert decision.customer_id is None or not decision.automatic


def test_a_stranger_is_unmatched_without_suggestions() -> None:
    index, _ = portfolio()
    decision = match(Incoming(D("77.77"), "CNY", "salary", payer_name="深圳某某贸易有限公司"), index, SETTINGS)
    assert decision.best is None and not decision.automatic


def test_amount_alone_is_only_a_suggestion() -> None:
    index, items = portfolio()
    decision = match(Incoming(D("2000.00"), "CNY", None), index, SETTINGS)
    assert not decision.automatic
    assert decision.best is not None and decision.best.allocations[0].invoice_id == items["a1"].invoice_id


def test_committed_decisions_lower_what_later_payments_can_take() -> None:
    index, _items = portfolio()
    first = match(Incoming(D("318.00"), "CNY", "INV-2026-000001"), index, SETTINGS)
    assert first.best is not None
    index.commit(first.best.allocations)
    second = match(Incoming(D("318.00"), "CNY", "INV-2026-000001"), index, SETTINGS)
    assert second.best is None or not second.best.allocations


def test_subset_search_is_bounded() -> None:
    owner = customer("某公司")
    many = [item(owner, "100.00", n) for n in range(25)]
    assert subset_sums(D("250.00"), many, D(0), max_size=5, max_steps=1000) == []
    found = subset_sums(D("500.00"), many, D(0), max_size=5, max_steps=10_000)
    assert found and all(len(combo) == 5 for combo in found)
    assert subset_sums(D("600.00"), many, D(0), max_size=5, max_steps=10_000) == []


amounts = st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2)


@settings(max_examples=200, deadline=None)
@given(
    balances=st.lists(amounts, min_size=0, max_size=12),
    payment=amounts,
    reference_some=st.booleans(),
    by_name=st.booleans(),
    tolerance=st.decimals(min_value=D("0"), max_value=D("5"), places=2),
)
def test_allocations_never_exceed_the_payment_or_an_items_balance(
    balances: list[Decimal], payment: Decimal, reference_some: bool, by_name: bool, tolerance: Decimal
) -> None:
    owner = customer("杭州云帆科技有限公司")
    items = [item(owner, str(b), n, due=date(2026, 1, 1) + timedelta(days=n)) for n, b in enumerate(balances)]
    index = MatchIndex.build([owner], items)
    available = {i.invoice_id: i.available for i in items}
    remittance = " ".join(i.invoice_number for i in items[::2]) if reference_some else None
    incoming = Incoming(payment, "CNY", remittance, payer_name=owner.legal_name if by_name else None)
    decision = match(incoming, index, MatchSettings(tolerance_absolute=tolerance))
    for suggestion in decision.suggestions:
        check_decision(incoming, suggestion, available)


def test_an_exact_reference_is_never_moved_onto_a_look_alike_whose_balance_the_amount_fits() -> None:
    index, items = portfolio()
    # INV-2026-000001 owes 318.00; the payment is 530.00, exactly what INV-2026-000002 (one typo away) owes.
    # The text names 000001 exactly: the payment is not moved onto 000002 on a resemblance; a person looks.
    decision = match(Incoming(D("530.00"), "CNY", "INV-2026-000001", payer_name="云帆科技"), index, SETTINGS)
    assert decision.best is not None and not decision.automatic
    assert [a.invoice_id for a in decision.best.allocations] == [items["y1"].invoice_id]
    assert any("but the amount equals INV-2026-000002" in r for r in decision.best.reasons)


def test_naming_an_invoice_that_owes_nothing_goes_to_review() -> None:
    index, _items = portfolio()
    settled = match(Incoming(D("318.00"), "CNY", "INV-2026-000001"), index, SETTINGS)
    assert settled.best is not None
    index.commit(settled.best.allocations)
    decision = match(Incoming(D("99.00"), "CNY", "INV-2026-000001", payer_name="云帆科技"), index, SETTINGS)
    assert not decision.automatic
    assert decision.best is not None and any("owe nothing" in r for r in decision.best.reasons)


# Names from a small alphabet, so that many share bigrams and some are within the cutoff.
_NAME = st.text(alphabet="云帆星河科技贸易华", min_size=1, max_size=10)


@settings(max_examples=300, deadline=None)
@given(names=st.lists(_NAME, min_size=1, max_size=40, unique=True), key=_NAME)
def test_the_bigram_prefilter_never_drops_a_name_within_the_cutoff(names: list[str], key: str) -> None:
    from rapidfuzz import fuzz

    from reconciliation.keys import NAME_FUZZY_CUTOFF

    index = MatchIndex.build([customer(f"{name}有限公司", name) for name in names], [])
    known = list(index.by_name)
    within = {n for n in known if fuzz.ratio(key, n) >= NAME_FUZZY_CUTOFF}
    assert within <= set(index.fuzzy_candidates(key))


@settings(max_examples=500, deadline=None)
@given(key=st.text(alphabet="王伟李芳ab1", min_size=1, max_size=4), other=st.text(alphabet="王伟李芳ab1", max_size=6))
def test_a_name_too_short_for_a_fuzzy_match_is_within_the_cutoff_of_itself_only(key: str, other: str) -> None:
    from rapidfuzz import fuzz

    from reconciliation.keys import NAME_FUZZY_CUTOFF
    from reconciliation.matching.index import _SHORTEST_FUZZY_KEY

    assert _SHORTEST_FUZZY_KEY == 3
    if len(key) < _SHORTEST_FUZZY_KEY and other != key:
        assert fuzz.ratio(key, other) < NAME_FUZZY_CUTOFF
    if len(key) == _SHORTEST_FUZZY_KEY:  # and the bound is tight: one more character is close enough
        assert fuzz.ratio(key, key + "x") >= NAME_FUZZY_CUTOFF


def test_the_bigram_prefilter_skips_common_bigrams_of_a_long_name() -> None:
    common = [customer(f"杭州{core}科技有限公司") for core in ("云帆星河", "恒泰鼎盛", "华瑞天宇", "金诚新锐")]
    index = MatchIndex.build([*common, customer("上海云帆星海科技有限公司")], [])
    # 云帆星河科技 vs 云帆星海科技: 科技 is in every name, but the rarer bigrams decide who is compared.
    assert set(index.fuzzy_candidates("云帆星河科技")) == {"云帆星河科技", "云帆星海科技"}


# --- the fast paths decide exactly as the general ones ---------------------------------

_FORM_TEXT = st.text(
    alphabet="上海市北京黑龙江省有限公司股份集团责任co.,ltdinc ()（）【】[] \n\t\u3000ａＢ1", max_size=16
)


@settings(max_examples=500, deadline=None)
@given(text=_FORM_TEXT)
def test_stripping_a_company_form_or_region_is_the_regular_expressions_result(text: str) -> None:
    assert _strip_company_form(text) == _SUFFIX.sub("", text)
    assert _strip_region(text) == _REGION_PREFIX.sub("", text)


@settings(max_examples=300, deadline=None)
@given(name=st.one_of(_FORM_TEXT, st.sampled_from(["Acme Trading Co., Ltd. ", "云帆科技（杭州）股份有限公司", "公司"])))
def test_a_name_is_normalised_as_the_regular_expressions_normalise_it(name: str) -> None:
    def by_the_patterns(text: str) -> str:  # normalise_name as written before its shortcuts
        text = half_width(text).lower().strip()
        text = _BRACKETED.sub("", text)
        changed = True
        while changed:
            changed = False
            stripped = _SUFFIX.sub("", text).rstrip(" ,.")
            if stripped != text and stripped:
                text, changed = stripped, True
            stripped = _REGION_PREFIX.sub("", text)
            if stripped != text and stripped:
                text, changed = stripped, True
        normalised: str = _NON_ALNUM.sub("", text)
        return normalised

    assert normalise_name(name) == by_the_patterns(name)


_PAYERS = [YUNFAN, XINGHE, ACME, customer("杭州云帆科枝有限公司")]


@st.composite
def _statement(draw: st.DrawFn) -> tuple[list[Item], list[Incoming], dict[str, uuid.UUID]]:
    items = [
        item(draw(st.sampled_from(_PAYERS)), str(draw(amounts)), serial)
        for serial in range(1, draw(st.integers(1, 10)) + 1)
    ]
    accounts = {"6222000000000001": draw(st.sampled_from(_PAYERS)).customer_id}
    payments = []
    for _ in range(draw(st.integers(1, 12))):
        named = draw(st.lists(st.sampled_from(items), max_size=2))
        amount = (
            sum((i.available for i in named), D(0)) + draw(st.sampled_from([D(0), D("-0.40"), D("0.60"), D("-2")]))
            # bool(): mypy would otherwise infer draw()'s type from `named` (the left operand of `and`).
            if bool(named) and draw(st.booleans())
            else draw(amounts)
        )
        texts = [i.invoice_number if draw(st.booleans()) else i.payment_reference or "" for i in named]
        payer = draw(st.sampled_from([None, "", "王伟", *[c.legal_name for c in _PAYERS], "云帆科技", "ACME co ltd"]))
        account = draw(st.sampled_from([None, "6222000000000001", "6222000000000002"]))
        payments.append(Incoming(max(amount, D("0.01")), "CNY", " ".join(["货款", *texts]), payer, account))
    return items, payments, accounts


@settings(max_examples=300, deadline=None)
@given(statement=_statement())
def test_the_fast_path_decides_as_the_general_path(
    statement: tuple[list[Item], list[Incoming], dict[str, uuid.UUID]],
) -> None:
    items, payments, accounts = statement
    fast = MatchIndex.build(_PAYERS, [replace(i) for i in items], accounts)
    general = MatchIndex.build(_PAYERS, [replace(i) for i in items], accounts)
    for payment in payments:
        decided = match(payment, fast, SETTINGS)
        assert decided == match(payment, general, SETTINGS, fast=False)
        if decided.automatic and decided.best is not None:
            fast.commit(decided.best.allocations)
            general.commit(decided.best.allocations)


def test_a_number_two_digits_away_is_another_invoice_never_a_typo_to_match_on() -> None:
    # The bug of issue 21: 424.00 with remittance INV-2025-000074 (not yet known here) was matched
    # automatically to the customer's INV-2025-000037 of the same amount, "resembles", 0.955.
    firm = customer("上海明远财税咨询有限公司")
    old = replace(item(firm, "424.00", 37), invoice_number="INV-2025-000037", payment_reference="RF47INV2025000037")
    index = MatchIndex.build([firm], [old], {})
    payment = Incoming(D("424.00"), "CNY", "INV-2025-000074 服务费", payer_name="上海明远财税咨询有限公司")
    decision = match(payment, index, SETTINGS)
    assert decision.best is not None and not decision.automatic
    assert not any("resembles" in reason for reason in decision.best.reasons)


@given(st.integers(min_value=1, max_value=999_998), st.integers(min_value=1, max_value=999_998))
@settings(max_examples=200, deadline=None)
def test_a_remittance_naming_another_number_never_matches_automatically_on_resemblance(owed: int, named: int) -> None:
    firm = customer("上海明远财税咨询有限公司")
    open_item = replace(item(firm, "424.00", owed), payment_reference=f"RF00X{owed:06d}")
    index = MatchIndex.build([firm], [open_item], {})
    text = f"INV-2026-{named:06d}"
    decision = match(Incoming(D("424.00"), "CNY", text), index, SETTINGS)
    typo = sum(a != b for a, b in zip(f"{owed:06d}", f"{named:06d}", strict=True)) <= 1 or (
        sorted(f"{owed:06d}") == sorted(f"{named:06d}")
        and sum(a != b for a, b in zip(f"{owed:06d}", f"{named:06d}", strict=True)) == 2
        and any(
            f"{owed:06d}"[i] == f"{named:06d}"[i + 1] and f"{owed:06d}"[i + 1] == f"{named:06d}"[i] for i in range(5)
        )
    )
    if decision.automatic and decision.best is not None and named != owed:
        assert typo, f"{text} was applied to {open_item.invoice_number}"
