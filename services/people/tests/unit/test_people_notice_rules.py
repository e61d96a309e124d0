"""Who may decide an approval, when a failed email is tried again, and what a notice says (no infrastructure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from people.domain import Person, after_failed_attempt, approvers, grants, username_of
from people.notices.wording import Asked, Decision, Name, decision_notice, inbox_link, request_notice

NOW = datetime(2026, 4, 15, 2, 0, tzinfo=UTC)
ROLES = {
    "credit_manager": ["credit-scoring:read", "credit-scoring:approve"],
    "finance_manager": ["invoicing:approve", "people:read"],
    "everything_in_dunning": ["dunning:*"],
}


def someone(username: str, *roles: str, active: bool = True) -> Person:
    return Person(UUID(int=len(username)), username, username.title(), f"{username}@example.cn", roles, active)


def test_a_role_grants_a_scope_itself_or_by_its_services_wildcard() -> None:
    assert grants(["credit-scoring:approve"], "credit-scoring:approve")
    assert grants(["dunning:*"], "dunning:approve") and grants(["*"], "invoicing:approve")
    assert not grants(["dunning:*"], "invoicing:approve") and not grants(
        ["credit-scoring:read"], "credit-scoring:approve"
    )


def test_the_approvers_hold_the_scope_are_active_and_never_the_requester() -> None:
    people = [
        someone("zhaolei", "credit_manager"),
        someone("qianmin", "credit_manager"),
        someone("sunli", "finance_manager", "credit_manager"),
        someone("gone", "credit_manager", active=False),
        someone("wangfang", "finance_manager"),
        someone("odd", "no_such_role"),
    ]
    found = approvers(people, ROLES, scope="credit-scoring:approve", requested_by="user:zhaolei")
    assert [p.username for p in found] == ["qianmin", "sunli"]
    by_key = approvers(people, ROLES, scope="credit-scoring:approve", requested_by="erp-integration")
    assert [p.username for p in by_key] == ["qianmin", "sunli", "zhaolei"]  # an integration is nobody here


def test_only_a_user_actor_has_a_username() -> None:
    assert username_of("user:zhaolei") == "zhaolei"
    assert username_of("erp") is None and username_of("system:sweep") is None and username_of(None) is None


def test_a_failed_email_is_retried_after_a_doubling_delay_then_given_up() -> None:
    base = timedelta(seconds=60)
    first = after_failed_attempt(1, now=NOW, max_attempts=5, base_delay=base)
    third = after_failed_attempt(3, now=NOW, max_attempts=5, base_delay=base)
    assert (first.status, first.retry_at) == ("pending", NOW + timedelta(seconds=60))
    assert third.retry_at == NOW + timedelta(seconds=240)
    assert after_failed_attempt(5, now=NOW, max_attempts=5, base_delay=base).status == "failed"
    capped = after_failed_attempt(30, now=NOW, max_attempts=99, base_delay=base)
    assert capped.retry_at == NOW + timedelta(hours=6)


ASKED = Asked(
    approval_id=UUID("01900000-0000-7000-8000-000000000001"),
    service="invoicing",
    action="invoice.write_off",
    title_zh="坏账核销",
    title_en="Write-off",
    subject_type="invoice",
    subject_id="INV-2026-000123",
    amount=Decimal("12345.6"),
    currency="CNY",
    reason="客户已注销，<无法>追偿",
    requested_by=Name("user:zhaolei", "赵磊"),
    requested_at=NOW,
    expires_at=NOW + timedelta(hours=72),
)


def test_a_request_notice_says_what_who_how_much_and_why_in_chinese_then_english() -> None:
    notice = request_notice(ASKED, approver="钱敏", inbox_url="http://console.example/approvals")
    assert notice.subject == "待审批：坏账核销 CNY 12,345.60 / Approval needed: Write-off"
    text = notice.text
    for line in (
        "操作：坏账核销（开票服务，invoice.write_off）",
        "对象：账单 INV-2026-000123",
        "金额：CNY 12,345.60",
        "申请人：赵磊（user:zhaolei）",
        "事由：客户已注销，<无法>追偿",
        "申请时间：2026年4月15日 10:00（北京时间）",
        "审批期限：2026年4月18日 10:00（北京时间）",
        "Action: Write-off (invoicing, invoice.write_off)",
        "Requested by: 赵磊 (user:zhaolei)",
        "Decide by: 18 Apr 2026 10:00 (Beijing time)",
        "http://console.example/approvals?approval=01900000-0000-7000-8000-000000000001",
    ):
        assert line in text, line
    assert text.index("钱敏，您好") < text.index("Hello 钱敏")
    assert "&lt;无法&gt;" in notice.html and "<无法>" not in notice.html  # the requester's words are escaped


def test_a_decision_notice_says_approved_or_rejected_by_whom_with_the_comment() -> None:
    decision = Decision("rejected", Name("user:qianmin", "钱敏"), NOW + timedelta(hours=1), "请补充注销证明")
    notice = decision_notice(ASKED, decision, requester="赵磊", inbox_url="http://console.example/approvals")
    assert notice.subject == "已驳回：坏账核销 CNY 12,345.60 / Rejected: Write-off"
    assert "已由 钱敏（user:qianmin） 于 2026年4月15日 11:00（北京时间）驳回。" in notice.text
    assert "审批意见：请补充注销证明" in notice.text and "Comment: 请补充注销证明" in notice.text
    approved = decision_notice(
        ASKED, Decision("approved", decision.decided_by, NOW, None), requester="赵磊", inbox_url="http://x/a"
    )
    assert approved.subject.startswith("已批准：") and "The action was applied as you asked it." in approved.text


def test_the_inbox_link_keeps_a_query_the_setting_has() -> None:
    assert inbox_link("http://c/approvals?lang=en", UUID(int=1)).endswith(
        "/approvals?lang=en&approval=00000000-0000-0000-0000-000000000001"
    )
