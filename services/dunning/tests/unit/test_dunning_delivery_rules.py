"""Who an issued invoice goes to and on which channel, when an event is too old to send, and quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dunning.deliveries.rules import Addressee, addressee_on, choose_addressee, quiet_until, too_old
from dunning.deliveries.sending import fetched_from

SHANGHAI = ZoneInfo("Asia/Shanghai")


def contact(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "role": "billing", "language": "zh-CN", "preferred_channel": "email", **fields}


def test_the_billing_contacts_email_gets_the_invoice_in_their_language() -> None:
    contacts = [
        contact("王总", role="finance_manager", email="wang@example.cn"),
        contact("Anna", email="anna@example.com", language="en"),
    ]
    assert choose_addressee(contacts, "zh-CN") == Addressee("email", "anna@example.com", "en")


def test_a_billing_contact_who_prefers_sms_gets_the_link_by_sms_and_no_email() -> None:
    contacts = [contact("陈静", email="chen@example.cn", phone="+8613800138000", preferred_channel="sms")]
    assert choose_addressee(contacts, "zh-CN") == Addressee("sms", "+8613800138000", "zh-CN")


def test_preferring_sms_without_a_phone_still_gets_the_email() -> None:
    contacts = [contact("陈静", email="chen@example.cn", preferred_channel="sms")]
    assert choose_addressee(contacts, "en") == Addressee("email", "chen@example.cn", "zh-CN")


def test_the_first_billing_contact_decides_not_a_later_one() -> None:
    contacts = [
        contact("陈静", email="chen@example.cn"),
        contact("李娜", phone="+8613900139000", preferred_channel="sms"),
    ]
    assert choose_addressee(contacts, "zh-CN") == Addressee("email", "chen@example.cn", "zh-CN")


def test_a_customer_with_only_a_phone_gets_an_sms() -> None:
    contacts = [contact("李娜", role="other", phone="+8613900139000")]
    assert choose_addressee(contacts, "zh-CN") == Addressee("sms", "+8613900139000", "zh-CN")


def test_nobody_to_write_to_is_none() -> None:
    assert choose_addressee([contact("李娜", postal_address="杭州市西湖区")], "zh-CN") is None
    assert choose_addressee([], "zh-CN") is None


def test_a_resend_stays_on_its_channel_with_the_contact_on_file() -> None:
    contacts = [contact("陈静", email="chen.new@example.cn", phone="+8613800138000", preferred_channel="sms")]
    assert addressee_on("email", contacts, "zh-CN") == Addressee("email", "chen.new@example.cn", "zh-CN")
    assert addressee_on("sms", [contact("陈静", email="c@example.cn")], "zh-CN") is None


def test_an_unknown_language_falls_back_to_the_customers_then_chinese() -> None:
    assert choose_addressee([contact("A", email="a@example.com", language="fr")], "en") == Addressee(
        "email", "a@example.com", "en"
    )
    assert choose_addressee([contact("A", email="a@example.com", language="fr")], "de") == Addressee(
        "email", "a@example.com", "zh-CN"
    )


def test_an_invoice_issued_longer_ago_than_the_limit_is_too_old() -> None:
    now = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    week = timedelta(days=7)
    assert not too_old(now, now, week)
    assert not too_old(now - week, now, week)
    assert too_old(now - week - timedelta(seconds=1), now, week)
    assert not too_old(now + timedelta(minutes=5), now, week)  # a clock a little behind the issuer's


def test_quiet_hours_across_midnight_end_at_eight_the_same_or_next_morning() -> None:
    start, end = time(21, 0), time(8, 0)
    evening = datetime(2026, 3, 2, 22, 30, tzinfo=SHANGHAI)
    assert quiet_until(evening, start, end) == datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI)
    early = datetime(2026, 3, 3, 6, 15, tzinfo=SHANGHAI)
    assert quiet_until(early, start, end) == datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI)
    assert quiet_until(datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI), start, end) is None
    assert quiet_until(datetime(2026, 3, 3, 20, 59, tzinfo=SHANGHAI), start, end) is None


def test_quiet_hours_within_one_day() -> None:
    lunch = datetime(2026, 3, 3, 12, 30, tzinfo=SHANGHAI)
    assert quiet_until(lunch, time(12, 0), time(13, 30)) == datetime(2026, 3, 3, 13, 30, tzinfo=SHANGHAI)
    assert quiet_until(lunch, time(13, 0), time(14, 0)) is None


def test_a_hosted_page_is_fetched_where_dunning_reaches_it_its_path_kept() -> None:
    link = "https://pay.example.cn/i/TWiEC7WcdpQAeVuWBk8A3x5nSoKuV80rRSNIjgtp2Zk"
    assert fetched_from(link, None) == link
    assert fetched_from(link, "http://invoicing:8001/") == (
        "http://invoicing:8001/i/TWiEC7WcdpQAeVuWBk8A3x5nSoKuV80rRSNIjgtp2Zk"
    )
