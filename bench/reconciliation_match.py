"""Reconciliation bench: parse and match a labelled synthetic portfolio.

A seeded generator makes N open invoices over N/4 customers with Chinese company
names, and a camt.053 and a CSV statement of N incoming lines of every shape:
exact references (a fifth of them paid from a person's account or with no
payer name, a tenth with a bank fee deducted), full-width references, typos in
the invoice number (some from a person's account), names only, one payment for
two or three invoices (half naming them, half found as a sum), partials (a
fifth from a person's account), overpayments, and payments for
other parties (which must stay unmatched: half of them from companies named
like a customer but for one character, half of those paying exactly one of
that customer's balances). Payer names appear as the legal name, without the
region, with 市, with the region in brackets, or in full-width characters. Every line carries its label
(the customer and invoices it is really for).

It reports, for each statement format, the seconds to parse, the seconds to
build the matching index (once per import), the seconds to match every parsed
line (the engine as the import runs it: the match input built from the parsed
line, the decision, each automatic decision committed before the next line, all inside
the import's garbage-collection policy (statements.importing.long_lived_heap, entered and left on the clock), the
decisions of a chunk of 1,000 lines kept until the chunk is scored, as the import
keeps them until it writes them; the engine's caches emptied before each format,
so the second format gets no head start from the first's identical lines),
lines per second, the ratio of match time to parse
time of the same lines in the same run (and with the index build), the auto-match
rate (automatic decisions / lines that have an owner) and the false-match rate
(automatic decisions that name the wrong customer or invoices / automatic
decisions). Targets: >= 95 % auto, <= 0.1 % false, match not slower than parse.

    .venv/bin/python bench/reconciliation_match.py            # N = 100,000
    .venv/bin/python bench/reconciliation_match.py --quick    # N = 5,000
    .venv/bin/python bench/reconciliation_match.py --no-db    # the engine alone, no PostgreSQL

Then the same camt.053 and CSV are each uploaded and imported through the service's
own code on a real PostgreSQL (statement and line rows, payments, allocations,
outbox events), each on databases of its own: the end-to-end import + match figure,
as a ratio to the same file's parse (target <= 2x). The bound, in the same run: the rows that
import wrote, sent again by one client with binary COPY into fresh copies of their tables
(indexes and all) - the cheapest way any importer can write them; (parse + COPY) / parse above
2x means the target is out of reach on this machine whatever the import does, and
(parse + index + match + COPY) / parse adds the matching engine as it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import random
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services" / "reconciliation" / "src"))

from reconciliation.keys import clear_caches, normalise_name, reference_key
from reconciliation.matching.engine import Incoming, MatchSettings, match
from reconciliation.matching.index import Customer, Item, MatchIndex
from reconciliation.statements.importing import long_lived_heap
from reconciliation.statements.parsers import StatementLine, parse_statement

REGIONS = ["杭州", "上海", "北京", "深圳", "广州", "南京", "苏州", "成都", "武汉", "西安", "宁波", "厦门"]
SUFFIXES = ["有限公司", "有限责任公司", "股份有限公司", "科技有限公司", "贸易有限公司"]
CHARS = "云帆星河恒泰鼎盛华瑞天宇金诚新锐博远嘉禾永信汇达中联宏图启明安和晨光德润正阳瀚海"
ANY_CHARS = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥东南西北春夏秋冬梅兰竹菊"
SHAPES = {
    "exact_reference": 0.33,
    "fullwidth_reference": 0.10,
    "typo_reference": 0.08,
    "name_only": 0.15,
    "combined": 0.10,
    "partial": 0.08,
    "overpayment": 0.06,
    "other_party": 0.10,
}
# The import writes (and lets go of) its decisions chunk by chunk (ReconciliationSettings.import_chunk_lines).
CHUNK_LINES = 1000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚"

if TYPE_CHECKING:
    from arflow.testing.infrastructure import TestInfrastructure


@dataclass
class Label:
    shape: str
    customer_id: uuid.UUID | None
    invoice_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)


@dataclass
class PaymentLine:
    amount: Decimal
    remittance: str
    payer_name: str
    payer_account: str
    label: Label


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def portfolio(n: int, rng: random.Random) -> tuple[list[Customer], dict[uuid.UUID, list[Item]]]:
    customers: list[Customer] = []
    cores: set[str] = set()
    while len(customers) < max(1, n // 4):
        core = "".join(rng.choice(CHARS) for _ in range(rng.randint(3, 5)))
        if core in cores:
            continue
        cores.add(core)
        name = f"{rng.choice(REGIONS)}{core}{rng.choice(SUFFIXES)}"
        customers.append(Customer(uuid.uuid4(), name, core))
    items: dict[uuid.UUID, list[Item]] = {c.customer_id: [] for c in customers}
    for serial in range(1, n + 1):
        owner = customers[serial % len(customers)]
        amount = Decimal(rng.randint(10_000, 2_000_000)) / 100
        items[owner.customer_id].append(
            Item(
                invoice_id=uuid.uuid4(),
                customer_id=owner.customer_id,
                invoice_number=f"INV-2026-{serial:06d}",
                currency="CNY",
                due_date=date(2026, 1, 1) + timedelta(days=serial % 90),
                available=amount,
                payment_reference=f"RF{serial % 97:02d}INV2026{serial:06d}",
            )
        )
    return customers, items


def payer_name(customer: Customer, rng: random.Random) -> str:
    """How a bank prints the payer: the legal name, without its region, with 市, or the region in brackets."""
    legal = customer.legal_name
    region = next(r for r in REGIONS if legal.startswith(r))
    rest = legal[len(region) :]
    core = customer.short_name or rest
    form = rest[len(core) :]
    return rng.choice([legal, rest, f"{region}市{rest}", f"{core}（{region}）{form}", full_width(legal)])


def person(rng: random.Random) -> str:
    """A person paying on a company's behalf (a boss's or an accountant's own account)."""
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def lookalike(customer: Customer, rng: random.Random) -> str:
    """Another company whose name differs from a customer's in one character of its core."""
    core = customer.short_name or customer.legal_name
    at = rng.randrange(len(core))
    other = core[:at] + rng.choice([c for c in ANY_CHARS if c != core[at]]) + core[at + 1 :]
    return customer.legal_name.replace(core, other, 1)


def typo(number: str, rng: random.Random, issued: set[str] | frozenset[str] = frozenset()) -> str:
    """One digit of the number's serial mistyped, never into another invoice's number.

    In a dense series most one-digit typos spell another real invoice exactly: that is not a typo
    a matcher can see, it is a reference to the other invoice (which matching rightly follows).
    """
    for _ in range(50):
        digits = list(number)
        at = rng.randrange(len(digits) - 6, len(digits))
        digits[at] = str((int(digits[at]) + rng.randint(1, 9)) % 10)
        mistyped = "".join(digits)
        if mistyped not in issued:
            return mistyped
    return mistyped


def payment_lines(
    n: int, customers: list[Customer], items: dict[uuid.UUID, list[Item]], rng: random.Random
) -> list[PaymentLine]:
    free = {c.customer_id: list(items[c.customer_id]) for c in customers}
    issued = {i.invoice_number for owned in items.values() for i in owned}
    shapes = list(SHAPES)
    weights = [SHAPES[s] for s in shapes]
    lines: list[PaymentLine] = []
    attempts = 0
    while len(lines) < n and attempts < n * 5:
        attempts += 1
        shape = rng.choices(shapes, weights)[0]
        need = (2 if rng.random() < 0.7 else 3) if shape == "combined" else 1
        customer = rng.choice(customers)
        # Keep the shapes in their proportions: look for a customer with enough unpaid invoices (until
        # they run out at the very end) rather than drawing another shape.
        for _ in range(30):
            if shape == "other_party" or len(free[customer.customer_id]) >= need:
                break
            customer = rng.choice(customers)
        owned = free[customer.customer_id]
        account = f"6222{rng.randint(10**11, 10**12 - 1)}"
        if shape == "other_party":
            kind = rng.random()
            if kind < 0.5:
                name = f"{rng.choice(REGIONS)}{''.join(rng.choice(ANY_CHARS) for _ in range(4))}商贸有限公司"
                amount = Decimal(rng.randint(100, 500_000)) / 100
            else:
                # A trap: a company named like a customer, some paying exactly one of that customer's balances.
                name = lookalike(customer, rng)
                amount = (
                    rng.choice(owned).available if owned and kind < 0.75 else Decimal(rng.randint(100, 500_000)) / 100
                )
            lines.append(PaymentLine(amount, rng.choice(["往来款", "货款", "转账"]), name, account, Label(shape, None)))
            continue
        if len(owned) < need:
            continue
        picked = [owned.pop(rng.randrange(len(owned))) for _ in range(need)]
        total = sum((i.available for i in picked), Decimal(0))
        name = payer_name(customer, rng)
        label = Label(shape, customer.customer_id, frozenset(i.invoice_id for i in picked))
        number = picked[0].invoice_number
        if shape == "exact_reference":
            remittance = rng.choice([f"货款 {number}", f"PAYMENT {number}", f"{picked[0].payment_reference}"])
            if rng.random() < 0.2:
                name = rng.choice([person(rng), ""])  # paid from a person's account, or the bank left no name
            if rng.random() < 0.1:
                total -= Decimal(rng.randint(1, 100)) / 100  # a bank fee deducted (within the 1.00 tolerance)
        elif shape == "fullwidth_reference":
            remittance = f"服务费{full_width(number)}"
        elif shape == "typo_reference":
            remittance = f"付 {typo(number, rng, issued)}"
            if rng.random() < 0.15:
                name = person(rng)  # a mistyped number from a person's account: nothing sure is left
        elif shape == "name_only":
            remittance = "服务费"
            # The amount must point at one item of this customer for a name-only line to be decidable.
            if any(i.available == total for i in owned):
                owned.extend(picked)
                continue
        elif shape == "combined":
            # Half name the invoices, half only say what it is (the amount must be found as a sum).
            named = rng.random() < 0.5
            remittance = "合并付款 " + ",".join(i.invoice_number for i in picked) if named else "合并付款"
        elif shape == "partial":
            total = (total * Decimal(rng.choice(["0.3", "0.5", "0.8"]))).quantize(Decimal("0.01"))
            remittance = f"部分付款 {number}"
            if rng.random() < 0.2:
                name = person(rng)  # only the reference says whose it is, and the amount fits nothing
        else:  # overpayment
            total += Decimal(rng.randint(100, 50_000)) / 100
            remittance = f"{number} 多付"
        lines.append(PaymentLine(total, remittance, name, account, label))
    rng.shuffle(lines)
    return lines


def camt053(lines: list[PaymentLine]) -> bytes:
    out = io.StringIO()
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'
        "<BkToCstmrStmt><GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2026-03-02T08:00:00+08:00</CreDtTm></GrpHdr>"
        "<Stmt><Id>BENCH-1</Id><ElctrncSeqNb>1</ElctrncSeqNb><Acct><Id><Othr><Id>3100000001</Id></Othr></Id>"
        "<Ccy>CNY</Ccy></Acct>\n"
    )
    for n, line in enumerate(lines):
        out.write(
            f'<Ntry><Amt Ccy="CNY">{line.amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
            f"<BookgDt><Dt>2026-03-01</Dt></BookgDt><AcctSvcrRef>B{n:09d}</AcctSvcrRef><NtryDtls><TxDtls>"
            f"<RltdPties><Dbtr><Pty><Nm>{line.payer_name}</Nm></Pty></Dbtr><DbtrAcct><Id><Othr><Id>{line.payer_account}"
            f"</Id></Othr></Id></DbtrAcct></RltdPties><RmtInf><Ustrd>{line.remittance}</Ustrd></RmtInf>"
            "</TxDtls></NtryDtls></Ntry>\n"
        )
    out.write("</Stmt></BkToCstmrStmt></Document>\n")
    return out.getvalue().encode()


def csv_statement(lines: list[PaymentLine]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "amount", "currency", "reference", "remittance", "payer_name", "payer_account"])
    for n, line in enumerate(lines):
        writer.writerow(
            ["2026-03-01", line.amount, "CNY", f"B{n:09d}", line.remittance, line.payer_name, line.payer_account]
        )
    return out.getvalue().encode()


@dataclass
class Result:
    parse_seconds: float
    index_seconds: float
    match_seconds: float
    automatic: int
    false: int
    owned: int
    by_shape: Counter[str]
    auto_by_shape: Counter[str]
    false_by_shape: Counter[str]


def run(
    data: bytes,
    format: str,
    labels: list[Label],
    customers: list[Customer],
    items: dict[uuid.UUID, list[Item]],
    rules: MatchSettings,
) -> Result:
    clear_caches()  # the other format's run matched the same lines: no head start from what it normalised
    started = time.perf_counter()
    parsed = parse_statement(data, format=format)
    parse_seconds = time.perf_counter() - started
    statement_lines: list[StatementLine] = parsed.lines
    assert len(statement_lines) == len(labels), (len(statement_lines), len(labels))
    fresh = [
        Item(i.invoice_id, i.customer_id, i.invoice_number, i.currency, i.due_date, i.available, i.payment_reference)
        for owned in items.values()
        for i in owned
    ]
    started = time.perf_counter()
    index = MatchIndex.build(customers, fresh)
    index_seconds = time.perf_counter() - started
    # As the import runs it: the match input built from the parsed line, the decision, the commit; the
    # decisions of a chunk of lines are kept until the chunk is written (scored here, off the clock).
    automatic = false = 0
    by_shape: Counter[str] = Counter()
    auto_by_shape: Counter[str] = Counter()
    false_by_shape: Counter[str] = Counter()
    match_seconds = 0.0
    # The import's garbage-collection policy while it matches, entered and left on the clock.
    started = time.perf_counter()
    with long_lived_heap():
        match_seconds += time.perf_counter() - started
        for start in range(0, len(statement_lines), CHUNK_LINES):
            chunk = statement_lines[start : start + CHUNK_LINES]
            decisions = []
            started = time.perf_counter()
            for line in chunk:
                incoming = Incoming(
                    line.amount,
                    line.currency,
                    " ".join(p for p in (line.remittance, line.end_to_end_id) if p) or None,
                    line.counterparty_name,
                    line.counterparty_account,
                )
                decision = match(incoming, index, rules)
                if decision.automatic and decision.best is not None:
                    index.commit(decision.best.allocations)
                decisions.append(decision)
            match_seconds += time.perf_counter() - started
            for decision, label in zip(decisions, labels[start : start + CHUNK_LINES], strict=True):
                by_shape[label.shape] += 1
                if decision.automatic and decision.best is not None:
                    automatic += 1
                    auto_by_shape[label.shape] += 1
                    named = frozenset(a.invoice_id for a in decision.best.allocations)
                    if decision.best.customer_id != label.customer_id or named != label.invoice_ids:
                        false += 1
                        false_by_shape[label.shape] += 1
        started = time.perf_counter()
    match_seconds += time.perf_counter() - started
    owned = sum(1 for label in labels if label.customer_id is not None)
    return Result(
        parse_seconds, index_seconds, match_seconds, automatic, false, owned, by_shape, auto_by_shape, false_by_shape
    )


async def through_the_service(
    files: dict[str, bytes],
    labels: list[Label],
    customers: list[Customer],
    items: dict[uuid.UUID, list[Item]],
    parse_seconds: dict[str, float],
    match_seconds: dict[str, float],
) -> None:
    """Each statement imported end to end: PostgreSQL, statement and line rows, payments, outbox events.

    Each format on a database of its own with the same portfolio, so the second does not meet the first's
    payments (the same lines would all be duplicates). `parse_seconds`: each file's parse alone, earlier in
    the run (for the ratio the issue asks for, whole import <= 2x parse-only).
    """
    from arflow.logging import configure_logging
    from arflow.testing.infrastructure import TestInfrastructure

    configure_logging("reconciliation", level="WARNING", fmt="json")
    first = TestInfrastructure.start()
    try:
        for fmt, data in files.items():
            infra = first.isolated()  # databases of its own: the other format's payments are not in them
            try:
                await _import_once(infra, fmt, data, labels, customers, items, parse_seconds[fmt], match_seconds[fmt])
            finally:
                await infra.stop()
    finally:
        await first.stop()


WRITTEN_TABLES = ("statement_line", "payment", "allocation", "outbox_message", "audit_entry")


async def postgres_alone(db: Any) -> tuple[int, float]:
    """How many rows the import wrote, and the seconds PostgreSQL takes to write them again into copies of
    their tables (same columns, defaults, constraints and indexes) with one INSERT ... SELECT each: what the
    server alone costs, with no client, no round trips and no Python."""
    from sqlalchemy import text

    rows = 0
    async with db.engine.begin() as conn:
        tables = [t for t in WRITTEN_TABLES if await conn.scalar(text(f"SELECT to_regclass('{t}') IS NOT NULL"))]
        for table in tables:
            rows += int(await conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            await conn.execute(text(f"CREATE TABLE floor_{table} (LIKE {table} INCLUDING ALL)"))
    started = time.perf_counter()
    async with db.engine.begin() as conn:
        for table in tables:
            await conn.execute(text(f"INSERT INTO floor_{table} SELECT * FROM {table}"))
    return rows, time.perf_counter() - started


async def client_copy(db: Any) -> float:
    """Seconds a client takes to write the rows the import wrote (read back into this process first, as
    records an import would have built) into fresh copies of their tables, indexes and all, with one binary
    COPY per table in one transaction: the cheapest way any importer can send them to this database."""
    import asyncpg

    from arflow.db import asyncpg_dsn

    conn = await asyncpg.connect(**asyncpg_dsn(db.engine.url))
    try:
        present = [t for t in WRITTEN_TABLES if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", t)]
        records = {t: await conn.fetch(f"SELECT * FROM {t}") for t in present}
        for table in present:
            await conn.execute(f"CREATE TABLE copy_{table} (LIKE {table} INCLUDING ALL)")
        started = time.perf_counter()
        async with conn.transaction():
            for table, rows in records.items():
                if rows:
                    columns = list(rows[0].keys())
                    await conn.copy_records_to_table(f"copy_{table}", records=rows, columns=columns)
        return time.perf_counter() - started
    finally:
        await conn.close()


async def _import_once(
    infra: TestInfrastructure,
    fmt: str,
    data: bytes,
    labels: list[Label],
    customers: list[Customer],
    items: dict[uuid.UUID, list[Item]],
    parse_seconds: float,
    match_seconds: float,
) -> None:
    from sqlalchemy import insert

    from arflow.auth import Principal
    from arflow.clock import SystemClock
    from arflow.db import Database
    from arflow.testing.infrastructure import spec
    from reconciliation.config import ReconciliationSettings
    from reconciliation.deps import SYSTEM
    from reconciliation.models import Customer as CustomerRow
    from reconciliation.models import OpenItem
    from reconciliation.statements import importing
    from reconciliation.statements import service as statements

    db = Database(await infra.migrated_database(spec("reconciliation")), pool_size=2)
    clock = SystemClock()
    now = clock.now()
    async with db.unit_of_work() as session:
        rows = [
            {
                "id": c.customer_id,
                "revision": 1,
                "legal_name": c.legal_name,
                "short_name": c.short_name,
                "updated_at": now,
                "name_key": normalise_name(c.legal_name) or None,
                "short_name_key": normalise_name(c.short_name) or None,
            }
            for c in customers
        ]
        for start in range(0, len(rows), 5000):
            await session.execute(insert(CustomerRow), rows[start : start + 5000])
        open_items = [
            {
                "invoice_id": i.invoice_id,
                "customer_id": i.customer_id,
                "invoice_number": i.invoice_number,
                "currency": "CNY",
                "status": "open",
                "total": i.available,
                "balance": i.available,
                "due_date": i.due_date,
                "payment_reference": i.payment_reference,
                "number_key": reference_key(i.invoice_number),
                "reference_key": reference_key(i.payment_reference),
                "issued_at": now,
                "updated_at": now,
            }
            for owned in items.values()
            for i in owned
        ]
        for start in range(0, len(open_items), 5000):
            await session.execute(insert(OpenItem), open_items[start : start + 5000])
    settings = ReconciliationSettings(import_chunk_lines=1000)
    started = time.perf_counter()
    async with db.unit_of_work() as session:
        record, _ = await statements.create_import(
            session,
            clock=clock,
            data=data,
            filename=f"bench.{'xml' if fmt == 'camt' else 'csv'}",
            format=fmt,
            profile=None,
            actor=Principal(name="bench"),
        )
    accepted = time.perf_counter() - started
    summary = await importing.process_import(db, clock=clock, settings=settings, import_id=record.id, actor=SYSTEM)
    total = time.perf_counter() - started
    written, floor = await postgres_alone(db)
    copy = await client_copy(db)
    await db.dispose()
    lines = len(labels)
    print(f"\n== {fmt} through the service (PostgreSQL, {lines:,} lines)")
    print(f"upload accepted  {accepted:8.2f} s  (hash, parse, integrity checks, file stored)")
    print(f"import + match   {total:8.2f} s  {lines / total:10,.0f} lines/s  (rows, payments, allocations, outbox)")
    print(
        f"/ parse only     {total / parse_seconds:8.2f}x  (target <= 2; the {fmt} parse above, {parse_seconds:.2f} s)"
    )
    print(
        f"PostgreSQL alone {floor:8.2f} s  {floor / parse_seconds:10.2f}x the parse: the {written:,} rows the import"
        " wrote (lines, payments, allocations, outbox, audit) copied table to table inside the server,"
        " indexes and all, no client - the floor under any import of this file"
    )
    bound = (parse_seconds + copy) / parse_seconds
    print(
        f"client COPY      {copy:8.2f} s  {written / copy:10,.0f} rows/s: the same rows sent by one client with"
        " binary COPY into fresh copies of their tables (indexes and all)"
    )
    # a tenth either side of 2x is within one run's noise on a shared machine: called neither way
    verdict = "impossible on this machine" if bound > 2.2 else "at the limit" if bound >= 1.8 else "within reach"
    print(
        f"bound            (parse + COPY) / parse = {bound:.2f}x  (target <= 2: {verdict} for any import that"
        " parses the file and writes these rows)"
    )
    with_match = (parse_seconds + match_seconds + copy) / parse_seconds
    print(
        f"bound + matching (parse + index + match + COPY) / parse = {with_match:.2f}x; the import reached"
        f" {total / parse_seconds:.2f}x, {total / (parse_seconds + match_seconds + copy):.2f}x that bound"
    )
    print(f"summary          {summary}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 5,000 (under a minute)")
    parser.add_argument("-n", type=int, default=None, help="how many invoices and lines (default 100,000)")
    parser.add_argument("--seed", type=int, default=20260302)
    parser.add_argument(
        "--no-db",
        action="store_true",
        help="skip importing each statement end to end through PostgreSQL (embedded or ARFLOW_TEST_DATABASE_URL)",
    )
    args = parser.parse_args()
    n = args.n or (5_000 if args.quick else 100_000)
    rng = random.Random(args.seed)
    customers, items = portfolio(n, rng)
    lines = payment_lines(n, customers, items, rng)
    labels = [line.label for line in lines]
    rules = MatchSettings(threshold=0.9, tolerance_absolute=Decimal("1.00"))
    print(f"portfolio: {n:,} open invoices, {len(customers):,} customers; statement: {len(lines):,} incoming lines")
    print("shapes: " + ", ".join(f"{shape} {count:,}" for shape, count in Counter(lb.shape for lb in labels).items()))
    parse_seconds: dict[str, float] = {}
    match_seconds: dict[str, float] = {}
    for fmt, data in (("camt", camt053(lines)), ("csv", csv_statement(lines))):
        result = run(data, fmt, labels, customers, items, rules)
        parse_seconds[fmt] = result.parse_seconds
        match_seconds[fmt] = result.index_seconds + result.match_seconds
        total = result.parse_seconds + result.index_seconds + result.match_seconds
        print(f"\n== {fmt} ({len(data) / 1e6:.1f} MB)")
        print(f"parse            {result.parse_seconds:8.2f} s  {len(lines) / result.parse_seconds:10,.0f} lines/s")
        print(f"index build      {result.index_seconds:8.2f} s  ({n:,} open items, once per import)")
        print(f"match            {result.match_seconds:8.2f} s  {len(lines) / result.match_seconds:10,.0f} lines/s")
        print(f"parse+index+match{total:8.2f} s  {len(lines) / total:10,.0f} lines/s")
        print(f"match / parse    {result.match_seconds / result.parse_seconds:8.2f}x  (target <= 1; the same lines)")
        print(f"(index+match) / parse {(result.index_seconds + result.match_seconds) / result.parse_seconds:5.2f}x")
        print(
            f"auto-matched     {result.automatic / result.owned:8.2%}  "
            f"of {result.owned:,} lines with an owner (target >= 95%)"
        )
        print(
            f"false matches    {result.false / max(result.automatic, 1):8.3%}  "
            f"{result.false:,} of {result.automatic:,} automatic (target <= 0.1%)"
        )
        print(
            "auto by shape    "
            + ", ".join(f"{s} {result.auto_by_shape[s] / result.by_shape[s]:.0%}" for s in SHAPES if result.by_shape[s])
        )
        if result.false:
            print("false by shape   " + ", ".join(f"{s} {n}" for s, n in result.false_by_shape.most_common()))
    if not args.no_db:
        files = {"camt": camt053(lines), "csv": csv_statement(lines)}
        asyncio.run(through_the_service(files, labels, customers, items, parse_seconds, match_seconds))


if __name__ == "__main__":
    main()
