"""A payment's candidates found by indexed lookups decide as the whole projection would."""

from __future__ import annotations

import secrets
import uuid
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.events.catalog import CustomerUpserted
from arflow.testing.services import RunningService
from reconciliation.deps import SYSTEM
from reconciliation.keys import name_bigrams, normalise_name, similar_names
from reconciliation.matching import repository as matching_repository
from reconciliation.matching import service as matching
from reconciliation.matching.engine import Decision, Incoming, match
from reconciliation.models import Customer, CustomerNameBigram
from reconciliation.open_items import service as open_items
from reconciliation.statements import importing
from reconciliation.statements import service as statements

if TYPE_CHECKING:  # the fixtures' types; conftest is not importable at run time (--import-mode=importlib)
    from conftest import Books

D = Decimal


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def ranked(decision: Decision) -> list[tuple[Any, ...]]:
    return sorted((s.customer_id, s.confidence, s.allocations, s.shape) for s in decision.suggestions)


@pytest.fixture
async def portfolio(reconciliation: RunningService, reconciliation_books: Books) -> dict[str, Any]:
    core = f"云帆{secrets.randbelow(10**6):06d}"
    named_id, name = await reconciliation_books.customer(f"杭州{core}贸易有限公司")
    other_id, _ = await reconciliation_books.customer()
    cents = secrets.randbelow(90) + 10
    first = await reconciliation_books.issued(named_id, f"7301.{cents}", date(2026, 2, 28))
    second = await reconciliation_books.issued(named_id, f"1288.{cents}", date(2026, 3, 31))
    third = await reconciliation_books.issued(other_id, f"5120.{cents}", date(2026, 3, 31))
    account = f"6222{secrets.randbelow(10**12):012d}"
    response = await reconciliation.client.post(
        "/payer-mappings", json={"payer_account": account, "customer_id": str(other_id)}
    )
    assert response.status_code == 201, response.text
    return {"name": name, "core": core, "invoices": (first, second, third), "account": account}


async def test_a_payments_lookup_decides_as_the_whole_projection_does(
    reconciliation: RunningService, portfolio: dict[str, Any]
) -> None:
    first, second, third = portfolio["invoices"]
    name, core = portfolio["name"], portfolio["core"]
    total = first.total.amount + second.total.amount
    payments = [
        Incoming(first.total.amount, "CNY", f"货款 {first.invoice_number}"),
        Incoming(first.total.amount, "CNY", f"服务费{full_width(first.invoice_number)}"),
        Incoming(D("100.00"), "CNY", first.payment_reference),
        Incoming(second.total.amount, "CNY", "服务费", payer_name=f"杭州市{core}贸易有限公司"),
        Incoming(total, "CNY", "合并付款", payer_name=name),
        Incoming(second.total.amount, "CNY", None, payer_name=f"{core[:-1]}X贸易有限公司"),  # a typo in the name
        Incoming(third.total.amount, "CNY", "往来款", payer_account=portfolio["account"]),
        Incoming(third.total.amount, "CNY", "no party at all"),
        Incoming(D("0.37"), "CNY", "nobody", payer_name="完全陌生的名字有限公司"),
        Incoming(first.total.amount, "USD", first.invoice_number),
    ]
    rules = matching.match_settings(reconciliation.app.state.settings)
    async with reconciliation.app.state.db.unit_of_work() as session:
        whole = await matching.load_match_index(session)
        for payment in payments:
            small = await matching.match_index_for(session, payment)
            assert len(small.items) < len(whole.items) or len(whole.items) < 10
            expected, found = match(payment, whole, rules), match(payment, small, rules)
            assert (found.best, found.automatic) == (expected.best, expected.automatic), payment
            assert ranked(found) == ranked(expected), payment
    # The cases above are not all "nothing found": the lookups did find what the text names.
    async with reconciliation.app.state.db.unit_of_work() as session:
        decision = match(payments[1], await matching.match_index_for(session, payments[1]), rules)
    assert decision.automatic and decision.best is not None
    assert [a.invoice_id for a in decision.best.allocations] == [first.invoice_id]


async def test_a_big_import_preloads_the_projection_and_books_alike(
    reconciliation: RunningService, reconciliation_books: Books
) -> None:
    customer_id, name = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "2210.00", date(2026, 2, 28))
    statement = (
        "date,amount,currency,reference,remittance,payer_name,payer_account\n"
        f"2026-03-01,2210.00,CNY,B{secrets.token_hex(6)},货款 {invoice.invoice_number},{name},\n"
        f"2026-03-01,2210.00,CNY,B{secrets.token_hex(6)},货款 {invoice.invoice_number},{name},\n"
    ).encode()
    app = reconciliation.app
    async with app.state.db.unit_of_work() as session:
        record, created = await statements.create_import(
            session,
            clock=app.state.clock,
            data=statement,
            filename=None,
            format="csv",
            profile="generic",
            actor=Principal(name="t"),
        )
        assert created
        record.status = "processing"  # ours: the background worker only claims queued imports
    settings = app.state.settings.model_copy(update={"import_preload_lines": 1})
    summary = await importing.process_import(
        app.state.db, clock=app.state.clock, settings=settings, import_id=record.id, actor=SYSTEM
    )
    # The first line pays the invoice; the preloaded index knows it, so the second finds nothing left.
    assert (summary["payments"], summary["matched_automatically"]) == (2, 1)
    async with app.state.db.unit_of_work() as session:
        rows = await matching_repository.allocatable_items_of(session, [customer_id])
    assert [(item.invoice_id, pending) for item, pending in rows] == [(invoice.invoice_id, D("2210.00"))]


# --- payer names: similar names found through the bigram index ------------------------


def cjk(count: int) -> str:
    """Random CJK characters: a name no other test's customer comes close to."""
    return "".join(chr(0x4E00 + secrets.randbelow(0x5000)) for _ in range(count))


async def project_customer(
    reconciliation: RunningService, customer_id: UUID, revision: int, legal_name: str, **fields: Any
) -> None:
    """The customer projected as CustomerUpserted's handler projects it."""
    app = reconciliation.app
    event = CustomerUpserted(customer_id=customer_id, revision=revision, legal_name=legal_name, **fields)
    async with app.state.db.unit_of_work() as session:
        await open_items.record_customer(session, clock=app.state.clock, event=event, actor=SYSTEM)


async def named_by_full_read(session: AsyncSession, payer_name: str) -> set[UUID]:
    """The oracle: the lookup as it was, every customer's two name keys read and compared in memory."""
    key = normalise_name(payer_name)
    if not key:
        return set()
    query = select(Customer.id, Customer.name_key, Customer.short_name_key).where(Customer.archived.is_(False))
    by_name: dict[str, set[UUID]] = {}
    for row in (await session.execute(query)).all():
        for known in (row.name_key, row.short_name_key):
            if known:
                by_name.setdefault(known, set()).add(row.id)
    if key in by_name:
        return by_name[key]
    return {customer_id for similar in similar_names(key, list(by_name)) for customer_id in by_name[similar]}


async def named_by_lookup(session: AsyncSession, payer_name: str) -> set[UUID]:
    """The customers a payment carrying only this payer name has in its match index."""
    index = await matching.match_index_for(session, Incoming(D("0.01"), "XTS", None, payer_name=payer_name))
    return set(index.customers)


async def found_both_ways(reconciliation: RunningService, payer_names: list[str]) -> list[tuple[set[UUID], set[UUID]]]:
    """(lookup, oracle) per payer name, both read from one snapshot (the consumer may be projecting meanwhile)."""
    found = []
    async with reconciliation.app.state.db.unit_of_work() as session:
        await session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        for payer_name in payer_names:
            found.append((await named_by_lookup(session, payer_name), await named_by_full_read(session, payer_name)))
    return found


async def test_payer_names_find_the_customers_the_full_read_of_names_found(reconciliation: RunningService) -> None:
    trading, tech, acme, single, archived = (uuid.uuid4() for _ in range(5))
    family = [uuid.uuid4(), uuid.uuid4()]
    trading_core, tech_core, family_core, archived_core, letter = cjk(4), cjk(6), cjk(8), cjk(7), cjk(1)
    acme_name = f"Acme{secrets.token_hex(3)} Trading Co., Ltd."
    await project_customer(reconciliation, trading, 1, f"杭州{trading_core}贸易有限公司", short_name=trading_core)
    await project_customer(reconciliation, tech, 1, f"深圳{tech_core}科技股份有限公司")
    await project_customer(reconciliation, acme, 1, acme_name)
    await project_customer(reconciliation, single, 1, f"{cjk(5)}有限公司", short_name=letter)
    await project_customer(reconciliation, family[0], 1, f"{family_core}甲有限公司")
    await project_customer(reconciliation, family[1], 1, f"{family_core}乙有限公司")
    await project_customer(reconciliation, archived, 1, f"{archived_core}有限公司", archived=True)
    expected = {
        f"杭州{trading_core}贸易有限公司": {trading},
        f"上海市{trading_core}贸易有限公司": {trading},
        f"{trading_core}（杭州）贸易有限公司": {trading},
        f"{trading_core}(杭州)贸易有限公司": {trading},
        trading_core: {trading},
        f"杭州{trading_core[:-1]}{cjk(1)}贸易有限公司": None,  # one of six characters: 83, below the cutoff
        # One of eight characters, wherever it is: similar.
        **{f"深圳{tech_core[:at]}{cjk(1)}{tech_core[at + 1 :]}科技股份有限公司": {tech} for at in range(6)},
        f"{tech_core[:3]}{cjk(3)}科技": set(),
        full_width(acme_name): {acme},
        acme_name.replace("Trading", "Tradng").upper(): {acme},
        letter: {single},
        f"{letter}{cjk(1)}": set(),
        f"{family_core}有限公司": set(family),
        f"{archived_core}有限公司": set(),
        f"{archived_core[:-1]}{cjk(1)}有限公司": set(),
        "王伟": None,  # a person: whatever the other tests' customers are, both ways agree
        "李秀英": None,
        "完全陌生的名字有限公司": None,
    }
    found = await found_both_ways(reconciliation, list(expected))
    for (payer_name, wanted), (by_lookup, by_full_read) in zip(expected.items(), found, strict=True):
        assert by_lookup == by_full_read, payer_name
        if wanted is not None:
            assert by_full_read == wanted, payer_name


async def name_bigrams_of(reconciliation: RunningService, customer_id: UUID) -> set[tuple[str, str]]:
    async with reconciliation.app.state.db.unit_of_work() as session:
        query = select(CustomerNameBigram.gram, CustomerNameBigram.name_key).where(
            CustomerNameBigram.customer_id == customer_id
        )
        return {(row.gram, row.name_key) for row in (await session.execute(query)).all()}


def other_than(text: str) -> str:
    while (character := cjk(1)) in text:
        pass
    return character


@pytest.fixture
async def crowded_name(reconciliation: RunningService) -> dict[str, Any]:
    """A payer name, three customers nearer to it than a fourth (similar_names keeps three): the three crowd it out."""
    core = cjk(12)
    nearer = [uuid.uuid4() for _ in range(3)]
    for customer_id, last in zip(nearer, "甲乙丙", strict=True):
        await project_customer(reconciliation, customer_id, 1, f"{core}{last}有限公司")  # 96
    further = uuid.uuid4()
    await project_customer(reconciliation, further, 1, f"{core[:-1]}{other_than(core)}有限公司")  # 92
    payer_name = f"{core}有限公司"
    [(by_lookup, by_full_read)] = await found_both_ways(reconciliation, [payer_name])
    assert by_lookup == by_full_read == set(nearer)
    return {"payer_name": payer_name, "nearer": nearer, "further": further}


async def test_a_renamed_customer_is_found_by_its_new_name_only(
    reconciliation: RunningService, crowded_name: dict[str, Any]
) -> None:
    renamed = {customer_id: f"{cjk(6)}有限公司" for customer_id in crowded_name["nearer"]}
    for customer_id, new_name in renamed.items():
        await project_customer(reconciliation, customer_id, 2, new_name)
    # A stale revision with the old name changes nothing.
    await project_customer(reconciliation, crowded_name["nearer"][0], 1, f"{crowded_name['payer_name'][:-4]}甲有限公司")
    found = await found_both_ways(reconciliation, [crowded_name["payer_name"], *renamed.values()])
    assert found[0] == ({crowded_name["further"]}, {crowded_name["further"]})
    assert found[1:] == [({customer_id}, {customer_id}) for customer_id in renamed]
    for customer_id, new_name in renamed.items():
        key = normalise_name(new_name)
        assert await name_bigrams_of(reconciliation, customer_id) == {(g, key) for g in name_bigrams(key)}


async def test_an_archived_customer_is_not_found_and_crowds_nobody_out(
    reconciliation: RunningService, crowded_name: dict[str, Any]
) -> None:
    payer_name, nearer = crowded_name["payer_name"], crowded_name["nearer"]
    for customer_id, last in zip(nearer, "甲乙丙", strict=True):
        await project_customer(reconciliation, customer_id, 2, f"{payer_name[:-4]}{last}有限公司", archived=True)
    [found] = await found_both_ways(reconciliation, [payer_name])
    assert found == ({crowded_name["further"]}, {crowded_name["further"]})
    for customer_id in nearer:
        assert await name_bigrams_of(reconciliation, customer_id) == set()
    # Back from the archive: found again.
    for customer_id, last in zip(nearer, "甲乙丙", strict=True):
        await project_customer(reconciliation, customer_id, 3, f"{payer_name[:-4]}{last}有限公司")
    [found] = await found_both_ways(reconciliation, [payer_name])
    assert found == (set(nearer), set(nearer))
