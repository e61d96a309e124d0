from __future__ import annotations

import itertools
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciliation.domain import (
    AllocationRejected,
    InvoiceState,
    OpenItem,
    ProposedAllocation,
    available_balance,
    check_allocations,
    mentions,
    merge,
    propose_allocations,
)

D = Decimal


def item(
    available: str,
    due: date = date(2026, 3, 1),
    *,
    number: str | None = None,
    reference: str | None = None,
    currency: str = "CNY",
) -> OpenItem:
    invoice_id = uuid.uuid4()
    return OpenItem(
        invoice_id=invoice_id,
        invoice_number=number or f"INV-2026-{invoice_id.int % 10**6:06d}",
        currency=currency,
        due_date=due,
        available=D(available),
        payment_reference=reference,
    )


def allocated(proposals: list[ProposedAllocation]) -> dict[uuid.UUID, Decimal]:
    return {p.invoice_id: p.amount for p in proposals}


# --- proposing allocations ---------------------------------------------------------


def test_reference_match_wins_over_an_older_invoice() -> None:
    older = item("500.00", date(2026, 1, 31))
    named = item("300.00", date(2026, 2, 28), number="INV-2026-000042")
    proposals = propose_allocations(D("300.00"), "CNY", "payment for INV-2026-000042", [older, named])
    assert allocated(proposals) == {named.invoice_id: D("300.00")}
    assert proposals[0].basis == "reference"


def test_rf_reference_matches_ignoring_case_and_spaces() -> None:
    older = item("500.00", date(2026, 1, 31))
    named = item("300.00", date(2026, 2, 28), reference="RF18INV2026000042")
    proposals = propose_allocations(D("300.00"), "CNY", "rf18 inv2 0260 0004 2", [older, named])
    assert allocated(proposals) == {named.invoice_id: D("300.00")}


def test_invoice_number_matches_ignoring_case_and_spaces() -> None:
    named = item("300.00", number="INV-2026-000042")
    other = item("300.00", date(2026, 1, 1))
    proposals = propose_allocations(D("100.00"), "CNY", "货款 inv - 2026 - 000042 谢谢", [other, named])
    assert allocated(proposals) == {named.invoice_id: D("100.00")}


def test_a_longer_number_does_not_match_a_shorter_one() -> None:
    assert not mentions("INV-2026-0000421", item("1.00", number="INV-2026-000042"))
    assert not mentions("XINV-2026-000042", item("1.00", number="INV-2026-000042"))
    assert mentions("(INV-2026-000042)", item("1.00", number="INV-2026-000042"))


def test_no_reference_goes_oldest_due_first() -> None:
    newest = item("100.00", date(2026, 3, 31))
    oldest = item("100.00", date(2026, 1, 31))
    middle = item("100.00", date(2026, 2, 28))
    proposals = propose_allocations(D("150.00"), "CNY", None, [newest, oldest, middle])
    assert [(p.invoice_id, p.amount) for p in proposals] == [
        (oldest.invoice_id, D("100.00")),
        (middle.invoice_id, D("50.00")),
    ]
    assert {p.basis for p in proposals} == {"oldest_due"}


def test_unmatched_reference_falls_back_to_oldest_due_first() -> None:
    oldest = item("100.00", date(2026, 1, 31))
    newer = item("100.00", date(2026, 2, 28))
    proposals = propose_allocations(D("100.00"), "CNY", "INV-2099-999999", [newer, oldest])
    assert allocated(proposals) == {oldest.invoice_id: D("100.00")}


def test_overpayment_leaves_the_remainder_unallocated() -> None:
    a, b = item("100.00"), item("250.50", date(2026, 4, 1))
    proposals = propose_allocations(D("1000.00"), "CNY", None, [a, b])
    assert allocated(proposals) == {a.invoice_id: D("100.00"), b.invoice_id: D("250.50")}
    assert sum(allocated(proposals).values()) == D("350.50")


def test_what_the_referenced_item_cannot_take_goes_oldest_due_first() -> None:
    older = item("200.00", date(2026, 1, 31))
    named = item("300.00", date(2026, 2, 28), number="INV-2026-000042")
    proposals = propose_allocations(D("400.00"), "CNY", "INV-2026-000042", [older, named])
    assert [(p.invoice_id, p.amount, p.basis) for p in proposals] == [
        (named.invoice_id, D("300.00"), "reference"),
        (older.invoice_id, D("100.00"), "oldest_due"),
    ]


def test_items_in_another_currency_or_with_nothing_available_are_skipped() -> None:
    usd = item("100.00", date(2026, 1, 1), currency="USD")
    full = item("0", date(2026, 1, 2))
    cny = item("100.00", date(2026, 3, 1))
    proposals = propose_allocations(D("100.00"), "CNY", None, [usd, full, cny])
    assert allocated(proposals) == {cny.invoice_id: D("100.00")}


def test_nothing_open_proposes_nothing() -> None:
    assert propose_allocations(D("100.00"), "CNY", "INV-2026-000001", []) == []


amounts = st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2)
open_items = st.lists(
    st.builds(
        lambda available, days, currency, named: item(
            str(available), date(2026, 1, 1) + timedelta(days=days), currency=currency, number=named
        ),
        st.decimals(min_value=D(0), max_value=D("50000"), places=2),
        st.integers(min_value=0, max_value=365),
        st.sampled_from(["CNY", "CNY", "USD"]),
        st.sampled_from([None, "INV-2026-000007", "INV-2026-000008"]),
    ),
    max_size=12,
)


@given(amount=amounts, items=open_items, reference=st.sampled_from([None, "INV-2026-000007", "x INV-2026-000008"]))
def test_proposals_never_exceed_the_payment_or_any_balance(
    amount: Decimal, items: list[OpenItem], reference: str | None
) -> None:
    proposals = propose_allocations(amount, "CNY", reference, items)
    by_id = {i.invoice_id: i for i in items}
    assert sum((p.amount for p in proposals), D(0)) <= amount
    assert len({p.invoice_id for p in proposals}) == len(proposals)
    for p in proposals:
        assert D(0) < p.amount <= by_id[p.invoice_id].available
        assert by_id[p.invoice_id].currency == "CNY"


@given(amount=amounts, items=open_items)
def test_proposals_leave_money_unallocated_only_when_every_item_is_full(amount: Decimal, items: list[OpenItem]) -> None:
    proposals = propose_allocations(amount, "CNY", None, items)
    total = sum((p.amount for p in proposals), D(0))
    capacity = sum((i.available for i in items if i.currency == "CNY"), D(0))
    assert total == min(amount, capacity)


# --- checking given allocations -------------------------------------------------------


def test_given_allocations_within_balances_are_accepted() -> None:
    a, b = item("100.00"), item("200.00")
    accepted = check_allocations(D("250.00"), "CNY", [(a.invoice_id, D("100.00")), (b.invoice_id, D("50.00"))], [a, b])
    assert [(x.invoice_id, x.amount, x.basis) for x in accepted] == [
        (a.invoice_id, D("100.00"), "given"),
        (b.invoice_id, D("50.00"), "given"),
    ]


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("unknown_invoice", "invoice_not_open"),
        ("other_currency", "allocation_currency_mismatch"),
        ("above_balance", "allocation_exceeds_balance"),
        ("above_payment", "allocations_exceed_payment"),
        ("duplicate", "allocation_duplicate_invoice"),
    ],
)
def test_given_allocations_breaking_a_rule_are_rejected_with_its_code(case: str, code: str) -> None:
    cny, usd = item("100.00"), item("100.00", currency="USD")
    requested = {
        "unknown_invoice": [(uuid.uuid4(), D("1.00"))],
        "other_currency": [(usd.invoice_id, D("1.00"))],
        "above_balance": [(cny.invoice_id, D("100.01"))],
        "above_payment": [(cny.invoice_id, D("60.00"))],
        "duplicate": [(cny.invoice_id, D("1.00")), (cny.invoice_id, D("1.00"))],
    }[case]
    with pytest.raises(AllocationRejected) as raised:
        check_allocations(D("50.00"), "CNY", requested, [cny, usd])
    assert raised.value.code == code


def test_allocations_may_add_up_to_exactly_the_payment() -> None:
    a = item("100.00")
    assert check_allocations(D("100.00"), "CNY", [(a.invoice_id, D("100.00"))], [a])[0].amount == D("100.00")


# --- the projection of an invoice --------------------------------------------------------

CUSTOMER = uuid.uuid4()
ISSUED = InvoiceState(
    customer_id=CUSTOMER,
    invoice_number="INV-2026-000001",
    currency="CNY",
    balance=D("1000.00"),
    total=D("1000.00"),
    invoice_date=date(2026, 2, 1),
    due_date=date(2026, 3, 3),
    payment_reference="RF18INV2026000001",
    issued_at=datetime(2026, 2, 1, 1, 0, tzinfo=UTC),
)
APPLIED_400 = InvoiceState(CUSTOMER, "INV-2026-000001", "CNY", D("600.00"), due_date=date(2026, 3, 3))
APPLIED_600 = InvoiceState(CUSTOMER, "INV-2026-000001", "CNY", D("0.00"), due_date=date(2026, 3, 3))
PAID = InvoiceState(CUSTOMER, "INV-2026-000001", "CNY", D(0), status="paid", total=D("1000.00"))
WRITTEN_OFF = InvoiceState(CUSTOMER, "INV-2026-000001", "CNY", D("600.00"), status="written_off")
VOIDED = InvoiceState(CUSTOMER, "INV-2026-000001", "CNY", D(0), status="void", total=D("1000.00"))


def fold(*facts: InvoiceState) -> InvoiceState:
    state = None
    for fact in facts:
        state = merge(state, fact)
    assert state is not None
    return state


def test_paid_before_issued_ends_paid_with_the_issued_details() -> None:
    state = fold(PAID, ISSUED)
    assert state.status == "paid"
    assert state.balance == 0
    assert state.payment_reference == "RF18INV2026000001"
    assert state.issued


def test_a_late_higher_balance_does_not_undo_a_payment() -> None:
    assert fold(ISSUED, APPLIED_400).balance == D("600.00")
    assert fold(APPLIED_400, ISSUED).balance == D("600.00")


def test_written_off_invoice_can_still_end_paid() -> None:
    assert fold(ISSUED, WRITTEN_OFF).status == "written_off"
    assert fold(ISSUED, WRITTEN_OFF, PAID).status == "paid"
    assert fold(PAID, WRITTEN_OFF).status == "paid"


def test_a_voided_invoice_owes_nothing() -> None:
    state = fold(ISSUED, VOIDED)
    assert (state.status, state.balance) == ("void", D(0))


@pytest.mark.parametrize("facts", list(itertools.permutations([ISSUED, APPLIED_400, APPLIED_600, PAID])))
def test_the_projection_does_not_depend_on_arrival_order(facts: tuple[InvoiceState, ...]) -> None:
    assert fold(*facts) == fold(ISSUED, APPLIED_400, APPLIED_600, PAID)


@given(st.lists(st.sampled_from([ISSUED, APPLIED_400, APPLIED_600, PAID, WRITTEN_OFF, VOIDED]), min_size=1))
def test_merging_is_order_independent_and_duplicates_change_nothing(facts: list[InvoiceState]) -> None:
    forward = fold(*facts)
    assert fold(*reversed(facts)) == forward
    assert fold(*facts, *facts) == forward


def test_only_issued_open_or_written_off_items_have_anything_available() -> None:
    assert available_balance(ISSUED, D("300.00")) == D("700.00")
    assert available_balance(ISSUED, D("2000.00")) == 0
    assert available_balance(APPLIED_400, D(0)) == 0  # known only from a PaymentApplied: not issued yet
    assert available_balance(replace(ISSUED, status="paid", balance=D(0)), D(0)) == 0
    assert available_balance(replace(ISSUED, status="void"), D(0)) == 0


def test_a_written_off_item_takes_at_most_what_is_left_of_its_balance() -> None:
    written_off = merge(ISSUED, WRITTEN_OFF)  # (the balance the write-off leaves: a recovery takes no more)
    assert written_off.status == "written_off"
    assert available_balance(written_off, D(0)) == written_off.balance
    assert available_balance(written_off, D("100.00")) == written_off.balance - D("100.00")
    assert available_balance(written_off, written_off.balance + 1) == 0


def test_oldest_due_first_never_reaches_a_written_off_item_unless_the_reference_names_it() -> None:
    owed = OpenItem(uuid.uuid4(), "INV-2026-000007", "CNY", date(2026, 1, 1), D("500.00"), written_off=True)
    assert propose_allocations(D("500.00"), "CNY", "货款", [owed]) == []
    [named] = propose_allocations(D("600.00"), "CNY", "还 INV-2026-000007 坏账", [owed])
    assert (named.invoice_id, named.amount, named.basis) == (owed.invoice_id, D("500.00"), "reference")
    [given] = check_allocations(D("200.00"), "CNY", [(owed.invoice_id, D("200.00"))], [owed])
    assert (given.amount, given.basis) == (D("200.00"), "given")
    with pytest.raises(AllocationRejected) as refused:
        check_allocations(D("600.00"), "CNY", [(owed.invoice_id, D("500.01"))], [owed])
    assert refused.value.code == "allocation_exceeds_balance"


# --- versioned balances: a balance may go up again --------------------------------------

V1_APPLIED_400 = replace(APPLIED_400, ledger_version=1)
V2_APPLIED_600 = replace(APPLIED_600, ledger_version=2)
V3_REVERSED_600 = InvoiceState(CUSTOMER, "INV-2026-000001", "CNY", D("600.00"), ledger_version=3)
V4_CREDIT_100 = InvoiceState(CUSTOMER, "INV-2026-000001", "CNY", D("500.00"), ledger_version=4)


def test_a_reversed_application_reopens_a_paid_invoice() -> None:
    state = fold(ISSUED, V1_APPLIED_400, V2_APPLIED_600, PAID, V3_REVERSED_600)
    assert (state.status, state.balance, state.ledger_version) == ("open", D("600.00"), 3)
    assert available_balance(state, D(0)) == D("600.00")


def test_an_older_version_arriving_late_changes_nothing() -> None:
    state = fold(ISSUED, V3_REVERSED_600, V2_APPLIED_600, V1_APPLIED_400, PAID)
    assert (state.status, state.balance, state.ledger_version) == ("open", D("600.00"), 3)


def test_the_same_version_again_changes_nothing() -> None:
    once = fold(ISSUED, V1_APPLIED_400, V3_REVERSED_600)
    assert fold(ISSUED, V1_APPLIED_400, V3_REVERSED_600, V3_REVERSED_600, V1_APPLIED_400) == once


def test_a_credit_note_sets_the_balance_it_reports() -> None:
    state = fold(ISSUED, V3_REVERSED_600, V4_CREDIT_100)
    assert (state.status, state.balance) == ("open", D("500.00"))


def test_a_versioned_zero_balance_is_paid_before_invoice_paid_arrives() -> None:
    assert fold(ISSUED, V2_APPLIED_600).status == "paid"


def test_an_unversioned_balance_does_not_override_a_versioned_one() -> None:
    # A legacy PaymentApplied (no version) delivered after versioned facts is older than they are.
    assert fold(ISSUED, V3_REVERSED_600, APPLIED_600).balance == D("600.00")


def test_a_reopened_written_off_invoice_is_written_off_again() -> None:
    state = fold(ISSUED, WRITTEN_OFF, V2_APPLIED_600, PAID, V3_REVERSED_600)
    assert (state.status, state.balance) == ("written_off", D("600.00"))
    assert available_balance(state, D(0)) == D("600.00")  # payable again, as a recovery


def test_a_voided_invoice_stays_void_whatever_its_balance() -> None:
    assert fold(ISSUED, VOIDED, V3_REVERSED_600).status == "void"


@pytest.mark.parametrize(
    "facts", list(itertools.permutations([ISSUED, V1_APPLIED_400, V2_APPLIED_600, PAID, V3_REVERSED_600]))
)
def test_a_versioned_projection_does_not_depend_on_arrival_order(facts: tuple[InvoiceState, ...]) -> None:
    assert fold(*facts) == fold(ISSUED, V1_APPLIED_400, V2_APPLIED_600, PAID, V3_REVERSED_600)


@given(
    st.lists(
        st.sampled_from(
            [
                ISSUED,
                APPLIED_400,
                APPLIED_600,
                PAID,
                WRITTEN_OFF,
                VOIDED,
                V1_APPLIED_400,
                V2_APPLIED_600,
                V3_REVERSED_600,
                V4_CREDIT_100,
            ]
        ),
        min_size=1,
    ),
    st.randoms(use_true_random=False),
)
def test_versioned_merging_is_order_independent_and_duplicates_change_nothing(
    facts: list[InvoiceState], rng: object
) -> None:
    forward = fold(*facts)
    shuffled = list(facts)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert fold(*shuffled) == forward
    assert fold(*facts, *reversed(facts)) == forward
