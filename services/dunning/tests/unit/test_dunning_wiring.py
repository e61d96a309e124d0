"""Rules of the service layer that need no database: the item row, the channel table, each sender's settings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import get_args
from uuid import uuid4

from arflow.events.catalog import InvoiceDueSoon, InvoiceOverdue
from arflow.money import Money
from arflow.testing.creditor import TEST_CREDITOR
from dunning.actions.delivery import EMAIL, sms_limits
from dunning.cases.service import _item_row
from dunning.config import DunningSettings
from dunning.ladder.planning import guardrails
from dunning.ladder.schemas import Channel
from dunning.ladder.steps import CHANNEL_STARTS

OBSERVED = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def test_every_channel_a_policy_may_name_has_a_start() -> None:
    assert set(CHANNEL_STARTS) == set(get_args(Channel))


def test_a_due_soon_item_is_not_overdue_and_keeps_the_balance_as_observed() -> None:
    event = InvoiceDueSoon(
        customer_id=uuid4(),
        invoice_id=uuid4(),
        invoice_number="INV-2026-000101",
        due_date=date(2026, 3, 5),
        amount_due=Money.of("800.00", "CNY"),
        days_until_due=3,
        payment_reference="RF18INV2026000101",
    )
    row = _item_row(uuid4(), event, observed_at=OBSERVED, now=NOW)
    assert (row["overdue"], row["days_overdue"], row["bucket"]) == (False, 0, "due_soon")
    assert (row["balance_observed_at"], row["created_at"]) == (OBSERVED, NOW)
    assert (row["currency"], row["amount_due"]) == ("CNY", Money.of("800.00", "CNY").amount)


def test_an_overdue_item_takes_its_bucket_and_days_from_the_notice() -> None:
    event = InvoiceOverdue(
        customer_id=uuid4(),
        invoice_id=uuid4(),
        invoice_number="INV-2026-000102",
        invoice_date=date(2026, 1, 1),
        due_date=date(2026, 1, 31),
        total=Money.of("300.00", "CNY"),
        amount_due=Money.of("300.00", "CNY"),
        days_overdue=30,
        bucket="1-30",
        as_of=date(2026, 3, 2),
    )
    row = _item_row(uuid4(), event, observed_at=OBSERVED, now=NOW)
    assert (row["overdue"], row["days_overdue"], row["bucket"]) == (True, 30, "1-30")
    assert row["balance_observed_at"] == OBSERVED


def test_each_sender_paces_and_retries_by_its_own_settings() -> None:
    settings = DunningSettings(
        email_poll_seconds=1.0,
        email_batch_size=7,
        email_max_attempts=3,
        email_retry_base_seconds=30.0,
        sms_poll_seconds=2.0,
        sms_batch_size=9,
        sms_max_attempts=4,
        sms_retry_base_seconds=90.0,
    )
    email = EMAIL.limits(settings)
    sms = sms_limits(settings)
    assert (email.poll_seconds, email.batch_size, email.max_attempts, email.retry_base) == (
        1.0,
        7,
        3,
        timedelta(seconds=30),
    )
    assert (sms.poll_seconds, sms.batch_size, sms.max_attempts, sms.retry_base) == (2.0, 9, 4, timedelta(seconds=90))


def test_the_ladder_takes_no_letter_step_until_the_creditor_is_set() -> None:
    unset = DunningSettings.model_validate(dict.fromkeys(TEST_CREDITOR))
    assert guardrails(unset).creditor_ready is False
    demo = DunningSettings.model_validate({**dict.fromkeys(TEST_CREDITOR), "creditor_demo": True})
    assert guardrails(demo).creditor_ready is True  # the marked demo creditor, as make run has it
    assert guardrails(DunningSettings.model_validate(TEST_CREDITOR)).creditor_ready is True


def test_a_sender_is_woken_only_by_a_commit_that_created_an_action_it_delivers() -> None:
    import asyncio

    from dunning.actions.delivery import EMAIL, NEW_ACTION_CHANNELS, Channel, waker

    sms = Channel(name="sms", actions=("sms",), limits=EMAIL.limits, deliver=EMAIL.deliver)
    email_woken, sms_woken = asyncio.Event(), asyncio.Event()
    wake_email, wake_sms = waker(EMAIL, email_woken), waker(sms, sms_woken)
    for info in ({}, {NEW_ACTION_CHANNELS: {"phone_task"}}):  # a projection update, a call task
        wake_email(info)
        wake_sms(info)
    assert not email_woken.is_set() and not sms_woken.is_set()
    wake_email({NEW_ACTION_CHANNELS: {"sms"}})
    wake_sms({NEW_ACTION_CHANNELS: {"sms"}})
    assert not email_woken.is_set() and sms_woken.is_set()
    wake_email({NEW_ACTION_CHANNELS: {"letter"}})  # a letter goes out by email
    assert email_woken.is_set()
