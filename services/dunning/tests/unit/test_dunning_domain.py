from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dunning.domain import (
    CustomerView,
    Recipient,
    after_failed_attempt,
    case_resolution,
    choose_recipient,
    is_newer_balance,
    plan_reminder,
)

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def customer(contacts: list[dict[str, object]], *, excluded: bool = False, language: str = "zh-CN") -> CustomerView:
    return CustomerView(
        legal_name="上海星河代理记账有限公司",
        preferred_language=language,
        contacts=contacts,
        dunning_excluded=excluded,
    )


# --- choosing the recipient --------------------------------------------------------


def test_billing_contact_is_preferred_over_an_earlier_other_contact() -> None:
    contacts = [
        {"name": "老板", "role": "legal_representative", "email": "boss@example.cn", "language": "zh-CN"},
        {"name": "Anna", "role": "billing", "email": "anna@example.com", "language": "en"},
    ]
    assert choose_recipient(contacts, "zh-CN") == Recipient("anna@example.com", "en")


def test_first_contact_with_an_email_is_the_fallback() -> None:
    contacts = [
        {"name": "无邮箱", "role": "billing", "phone": "+8613812345678"},
        {"name": "财务经理", "role": "finance_manager", "email": "cfo@example.cn", "language": "zh-CN"},
        {"name": "其他", "role": "other", "email": "other@example.cn"},
    ]
    assert choose_recipient(contacts, "zh-CN") == Recipient("cfo@example.cn", "zh-CN")


def test_billing_contact_without_email_is_skipped() -> None:
    contacts: list[dict[str, str | None]] = [
        {"name": "A", "role": "billing", "email": None},
        {"name": "B", "role": "billing", "email": "b@example.cn", "language": "en"},
    ]
    assert choose_recipient(contacts, "zh-CN") == Recipient("b@example.cn", "en")


def test_no_contact_with_an_email_means_no_recipient() -> None:
    assert choose_recipient([{"name": "A", "role": "billing", "phone": "+8613812345678"}], "zh-CN") is None
    assert choose_recipient([], "en") is None


def test_contact_without_language_gets_the_customers_language() -> None:
    assert choose_recipient([{"name": "A", "email": "a@example.com"}], "en") == Recipient("a@example.com", "en")


def test_unknown_language_falls_back_to_chinese() -> None:
    recipient = choose_recipient([{"name": "A", "email": "a@example.com", "language": "fr"}], "de")
    assert recipient is not None
    assert recipient.language == "zh-CN"


# --- planning the reminder -------------------------------------------------------------


def test_reminder_goes_to_the_chosen_contact_in_their_language() -> None:
    plan = plan_reminder(customer([{"name": "Anna", "role": "billing", "email": "anna@example.com", "language": "en"}]))
    assert plan.kind == "send"
    assert plan.recipient == Recipient("anna@example.com", "en")
    assert plan.language == "en"


def test_excluded_customer_gets_no_reminder_even_with_contacts() -> None:
    plan = plan_reminder(customer([{"name": "A", "email": "a@example.cn"}], excluded=True))
    assert plan.kind == "excluded"
    assert plan.recipient is None


def test_customer_without_email_is_recorded_as_no_recipient_in_its_language() -> None:
    plan = plan_reminder(customer([{"name": "A", "phone": "+8613812345678"}], language="en"))
    assert plan.kind == "no_recipient"
    assert plan.language == "en"


def test_unknown_customer_waits_for_its_projection() -> None:
    assert plan_reminder(None).kind == "await_customer"


# --- resolving a case --------------------------------------------------------------------


def test_case_with_an_open_item_is_not_resolved() -> None:
    assert case_resolution(["paid", None]) is None


def test_case_without_items_is_not_resolved() -> None:
    assert case_resolution([]) is None


@pytest.mark.parametrize(
    ("closures", "resolution"),
    [
        (["paid"], "paid"),
        (["voided"], "voided"),
        (["written_off"], "written_off"),
        (["paid", "voided"], "paid"),
        (["voided", "voided"], "voided"),
        (["paid", "written_off", "voided"], "written_off"),
    ],
)
def test_resolution_of_a_fully_closed_case(closures: list[str], resolution: str) -> None:
    assert case_resolution(closures) == resolution


def test_case_resolution_accepts_a_generator() -> None:
    assert case_resolution(c for c in ("paid", "paid")) == "paid"


# --- balances and retries ------------------------------------------------------------------


def test_an_older_balance_never_replaces_a_newer_one() -> None:
    assert not is_newer_balance(NOW, NOW - timedelta(seconds=1))
    assert is_newer_balance(NOW, NOW + timedelta(seconds=1))
    assert is_newer_balance(NOW, NOW)


def test_the_ledger_version_orders_balances_when_both_carry_one() -> None:
    later = NOW + timedelta(seconds=1)
    assert not is_newer_balance(NOW, later, held_version=3, version=2)
    assert is_newer_balance(later, NOW, held_version=2, version=3)
    assert is_newer_balance(NOW, later, held_version=None, version=2)
    assert not is_newer_balance(later, NOW, held_version=3, version=None)


def test_failed_attempts_back_off_exponentially() -> None:
    base = timedelta(minutes=1)
    delays = [after_failed_attempt(n, now=NOW, max_attempts=5, base_delay=base).retry_at for n in (1, 2, 3, 4)]
    assert delays == [NOW + timedelta(minutes=m) for m in (1, 2, 4, 8)]


def test_the_last_allowed_attempt_gives_up() -> None:
    decision = after_failed_attempt(5, now=NOW, max_attempts=5, base_delay=timedelta(minutes=1))
    assert decision.status == "failed"
    assert decision.retry_at is None


def test_an_attempt_before_the_last_is_retried() -> None:
    assert after_failed_attempt(4, now=NOW, max_attempts=5, base_delay=timedelta(minutes=1)).status == "pending"


def test_contacts_are_chosen_by_the_channel_they_prefer() -> None:
    from dunning.domain import choose_phone, choose_postal_address, choose_recipient

    contacts = [
        {"name": "张伟", "role": "finance_manager", "email": "zhang@example.cn", "phone": "+8613900000001"},
        {"name": "李娜", "role": "billing", "email": "li@example.cn", "phone": "+8613900000002"},
        {
            "name": "王芳",
            "role": "billing",
            "email": "wang@example.cn",
            "phone": "+8613900000003",
            "preferred_channel": "sms",
            "postal_address": "杭州市西湖区文三路100号",
        },
    ]
    # Billing contacts first; among them, the one who prefers the channel.
    recipient = choose_recipient(contacts, "zh-CN")
    assert recipient is not None and recipient.email == "li@example.cn"
    assert choose_phone(contacts) == "+8613900000003"
    assert choose_postal_address(contacts) == "杭州市西湖区文三路100号"
    assert choose_postal_address(contacts[:2]) is None
    # A finance manager is reached only when no billing contact can be.
    assert choose_phone(contacts[:1]) == "+8613900000001"
