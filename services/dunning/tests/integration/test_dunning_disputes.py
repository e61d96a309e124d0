"""Disputes a collector hears on a call: recorded on the invoices named, only those paused, resolved here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from arflow.clock import FixedClock
from arflow.events.catalog import (
    DUNNING,
    ContactInfo,
    CreditScoreChanged,
    CustomerUpserted,
    DisputeOpened,
    InvoiceOverdue,
    topic_of,
)
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure
from arflow.testing.kafka import collect_events, publish_events
from arflow.testing.services import RunningService
from arflow.testing.tokens import person

DUE = date(2026, 3, 1)


def at(day: date, hour: int = 2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def overdue(customer_id: UUID, invoice_id: UUID, amount: str) -> InvoiceOverdue:
    return InvoiceOverdue(
        customer_id=customer_id,
        invoice_id=invoice_id,
        invoice_number=f"INV-2026-{uuid4().hex[:8].upper()}",
        invoice_date=DUE - timedelta(days=30),
        due_date=DUE,
        total=Money.of(amount, "CNY"),
        amount_due=Money.of(amount, "CNY"),
        days_overdue=1,
        bucket="1-30",
        as_of=DUE + timedelta(days=1),
    )


async def get(dunning: RunningService, path: str, **params: Any) -> Any:
    response = await dunning.client.get(path, params={k: str(v) for k, v in params.items()})
    assert response.status_code == 200, response.text
    return response.json()


async def case_with_a_call(
    infra: Infrastructure, dunning: RunningService, clock: FixedClock
) -> tuple[str, UUID, UUID, dict[str, Any]]:
    """A tier D customer with two overdue invoices (1000 and 2000), ticked to its phone call on 11 March."""
    clock.set(at(DUE + timedelta(days=1)))
    customer_id, kept, disputed = uuid4(), uuid4(), uuid4()
    await publish_events(
        infra.bootstrap,
        CreditScoreChanged(customer_id=customer_id, score=500, tier="D", model_version="t", scored_at=at(DUE)),
        CustomerUpserted(
            customer_id=customer_id,
            revision=1,
            legal_name="宁波海曙贸易有限公司",
            contacts=[ContactInfo(name="王芳", email=f"{uuid4().hex[:10]}@example.cn")],
        ),
        overdue(customer_id, kept, "1000.00"),
        overdue(customer_id, disputed, "2000.00"),
    )

    async def ready() -> str | None:
        cases = (await get(dunning, "/cases", customer_id=customer_id))["data"]
        if not cases:
            return None
        case_id: str = cases[0]["id"]
        detail = await get(dunning, f"/cases/{case_id}")
        [entry] = (await get(dunning, "/dry-run", case_id=case_id))["data"]
        return case_id if len(detail["items"]) == 2 and entry["tier"] == "D" else None

    case_id = await eventually(ready, what="the tier D case with both invoices")
    for day in (3, 5, 7, 9, 11):
        clock.set(at(date(2026, 3, day)))
        response = await dunning.client.post(
            "/admin/jobs/dunning-tick/runs", json={"as_of": at(date(2026, 3, day)).isoformat()}
        )
        assert response.status_code == 200, response.text
    tasks = (await get(dunning, "/tasks", case_id=case_id, status="open"))["data"]
    call = next(t for t in tasks if t["kind"] == "phone_call")
    return case_id, kept, disputed, call


async def chased_amount(dunning: RunningService, case_id: str) -> str:
    [entry] = (await get(dunning, "/dry-run", case_id=case_id, as_of=at(date(2026, 3, 12)).isoformat()))["data"]
    return entry["amount_overdue"]  # type: ignore[no-any-return]


def disputed_items(detail: dict[str, Any]) -> dict[str, bool]:
    return {i["invoice_id"]: i["disputed"] for i in detail["items"]}


async def test_a_call_ending_in_dispute_pauses_only_the_invoices_named_until_resolved(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    case_id, kept, disputed, call = await case_with_a_call(infra, dunning, walking_clock)
    walking_clock.set(datetime(2026, 3, 11, 17, 30, tzinfo=UTC))  # 01:30 on 12 March in Shanghai
    done = await dunning.client.post(
        f"/tasks/{call['id']}/complete",
        json={"outcome": "dispute", "disputed_invoice_ids": [str(disputed)], "note": "客户称货物未到"},
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done" and done.json()["outcome"] == "dispute"

    detail = await get(dunning, f"/cases/{case_id}")
    assert disputed_items(detail) == {str(kept): False, str(disputed): True}
    assert await chased_amount(dunning, case_id) == "1000.00"  # the undisputed invoice is still chased
    page = await get(dunning, f"/cases/{case_id}/disputes")
    assert page["object"] == "list" and page["has_more"] is False and page["next_cursor"] is None
    [dispute] = page["data"]
    assert dispute["invoice_id"] == str(disputed) and dispute["case_id"] == case_id
    assert dispute["source"] == "dunning" and dispute["reason"] == "客户称货物未到"
    assert dispute["opened_on"] == "2026-03-12"  # the customer's business date, not UTC's
    assert dispute["resolved_at"] is None

    paused = await collect_events(
        infra.bootstrap,
        topic_of(DUNNING),
        lambda e: e.type == "DunningPaused" and e.data.get("case_id") == case_id,
        count=1,
    )
    assert paused[0].data["reason"] == "dispute"

    resolved = await dunning.client.post(
        f"/cases/{case_id}/disputes/{dispute['dispute_id']}/resolve", json={"operator": "collector-zhao"}
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["resolved_by"] == "collector-zhao" and resolved.json()["resolved_on"] == "2026-03-12"
    detail = await get(dunning, f"/cases/{case_id}")
    assert disputed_items(detail) == {str(kept): False, str(disputed): False}
    assert await chased_amount(dunning, case_id) == "3000.00"

    again = await dunning.client.post(f"/cases/{case_id}/disputes/{dispute['dispute_id']}/resolve")
    assert again.status_code == 409 and again.json()["code"] == "dispute_already_resolved"


async def test_a_dispute_outcome_must_name_open_items_of_the_case(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    case_id, kept, _, call = await case_with_a_call(infra, dunning, walking_clock)
    missing = await dunning.client.post(
        f"/tasks/{call['id']}/complete", json={"outcome": "dispute"}, headers={"Accept-Language": "zh-CN"}
    )
    assert missing.status_code == 422 and missing.json()["code"] == "dispute_invoices_missing"
    assert "disputed_invoice_ids" in missing.json()["detail"] and "客户有争议的发票" in missing.json()["detail"]
    stranger = uuid4()
    foreign = await dunning.client.post(
        f"/tasks/{call['id']}/complete",
        json={"outcome": "dispute", "disputed_invoice_ids": [str(kept), str(stranger)]},
    )
    assert foreign.status_code == 422 and foreign.json()["code"] == "invoice_not_in_case"
    assert foreign.json()["invoice_ids"] == [str(stranger)]
    # Nothing was recorded by the refused completions: the task is still open and nothing is disputed.
    assert [
        t["id"]
        for t in (await get(dunning, "/tasks", case_id=case_id, status="open"))["data"]
        if t["kind"] == "phone_call"
    ] == [call["id"]]
    assert not any(disputed_items(await get(dunning, f"/cases/{case_id}")).values())
    assert (await get(dunning, f"/cases/{case_id}/disputes"))["data"] == []


async def test_a_dispute_raised_in_reconciliation_is_not_resolved_in_dunning(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    case_id, kept, _, _ = await case_with_a_call(infra, dunning, walking_clock)
    customer_id = UUID((await get(dunning, f"/cases/{case_id}"))["customer_id"])
    dispute_id = uuid4()
    await publish_events(
        infra.bootstrap,
        DisputeOpened(
            customer_id=customer_id,
            dispute_id=dispute_id,
            invoice_id=kept,
            amount=Money.of("1000.00", "CNY"),
            reason="金额不符",
            opened_at=at(date(2026, 3, 11)),
        ),
    )

    async def recorded() -> list[dict[str, Any]]:
        return (await get(dunning, f"/cases/{case_id}/disputes"))["data"]  # type: ignore[no-any-return]

    [dispute] = await eventually(recorded, what="reconciliation's dispute on the case")
    assert dispute["source"] == "reconciliation" and dispute["dispute_id"] == str(dispute_id)
    refused = await dunning.client.post(f"/cases/{case_id}/disputes/{dispute_id}/resolve")
    assert refused.status_code == 409 and refused.json()["code"] == "dispute_from_reconciliation"
    assert disputed_items(await get(dunning, f"/cases/{case_id}"))[str(kept)] is True
    unknown = await dunning.client.post(f"/cases/{case_id}/disputes/{uuid4()}/resolve")
    assert unknown.status_code == 404 and unknown.json()["code"] == "dispute_not_found"


async def test_a_cases_documents_are_listed_page_by_page_in_the_one_list_envelope(
    infra: Infrastructure, dunning: RunningService, walking_clock: FixedClock
) -> None:
    """The letter (day 7), then the handover's notice and its evidence pack (day 30), newest first."""
    case_id, _, _, _ = await case_with_a_call(infra, dunning, walking_clock)
    for day in range(13, 33, 2):
        walking_clock.set(at(date(2026, 3, day)))
        response = await dunning.client.post(
            "/admin/jobs/dunning-tick/runs", json={"as_of": at(date(2026, 3, day)).isoformat()}
        )
        assert response.status_code == 200, response.text
    # The handover reached on day 31 waits for a second person: the finance manager approves it.
    approval = (await get(dunning, f"/cases/{case_id}"))["handover_approval"]
    manager = person("wangfang", {"dunning:read", "dunning:approve"}, now=walking_clock.now())
    approved = await dunning.client.post(f"/approvals/{approval['id']}/approve", json={}, headers=manager)
    assert approved.status_code == 200, approved.text
    first = await get(dunning, f"/cases/{case_id}/documents", limit=1)
    assert set(first) == {"object", "data", "has_more", "next_cursor"}
    assert first["object"] == "list" and first["has_more"] is True
    [pack] = first["data"]
    assert pack["kind"] == "evidence_pack" and first["next_cursor"] == pack["id"]
    rest = await get(dunning, f"/cases/{case_id}/documents", limit=2, starting_after=pack["id"])
    assert [d["kind"] for d in rest["data"]] == ["letter", "letter"]
    handover, letter = rest["data"]
    assert handover["filename"].startswith("移交法律程序通知函-") and letter["filename"].startswith("催款函-")
    assert rest["has_more"] is False and rest["next_cursor"] is None
