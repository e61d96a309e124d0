"""What reaches a customer agrees with itself and with the ledger (issue 14): two invoices, a part payment and a
month of chasing, driven through the APIs of the services running as processes; the invoice PDF, the 对账单,
the 催款函, the email carrying it and the credit file all say the same amounts, and every total's 大写 with it."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

import pytest

from arflow.auth import hash_key
from arflow.documents.amounts import rmb_in_words
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.pdf import fonts, layout_problems, text
from arflow.testing.platform import Platform, service_processes
from arflow.testing.smtp import SmtpSink

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def own_platform(infra: TestInfrastructure, api_key: str, smtp_sink: SmtpSink) -> AsyncIterator[Platform]:
    """A platform of its own: the shared one is also the fuzz tests', whose generated requests may change the
    ladders and policies this test walks."""
    own = infra.isolated()
    env = {
        "ARFLOW_API_KEYS": json.dumps([{"name": "e2e", "sha256": hash_key(api_key), "scopes": ["*"]}]),
        "ARFLOW_SMTP_HOST": "127.0.0.1",
        "ARFLOW_SMTP_PORT": str(smtp_sink.port),
    }
    try:
        async with service_processes(own, env) as urls:
            yield Platform(urls=urls, smtp=smtp_sink, api_key=api_key)
    finally:
        await own.stop()


FIRST, SECOND, PAID = "3200.00", "1850.50", "500.00"
OWED = "4,550.50"  # 3,200.00 - 500.00 + 1,850.50


def morning(day: date) -> str:
    """10:00 in Shanghai on `day`, as the jobs' as-of instant."""
    return datetime.combine(day, time(2, 0), tzinfo=UTC).isoformat()


def flat(pdf_text: str) -> str:
    return pdf_text.replace("\r", "").replace("\n", "")


async def test_the_invoice_statement_letter_email_and_credit_file_say_the_same_amounts(
    own_platform: Platform,
) -> None:
    platform = own_platform
    invoicing, reconciliation = platform.client("invoicing"), platform.client("reconciliation")
    dunning, credit = platform.client("dunning"), platform.client("credit-scoring")
    email = f"ap.{uuid.uuid4().hex[:8]}@example.cn"
    name = f"嘉兴南湖{secrets.randbelow(10**6):06d}贸易有限公司"
    made = await invoicing.post(
        "/customers",
        json={
            "legal_name": name,
            "external_reference": f"crm-{uuid.uuid4()}",
            "contacts": [{"name": "陈静", "role": "billing", "email": email, "language": "zh-CN"}],
        },
    )
    assert made.status_code == 201, made.text
    customer_id = made.json()["id"]
    invoices = []
    for invoice_date, amount in ((date(2026, 10, 5), FIRST), (date(2026, 10, 6), SECOND)):
        response = await invoicing.post(
            "/invoices",
            json={
                "customer_id": customer_id,
                "invoice_date": invoice_date.isoformat(),
                "net_days": 30,
                "issue": True,
                "lines": [{"description": "代理记账服务费 2026年10月", "unit_price": amount}],
            },
        )
        assert response.status_code == 201, response.text
        invoices.append(response.json())
    first, second = invoices

    async def projected() -> Any:
        items = (await reconciliation.get("/open-items", params={"customer_id": customer_id})).json()["data"]
        return items if len(items) == 2 else None

    await eventually(projected, within=30, what="reconciliation's projection of both invoices")
    paid = await reconciliation.post(
        "/payments",
        json={
            "customer_id": customer_id,
            "amount": PAID,
            "currency": "CNY",
            "received_on": "2026-11-10",
            "allocations": [{"invoice_id": first["id"], "amount": PAID}],
        },
    )
    assert paid.status_code == 201, paid.text

    async def applied() -> Any:
        state = (await invoicing.get(f"/invoices/{first['id']}")).json()
        return state if state["balance"] == "2700.00" else None

    await eventually(applied, within=30, what="invoicing to apply the part payment")

    # A month of chasing: the overdue sweep and the dunning tick as of every morning until the letter goes out.
    swept = await invoicing.post("/admin/jobs/overdue-sweep/runs", json={"as_of": morning(date(2026, 11, 6))})
    assert swept.status_code == 200, swept.text

    async def the_case() -> Any:
        cases = (await dunning.get("/cases", params={"customer_id": customer_id})).json()["data"]
        if not cases:
            return None
        detail = (await dunning.get(f"/cases/{cases[0]['id']}")).json()
        return detail if len(detail["items"]) == 2 else None

    case = await eventually(the_case, within=30, what="one dunning case with both invoices")

    async def planned(day: date) -> dict[str, Any]:
        found = await dunning.get("/dry-run", params={"as_of": morning(day), "case_id": case["id"]})
        return found.json()["data"][0]  # type: ignore[no-any-return]

    # The follow-up is due a week after the first due date; until dunning's projections have caught up with the
    # customer (its tier, its ladder), the dry run says the case is blocked for a reason that passes.
    async def follow_up_due() -> Any:
        plan = await planned(date(2026, 11, 11))
        return plan if plan["decision"] == "execute" else None

    await eventually(follow_up_due, within=30, what="the follow-up to be due on 11 November")
    day, seen = date(2026, 11, 6), []
    while day <= date(2026, 12, 2):
        seen.append((day.isoformat(), await planned(day)))
        ran = await dunning.post("/admin/jobs/dunning-tick/runs", json={"as_of": morning(day)})
        assert ran.status_code == 200, ran.text
        detail = (await dunning.get(f"/cases/{case['id']}")).json()
        if any(a["step"] == "formal_letter" for a in detail["actions"]):
            break
        day += timedelta(days=1)
    else:
        steps = [(d, p["decision"], p["reason"], p["step"]) for d, p in seen]
        raise AssertionError(f"no formal letter by {day}: {steps}; actions {[a['step'] for a in detail['actions']]}")

    words = rmb_in_words(Decimal(OWED.replace(",", "")))
    # The 催款函.
    [document] = [
        d for d in (await dunning.get(f"/cases/{case['id']}/documents")).json()["data"] if d["kind"] == "letter"
    ]
    letter_pdf = (await dunning.get(f"/documents/{document['id']}")).content
    assert layout_problems(letter_pdf) == [] and all(fonts(letter_pdf).values())
    letter = flat(text(letter_pdf))
    for expected in (name, first["number"], second["number"], "2,700.00", "1,850.50", OWED, words):
        assert expected in letter, expected

    # The email it went out with.
    async def letter_mail() -> list[EmailMessage]:
        return [
            m for m in platform.smtp.messages if email in str(m["To"]) and m.get_content_type() == "multipart/mixed"
        ]

    [message] = await eventually(letter_mail, within=30, what="the email carrying the letter")
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None
    body = plain.get_content()
    assert f"CNY {OWED}" in body and words in body and document["number"] in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content() == letter_pdf

    # The 对账单 of the period, as of the day the letter went out.
    statement = await invoicing.get(
        f"/customers/{customer_id}/statement",
        params={"from": "2026-10-01", "to": day.isoformat(), "format": "pdf", "language": "zh-CN"},
    )
    assert statement.status_code == 200, statement.text
    assert layout_problems(statement.content) == [] and all(fonts(statement.content).values())
    said = flat(text(statement.content))
    assert OWED in said and words in said and "500.00" in said

    # Each invoice's PDF: its own total and 大写.
    for invoice, amount in ((first, "3,200.00"), (second, "1,850.50")):
        pdf = (await invoicing.get(f"/invoices/{invoice['id']}/pdf")).content
        assert layout_problems(pdf) == []
        assert amount in flat(text(pdf)) and rmb_in_words(Decimal(amount.replace(",", ""))) in flat(text(pdf))

    # The credit file as of that day: the same outstanding.
    async def known() -> Any:
        response = await credit.get(f"/credit-files/{customer_id}", params={"as_of": day.isoformat()})
        if response.status_code != 200:
            return None
        cny = [m for m in response.json()["by_currency"] if m["currency"] == "CNY"]
        return cny[0] if cny and cny[0]["outstanding"] == OWED.replace(",", "") else None

    await eventually(known, within=30, what="the credit file to owe what the letter says")
    for client in (invoicing, reconciliation, dunning, credit):
        await client.aclose()
