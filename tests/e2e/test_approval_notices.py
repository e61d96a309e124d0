"""Approvers are told by email (issue 18), across the platform: a credit manager asks credit-scoring for a manual
limit far above the recommended one; each other credit manager finds one email about it in their mailbox (the
requester none, a collector none); when one of them approves it, the requester is told who did and why."""

from __future__ import annotations

import secrets
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from arflow.testing import eventually
from arflow.testing.platform import Platform

pytestmark = pytest.mark.e2e


async def a_person(platform: Platform, roles: list[str], display_name: str) -> dict[str, Any]:
    """A new person with an email address, who has set their own password: the user and an access token."""
    async with platform.client("people") as people:
        username = f"e{secrets.token_hex(4)}"
        made = await people.post(
            "/users",
            json={
                "username": username,
                "display_name": display_name,
                "email": f"{username}@example.cn",
                "roles": roles,
            },
            headers={"Idempotency-Key": secrets.token_hex(8)},
        )
        assert made.status_code == 201, made.text
        user = made.json()
        first = await people.post(
            "/sessions",
            json={"username": username, "password": user["initial_password"]},
            headers={"Authorization": ""},
        )
        own = "一段足够长的口令 " + secrets.token_hex(4)
        changed = await people.put(
            "/me/password",
            json={"current_password": user["initial_password"], "new_password": own},
            headers={"Authorization": f"Bearer {first.json()['access_token']}"},
        )
        assert changed.status_code == 204, changed.text
        session = await people.post(
            "/sessions", json={"username": username, "password": own}, headers={"Authorization": ""}
        )
        assert session.status_code == 201, session.text
        return {**user, "token": session.json()["access_token"]}


def mails_to(platform: Platform, address: str) -> list[EmailMessage]:
    return [m for m in platform.smtp.messages if m["To"] == address]


async def one_mail_to(platform: Platform, address: str) -> EmailMessage:
    async def arrived() -> list[EmailMessage]:
        return mails_to(platform, address)

    (message,) = await eventually(arrived, within=30, what=f"an email to {address}")
    return message


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def test_a_credit_limit_waiting_for_a_second_person_reaches_each_approver_and_its_decision_the_requester(
    platform: Platform,
) -> None:
    requester = await a_person(platform, ["credit_manager"], "赵磊")
    approver = await a_person(platform, ["credit_manager"], "钱敏")
    colleague = await a_person(platform, ["credit_manager"], "孙丽")
    collector = await a_person(platform, ["collector"], "王芳")
    async with platform.client("invoicing") as invoicing:
        made = await invoicing.post(
            "/customers",
            json={"legal_name": "宁波海曙远洋贸易有限公司", "external_reference": f"crm-{secrets.token_hex(6)}"},
        )
        assert made.status_code == 201, made.text
        customer_id = made.json()["id"]

    credit = platform.urls["credit-scoring"]
    async with httpx.AsyncClient(base_url=credit, timeout=10) as client:

        async def known() -> bool:
            headers = {"Authorization": f"Bearer {platform.api_key}"}
            return (await client.get(f"/credit-files/{customer_id}", headers=headers)).status_code == 200

        await eventually(known, within=30, what="credit-scoring to know the customer")
        asked = await client.post(
            f"/credit-files/{customer_id}/limit/override",
            json={
                "amount": "150000.00",
                "currency": "CNY",
                "reason": "战略客户，总经理特批",
                "expires_on": "2027-12-31",
            },
            headers={"Authorization": f"Bearer {requester['token']}", "Idempotency-Key": secrets.token_hex(8)},
        )
        assert asked.status_code == 202, asked.text
        approval_id = asked.json()["id"]

        for person in (approver, colleague):
            message = await one_mail_to(platform, person["email"])
            assert message["Subject"] == "待审批：人工信用额度 CNY 150,000.00 / Approval needed: Credit-limit override"
            body = text_of(message)
            assert f"申请人：赵磊（user:{requester['username']}）" in body and "战略客户，总经理特批" in body
            assert f"/approvals?approval={approval_id}" in body

        approved = await client.post(
            f"/approvals/{approval_id}/approve",
            json={"comment": "已核对担保函"},
            headers={"Authorization": f"Bearer {approver['token']}"},
        )
        assert approved.status_code == 200, approved.text

    decision = await one_mail_to(platform, requester["email"])
    assert decision["Subject"] == "已批准：人工信用额度 CNY 150,000.00 / Approved: Credit-limit override"
    body = text_of(decision)
    assert f"钱敏（user:{approver['username']}）" in body and "审批意见：已核对担保函" in body
    assert "The action was applied as you asked it." in body
    assert mails_to(platform, collector["email"]) == []
    async with platform.client("people") as people:
        listed = await people.get("/approval-notices", params={"approval_id": approval_id, "limit": "100"})
    assert listed.status_code == 200, listed.text
    told = {(n["kind"], n["username"]): n["status"] for n in listed.json()["data"]}
    assert told[("request", approver["username"])] == told[("request", colleague["username"])] == "sent"
    assert ("request", requester["username"]) not in told and ("request", collector["username"]) not in told
    # The requester's own email is in the mailbox only once: the decision.
    assert [m["Subject"][:3] for m in mails_to(platform, requester["email"])] == ["已批准"]
