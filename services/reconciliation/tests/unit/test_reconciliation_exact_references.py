"""An exact reference wins, and a paid invoice is never matched automatically (issue 21): examples and properties.

The portfolio of each property example is generated: the invoice a payment is for (T), look-alike
invoices one or two typos from T's number (open or paid, of T's customer or of others, owing what the
payment pays), and a payment naming T in one of the spellings people write, T's RF creditor reference,
a typo of T's number, or a paid look-alike. Whatever else the name, account and amount say, the
exact candidate ranks first, and no payment is applied automatically to an invoice it is not for.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import OSA
from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from reconciliation.keys import half_width, reference_key
from reconciliation.matching.engine import Decision, Incoming, MatchSettings, match
from reconciliation.matching.index import Customer, Item, MatchIndex
from reconciliation.matching.reasons import said

D = Decimal
SETTINGS = MatchSettings(threshold=0.9, tolerance_absolute=D("1.00"))


def rf_reference(number: str) -> str:
    """The ISO 11649 reference invoicing gives an invoice (its number's letters and digits as the body)."""
    body = "".join(c for c in number.upper() if c.isalnum())
    return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def grouped(reference: str) -> str:
    """A reference printed in groups of four, as on a payment slip."""
    return " ".join(reference[n : n + 4] for n in range(0, len(reference), 4))


# How people write an invoice number INV-2025-000074 in a transfer's remittance (and a gateway's order fields).
SPELLINGS: list[Callable[[str], str]] = [
    lambda n: n,
    lambda n: n.replace("-", ""),
    lambda n: n.replace("-", " ").lower(),
    lambda n: n.replace("-", "/"),
    full_width,
    lambda n: f"发票号{n}",
    lambda n: f"发票号：{full_width(n)}",
    lambda n: f"No.{n}",
    lambda n: f"No. {n.replace('-', '')}",
    lambda n: f"#{n}",
    lambda n: f"支付{n}服务费",
    lambda n: f"{n} 服务费",
    lambda n: f"代理记账费 {n.lower()} 谢谢",
]
RF_SPELLINGS: list[Callable[[str], str]] = [
    lambda r: r,
    grouped,
    lambda r: grouped(r).lower(),
    lambda r: f"RF参考号 {grouped(r)}",
]

CUSTOMERS = [
    Customer(uuid.uuid4(), "上海明远财税咨询有限公司"),
    Customer(uuid.uuid4(), "杭州云帆科技有限公司", "云帆科技"),
    Customer(uuid.uuid4(), "上海明远财税顾问有限公司"),  # named like the first but for two characters
]
TARGET_OWNER = CUSTOMERS[0]


def number(series: str, year: int, serial: int) -> str:
    return f"{series}-{year}-{serial:06d}"


def one_typo(text: str, draw: st.DrawFn) -> str:
    """`text` with one typo in its serial: a digit wrong, missing, doubled, or two neighbours swapped."""
    head, serial = text.rsplit("-", 1)
    at = draw(st.integers(0, len(serial) - 1))
    kind = draw(st.sampled_from(["wrong", "missing", "extra", "swap"]))
    if kind == "wrong":
        digit = draw(st.sampled_from([d for d in "0123456789" if d != serial[at]]))
        serial = serial[:at] + digit + serial[at + 1 :]
    elif kind == "missing":
        serial = serial[:at] + serial[at + 1 :]
    elif kind == "extra":
        serial = serial[:at] + serial[at] + serial[at:]
    elif at < len(serial) - 1 and serial[at] != serial[at + 1]:
        serial = serial[:at] + serial[at + 1] + serial[at] + serial[at + 2 :]
    else:
        serial = serial[:at] + ("1" if serial[at] != "1" else "2") + serial[at + 1 :]
    return f"{head}-{serial}"


def two_typos(text: str, draw: st.DrawFn) -> str:
    head, serial = text.rsplit("-", 1)
    first, second = draw(st.lists(st.integers(0, len(serial) - 1), min_size=2, max_size=2, unique=True))
    digits = list(serial)
    for at in (first, second):
        digits[at] = draw(st.sampled_from([d for d in "0123456789" if d != digits[at]]))
    return f"{head}-{''.join(digits)}"


@dataclass
class Case:
    items: list[Item]  # the open items
    settled: list[tuple[str, str | None]]  # (number, reference) of the paid ones
    target: Item  # the invoice the payment is for, if it names an open one
    payment: Incoming
    kind: str  # "exact", "typo" or "paid"
    accounts: dict[str, uuid.UUID]


AMOUNTS = [D("424.00"), D("318.00"), D("1060.00")]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    series = draw(st.sampled_from(["INV", "FP", "SO"]))
    year = draw(st.integers(2024, 2026))
    target_number = number(series, year, draw(st.integers(1, 999_999)))
    owed = draw(st.sampled_from(AMOUNTS))
    target = Item(uuid.uuid4(), TARGET_OWNER.customer_id, target_number, "CNY", date(2026, 2, 1), owed, None)
    target.payment_reference = rf_reference(target_number)
    taken = {target_number}
    items: list[Item] = [target]
    settled: list[tuple[str, str | None]] = []
    for _ in range(draw(st.integers(0, 4))):
        alike = one_typo(target_number, draw) if draw(st.booleans()) else two_typos(target_number, draw)
        if alike in taken:
            continue
        taken.add(alike)
        owner = draw(st.sampled_from(CUSTOMERS))
        amount = owed if draw(st.booleans()) else draw(st.sampled_from(AMOUNTS))
        if draw(st.integers(0, 2)) == 0:
            settled.append((alike, rf_reference(alike)))
        else:
            due = date(2026, 1, draw(st.integers(1, 28)))  # often older than the target: the amount prefers it
            items.append(Item(uuid.uuid4(), owner.customer_id, alike, "CNY", due, amount, rf_reference(alike)))
    kind = draw(st.sampled_from(["exact", "exact", "rf", "typo", "paid"]))
    if kind == "paid" and not settled:
        kind = "exact"
    if kind == "exact":
        text = draw(st.sampled_from(SPELLINGS))(target_number)
        noise = draw(st.sampled_from(["", "typo", "settled"]))
        typo = one_typo(target_number, draw)
        if noise == "typo" and typo not in taken:  # (a number one typo away that is no document of ours)
            text += " " + typo
        elif noise == "settled" and settled:
            text += " " + settled[0][0]
    elif kind == "rf":
        assert target.payment_reference is not None and iso11649.is_valid(target.payment_reference)
        text, kind = draw(st.sampled_from(RF_SPELLINGS))(target.payment_reference), "exact"
    elif kind == "typo":
        typo = one_typo(target_number, draw)
        # A typo as near to another of our numbers as to T's is a typo of either (the payer's name and
        # amount may rightly decide it): only a typo of T alone says which invoice the payment is for.
        others = taken - {target_number}
        assume(not any(OSA.distance(reference_key(typo), reference_key(n)) <= 1 for n in others))
        text = draw(st.sampled_from(SPELLINGS))(typo)
    else:
        text = draw(st.sampled_from(SPELLINGS))(draw(st.sampled_from(settled))[0])
    amount = draw(st.sampled_from([owed, owed - D("0.50"), owed - D("100.00"), owed + D("50.00"), *AMOUNTS]))
    payer = draw(st.sampled_from([None, *[c.legal_name for c in CUSTOMERS], "云帆科技", "王伟"]))
    account = draw(st.sampled_from([None, "6222000000000001"]))
    accounts = {"6222000000000001": draw(st.sampled_from(CUSTOMERS)).customer_id}
    return Case(items, settled, target, Incoming(amount, "CNY", text, payer, account), kind, accounts)


def decide(case: Case) -> Decision:
    index = MatchIndex.build(CUSTOMERS, case.items, case.accounts, case.settled)
    return match(case.payment, index, SETTINGS)


@settings(max_examples=1500, deadline=None)
@given(case=cases())
def test_the_exact_candidate_always_wins_and_no_payment_is_applied_to_an_invoice_it_is_not_for(case: Case) -> None:
    decision = decide(case)
    applied = {a.invoice_id for a in decision.best.allocations} if decision.best else set()
    if case.kind == "exact":
        # The invoice named exactly is the best suggestion's, whatever the name, account and amount say.
        assert decision.best is not None, case.payment
        assert decision.best.customer_id == TARGET_OWNER.customer_id, (case.payment, decision.best.reasons)
        assert case.target.invoice_id in applied, (
            case.kind,
            case.target.invoice_number,
            case.payment,
            decision.best.reasons,
        )
    if decision.automatic:
        assert decision.best is not None
        if case.kind == "paid":
            # The invoice the payment names is paid: never applied to it nor to a look-alike.
            raise AssertionError(f"{case.payment.remittance} applied automatically: {decision.best.reasons}")
        # (money booked automatically as the payer's unapplied credit, allocated to nothing, is no false match)
        why = (case.payment, case.kind, [i.invoice_number for i in case.items], decision.best.reasons)
        assert applied <= {case.target.invoice_id}, why


# --- the examples ---------------------------------------------------------------------------------------


def open_item(owner: Customer, invoice_number: str, amount: str, *, due: date = date(2026, 2, 1)) -> Item:
    return Item(uuid.uuid4(), owner.customer_id, invoice_number, "CNY", due, D(amount), rf_reference(invoice_number))


FIRM, YUNFAN, LOOKALIKE = CUSTOMERS


def test_the_reported_payment_goes_to_the_invoice_it_names_exactly() -> None:
    # Issue 21: 424.00 "INV-2025-000074 服务费" went to INV-2025-000037 of the same amount, with 000074 open.
    wanted = open_item(FIRM, "INV-2025-000074", "424.00")
    older = open_item(FIRM, "INV-2025-000037", "424.00", due=date(2025, 12, 1))
    index = MatchIndex.build(CUSTOMERS, [older, wanted])
    decision = match(Incoming(D("424.00"), "CNY", "INV2025000074 服务费", FIRM.legal_name), index, SETTINGS)
    assert decision.automatic and decision.best is not None
    assert [a.invoice_id for a in decision.best.allocations] == [wanted.invoice_id]


def test_an_exact_reference_outranks_another_customers_name_account_and_amount() -> None:
    # Yunfan pays, from its learned account, exactly what one of its own invoices owes, one typo from the
    # invoice its remittance names exactly, which is another customer's: the named invoice wins.
    named = open_item(FIRM, "INV-2025-000074", "424.00")
    its_own = open_item(YUNFAN, "INV-2025-000075", "424.00")
    index = MatchIndex.build(CUSTOMERS, [named, its_own], {"6222000000000001": YUNFAN.customer_id})
    payment = Incoming(D("424.00"), "CNY", "支付INV-2025-000074服务费", YUNFAN.legal_name, "6222000000000001")
    decision = match(payment, index, SETTINGS)
    assert decision.best is not None and decision.best.customer_id == FIRM.customer_id
    assert [a.invoice_id for a in decision.best.allocations] == [named.invoice_id]
    runner_up = decision.suggestions[1]
    assert runner_up.customer_id == YUNFAN.customer_id and runner_up.confidence < SETTINGS.threshold
    assert not any("resembles" in reason for reason in runner_up.reasons)


def test_a_remittance_naming_a_paid_invoice_is_not_applied_to_its_open_look_alike() -> None:
    # INV-2025-000074 is paid; the customer pays it again. INV-2025-000075 owes the same amount and is one
    # typo away: without knowing 000074 is ours and paid, name + amount + "resembles" applied it (0.955).
    look_alike = open_item(FIRM, "INV-2025-000075", "424.00")
    paid = [("INV-2025-000074", rf_reference("INV-2025-000074"))]
    index = MatchIndex.build(CUSTOMERS, [look_alike], {}, paid)
    decision = match(Incoming(D("424.00"), "CNY", "INV-2025-000074", FIRM.legal_name), index, SETTINGS)
    assert decision.best is not None and not decision.automatic
    assert not any("resembles" in reason for reason in decision.best.reasons)
    assert any("INV-2025-000074, which owes nothing" in reason for reason in decision.best.reasons)
    assert any("已无欠款" in reason for reason in said(decision.best.evidence, "zh"))


def test_a_paid_invoices_rf_reference_is_known_as_well() -> None:
    other = open_item(FIRM, "INV-2025-000999", "424.00")
    paid = [("INV-2025-000074", rf_reference("INV-2025-000074"))]
    index = MatchIndex.build(CUSTOMERS, [other], {}, paid)
    text = grouped(rf_reference("INV-2025-000074"))
    decision = match(Incoming(D("424.00"), "CNY", text, FIRM.legal_name), index, SETTINGS)
    assert decision.best is not None and not decision.automatic


def test_an_invoice_taken_by_an_earlier_payment_of_the_batch_is_settled_for_the_next() -> None:
    first = open_item(FIRM, "INV-2025-000074", "424.00")
    look_alike = open_item(FIRM, "INV-2025-000075", "424.00")
    index = MatchIndex.build(CUSTOMERS, [first, look_alike])
    payment = Incoming(D("424.00"), "CNY", "INV-2025-000074", FIRM.legal_name)
    settled = match(payment, index, SETTINGS)
    assert settled.automatic and settled.best is not None
    index.commit(settled.best.allocations)
    again = match(payment, index, SETTINGS)
    assert not again.automatic


def test_a_typo_as_near_to_two_open_invoices_is_a_typo_of_neither() -> None:
    # 000075 is one typo from 000074 and from 000076, both owing 424.00: a person decides.
    items = [open_item(FIRM, "INV-2025-000074", "424.00"), open_item(FIRM, "INV-2025-000076", "424.00")]
    index = MatchIndex.build(CUSTOMERS, items)
    decision = match(Incoming(D("424.00"), "CNY", "INV-2025-000075", FIRM.legal_name), index, SETTINGS)
    assert not decision.automatic


def test_a_valid_rf_reference_that_is_none_of_the_customers_caps_the_suggestion() -> None:
    # Check digits say a reference is whole: one that holds and is not this customer's names another document.
    item = open_item(FIRM, "INV-2025-000074", "424.00")
    index = MatchIndex.build(CUSTOMERS, [item])
    foreign = rf_reference("ABCD1234")  # (another length than the customer's references: only its digits say)
    assert iso11649.is_valid(foreign)
    decision = match(Incoming(D("424.00"), "CNY", foreign, FIRM.legal_name), index, SETTINGS)
    assert decision.best is not None and not decision.automatic


def test_every_spelling_of_an_invoice_number_names_it() -> None:
    item = open_item(YUNFAN, "INV-2025-000074", "318.00")
    index = MatchIndex.build(CUSTOMERS, [item])
    for spell in SPELLINGS:
        text = spell("INV-2025-000074")
        decision = match(Incoming(D("318.00"), "CNY", text), index, SETTINGS)
        assert decision.automatic and decision.best is not None, (text, half_width(text))
        assert [a.invoice_id for a in decision.best.allocations] == [item.invoice_id], text


def test_a_gateway_order_made_for_an_invoice_names_it_over_another_customers_name_and_a_look_alike() -> None:
    # The payer's name is the first customer's and the amount fits its invoice, whose number the remittance
    # nearly spells; but the gateway order was made for the second customer's invoice.
    mine, theirs = CUSTOMERS[0], CUSTOMERS[1]
    look_alike = Item(uuid.uuid4(), mine.customer_id, "INV-2025-000037", "CNY", date(2025, 10, 1), D("424.00"))
    ordered = Item(uuid.uuid4(), theirs.customer_id, "INV-2025-000074", "CNY", date(2025, 10, 16), D("424.00"))
    index = MatchIndex.build(CUSTOMERS, [look_alike, ordered])
    payment = Incoming(
        D("424.00"),
        "CNY",
        "INV-2025-000073 服务费",
        mine.legal_name,
        None,
        ordered="INV-2025-000074",
        order_id="SHOP0001234567",
    )
    decision = match(payment, index, SETTINGS)
    assert decision.automatic and decision.best is not None
    assert decision.best.customer_id == theirs.customer_id
    assert [a.invoice_id for a in decision.best.allocations] == [ordered.invoice_id]
    assert "gateway order SHOP0001234567 was made for INV-2025-000074" in decision.best.reasons
    assert "支付订单 SHOP0001234567 为 INV-2025-000074 而建" in said(decision.best.evidence, "zh")
    # Without the order the name and the look-alike would have had it.
    unordered = match(Incoming(D("424.00"), "CNY", "INV-2025-000073 服务费", mine.legal_name), index, SETTINGS)
    assert unordered.best is not None and unordered.best.customer_id == mine.customer_id


def test_a_gateway_order_for_an_invoice_that_owes_nothing_sends_the_money_to_a_person() -> None:
    owner = CUSTOMERS[0]
    paid = Item(uuid.uuid4(), owner.customer_id, "INV-2025-000074", "CNY", date(2025, 10, 16), D("0.00"))
    other = Item(uuid.uuid4(), owner.customer_id, "INV-2025-000075", "CNY", date(2025, 11, 16), D("424.00"))
    index = MatchIndex.build(CUSTOMERS, [paid, other])
    payment = Incoming(D("424.00"), "CNY", None, owner.legal_name, None, "INV-2025-000074", "SHOP0001234567")
    decision = match(payment, index, SETTINGS)
    assert not decision.automatic
    assert decision.best is not None and any("owes nothing" in r for r in decision.best.reasons)


def test_a_part_payment_of_exactly_what_its_order_asked_is_applied_and_any_other_part_waits() -> None:
    """The hosted page ordered 450.00 of 1,200.00 (the creditor allows part payments): paying exactly that is the
    customer's intent, applied at once; a part the order did not ask goes to a person as before."""
    owner = CUSTOMERS[0]
    invoice = open_item(owner, "INV-2026-000120", "1200.00")
    also_450 = open_item(owner, "INV-2026-000121", "450.00")  # another item of that amount does not draw it away
    index = MatchIndex.build(CUSTOMERS, [invoice, also_450])
    number, order = "INV-2026-000120", "0192f3a4b5c6d7e8f9a0b1c2d3e4f5a6"

    def paid(amount: str, asked: str | None) -> Incoming:
        return Incoming(D(amount), "CNY", None, None, None, number, order, None if asked is None else D(asked))

    asked = match(paid("450.00", "450.00"), index, SETTINGS)
    assert asked.automatic and asked.best is not None and asked.best.shape == "partial"
    assert [(a.invoice_id, a.amount) for a in asked.best.allocations] == [(invoice.invoice_id, D("450.00"))]
    assert "金额 450.00 正是支付订单 0192f3a4b5c6d7e8f9a0b1c2d3e4f5a6 所请求的（部分付款）" in said(
        asked.best.evidence, "zh"
    )
    other = match(paid("300.00", "450.00"), index, SETTINGS)
    assert not other.automatic
    unordered = match(paid("450.00", None), index, SETTINGS)
    assert not unordered.automatic
