"""The console's pure parts: what a search query is, the timeline's order, the SVG charts, the ladder."""

from __future__ import annotations

from decimal import Decimal

from console import charts, timeline
from console.backend import Reading
from console.pages.customers import _cases_with_documents, ladder_of
from console.pages.search import filter_of, kind_of
from lxml import etree

SVG = "{http://www.w3.org/2000/svg}"


def test_a_query_is_told_by_its_shape() -> None:
    assert kind_of("91350100M000100Y43") == "uscc"
    assert kind_of("91350100M000100Y44") == "name"  # check digit wrong: not a USCC
    assert kind_of("INV-2026-000123") == "invoice_number"
    assert kind_of("1,580.00") == "amount"
    assert kind_of("¥ 880") == "amount"
    assert kind_of("杭州云帆") == "name"
    assert kind_of("2026 年报") == "name"


def test_each_kind_of_query_goes_to_the_filter_that_answers_it() -> None:
    assert filter_of("uscc", " 91350100m000100y43 ") == (
        "/customers",
        {"unified_social_credit_code": "91350100M000100Y43"},
    )
    assert filter_of("invoice_number", "inv-2026-000123") == ("/invoices", {"number": "INV-2026-000123"})
    assert filter_of("amount", "¥ 1,580.50") == ("/invoices", {"amount": "1580.50"})
    assert filter_of("name", " 杭州 云帆 ") == ("/customers", {"search": "杭州 云帆"})


def test_the_timeline_is_newest_first_and_a_dated_fact_sorts_at_the_start_of_its_day() -> None:
    invoice = {
        "number": "INV-2026-000001",
        "total": "100.00",
        "currency": "CNY",
        "issued_at": "2026-01-05T02:00:00Z",  # 10:00 in Shanghai
        "paid_on": "2026-02-12",
    }
    payment = {"amount": "100.00", "currency": "CNY", "received_on": "2026-02-12", "allocations": []}
    promise = {"amount": "100.00", "currency": "CNY", "created_at": "2026-02-12T03:00:00Z", "status": "open"}
    events = timeline.merged(
        timeline.invoice_events([invoice]), timeline.payment_events([payment]), timeline.promise_events([promise])
    )
    assert [e.kind for e in events] == [
        "ev_promise_made",
        "ev_payment_received",
        "ev_invoice_paid",
        "ev_invoice_issued",
    ]
    assert events[1].at.isoformat() == "2026-02-12T00:00:00+08:00" and events[1].dated_only


def test_a_line_chart_draws_a_dot_per_figure_and_leaves_a_gap_for_none() -> None:
    svg = charts.line_chart(
        ["2026-01", "2026-02", "2026-03", "2026-04"],
        [charts.Series("DSO", [Decimal("41.5"), None, Decimal("38.2"), Decimal("52")])],
        label="DSO <trend>",
    )
    doc = etree.fromstring(str(svg).encode())
    assert len(doc.findall(f"{SVG}circle")) == 3
    assert len(doc.findall(f"{SVG}polyline")) == 1  # the two points after the gap; the lone first point has none
    assert doc.find(f"{SVG}title").text == "DSO <trend>"  # escaped in the markup, read back as text
    ticks = [t.text for t in doc.findall(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert ticks[0] == "0" and Decimal(ticks[-1]) >= 52


def test_a_bar_chart_draws_one_bar_per_figure_below_zero_too() -> None:
    svg = charts.bar_chart(
        ["current", "1-30", "90+"],
        [charts.Series("CNY", [Decimal("1200"), Decimal("-50"), Decimal("0")])],
        label="aging",
    )
    doc = etree.fromstring(str(svg).encode())
    bars = doc.findall(f"{SVG}rect")
    assert len(bars) == 3
    assert [b.find(f"{SVG}title").text for b in bars] == ["current · CNY: 1,200", "1-30 · CNY: -50", "90+ · CNY: 0"]


def test_a_round_axis_step() -> None:
    assert charts._nice_step(Decimal("1000")) == Decimal("250")
    assert charts._nice_step(Decimal("7")) == Decimal("2")


def test_the_ladder_marks_what_the_dry_run_says_is_done_and_next() -> None:
    policy = {
        "steps": [
            {"name": "reminder", "level": 0, "channel": "email", "offset_days": -3},
            {"name": "notice", "level": 1, "channel": "email", "offset_days": 1},
            {"name": "call", "level": 2, "channel": "phone_task", "offset_days": 7},
        ]
    }
    case = {"level": 1, "status": "open"}
    steps = ladder_of(case, policy, {"done_steps": ["reminder", "notice"], "step": "call"})
    assert [(s["done"], s["next"]) for s in steps] == [(True, False), (True, False), (False, True)]
    assert [s["done"] for s in ladder_of(case, policy, None)] == [True, True, False]


def test_a_policy_version_read_once_is_not_read_again_but_the_latest_always_is() -> None:
    from console.backend import Reading
    from console.pages import customers

    customers.POLICY_VERSIONS.clear()
    case = {"id": "c1"}
    calls = customers._policy_call(case, "standard", 3)
    assert list(calls) == ["policy:c1"]
    policy = {"code": "standard", "version": 3, "steps": []}
    assert customers._policy_of(case, {"policy:c1": Reading(200, policy)}) == policy
    again = {"id": "c2"}
    assert customers._policy_call(again, "standard", 3) == {}
    assert customers._policy_of(again, {}) == policy
    latest = {"id": "c3"}
    assert list(customers._policy_call(latest, "standard", None)) == ["policy:c3"]
    assert customers._policy_of(latest, {"policy:c3": Reading(404)}) is None


def test_a_cases_letters_are_read_only_when_one_of_its_actions_made_a_document() -> None:
    cases = [{"id": "c1"}, {"id": "c2"}, {"id": "c3"}]
    actions = [
        {"case_id": "c1", "channel": "email"},
        {"case_id": "c2", "channel": "letter"},
        {"case_id": "c3", "channel": "legal_handover"},
        {"case_id": "c1", "channel": "phone_task"},
    ]
    assert _cases_with_documents(cases, Reading(200, {"data": actions, "has_more": False})) == {"c2", "c3"}
    # an action log read only in part, or not at all, cannot say a case has no letter: every case is read
    assert _cases_with_documents(cases, Reading(200, {"data": actions, "has_more": True})) == {"c1", "c2", "c3"}
    assert _cases_with_documents(cases, Reading(503)) == {"c1", "c2", "c3"}
