"""Money for a written-off invoice (坏账收回): only an exact reference applies it automatically, never beyond what
is left of the write-off; a name and an amount alone leave it to a person, who is told the invoice was written off."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.iso7064 import mod_97_10

from reconciliation.keys import reference_key
from reconciliation.matching import reasons as why
from reconciliation.matching.engine import Incoming, MatchSettings, check_decision
from reconciliation.matching.index import Customer, Item, MatchIndex
from reconciliation.matching.recovery import decide

D = Decimal
SETTINGS = MatchSettings(threshold=0.9, tolerance_absolute=D("1.00"))
CUSTOMER = uuid.uuid4()
NAME = "杭州云帆科技有限公司"


def rf_reference(number: str) -> str:
    body = "".join(c for c in number.upper() if c.isalnum())
    return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"


def item(number: str, available: str, *, written_off: bool = False, due: date = date(2026, 1, 31)) -> Item:
    return Item(uuid.uuid4(), CUSTOMER, number, "CNY", due, D(available), rf_reference(number), written_off=written_off)


def index_of(*items: Item) -> MatchIndex:
    return MatchIndex.build([Customer(CUSTOMER, NAME)], [*items])


def test_an_exact_reference_recovers_a_written_off_invoice_automatically() -> None:
    bad = item("INV-2026-000050", "200.00", written_off=True)
    decision = decide(Incoming(D("200.00"), "CNY", "INV-2026-000050 还款", payer_name=NAME), index_of(bad), SETTINGS)
    assert decision.automatic and decision.best is not None
    assert [(a.invoice_id, a.amount) for a in decision.best.allocations] == [(bad.invoice_id, D("200.00"))]
    assert why.RECOVERY in [reason for _, reason, _ in decision.best.evidence]


def test_a_recovery_never_takes_more_than_what_is_left_of_the_write_off() -> None:
    bad = item("INV-2026-000051", "150.00", written_off=True)
    payment = Incoming(D("400.00"), "CNY", rf_reference("INV-2026-000051"))
    decision = decide(payment, index_of(bad), SETTINGS)
    assert decision.best is not None
    assert [a.amount for a in decision.best.allocations] == [D("150.00")]
    assert decision.best.shape == "overpayment"


def test_name_and_amount_alone_suggest_the_written_off_invoice_to_a_person() -> None:
    bad = item("INV-2026-000052", "300.00", written_off=True)
    decision = decide(Incoming(D("300.00"), "CNY", "货款", payer_name=NAME), index_of(bad), SETTINGS)
    assert not decision.automatic and decision.best is not None
    assert decision.best.confidence < SETTINGS.threshold
    assert [a.invoice_id for a in decision.best.allocations] == [bad.invoice_id]
    assert decision.best.reasons[-1].startswith("the customer's INV-2026-000052 was written off as a bad debt")
    assert why.said(decision.best.evidence, "zh")[-1].startswith("该客户的 INV-2026-000052 已核销为坏账（尚欠 300.00）")


def test_the_amount_alone_never_finds_a_written_off_invoice() -> None:
    bad = item("INV-2026-000053", "300.00", written_off=True)
    decision = decide(Incoming(D("300.00"), "CNY", "货款", payer_name="某某"), index_of(bad), SETTINGS)
    assert decision.best is None and not decision.automatic


def test_a_payment_for_open_invoices_is_applied_to_them_and_the_write_off_only_noted_when_money_is_left() -> None:
    open_one = item("INV-2026-000054", "100.00", due=date(2026, 3, 31))
    bad = item("INV-2026-000055", "500.00", written_off=True)
    exact = decide(Incoming(D("100.00"), "CNY", "INV-2026-000054", payer_name=NAME), index_of(open_one, bad), SETTINGS)
    assert exact.automatic and exact.best is not None
    assert [a.invoice_id for a in exact.best.allocations] == [open_one.invoice_id]
    assert why.WRITTEN_OFF_ALSO not in [reason for _, reason, _ in exact.best.evidence]
    more = decide(Incoming(D("350.00"), "CNY", "INV-2026-000054", payer_name=NAME), index_of(open_one, bad), SETTINGS)
    assert more.best is not None
    assert [a.invoice_id for a in more.best.allocations] == [open_one.invoice_id]
    assert why.WRITTEN_OFF_ALSO in [reason for _, reason, _ in more.best.evidence]


NUMBERS = st.integers(min_value=1, max_value=999_999).map(lambda n: f"INV-2026-{n:06d}")
AMOUNTS = st.integers(min_value=1, max_value=100_000).map(lambda cents: D(cents) / 100)


@settings(max_examples=300, deadline=None)
@given(
    open_items=st.lists(st.tuples(NUMBERS, AMOUNTS), max_size=4),
    written=st.lists(st.tuples(NUMBERS, AMOUNTS), min_size=1, max_size=3),
    amount=AMOUNTS,
    names=st.sampled_from(["none", "written_off", "open", "rf"]),
    pick=st.integers(min_value=0, max_value=10),
    payer=st.sampled_from([NAME, "云帆科技", None]),
)
def test_no_automatic_decision_recovers_a_written_off_invoice_the_payment_does_not_name(
    open_items: list[tuple[str, Decimal]],
    written: list[tuple[str, Decimal]],
    amount: Decimal,
    names: str,
    pick: int,
    payer: str | None,
) -> None:
    numbers = [n for n, _ in open_items] + [n for n, _ in written]
    if len({reference_key(n) for n in numbers}) < len(numbers):
        return  # (one number twice is one document)
    items = [item(n, str(a)) for n, a in open_items] + [item(n, str(a), written_off=True) for n, a in written]
    bad = [i for i in items if i.written_off]
    good = [i for i in items if not i.written_off]
    if names == "written_off" or (names == "open" and not good):
        text = f"付 {bad[pick % len(bad)].invoice_number}"
    elif names == "rf":
        text = bad[pick % len(bad)].payment_reference or ""
    elif names == "open":
        text = good[pick % len(good)].invoice_number
    else:
        text = f"货款 {pick}"
    available = {i.invoice_id: i.available for i in items}
    payment = Incoming(amount, "CNY", text, payer_name=payer)
    decision = decide(payment, index_of(*items), SETTINGS)
    for suggestion in decision.suggestions:
        check_decision(payment, suggestion, available)
    if decision.automatic and decision.best is not None:
        named = {reference_key(text)} | {reference_key(part) for part in text.split()}
        for allocation in decision.best.allocations:
            target = next(i for i in items if i.invoice_id == allocation.invoice_id)
            if target.written_off:
                keys = {reference_key(target.invoice_number), reference_key(target.payment_reference)}
                assert keys & named, (text, target.invoice_number)
