"""When the tick asks again for a legal handover: never while one is pending, 30 days after a rejection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from dunning.ladder.planning import ASK_AGAIN_AFTER_REJECTION, handover_wait

NOW = datetime(2026, 4, 1, 2, tzinfo=UTC)
OWED = Decimal("8000.00")


def asked(
    status: str, *, step: str = "legal_handover", expires: timedelta = timedelta(hours=72), decided: Any = None
) -> Any:
    return SimpleNamespace(
        step=step, status=status, amount=Decimal("8000.0000"), expires_at=NOW + expires, decided_at=decided
    )


def test_nothing_asked_yet_lets_the_tick_ask() -> None:
    assert handover_wait((), "legal_handover", OWED, NOW) is None


def test_a_pending_request_makes_the_case_wait_until_it_expires() -> None:
    pending = asked("pending")
    assert handover_wait([pending], "legal_handover", OWED, NOW) == "awaiting_approval"
    assert handover_wait([pending], "legal_handover", OWED, NOW + timedelta(hours=72)) is None  # expired: ask again


def test_a_request_for_an_amount_the_case_no_longer_owes_is_asked_anew() -> None:
    assert handover_wait([asked("pending")], "legal_handover", Decimal("5000.00"), NOW) is None


def test_a_request_for_another_step_does_not_count() -> None:
    assert handover_wait([asked("pending", step="legal_handover_v1")], "legal_handover", OWED, NOW) is None


def test_a_rejection_holds_the_rung_for_30_days() -> None:
    rejected = asked("rejected", decided=NOW)
    assert timedelta(days=30) == ASK_AGAIN_AFTER_REJECTION  # (the README says so)
    assert handover_wait([rejected], "legal_handover", OWED, NOW + timedelta(days=29)) == "handover_rejected"
    assert handover_wait([rejected], "legal_handover", OWED, NOW + timedelta(days=30)) is None
