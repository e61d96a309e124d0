"""An issued invoice reaches its customer through the running service: InvoiceIssued on the broker, the PDF
fetched from the invoice's hosted page, the email in the SMTP sink (or the SMS at the carrier), and its
delivery status over the API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

from lxml import html

from arflow.clock import FixedClock
from arflow.events.catalog import ContactInfo, CustomerUpserted, InvoiceIssued
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService
from arflow.testing.smtp import SmtpSink

MORNING = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def customer(customer_id: UUID, *contacts: ContactInfo, revision: int = 1) -> CustomerUpserted:
    return CustomerUpserted(
        customer_id=customer_id, revision=revision, legal_name="深圳前海宏图贸易有限公司", contacts=list(contacts)
    )


def issued(customer_id: UUID, link: str | None, *, at: datetime, total: str = "2000.00") -> InvoiceIssued:
    return InvoiceIssued(
        customer_id=customer_id,
        invoice_id=uuid4(),
        invoice_number=f"INV-2026-{uuid4().hex[:6].upper()}",
        currency="CNY",
        subtotal=Money.of(total, "CNY"),
        tax_total=Money.of("0.00", "CNY"),
        total=Money.of(total, "CNY"),
        invoice_date=at.date(),
        due_date=at.date() + timedelta(days=30),
        net_days=30,
        payment_reference="RF47INV2026000007",
        issued_at=at,
        hosted_invoice_url=link,
    )


def mails_to(sink: SmtpSink, email: str) -> list[EmailMessage]:
    return [m for m in sink.messages if m["To"] == email]


async def mail_to(sink: SmtpSink, email: str, count: int = 1) -> list[EmailMessage]:
    async def arrived() -> list[EmailMessage] | None:
        found = mails_to(sink, email)
        return found if len(found) >= count else None

    return await eventually(arrived, what=f"{count} email(s) to {email}")


async def deliveries(dunning: RunningService, **params: Any) -> list[dict[str, Any]]:
    answer = await dunning.client.get("/invoice-deliveries", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]  # type: ignore[no-any-return]


async def delivery_of(dunning: RunningService, invoice_id: UUID, status: str = "sent") -> dict[str, Any]:
    async def settled() -> dict[str, Any] | None:
        found = await deliveries(dunning, invoice_id=str(invoice_id))
        return found[0] if found and found[0]["status"] == status else None

    return await eventually(settled, what=f"the delivery of {invoice_id} {status}")


def parts(message: EmailMessage) -> tuple[str, str]:
    plain, rich = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and rich is not None
    return str(plain.get_content()), str(rich.get_content())


async def test_an_issued_invoice_is_emailed_with_its_pdf_and_link_from_the_creditor(
    infra: Infrastructure,
    dunning: RunningService,
    dunning_smtp: SmtpSink,
    hosted_pages: Any,
    walking_clock: FixedClock,
) -> None:
    walking_clock.set(MORNING)
    customer_id, email, link = uuid4(), f"{uuid4().hex[:10]}@example.cn", hosted_pages.link()
    invoice = issued(customer_id, link, at=MORNING - timedelta(minutes=1))
    await publish_events(infra.bootstrap, customer(customer_id, ContactInfo(name="陈静", email=email)), invoice)

    [message] = await mail_to(dunning_smtp, email)
    creditor = message["From"].addresses[0].display_name
    assert creditor and f"{creditor}已向贵公司开具以下账单" in parts(message)[0]
    assert message["Subject"] == f"账单 {invoice.invoice_number} 已开具：CNY 2,000.00，2026年4月1日到期"
    assert message["Content-Language"] == "zh-CN"
    text, rich = parts(message)
    for expected in (invoice.invoice_number, "CNY 2,000.00", "贰仟元整", "2026年4月1日", "RF47INV2026000007", link):
        assert expected in text, expected
    assert [a.get("href") for a in html.fromstring(rich).xpath("//a")] == [link]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"{invoice.invoice_number}.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == hosted_pages.pdf_of(urlsplit(link).path.split("/")[2], "zh-CN")
    assert hosted_pages.fetches_of(link) == [{"lang": ["zh-CN"]}]

    sent = await delivery_of(dunning, invoice.invoice_id)
    assert (sent["channel"], sent["recipient"], sent["language"], sent["attempts"]) == ("email", email, "zh-CN", 1)
    assert (sent["invoice_number"], sent["customer_id"], sent["last_error"]) == (
        invoice.invoice_number,
        str(customer_id),
        None,
    )
    assert sent["sent_at"] == MORNING.isoformat().replace("+00:00", "Z") and sent["issued_on"] == "2026-03-02"
    assert sent["subject"] == message["Subject"]


async def test_an_english_contact_gets_the_invoice_and_its_pdf_in_english(
    infra: Infrastructure,
    dunning: RunningService,
    dunning_smtp: SmtpSink,
    hosted_pages: Any,
    walking_clock: FixedClock,
) -> None:
    walking_clock.set(MORNING)
    customer_id, email, link = uuid4(), f"{uuid4().hex[:10]}@example.com", hosted_pages.link()
    invoice = issued(customer_id, link, at=MORNING, total="318.00")
    contact = ContactInfo(name="Anna Schmidt", email=email, language="en")
    await publish_events(infra.bootstrap, customer(customer_id, contact), invoice)

    [message] = await mail_to(dunning_smtp, email)
    assert message["Subject"] == f"Invoice {invoice.invoice_number}: CNY 318.00, due 1 April 2026"
    assert message["Content-Language"] == "en"
    text, _ = parts(message)
    assert "has issued the following invoice to you" in text and link in text and "元" not in text
    assert hosted_pages.fetches_of(link) == [{"lang": ["en"]}]


async def test_a_customer_who_prefers_sms_gets_the_link_by_sms_and_no_email(
    infra: Infrastructure,
    dunning: RunningService,
    dunning_smtp: SmtpSink,
    dunning_carrier: Any,
    hosted_pages: Any,
    walking_clock: FixedClock,
) -> None:
    walking_clock.set(MORNING)
    customer_id, email, link = uuid4(), f"{uuid4().hex[:10]}@example.cn", hosted_pages.link()
    phone = f"+86139{uuid4().int % 10**8:08d}"
    contact = ContactInfo(name="李娜", email=email, phone=phone, preferred_channel="sms")
    invoice = issued(customer_id, link, at=MORNING)
    await publish_events(infra.bootstrap, customer(customer_id, contact), invoice)

    async def texted() -> list[dict[str, Any]]:
        return dunning_carrier.to(phone)  # type: ignore[no-any-return]

    [sms] = await eventually(texted, what=f"the SMS to {phone}")
    assert invoice.invoice_number in sms["text"] and link in sms["text"] and "CNY 2,000.00" in sms["text"]
    sent = await delivery_of(dunning, invoice.invoice_id)
    assert (sent["channel"], sent["recipient"], sms["reference"]) == ("sms", phone, sent["id"])
    assert mails_to(dunning_smtp, email) == [] and hosted_pages.fetches_of(link) == []


async def test_a_repeated_or_old_invoice_issued_is_never_sent_again(
    infra: Infrastructure,
    dunning: RunningService,
    dunning_smtp: SmtpSink,
    hosted_pages: Any,
    walking_clock: FixedClock,
) -> None:
    walking_clock.set(MORNING)
    customer_id, email = uuid4(), f"{uuid4().hex[:10]}@example.cn"
    first = issued(customer_id, hosted_pages.link(), at=MORNING)
    await publish_events(infra.bootstrap, customer(customer_id, ContactInfo(name="陈静", email=email)), first)
    await mail_to(dunning_smtp, email)
    await delivery_of(dunning, first.invoice_id)

    # The same fact again (a replay: new event ids), an invoice issued eight days ago, then a fresh one: the
    # customer's events are consumed in order, so once the fresh one's email is here the others were handled.
    old = issued(customer_id, hosted_pages.link(), at=MORNING - timedelta(days=8))
    fresh = issued(customer_id, hosted_pages.link(), at=MORNING)
    await publish_events(infra.bootstrap, first, first, old, fresh)
    messages = await mail_to(dunning_smtp, email, count=2)
    await delivery_of(dunning, fresh.invoice_id)

    subjects = [m["Subject"] for m in mails_to(dunning_smtp, email)]
    assert [first.invoice_number in s for s in subjects] == [True, False]
    assert fresh.invoice_number in messages[1]["Subject"]
    assert not any(old.invoice_number in s for s in subjects)
    listed = await deliveries(dunning, customer_id=str(customer_id))
    assert [d["invoice_id"] for d in listed] == [str(fresh.invoice_id), str(first.invoice_id)]  # newest first


async def test_resend_sends_the_invoice_again_to_the_contact_on_file_and_is_audited(
    infra: Infrastructure,
    dunning: RunningService,
    dunning_smtp: SmtpSink,
    hosted_pages: Any,
    walking_clock: FixedClock,
) -> None:
    walking_clock.set(MORNING)
    customer_id, wrong, right = uuid4(), f"{uuid4().hex[:10]}@example.cn", f"{uuid4().hex[:10]}@example.cn"
    invoice = issued(customer_id, hosted_pages.link(), at=MORNING)
    await publish_events(infra.bootstrap, customer(customer_id, ContactInfo(name="陈静", email=wrong)), invoice)
    [first] = await mail_to(dunning_smtp, wrong)
    sent = await delivery_of(dunning, invoice.invoice_id)

    # The address was wrong: invoicing corrects the contact (the next invoice's email shows it was taken in),
    # and someone sends the first invoice again.
    corrected = customer(customer_id, ContactInfo(name="陈静", email=right), revision=2)
    marker = issued(customer_id, hosted_pages.link(), at=MORNING)
    await publish_events(infra.bootstrap, corrected, marker)
    await mail_to(dunning_smtp, right)
    answer = await dunning.client.post(f"/invoice-deliveries/{sent['id']}/resend", json={"reason": "客户更正了邮箱"})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["attempts"], answer.json()["recipient"]) == ("queued", 0, right)
    assert answer.json()["resends"] == 1
    [_, again] = await mail_to(dunning_smtp, right, count=2)
    assert again["Subject"] == first["Subject"] and again["Message-ID"] != first["Message-ID"]
    pdfs = [part.get_content() for message in (again, first) for part in message.iter_attachments()]
    assert len(pdfs) == 2 and pdfs[0] == pdfs[1]  # the same PDF
    resent = await delivery_of(dunning, invoice.invoice_id)
    assert (resent["recipient"], resent["attempts"], resent["resends"]) == (right, 1, 1)
    assert len(mails_to(dunning_smtp, wrong)) == 1

    audit = await dunning.client.get("/audit", params={"object_id": sent["id"]})
    assert audit.status_code == 200, audit.text
    [entry, *_] = [e for e in audit.json()["data"] if e["after"] and e["after"].get("recipient") == right]
    assert (entry["reason_code"], entry["comment"], entry["after"]["status"]) == ("resend", "客户更正了邮箱", "queued")
    assert entry["actor"] == "test"


async def test_resend_refuses_a_queued_delivery_an_unknown_one_and_a_customer_with_no_contact(
    infra: Infrastructure, dunning: RunningService, hosted_pages: Any, walking_clock: FixedClock
) -> None:
    walking_clock.set(datetime(2026, 3, 2, 14, 30, tzinfo=UTC))  # 22:30 in Shanghai: quiet hours
    texted_id, nobody_id = uuid4(), uuid4()
    phone = f"+86139{uuid4().int % 10**8:08d}"
    waiting = issued(texted_id, hosted_pages.link(), at=walking_clock.now())
    unsendable = issued(nobody_id, hosted_pages.link(), at=walking_clock.now())
    await publish_events(
        infra.bootstrap,
        customer(texted_id, ContactInfo(name="李娜", phone=phone, preferred_channel="sms")),
        waiting,
        customer(nobody_id, ContactInfo(name="王总", postal_address="杭州市西湖区文三路 1 号")),
        unsendable,
    )
    queued = await delivery_of(dunning, waiting.invoice_id, status="queued")
    assert queued["next_attempt_at"] == "2026-03-03T00:00:00Z"  # 08:00 the next morning in Shanghai
    answer = await dunning.client.post(
        f"/invoice-deliveries/{queued['id']}/resend", headers={"Accept-Language": "zh-CN"}
    )
    assert (answer.status_code, answer.json()["code"]) == (409, "delivery_already_queued"), answer.text
    assert answer.json()["detail"] == f"发送记录 {queued['id']} 已在发送队列中。"

    skipped = await delivery_of(dunning, unsendable.invoice_id, status="skipped")
    assert skipped["last_error"].startswith("no_recipient") and skipped["recipient"] is None
    answer = await dunning.client.post(f"/invoice-deliveries/{skipped['id']}/resend")
    assert (answer.status_code, answer.json()["code"]) == (409, "delivery_no_recipient"), answer.text
    assert (await deliveries(dunning, customer_id=str(nobody_id), status="skipped"))[0]["id"] == skipped["id"]
    assert await deliveries(dunning, customer_id=str(nobody_id), status="sent") == []

    missing = await dunning.client.post(f"/invoice-deliveries/{uuid4()}/resend")
    assert (missing.status_code, missing.json()["code"]) == (404, "delivery_not_found")
    assert (await dunning.client.get(f"/invoice-deliveries/{uuid4()}")).status_code == 404
    one = await dunning.client.get(f"/invoice-deliveries/{skipped['id']}")
    assert one.status_code == 200 and one.json()["invoice_id"] == str(unsendable.invoice_id)


def test_due_dates_are_a_month_on() -> None:
    assert issued(uuid4(), None, at=MORNING).due_date == date(2026, 4, 1)
