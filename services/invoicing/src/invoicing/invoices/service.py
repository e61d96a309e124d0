"""Invoice use cases: drafts, issuing, void, write-off, the due/overdue sweep. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from arflow import audit
from arflow.auth import Principal
from arflow.clock import Clock, local_date
from arflow.events.catalog import InvoiceIssued
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.money import Money
from arflow.problems import ValidationFailed
from arflow.tracing import current_traceparent
from invoicing import domain
from invoicing.customers.credit_hold import CreditDecision, CreditHoldOverrideIn, CreditHoldPolicy, check_credit
from invoicing.customers.errors import CustomerArchived, UnknownCustomer
from invoicing.customers.repository import customer_for_invoicing
from invoicing.hosted import links
from invoicing.invoices import lifecycle, repository
from invoicing.invoices.errors import InvoiceNotDraft, InvoiceTotalZero
from invoicing.invoices.schemas import InvoiceCreate, InvoiceLineIn, InvoiceUpdate
from invoicing.ledger.errors import invoice_status_zh
from invoicing.ledger.repository import has_free_credit
from invoicing.ledger.service import apply_unapplied_credit
from invoicing.lookups import get_customer, require_customer, require_invoice
from invoicing.models import Invoice, InvoiceLine
from invoicing.terms.service import apply_terms, invoice_terms

log = structlog.get_logger("invoicing")
INVOICE_SERIES = "INV"


def _build_lines(invoice: Invoice, lines_in: list[InvoiceLineIn]) -> list[InvoiceLine]:
    """Price the lines (half-up per line) and set the invoice's exact totals."""
    lines, subtotal, tax_total = [], Decimal(0), Decimal(0)
    for position, line in enumerate(lines_in, start=1):
        amounts = domain.line_amounts(line.quantity, line.unit_price, line.tax_rate, invoice.currency)
        subtotal += amounts.net
        tax_total += amounts.tax
        lines.append(
            InvoiceLine(
                id=uuid7(),
                invoice_id=invoice.id,
                position=position,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                tax_rate=line.tax_rate,
                net_amount=amounts.net,
                tax_amount=amounts.tax,
                gross_amount=amounts.gross,
            )
        )
    invoice.subtotal, invoice.tax_total, invoice.total = subtotal, tax_total, subtotal + tax_total
    return lines


async def create_invoice(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    data: InvoiceCreate,
    kind: str = "standard",
    related_invoice_id: UUID | None = None,
    apply_credit: bool = False,
    allow_archived: bool = False,
) -> Invoice:
    """Create a draft invoice from lines (and issue it at once when asked)."""
    invoice, _ = await create_invoice_with_lines(
        session,
        actor=actor,
        clock=clock,
        data=data,
        kind=kind,
        related_invoice_id=related_invoice_id,
        apply_credit=apply_credit,
        allow_archived=allow_archived,
    )
    return invoice


@dataclass
class PendingNumber:
    """An invoice inserted open that is still to take its number: `number_pending`, the last statement."""

    invoice: Invoice
    issued: dict[str, Any]  # its InvoiceIssued outbox row, the number and reference left empty
    take_credit: bool
    entry: dict[str, Any]  # its creation's audit entry, written by the statement that numbers it


async def create_invoice_with_lines(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    data: InvoiceCreate,
    kind: str = "standard",
    related_invoice_id: UUID | None = None,
    apply_credit: bool = False,
    allow_archived: bool = False,
    hold_policy: CreditHoldPolicy | None = None,
) -> tuple[Invoice, list[InvoiceLine]]:
    """Create an invoice (issued at once when asked) and return it with its lines, read from nothing.

    With a `hold_policy`, issuing it at once follows the customer's credit hold (customers.credit_hold);
    without one (fees, credit notes' counterparts, contract periods) the caller has decided.
    """
    invoice, lines, pending = await create_invoice_numbered_last(
        session,
        actor=actor,
        clock=clock,
        data=data,
        kind=kind,
        related_invoice_id=related_invoice_id,
        apply_credit=apply_credit,
        allow_archived=allow_archived,
        hold_policy=hold_policy,
    )
    if pending is not None:
        await number_pending(session, actor=actor, clock=clock, pending=pending, answer_of=None)
    return invoice, lines


async def create_invoice_numbered_last(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    data: InvoiceCreate,
    kind: str = "standard",
    related_invoice_id: UUID | None = None,
    apply_credit: bool = False,
    allow_archived: bool = False,
    hold_policy: CreditHoldPolicy | None = None,
) -> tuple[Invoice, list[InvoiceLine], PendingNumber | None]:
    """create_invoice_with_lines, but an invoice issued at once is left to the caller to number last
    (`number_pending`), after whatever else its transaction writes: the number's lock is then held
    for no more than that statement and the commit."""
    take_credit = apply_credit and data.issue
    customer, has_credit = await customer_for_invoicing(
        session, data.customer_id, data.currency if take_credit else None
    )
    if customer is None:
        raise UnknownCustomer(
            f"There is no customer {data.customer_id}.", detail_zh=f"客户 {data.customer_id} 不存在。"
        )
    if customer.archived_at is not None and not allow_archived:
        raise CustomerArchived("The customer is archived.", detail_zh="该客户已归档。")
    credit = CreditDecision()
    if data.issue and hold_policy is not None:
        credit = check_credit(
            customer, policy=hold_policy, override=data.credit_hold_override, actor=actor, what="issue"
        )
    terms = await invoice_terms(
        session,
        customer,
        data.payment_terms_code,
        {"net_days": data.net_days, "basis": data.due_date_basis, "grace_days": data.grace_days},
    )
    now = clock.now()
    invoice = Invoice(
        id=uuid7(),
        customer_id=customer.id,
        status="draft",
        currency=data.currency,
        invoice_date=data.invoice_date or local_date(now, customer.time_zone),
        amount_paid=Decimal(0),
        amount_credited=Decimal(0),
        amount_written_off=Decimal(0),
        ledger_version=0,
        interest_charged=Decimal(0),
        memo=data.memo,
        kind=kind,
        related_invoice_id=related_invoice_id,
        created_at=now,
        updated_at=now,
    )
    apply_terms(invoice, terms)
    mark_credit(invoice, credit)
    lines = _build_lines(invoice, data.lines)
    issued = None
    if data.issue:
        _check_issuable(invoice)
        invoice.status, invoice.issued_at = "open", now
    _set_unset_columns(invoice)
    # The creation's audit entry rides in the statement that inserts a draft, or numbers an issued one.
    entry = audit.entry_params(
        session,
        action="invoice.created",
        object_type="invoice",
        object_id=invoice.id,
        after={**audit.snapshot(invoice), "lines": [audit.snapshot(line) for line in lines]},
    )
    await repository.insert_invoice(session, invoice, lines, entry=audit.NO_ENTRY if data.issue else entry)
    if data.issue:
        url = await links.mint(session, invoice_id=invoice.id, due_date=invoice.due_date, clock=clock)
        # its number and payment reference are written into the outbox row by the statement that takes them
        event = _issued_event(invoice, number="", reference="", at=now, hosted_invoice_url=url)
        issued = outbox.rows_for([event], clock=clock)[0]
    # Inserted: the session takes them as loaded rows (later changes are UPDATEs), without a flush of its own.
    for row in (invoice, *lines):
        make_transient_to_detached(row)
    session.add_all([invoice, *lines])
    if issued is None:
        return invoice, lines, None
    return invoice, lines, PendingNumber(invoice=invoice, issued=issued, take_credit=has_credit, entry=entry)


async def number_pending(
    session: AsyncSession, *, actor: Principal, clock: Clock, pending: PendingNumber, answer_of: tuple[str, str] | None
) -> None:
    """Give an invoice created open its number, in its InvoiceIssued and in the answer stored for
    (principal, Idempotency-Key) `answer_of`: one statement, after which only the commit should come
    (but applying the customer's free credit, when there is some: that needs the number)."""
    invoice = pending.invoice
    await session.flush()  # anything pending goes before the number is taken
    number, reference = await repository.number_created(
        session,
        invoice.id,
        INVOICE_SERIES,
        invoice.invoice_date.year,
        issued=pending.issued,
        answer_of=answer_of,
        entry=pending.entry,
    )
    _check_numbered(number, reference)
    set_committed_value(invoice, "number", number)
    set_committed_value(invoice, "payment_reference", reference)
    log.info("invoice.issued", invoice_id=str(invoice.id), number=number)
    if pending.take_credit:  # most customers have none waiting: then nothing more is locked
        await apply_unapplied_credit(
            session, actor=actor, clock=clock, customer_id=invoice.customer_id, currency=invoice.currency
        )


def _set_unset_columns(invoice: Invoice) -> None:
    """Give every column the invoice was not given its empty value, so the row inserted is the object."""
    for column in Invoice.__table__.columns:
        if column.key not in invoice.__dict__:
            if not column.nullable and column.key != "number":
                raise RuntimeError(f"invoice.{column.key} must be set before the invoice is inserted")
            setattr(invoice, column.key, None)


def _check_numbered(number: str, reference: str) -> None:
    if reference != domain.rf_creditor_reference(number):  # the SQL must agree with the domain's rule
        raise RuntimeError(f"payment reference {reference} computed for {number} is not its RF reference")


def _issued_event(
    invoice: Invoice, *, number: str, reference: str, at: datetime, hosted_invoice_url: str | None = None
) -> InvoiceIssued:
    currency = invoice.currency
    return InvoiceIssued(
        customer_id=invoice.customer_id,
        invoice_id=invoice.id,
        invoice_number=number,
        currency=currency,
        subtotal=Money.of(invoice.subtotal, currency).quantize(),
        tax_total=Money.of(invoice.tax_total, currency).quantize(),
        total=Money.of(invoice.total, currency).quantize(),
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        net_days=invoice.net_days,
        grace_days=invoice.grace_days,
        payment_reference=reference,
        contract_id=invoice.contract_id,
        issued_at=at,
        hosted_invoice_url=hosted_invoice_url,
    )


async def _require_draft(session: AsyncSession, invoice_id: UUID) -> Invoice:
    invoice = await require_invoice(session, invoice_id, for_update=True)
    if invoice.status != "draft":
        raise InvoiceNotDraft(
            f"Invoice {invoice.number} is {invoice.status}; only drafts can change (issue a credit note instead).",
            detail_zh=f"账单 {invoice.number} 的状态为{invoice_status_zh(invoice.status)}，只有草稿可以修改"
            "（请改为开具贷项通知单）。",
        )
    return invoice


async def update_draft(
    session: AsyncSession, *, actor: Principal, clock: Clock, invoice_id: UUID, data: InvoiceUpdate
) -> Invoice:
    """Edit a draft: lines, dates, currency, terms, memo; totals and due date follow."""
    invoice = await _require_draft(session, invoice_id)
    sent = data.model_fields_set
    for name in ("currency", "invoice_date", "lines"):
        if name in sent and getattr(data, name) is None:
            raise ValidationFailed(f"{name} cannot be null.", detail_zh=f"{name} 不能为 null。")
    customer = await require_customer(session, invoice.customer_id)
    if "memo" in sent:
        invoice.memo = data.memo
    if data.currency is not None:
        invoice.currency = data.currency
    if data.invoice_date is not None:
        invoice.invoice_date = data.invoice_date
    terms_sent = sent & {"payment_terms_code", "net_days", "due_date_basis", "grace_days"}
    if terms_sent:
        terms = await invoice_terms(
            session,
            customer,
            data.payment_terms_code or invoice.terms_code,
            {"net_days": data.net_days, "basis": data.due_date_basis, "grace_days": data.grace_days},
        )
    else:
        terms = domain.Terms(
            net_days=invoice.net_days,
            basis=invoice.due_date_basis,
            grace_days=invoice.grace_days,
            code=invoice.terms_code,
            interest_kind=invoice.interest_kind,
            interest_rate=invoice.interest_rate,
            interest_cap_ratio=invoice.interest_cap_ratio,
            late_fee=invoice.late_fee,
            discount_rate=invoice.discount_rate,
            discount_days=invoice.discount_days,
        )
    apply_terms(invoice, terms)
    if data.lines is not None or data.currency is not None:
        lines_in = data.lines
        if lines_in is None:  # a new currency re-rounds the existing lines
            lines_in = [
                InvoiceLineIn(
                    description=line.description,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    tax_rate=line.tax_rate,
                )
                for line in await repository.invoice_lines(session, invoice.id)
            ]
        await repository.replace_lines(session, invoice.id, _build_lines(invoice, lines_in))
    invoice.updated_at = clock.now()
    await session.flush()
    log.info("invoice.draft_updated", invoice_id=str(invoice.id))
    return invoice


async def delete_draft(session: AsyncSession, *, actor: Principal, invoice_id: UUID) -> None:
    """Delete a draft (it was never issued, so nothing else knows it)."""
    invoice = await _require_draft(session, invoice_id)
    await repository.delete_invoice(session, invoice.id)
    log.info("invoice.draft_deleted", invoice_id=str(invoice.id))


async def issue_invoice(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    invoice_id: UUID,
    apply_credit: bool = False,
    hold_policy: CreditHoldPolicy | None = None,
    override: CreditHoldOverrideIn | None = None,
) -> Invoice:
    """Give a draft its number and payment reference, open it, publish InvoiceIssued.

    With `apply_credit`, the customer's unapplied credit in the currency then pays it; with a
    `hold_policy`, the customer's credit hold decides first (customers.credit_hold).
    """
    invoice = await require_invoice(session, invoice_id, for_update=True)
    if invoice.status != "draft":
        raise InvoiceNotDraft(
            f"Invoice {invoice.number} is {invoice.status}; only drafts can be issued.",
            detail_zh=f"账单 {invoice.number} 的状态为{invoice_status_zh(invoice.status)}，只有草稿可以开具。",
        )
    _check_issuable(invoice)
    if hold_policy is not None:
        customer = await get_customer(session, invoice.customer_id)
        if customer is not None:
            mark_credit(
                invoice, check_credit(customer, policy=hold_policy, override=override, actor=actor, what="issue")
            )
    take_credit = apply_credit and await has_free_credit(session, invoice.customer_id, invoice.currency)
    now = clock.now()
    invoice.status, invoice.issued_at, invoice.updated_at = "open", now, now
    await session.flush()
    await _number_and_publish(session, actor=actor, clock=clock, invoice=invoice, take_credit=take_credit)
    return invoice


def mark_credit(invoice: Invoice, credit: CreditDecision) -> None:
    """Keep on the invoice that it was issued to a held customer, and whose override let it."""
    invoice.credit_hold_at_issue = credit.held
    invoice.credit_hold_override_by = credit.override_by
    invoice.credit_hold_override_reason = credit.override_reason
    if credit.held:
        log.warning(
            "invoice.issued_on_credit_hold",
            invoice_id=str(invoice.id),
            customer_id=str(invoice.customer_id),
            override_by=credit.override_by,
        )


def _check_issuable(invoice: Invoice) -> None:
    if invoice.total <= 0:
        raise InvoiceTotalZero(
            "An invoice must total more than zero to be issued.", detail_zh="账单总额须大于零才能开具。"
        )


async def _number_and_publish(
    session: AsyncSession, *, actor: Principal, clock: Clock, invoice: Invoice, take_credit: bool
) -> None:
    """Number a draft just saved as open and record InvoiceIssued: the last statements before commit.

    The series row stays locked from the number's UPDATE until the transaction commits, so
    every concurrent issuer waits for it: everything that can happen before (validation,
    the invoice's UPDATE) already has. (An invoice created issued takes its number in the
    statement that inserts it: repository.insert_invoice.)
    """
    await session.flush()  # anything pending goes before the number is taken
    number, reference = await repository.number_invoice(session, invoice.id, INVOICE_SERIES, invoice.invoice_date.year)
    _check_numbered(number, reference)
    # already written by that statement: known to the session without another UPDATE
    set_committed_value(invoice, "number", number)
    set_committed_value(invoice, "payment_reference", reference)
    url = await links.mint(session, invoice_id=invoice.id, due_date=invoice.due_date, clock=clock)
    issued = _issued_event(
        invoice, number=number, reference=reference, at=invoice.issued_at or clock.now(), hosted_invoice_url=url
    )
    await outbox.add(session, issued, clock=clock)
    log.info("invoice.issued", invoice_id=str(invoice.id), number=invoice.number)
    if take_credit:  # most customers have none waiting: then nothing more is locked
        await apply_unapplied_credit(
            session, actor=actor, clock=clock, customer_id=invoice.customer_id, currency=invoice.currency
        )


async def void_invoice(
    session: AsyncSession, *, actor: Principal, clock: Clock, invoice_id: UUID, reason: str
) -> Invoice:
    """Void an open invoice nothing was paid or credited on (open → void); publish InvoiceVoided."""
    invoice = await require_invoice(session, invoice_id, for_update=True)
    voided = lifecycle.void(invoice, at=clock.now(), reason=reason)
    await session.flush()
    await outbox.add(session, voided, clock=clock)
    log.info("invoice.voided", invoice_id=str(invoice.id), number=invoice.number)
    return invoice


async def write_off_invoice(
    session: AsyncSession, *, actor: Principal, clock: Clock, invoice_id: UUID, reason: str, written_off_on: date | None
) -> Invoice:
    """Write an open invoice off as uncollectible (坏账); it stays payable."""
    invoice = await require_invoice(session, invoice_id, for_update=True)
    customer = await require_customer(session, invoice.customer_id)
    now = clock.now()
    written_off = lifecycle.write_off(
        invoice, on=written_off_on or local_date(now, customer.time_zone), at=now, reason=reason
    )
    await session.flush()
    await outbox.add(session, written_off, clock=clock)
    log.info("invoice.written_off", invoice_id=str(invoice.id), number=invoice.number)
    return invoice


async def sweep_due_and_overdue(
    session: AsyncSession, *, actor: Principal, clock: Clock, as_of: datetime, due_soon_days: int
) -> dict[str, Any]:
    """Publish InvoiceDueSoon and InvoiceOverdue for every threshold newly reached as of an instant."""
    by_threshold = await repository.sweep_due_and_overdue(
        session,
        as_of=as_of,
        now=clock.now(),
        due_soon_days=due_soon_days,
        thresholds=[(domain.OVERDUE, 0), *domain.THRESHOLDS],  # OVERDUE: from the first day past due + grace
        due_soon=domain.DUE_SOON,
        traceparent=current_traceparent(),
    )
    due_soon = by_threshold.pop(domain.DUE_SOON, 0)
    notices = sum(by_threshold.values())
    log.info("invoice.sweep_finished", as_of=as_of.isoformat(), notices=notices, due_soon=due_soon)
    return {"notices": notices, "by_threshold": by_threshold, "due_soon": due_soon}
