"""Approvers are told by email (issue 18): an approval asked for on any service reaches, once, every active person
whose roles may decide it and never its requester; its decision reaches the requester. Through the real broker,
PostgreSQL and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal
from email.message import EmailMessage
from typing import Any
from uuid import UUID

from arflow.events.catalog import FIRM_SUBJECT, ApprovalDecided, ApprovalRequested
from arflow.events.envelope import wrap
from arflow.ids import uuid7
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService
from arflow.tokens import TokenClaims, sign

SCOPE = "credit-scoring:approve"
# The mailbox fixture (tests/conftest.py: an aiosmtpd server that can refuse an address).
Mailbox = Any


async def a_person(
    people: RunningService, roles: list[str], *, email: bool = True, name: str = "钱敏"
) -> dict[str, Any]:
    username = f"n{secrets.token_hex(4)}"
    body: dict[str, Any] = {"username": username, "display_name": name, "roles": roles}
    if email:
        body["email"] = f"{username}@example.cn"
    made = await people.client.post("/users", json=body, headers={"Idempotency-Key": secrets.token_hex(8)})
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def requested(people: RunningService, requester: str, *, amount: str = "150000.00", scope: str = SCOPE) -> Any:
    now = people.app.state.clock.now()
    return ApprovalRequested(
        customer_id=FIRM_SUBJECT,
        approval_id=uuid7(),
        service="credit-scoring",
        action="credit_limit.override",
        title_zh="人工信用额度",
        title_en="Credit-limit override",
        subject_type="credit_limit",
        subject_id=str(uuid7()),
        amount=Money.of(Decimal(amount), "CNY"),
        reason="战略客户，总经理特批；高于建议额度 150,000.00",
        requested_by=f"user:{requester}",
        approver_scope=scope,
        requested_at=now,
        expires_at=now + timedelta(hours=72),
    )


def decided(people: RunningService, approval: ApprovalRequested, status: str, by: str, comment: str | None) -> Any:
    return ApprovalDecided(
        customer_id=FIRM_SUBJECT,
        approval_id=approval.approval_id,
        service=approval.service,
        action=approval.action,
        status=status,  # type: ignore[arg-type]
        decided_by=f"user:{by}",
        decided_at=people.app.state.clock.now(),
        comment=comment,
    )


def envelope(people: RunningService, event: Any) -> Any:
    return wrap(event, occurred_at=people.app.state.clock.now(), traceparent=None)


async def mail_to(mailbox: Mailbox, address: str, count: int = 1) -> list[EmailMessage]:
    async def arrived() -> list[EmailMessage] | None:
        found = mailbox.to(address)
        return found if len(found) >= count else None

    return await eventually(arrived, within=20, what=f"{count} email(s) to {address}")


async def notices(people: RunningService, **params: str) -> list[dict[str, Any]]:
    listed = await people.client.get("/approval-notices", params={"limit": "100", **params})
    assert listed.status_code == 200, listed.text
    return listed.json()["data"]  # type: ignore[no-any-return]


async def settled(people: RunningService, approval_id: UUID, username: str) -> dict[str, Any]:
    """The person's notice of the approval once its delivery committed (the server has the mail a moment before)."""

    async def done() -> dict[str, Any] | None:
        found = await notices(people, approval_id=str(approval_id), username=username)
        return found[0] if found and found[0]["status"] != "pending" else None

    return await eventually(done, what=f"the notice to {username} to be settled")


def signed(signing_key: tuple[str, str], people: RunningService, scopes: set[str]) -> dict[str, str]:
    """A person's token as this people service signs them (its own key pair)."""
    now = people.app.state.clock.now()
    claims = TokenClaims(
        subject=str(uuid7()),
        name="shenjie",
        scopes=frozenset(scopes),
        roles=(),
        session_id=str(uuid7()),
        expires_at=now + timedelta(minutes=15),
    )
    return {"Authorization": f"Bearer {sign(signing_key[0], claims, issued_at=now, token_id=str(uuid7()))}"}


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def test_each_approver_is_emailed_once_and_never_the_requester_even_when_the_request_comes_twice(
    people: RunningService, infra: TestInfrastructure, mailbox: Mailbox
) -> None:
    requester = await a_person(people, ["credit_manager"], name="赵磊")
    first, second = await a_person(people, ["credit_manager"]), await a_person(people, ["credit_manager"])
    gone = await a_person(people, ["credit_manager"])
    disabled = await people.client.patch(f"/users/{gone['id']}", json={"status": "disabled"})
    assert disabled.status_code == 200, disabled.text
    bystander = await a_person(people, ["collector"])  # may not decide a credit limit
    approval = requested(people, requester["username"])
    twice = envelope(people, approval)
    await publish_events(infra.bootstrap, twice, twice)  # delivered twice, as at-least-once allows
    again = envelope(people, approval)  # and told again under another event id (a replayed outbox row)
    # Another request comes after all three on the same partition, and its notices are queued after theirs:
    # when its approver has it, a second email to the first approvers would have gone already.
    marker_approver = await a_person(people, ["finance_manager"])
    marker = requested(people, requester["username"], scope="invoicing:approve")
    await publish_events(infra.bootstrap, again, envelope(people, marker))

    await mail_to(mailbox, marker_approver["email"])
    for approver in (first, second):
        (message,) = await mail_to(mailbox, approver["email"])
        assert message["Subject"] == "待审批：人工信用额度 CNY 150,000.00 / Approval needed: Credit-limit override"
        body = text_of(message)
        assert "赵磊（user:" + requester["username"] + "）" in body and "战略客户，总经理特批" in body
        assert "Requested by: 赵磊 (user:" + requester["username"] + ")" in body
        assert f"http://127.0.0.1:8000/approvals?approval={approval.approval_id}" in body
        assert body.index("金额：CNY 150,000.00") < body.index("Amount: CNY 150,000.00")  # Chinese first
        assert message["Content-Language"] == "zh-CN, en"
        assert message.get_body(preferencelist=("html",)) is not None
    for nobody in (gone, bystander):
        assert mailbox.to(nobody["email"]) == []
    requests = await notices(people, approval_id=str(approval.approval_id), kind="request")
    mine = {n["username"]: n for n in requests}
    assert requester["username"] not in mine and gone["username"] not in mine
    assert mailbox.to(requester["email"]) == []
    assert mine[first["username"]]["status"] == mine[second["username"]]["status"] == "sent"
    assert sum(1 for n in requests if n["username"] == first["username"]) == 1
    (sent,) = mailbox.to(first["email"])
    assert sent["Message-ID"] == f"<{mine[first['username']]['id']}@arflow.local>"


async def test_the_requester_hears_who_rejected_it_and_why(
    people: RunningService, infra: TestInfrastructure, mailbox: Mailbox
) -> None:
    requester = await a_person(people, ["credit_manager"], name="赵磊")
    approver = await a_person(people, ["credit_manager"], name="孙丽")
    approval = requested(people, requester["username"], amount="300000")
    await publish_events(infra.bootstrap, envelope(people, approval))
    await mail_to(mailbox, approver["email"])
    told = envelope(people, decided(people, approval, "rejected", approver["username"], "担保函未到，暂不批准"))
    await publish_events(infra.bootstrap, told, told)

    (message,) = await mail_to(mailbox, requester["email"])
    assert message["Subject"] == "已驳回：人工信用额度 CNY 300,000.00 / Rejected: Credit-limit override"
    body = text_of(message)
    assert f"孙丽（user:{approver['username']}）" in body and "审批意见：担保函未到，暂不批准" in body
    assert "操作未执行" in body and "Nothing was changed" in body
    notice = await settled(people, approval.approval_id, requester["username"])
    assert (notice["kind"], notice["username"], notice["status"], notice["recipient"]) == (
        "decision",
        requester["username"],
        "sent",
        requester["email"],
    )


async def test_a_decision_heard_before_its_request_tells_only_the_requester(
    people: RunningService, infra: TestInfrastructure, mailbox: Mailbox
) -> None:
    requester = await a_person(people, ["credit_manager"])
    approver = await a_person(people, ["credit_manager"])
    approval = requested(people, requester["username"])
    decision = decided(people, approval, "approved", approver["username"], None)
    await publish_events(infra.bootstrap, envelope(people, decision), envelope(people, approval))

    (message,) = await mail_to(mailbox, requester["email"])
    assert message["Subject"].startswith("已批准：人工信用额度") and "审批意见：（未填写）" in text_of(message)
    assert await notices(people, approval_id=str(approval.approval_id), kind="request") == []
    assert mailbox.to(approver["email"]) == []


async def test_a_refused_address_is_retried_with_its_error_until_the_server_takes_it(
    people: RunningService, infra: TestInfrastructure, mailbox: Mailbox
) -> None:
    requester = await a_person(people, ["credit_manager"])
    approver = await a_person(people, ["credit_manager"])
    mailbox.refused.add(approver["email"])
    approval = requested(people, requester["username"])
    await publish_events(infra.bootstrap, envelope(people, approval))

    async def failed_once() -> dict[str, Any] | None:
        found = await notices(people, approval_id=str(approval.approval_id), username=approver["username"])
        return found[0] if found and found[0]["attempts"] >= 1 else None

    notice = await eventually(failed_once, what="a failed attempt")
    assert notice["status"] == "pending" and "550" in notice["last_error"] and mailbox.to(approver["email"]) == []
    mailbox.refused.discard(approver["email"])
    people.app.state.clock.advance(timedelta(seconds=1))  # the retry (0.2 s after the failure here) is due
    await mail_to(mailbox, approver["email"])
    sent = await settled(people, approval.approval_id, approver["username"])
    assert sent["status"] == "sent" and sent["attempts"] == 2 and sent["last_error"].startswith("SMTPRecipient")


async def test_an_email_not_sent_when_the_approval_is_decided_is_called_off(
    people: RunningService, infra: TestInfrastructure, mailbox: Mailbox
) -> None:
    requester = await a_person(people, ["credit_manager"])
    approver, late = await a_person(people, ["credit_manager"]), await a_person(people, ["credit_manager"])
    mailbox.refused.add(late["email"])  # its notice waits for a retry
    approval = requested(people, requester["username"])
    await publish_events(infra.bootstrap, envelope(people, approval))
    await mail_to(mailbox, approver["email"])
    await publish_events(
        infra.bootstrap, envelope(people, decided(people, approval, "approved", approver["username"], "同意"))
    )
    await mail_to(mailbox, requester["email"])
    mailbox.refused.discard(late["email"])
    (called_off,) = await notices(people, approval_id=str(approval.approval_id), username=late["username"])
    assert called_off["status"] == "cancelled" and called_off["last_error"] == "decided: approved before it was sent"
    assert mailbox.to(late["email"]) == []


async def test_a_person_without_an_address_is_listed_as_skipped(
    people: RunningService, infra: TestInfrastructure, mailbox: Mailbox
) -> None:
    requester = await a_person(people, ["finance_manager"])
    silent = await a_person(people, ["finance_manager"], email=False)
    heard = await a_person(people, ["finance_manager"])
    approval = requested(people, requester["username"], scope="invoicing:approve")
    await publish_events(infra.bootstrap, envelope(people, approval))
    await mail_to(mailbox, heard["email"])
    (skipped,) = await notices(people, approval_id=str(approval.approval_id), username=silent["username"])
    assert (skipped["status"], skipped["recipient"]) == ("skipped", None) and "no_email" in skipped["last_error"]


async def test_the_notices_are_for_readers_of_people_paginated_and_one_shows_what_was_sent(
    people: RunningService, infra: TestInfrastructure, mailbox: Mailbox, signing_key: tuple[str, str]
) -> None:
    requester = await a_person(people, ["credit_manager"])
    approver = await a_person(people, ["credit_manager"])
    approval = requested(people, requester["username"])
    await publish_events(infra.bootstrap, envelope(people, approval))
    await mail_to(mailbox, approver["email"])
    auditor = signed(signing_key, people, {"people:read", "people:self"})
    page = await people.client.get("/approval-notices", params={"limit": "1"}, headers=auditor)
    assert page.status_code == 200 and len(page.json()["data"]) == 1 and page.json()["has_more"]
    after = await people.client.get(
        "/approval-notices", params={"limit": "1", "starting_after": page.json()["next_cursor"]}, headers=auditor
    )
    assert after.json()["data"][0]["id"] != page.json()["data"][0]["id"]
    nobody = await people.client.get("/approval-notices", headers=signed(signing_key, people, {"people:self"}))
    assert nobody.status_code == 403 and nobody.json()["code"] == "missing_scope"
    (notice,) = await notices(people, approval_id=str(approval.approval_id), username=approver["username"])
    one = await people.client.get(f"/approval-notices/{notice['id']}", headers=auditor)
    assert one.status_code == 200 and "Approve or reject it in the approvals inbox" in one.json()["body_text"]
    missing = await people.client.get(f"/approval-notices/{UUID(int=7)}", headers=auditor)
    assert missing.status_code == 404 and missing.json()["code"] == "approval_notice_not_found"
