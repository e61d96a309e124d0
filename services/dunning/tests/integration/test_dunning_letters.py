"""Letters and emails as they reach the customer: the numbered 催款函 attached to an email from the creditor,
the numbers gapless under concurrency, and nothing sent or made while the creditor is not set."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import select

from arflow.clock import FixedClock
from arflow.db import Database
from arflow.events.catalog import ContactInfo, CreditScoreChanged, CustomerUpserted, InvoiceOverdue
from arflow.migrations import upgrade
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing import services as platform
from arflow.testing.creditor import TEST_CREDITOR
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure
from arflow.testing.infrastructure import spec
from arflow.testing.kafka import publish_events
from arflow.testing.pdf import fonts, layout_problems, text
from arflow.testing.services import RunningService
from arflow.testing.smtp import SmtpSink
from dunning.actions.delivery import EMAIL, send_due
from dunning.actions.repository import next_letter_number
from dunning.cases.service import record_invoice_overdue
from dunning.config import DunningSettings
from dunning.customers.service import record_customer
from dunning.deps import SYSTEM
from dunning.main import create_app
from dunning.models import DunningAction

DUE = date(2026, 3, 1)
NUMBER = re.compile(r"催字〔2026〕第\d{4}号")
NO_CREDITOR = dict.fromkeys(TEST_CREDITOR)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)


def overdue(customer_id: Any, number: str, amount: str, invoice_date: date) -> InvoiceOverdue:
    return InvoiceOverdue(
        customer_id=customer_id,
        invoice_id=uuid4(),
        invoice_number=number,
        invoice_date=invoice_date,
        due_date=DUE,
        total=Money.of(amount, "CNY"),
        amount_due=Money.of(amount, "CNY"),
        days_overdue=1,
        bucket="1-30",
        as_of=DUE + timedelta(days=1),
        payment_reference=f"RF18{number[-8:]}",
    )


async def queue_notice(db: Database, clock: FixedClock, email: str) -> Any:
    """Queue an overdue notice the way the InvoiceOverdue handler does; returns the action id."""
    customer_id = uuid4()
    async with db.unit_of_work() as session:
        event = CustomerUpserted(
            customer_id=customer_id,
            revision=1,
            legal_name="杭州云帆科技有限公司",
            contacts=[ContactInfo(name="陈静", email=email)],
        )
        await record_customer(session, actor=SYSTEM, clock=clock, event=event)
        notice = overdue(customer_id, f"INV-2026-{uuid4().hex[:6].upper()}", "300.00", date(2026, 1, 30))
        await record_invoice_overdue(session, actor=SYSTEM, clock=clock, event=notice, observed_at=clock.now())
    async with db.unit_of_work() as session:
        return await session.scalar(select(DunningAction.id).where(DunningAction.customer_id == customer_id))


def parts(message: EmailMessage) -> tuple[str, str]:
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    return str(plain.get_content()), str(html.get_content())


async def test_the_letter_step_emails_the_numbered_letter_with_the_same_figures(
    infra: Infrastructure, dunning: RunningService, dunning_smtp: SmtpSink, walking_clock: FixedClock
) -> None:
    customer_id, email = uuid4(), f"ap-{uuid4().hex[:10]}@example.cn"
    first, second = f"INV-2026-{uuid4().hex[:8].upper()}", f"INV-2026-{uuid4().hex[:8].upper()}"
    walking_clock.set(at(DUE + timedelta(days=1)))
    await publish_events(
        infra.bootstrap,
        CustomerUpserted(
            customer_id=customer_id,
            revision=1,
            legal_name="宁波海曙星辰贸易有限公司",
            contacts=[ContactInfo(name="王芳", role="billing", email=email, language="zh-CN")],
        ),
        CreditScoreChanged(customer_id=customer_id, score=420, tier="D", model_version="test", scored_at=at(DUE)),
        overdue(customer_id, first, "3200.00", date(2026, 1, 30)),
        overdue(customer_id, second, "1850.50", date(2026, 1, 31)),
    )

    async def the_case() -> list[dict[str, Any]]:
        cases = (await dunning.client.get("/cases", params={"customer_id": str(customer_id)})).json()["data"]
        return [c for c in cases if len((await dunning.client.get(f"/cases/{c['id']}")).json()["items"]) == 2]

    [case] = await eventually(the_case, what="the case with both invoices")

    async def tier_d() -> bool:
        entries = (await dunning.client.get("/dry-run", params={"case_id": case["id"]})).json()["data"]
        return bool(entries) and entries[0]["policy"] == "tier-d"

    await eventually(tier_d, what="the case on the tier-D ladder")
    day = DUE + timedelta(days=1)
    while day <= DUE + timedelta(days=14):  # tier D: the letter on day 7, after the gap between contacts
        walking_clock.set(at(day))
        ran = await dunning.client.post("/admin/jobs/dunning-tick/runs", json={"as_of": at(day).isoformat()})
        assert ran.status_code == 200, ran.text
        detail = (await dunning.client.get(f"/cases/{case['id']}")).json()
        if any(a["step"] == "formal_letter" for a in detail["actions"]):
            break
        day += timedelta(days=1)

    async def letter_mail() -> list[EmailMessage]:
        return [m for m in dunning_smtp.messages if m["To"] == email and m.get_content_type() == "multipart/mixed"]

    [message] = await eventually(letter_mail, what="the email carrying the letter")
    [document] = [
        d for d in (await dunning.client.get(f"/cases/{case['id']}/documents")).json()["data"] if d["kind"] == "letter"
    ]
    assert NUMBER.fullmatch(document["number"]), document["number"]
    assert document["filename"] == f"催款函-{document['number']}.pdf"
    pdf = (await dunning.client.get(f"/documents/{document['id']}")).content

    # The letter itself: laid out within its pages, fonts embedded, the figures adding up.
    assert layout_problems(pdf) == []
    assert all(fonts(pdf).values())
    letter = text(pdf).replace("\r", "")
    for expected in (document["number"], "宁波海曙星辰贸易有限公司", first, second, "3,200.00", "1,850.50"):
        assert expected in letter
    assert "5,050.50" in letter and "人民币伍仟零伍拾元伍角" in letter.replace("\n", "")
    assert TEST_CREDITOR["bank_account_number"] in letter and TEST_CREDITOR["creditor_uscc"] in letter

    # The email: from the creditor, with somewhere to reply, both parts, the same figures, the letter attached.
    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (TEST_CREDITOR["creditor_name"], "ar@arflow.local")
    assert message["Reply-To"] == "am@arflow.example"  # no ARFLOW_REPLY_TO: the account manager
    assert re.fullmatch(r"<[0-9a-f-]{36}@arflow\.local>", message["Message-ID"])
    assert document["number"] in message["Subject"] and "CNY 5,050.50" in message["Subject"]
    plain, html = parts(message)
    for part in (plain, html):
        assert document["number"] in part and "CNY 5,050.50" in part and "人民币伍仟零伍拾元伍角" in part
        assert TEST_CREDITOR["bank_account_number"] in part and TEST_CREDITOR["creditor_name"] in part
        assert "违约金" not in part
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == document["filename"]
    attached = attachment.get_content()
    assert attached == pdf and layout_problems(attached) == []


@pytest.fixture
async def scratch_db(infra: Infrastructure) -> AsyncIterator[Database]:
    """A migrated database of its own: the running service's sender never touches it."""
    url = await infra.scratch_database(f"dunning_letters_{uuid4().hex[:8]}")
    await asyncio.to_thread(upgrade, spec("dunning").directory, url)
    db = Database(url, pool_size=12)
    try:
        yield db
    finally:
        await db.dispose()


class Abandoned(Exception):
    """A transaction that took a number and then failed (the letter was never stored)."""


async def test_letter_numbers_are_gapless_per_creditor_and_year_under_concurrency(scratch_db: Database) -> None:
    uscc = TEST_CREDITOR["creditor_uscc"]

    async def take(*, fail: bool) -> int:
        async with scratch_db.unit_of_work() as session:
            number = await next_letter_number(session, creditor_uscc=uscc, year=2026)
            if fail:
                raise Abandoned(number)
        return number

    results = await asyncio.gather(*(take(fail=i % 4 == 1) for i in range(16)), return_exceptions=True)
    kept = sorted(r for r in results if isinstance(r, int))
    assert len(kept) == 12 and sum(isinstance(r, Abandoned) for r in results) == 4
    assert kept == list(range(1, 13))  # no gap where a transaction rolled back, no number twice
    # Each creditor and each year counts on its own.
    assert await take(fail=False) == 13
    async with scratch_db.unit_of_work() as session:
        assert await next_letter_number(session, creditor_uscc=uscc, year=2027) == 1
        assert await next_letter_number(session, creditor_uscc="91310000DEMO00000X", year=2026) == 1


async def test_without_a_creditor_no_email_leaves_and_it_says_why(scratch_db: Database, dunning_smtp: SmtpSink) -> None:
    clock = FixedClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    email = f"ap-{uuid4().hex[:10]}@example.cn"
    action_id = await queue_notice(scratch_db, clock, email)
    unset = DunningSettings.model_validate(
        {"smtp_port": dunning_smtp.port, "email_retry_base_seconds": 60.0, **NO_CREDITOR}
    )
    assert await send_due(scratch_db, EMAIL, clock=clock, settings=unset) == 1
    async with scratch_db.unit_of_work() as session:
        held = await session.get(DunningAction, action_id)
        assert held is not None
        assert (held.status, held.attempts) == ("pending", 0)
        assert held.last_error is not None and held.last_error.startswith("creditor_not_configured")
        assert "ARFLOW_BANK_ACCOUNT_NUMBER" in held.last_error
        assert held.next_attempt_at == clock.now() + timedelta(seconds=60)
    assert [m for m in dunning_smtp.messages if m["To"] == email] == []

    # Once the creditor is set, the same email goes out, from it.
    clock.advance(timedelta(seconds=61))
    ready = DunningSettings.model_validate({"smtp_port": dunning_smtp.port, **TEST_CREDITOR})
    assert await send_due(scratch_db, EMAIL, clock=clock, settings=ready) == 1
    [message] = [m for m in dunning_smtp.messages if m["To"] == email]
    assert message["From"].addresses[0].display_name == TEST_CREDITOR["creditor_name"]


async def test_without_a_creditor_the_evidence_pack_is_refused_and_readiness_says_so(
    infra: Infrastructure, api_key: str, scratch_db: Database
) -> None:
    settings = platform.test_settings(
        DunningSettings, infra, api_key, **NO_CREDITOR
    )  # not imported: pytest collects test_*
    app = create_app(settings=settings)
    app.state.db = scratch_db  # no lifespan: only the request path is exercised
    assert (await app.state.advisories["creditor"]()).startswith("not configured")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://dunning", headers={"Authorization": f"Bearer {api_key}"}
    ) as client:
        refused = await client.get(f"/cases/{uuid4()}/evidence-pack")
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "creditor_not_configured"
    assert "bank_account_number" in problem["missing"] and "creditor_uscc" in problem["missing"]
