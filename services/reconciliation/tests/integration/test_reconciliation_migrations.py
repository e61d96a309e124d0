"""Migrations on a database of their own: 0008 from a 0007 database that already has customers, 0009 from a 0008
one that already has payments, 0011 from a 0010 one that already has payer mappings."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import URL

from arflow.db import Database
from arflow.migrations import upgrade
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure  # not Test*: pytest would collect it
from arflow.testing.infrastructure import spec
from reconciliation.keys import name_bigrams, normalise_name
from reconciliation.payments import repository
from reconciliation.payments.schemas import payment_out

SERVICE_DIR = spec("reconciliation").directory


def downgrade(url: URL, revision: str) -> None:
    config = Config(str(SERVICE_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(SERVICE_DIR / "migrations"))
    config.set_main_option("sqlalchemy.url", url.render_as_string(hide_password=False).replace("%", "%%"))
    command.downgrade(config, revision)


async def database_at(infra: Infrastructure, revision: str) -> AsyncIterator[tuple[URL, Database]]:
    url = await infra.scratch_database(f"reconciliation_migration_{uuid4().hex[:8]}")
    await asyncio.to_thread(upgrade, SERVICE_DIR, url, revision)
    db = Database(url, pool_size=1)
    try:
        yield url, db
    finally:
        await db.dispose()


@pytest.fixture
async def at_0007(infra: Infrastructure) -> AsyncIterator[tuple[URL, Database]]:
    async for database in database_at(infra, "0007"):
        yield database


@pytest.fixture
async def at_0008(infra: Infrastructure) -> AsyncIterator[tuple[URL, Database]]:
    async for database in database_at(infra, "0008"):
        yield database


@pytest.fixture
async def at_0010(infra: Infrastructure) -> AsyncIterator[tuple[URL, Database]]:
    async for database in database_at(infra, "0010"):
        yield database


# Legal name, short name, archived: the keys as 0007 and the projection computed them.
CUSTOMERS: list[tuple[str, str | None, bool]] = [
    ("杭州云帆贸易有限公司", "云帆", False),
    ("深圳瀚海星辰科技股份有限公司", None, False),
    ("Acme Trading Co., Ltd.", "ＡＣＭＥ", False),
    ("上海鑫有限公司", "鑫", False),  # the same one-character key twice
    ("北京嘉禾有限公司", "嘉禾", True),
]


def expected_bigrams(customers: dict[UUID, tuple[str, str | None, bool]]) -> set[tuple[str, str, UUID]]:
    """What the projection writes for these customers (open_items.service.record_customer)."""
    rows = set()
    for customer_id, (legal_name, short_name, archived) in customers.items():
        if archived:
            continue
        for key in {normalise_name(legal_name), normalise_name(short_name)} - {""}:
            rows |= {(gram, key, customer_id) for gram in name_bigrams(key)}
    return rows


async def insert_customers(db: Database, customers: dict[UUID, tuple[str, str | None, bool]]) -> None:
    rows: list[dict[str, Any]] = [
        {
            "id": customer_id,
            "legal_name": legal_name,
            "short_name": short_name,
            "archived": archived,
            "updated_at": datetime(2026, 3, 2, tzinfo=UTC),
            "name_key": normalise_name(legal_name) or None,
            "short_name_key": normalise_name(short_name) or None,
        }
        for customer_id, (legal_name, short_name, archived) in customers.items()
    ]
    async with db.unit_of_work() as session:
        await session.execute(
            text(
                "INSERT INTO customer (id, revision, legal_name, short_name, archived, updated_at, name_key,"
                " short_name_key) VALUES (:id, 1, :legal_name, :short_name, :archived, :updated_at, :name_key,"
                " :short_name_key)"
            ),
            rows,
        )


async def stored_bigrams(db: Database) -> set[tuple[str, str, UUID]]:
    async with db.unit_of_work() as session:
        rows = (await session.execute(text("SELECT gram, name_key, customer_id FROM customer_name_bigram"))).all()
    return {(row.gram, row.name_key, row.customer_id) for row in rows}


async def test_0008_indexes_the_names_of_the_customers_already_projected(at_0007: tuple[URL, Database]) -> None:
    url, db = at_0007
    customers = {uuid4(): customer for customer in CUSTOMERS}
    await insert_customers(db, customers)
    await asyncio.to_thread(upgrade, SERVICE_DIR, url, "0008")
    expected = expected_bigrams(customers)
    assert ("鑫", "鑫", next(iter(c for c, v in customers.items() if v[1] == "鑫"))) in expected
    assert await stored_bigrams(db) == expected
    # And back: the table goes, the customers stay, and 0008 again builds the same rows.
    await asyncio.to_thread(downgrade, url, "0007")
    async with db.unit_of_work() as session:
        assert await session.scalar(text("SELECT to_regclass('customer_name_bigram')")) is None
        assert await session.scalar(text("SELECT count(*) FROM customer")) == len(CUSTOMERS)
    await asyncio.to_thread(upgrade, SERVICE_DIR, url, "head")
    assert await stored_bigrams(db) == expected


async def test_0008_on_an_empty_database_creates_an_empty_index(at_0007: tuple[URL, Database]) -> None:
    url, db = at_0007
    await asyncio.to_thread(upgrade, SERVICE_DIR, url, "head")
    assert await stored_bigrams(db) == set()


async def test_0009_leaves_the_chinese_reasons_of_payments_already_stored_empty(at_0008: tuple[URL, Database]) -> None:
    url, db = at_0008
    payment_id = uuid4()
    # A queued payment as 0008 stored it: English reasons only, on the payment and on its suggestion.
    suggestion = {
        "customer_id": str(uuid4()),
        "confidence": 0.6,
        "shape": "one_to_one",
        "reasons": ["payer name '云帆' is customer 杭州云帆贸易有限公司"],
        "allocations": [],
    }
    async with db.unit_of_work() as session:
        await session.execute(
            text(
                "INSERT INTO payment (id, amount, currency, received_on, source, match_confidence, created_at, status,"
                " match_shape, match_reasons, suggestions) VALUES (:id, 500, 'CNY', :received_on, 'bank_statement',"
                " 0.6, :created_at, 'unmatched', 'unmatched', CAST(:reasons AS jsonb), CAST(:suggestions AS jsonb))"
            ),
            {
                "id": payment_id,
                "received_on": date(2026, 3, 1),
                "created_at": datetime(2026, 3, 2, tzinfo=UTC),
                "reasons": json.dumps(["remittance names INV-2026-000001"]),
                "suggestions": json.dumps([suggestion]),
            },
        )
    await asyncio.to_thread(upgrade, SERVICE_DIR, url, "0009")
    async with db.unit_of_work() as session:
        payment = await repository.get_payment(session, payment_id)
        assert payment is not None
        shown = payment_out(payment, [])
    assert shown.match_reasons == ["remittance names INV-2026-000001"] and shown.match_reasons_zh == []
    assert shown.suggestions[0].reasons == suggestion["reasons"] and shown.suggestions[0].reasons_zh == []
    # And back: the column goes, the payment stays.
    await asyncio.to_thread(downgrade, url, "0008")
    async with db.unit_of_work() as session:
        columns = await session.scalar(
            text("SELECT count(*) FROM information_schema.columns WHERE table_name = 'payment' AND column_name = :c"),
            {"c": "match_reasons_zh"},
        )
        assert columns == 0
        assert await session.scalar(text("SELECT count(*) FROM payment")) == 1


async def test_0011_gives_the_mappings_already_learned_ids_in_the_order_they_were_made(
    at_0010: tuple[URL, Database],
) -> None:
    url, db = at_0010
    customer_id = uuid4()
    await insert_customers(db, {customer_id: ("杭州云帆贸易有限公司", None, False)})
    made = {f"6222{n:012d}": datetime(2026, 3, 1 + n, 9, tzinfo=UTC) for n in range(1, 4)}
    async with db.unit_of_work() as session:
        await session.execute(
            text(
                "INSERT INTO payer_mapping (account_key, customer_id, confirmations, created_at, updated_at)"
                " VALUES (:account, :customer_id, 1, :at, :at)"
            ),
            [{"account": account, "customer_id": customer_id, "at": at} for account, at in made.items()],
        )
    await asyncio.to_thread(upgrade, SERVICE_DIR, url, "0011")
    async with db.unit_of_work() as session:
        rows = (await session.execute(text("SELECT account_key, id FROM payer_mapping ORDER BY id"))).all()
    assert [row.account_key for row in rows] == list(made)
    for row in rows:
        assert row.id.version == 7
        assert row.id.int >> 80 == int(made[row.account_key].timestamp() * 1000)


@pytest.fixture
async def at_0015(infra: Infrastructure) -> AsyncIterator[tuple[URL, Database]]:
    async for database in database_at(infra, "0015"):
        yield database


async def _allocate(db: Database, status: str) -> bool:
    """An allocation on an item of `status`, written by plain SQL (as the import's bulk insert does): its recovery."""
    invoice_id, payment_id, now = uuid4(), uuid4(), datetime(2026, 3, 2, tzinfo=UTC)
    async with db.unit_of_work() as session:
        await session.execute(
            text(
                "INSERT INTO open_item (invoice_id, customer_id, invoice_number, currency, status, balance,"
                " updated_at, issued_at) VALUES (:id, :customer, :number, 'CNY', :status, 200, :now, :now)"
            ),
            {
                "id": invoice_id,
                "customer": uuid4(),
                "number": f"INV-{invoice_id.hex[:8]}",
                "status": status,
                "now": now,
            },
        )
        await session.execute(
            text(
                "INSERT INTO payment (id, amount, currency, received_on, source, match_confidence, created_at, status)"
                " VALUES (:id, 200, 'CNY', :on, 'manual', 1, :now, 'matched')"
            ),
            {"id": payment_id, "on": date(2026, 3, 1), "now": now},
        )
        recovery: bool = await session.scalar(
            text(
                "INSERT INTO allocation (id, payment_id, invoice_id, position, invoice_number, amount, basis)"
                " VALUES (:id, :payment, :invoice, 1, 'INV', 200, 'given') RETURNING recovery"
            ),
            {"id": uuid4(), "payment": payment_id, "invoice": invoice_id},
        )
    return recovery


async def test_0016_marks_an_allocation_to_a_written_off_item_a_recovery_whichever_insert_writes_it(
    at_0015: tuple[URL, Database],
) -> None:
    url, db = at_0015
    await asyncio.to_thread(upgrade, SERVICE_DIR, url, "0016")
    assert (await _allocate(db, "written_off"), await _allocate(db, "open")) == (True, False)
    # And back: the column and its trigger go; 0016 again puts them back.
    await asyncio.to_thread(downgrade, url, "0015")
    async with db.unit_of_work() as session:
        columns = await session.scalar(
            text(
                "SELECT count(*) FROM information_schema.columns"
                " WHERE table_name = 'allocation' AND column_name = 'recovery'"
            )
        )
        assert columns == 0
    await asyncio.to_thread(upgrade, SERVICE_DIR, url, "head")
    assert await _allocate(db, "written_off") is True
