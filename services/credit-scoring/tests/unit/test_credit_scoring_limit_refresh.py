"""The limit row and CreditLimitChanged a rescore writes, decided by the pure rule (no database)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from arflow.events.catalog import CreditLimitChanged
from credit_scoring.domain import CreditFile, PaymentExperience, build_credit_file
from credit_scoring.policy import LIMIT_CAPS, refresh_limit

AS_OF = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 2, 0, tzinfo=UTC)
CUSTOMER = uuid.uuid4()


def file_of(*totals: str) -> CreditFile:
    experiences = [
        PaymentExperience(
            invoice_id=uuid.uuid4(),
            invoice_number=None,
            currency="CNY",
            total=Decimal(total),
            invoice_date=AS_OF - timedelta(days=10 * (i + 1)),
            due_date=AS_OF - timedelta(days=10 * (i + 1)) + timedelta(days=30),
            issued_on=AS_OF - timedelta(days=10 * (i + 1)),
        )
        for i, total in enumerate(totals)
    ]
    return build_credit_file(experiences, as_of=AS_OF, first_seen_on=None)


def refresh(file: CreditFile, current: dict[str, Any] | None, *, today: date = AS_OF) -> Any:
    return refresh_limit(
        customer_id=CUSTOMER, file=file, tier="B", today=today, current=current, caps=LIMIT_CAPS, now=NOW
    )


def test_the_first_limit_is_written_and_published_without_a_previous_one() -> None:
    recommendation, effective, _, events, row = refresh(file_of("9000"), None)
    assert row is not None and row["effective"] == effective == recommendation.limit
    (changed,) = events
    assert isinstance(changed, CreditLimitChanged)
    assert changed.previous_limit is None and not changed.manual_override and changed.changed_at == NOW


def test_a_limit_that_did_not_move_writes_nothing() -> None:
    file = file_of("9000")
    *_, row = refresh(file, None)
    assert row is not None
    stored = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items()}  # as the snapshot's JSON
    _, _, _, events, again = refresh(file, stored)
    assert (events, again) == ([], None)


def test_an_override_stands_in_its_own_currency_through_its_expiry_then_lapses() -> None:
    file = file_of("9000")
    override = {
        "currency": "USD",
        "recommended": "0",
        "effective": "0",
        "override_amount": "50000",
        "override_reason": "特批",
        "override_expires_on": AS_OF.isoformat(),
        "override_by": "test",
        "exposure": "0",
        "utilisation": None,
    }
    recommendation, effective, _, events, row = refresh(file, override)
    assert (recommendation.currency, effective) == ("USD", Decimal(50000))
    assert row is not None and row["override_by"] == "test"
    assert [e.manual_override for e in events if isinstance(e, CreditLimitChanged)] == [True]

    recommendation, effective, _, events, row = refresh(file, override, today=AS_OF + timedelta(days=1))
    assert recommendation.currency == "CNY" and effective == recommendation.limit
    assert row is not None and row["override_amount"] is None and row["override_by"] is None
    (lapsed,) = events
    assert isinstance(lapsed, CreditLimitChanged) and not lapsed.manual_override
