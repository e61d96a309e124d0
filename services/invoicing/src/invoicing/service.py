"""Invoicing use cases: load, apply the domain rules, save, record events. Never commits."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from arflow.clock import Clock, local_date
from arflow.events.catalog import (
    ContactInfo,
    CreditNoteIssued,
    CreditScoreChanged,
    CustomerUpserted,
    InvoiceIssued,
    InvoicePaid,
    InvoiceVoided,
    InvoiceWrittenOff,
    Language,
    LateFeeAssessed,
    PaymentApplicationReversed,
    PaymentApplied,
    PaymentReceived,
    PaymentReversed,
)
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.money import Money, to_minor_units
from arflow.problems import Conflict, NotFound, Problem, Unprocessable
from arflow.tracing import current_traceparent
from invoicing import domain, repository
from invoicing.models import (
    CreditNote,
    Customer,
    Invoice,
    InvoiceLine,
    PaymentApplication,
    PaymentTerms,
    ServiceContract,
    UnappliedCredit,
)
from invoicing.schemas import (
    AgingBuckets,
    AgingReportOut,
    AgingRow,
    ContractCreate,
    CreditNoteCreate,
    CurrencyBalance,
    CustomerBalanceOut,
    CustomerCreate,
    CustomerUpdate,
    InvoiceCreate,
    InvoiceLineIn,
    InvoiceUpdate,
    KpiOut,
    KpiReportOut,
    PaymentTermsCreate,
    PaymentTermsFields,
    PaymentTermsUpdate,
    StatementCurrency,
    StatementEntry,
    StatementOut,
    check_terms,
)

log = structlog.get_logger("invoicing")
INVOICE_SERIES = "INV"
CREDIT_NOTE_SERIES = "CN"


# --- customers -----------------------------------------------------------------


def customer_upserted(customer: Customer) -> CustomerUpserted:
    return CustomerUpserted(
        customer_id=customer.id,
        revision=customer.revision,
        legal_name=customer.legal_name,
        short_name=customer.short_name,
        unified_social_credit_code=customer.unified_social_credit_code,
        external_reference=customer.external_reference,
        time_zone=customer.time_zone,
        preferred_language=cast(Language, customer.preferred_language),
        contacts=[
            ContactInfo.model_validate({"language": customer.preferred_language, **c}) for c in customer.contacts
        ],
        tags=list(customer.tags),
        payment_terms_code=customer.payment_terms_code,
        dunning_excluded=customer.dunning_excluded,
        dunning_exclusion_reason=customer.dunning_exclusion_reason,
        credit_hold=customer.credit_hold,
        archived=customer.archived_at is not None,
    )


async def create_customer(session: AsyncSession, *, clock: Clock, data: CustomerCreate) -> Customer:
    """Create a customer and publish CustomerUpserted."""
    await _require_terms_code(session, data.payment_terms_code)
    if data.external_reference and await repository.customer_by_external_reference(session, data.external_reference):
        raise Conflict(
            f"A customer with external reference '{data.external_reference}' already exists.",
            code="external_reference_taken",
        )
    now = clock.now()
    customer = Customer(
        id=uuid7(),
        **data.model_dump(exclude={"contacts"}),
        contacts=[c.model_dump(mode="json") for c in data.contacts],
        revision=1,
        credit_hold=False,
        created_at=now,
        updated_at=now,
    )
    session.add(customer)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("The customer conflicts with an existing one.", code="customer_conflict") from None
    await outbox.add(session, customer_upserted(customer), clock=clock)
    log.info("customer.created", customer_id=str(customer.id))
    return customer


async def require_customer(session: AsyncSession, customer_id: UUID, *, for_update: bool = False) -> Customer:
    customer = await repository.get_customer(session, customer_id, for_update=for_update)
    if customer is None:
        raise NotFound(f"There is no customer {customer_id}.", code="customer_not_found")
    return customer


async def _require_terms_code(session: AsyncSession, code: str | None) -> None:
    if code is not None and await repository.terms_by_code(session, code) is None:
        raise Unprocessable(f"There are no payment terms '{code}'.", code="payment_terms_not_found")


async def _changed(session: AsyncSession, *, clock: Clock, customer: Customer, what: str) -> Customer:
    """Bump the revision of a changed customer and publish CustomerUpserted."""
    customer.revision += 1
    customer.updated_at = clock.now()
    await session.flush()
    await outbox.add(session, customer_upserted(customer), clock=clock)
    log.info(what, customer_id=str(customer.id), revision=customer.revision)
    return customer


async def update_customer(session: AsyncSession, *, clock: Clock, customer_id: UUID, data: CustomerUpdate) -> Customer:
    """Change the fields sent; publish CustomerUpserted with the next revision."""
    customer = await require_customer(session, customer_id, for_update=True)
    changes = data.model_dump(exclude_unset=True, exclude={"contacts"})
    if "contacts" in data.model_fields_set and data.contacts is not None:
        changes["contacts"] = [c.model_dump(mode="json") for c in data.contacts]
    reference: str | None = changes.get("external_reference")
    if (
        reference
        and reference != customer.external_reference
        and await repository.customer_by_external_reference(session, reference)
    ):
        raise Conflict(
            f"A customer with external reference '{reference}' already exists.", code="external_reference_taken"
        )
    if "payment_terms_code" in changes:
        await _require_terms_code(session, changes["payment_terms_code"])
    if changes.get("dunning_excluded") is False and "dunning_exclusion_reason" not in changes:
        changes["dunning_exclusion_reason"] = None
    excluded = changes.get("dunning_excluded", customer.dunning_excluded)
    reason = changes.get("dunning_exclusion_reason", customer.dunning_exclusion_reason)
    if excluded and not reason:
        raise Unprocessable(
            "dunning_exclusion_reason is required when dunning_excluded is true.",
            code="dunning_exclusion_reason_missing",
        )
    changed = {k: v for k, v in changes.items() if getattr(customer, k) != v}
    if not changed:
        return customer
    for name, value in changed.items():
        setattr(customer, name, value)
    try:
        return await _changed(session, clock=clock, customer=customer, what="customer.updated")
    except IntegrityError:
        raise Conflict("The customer conflicts with an existing one.", code="customer_conflict") from None


async def archive_customer(session: AsyncSession, *, clock: Clock, customer_id: UUID, archived: bool) -> Customer:
    """Archive (or restore) a customer: it keeps its ledger but takes no new invoices."""
    customer = await require_customer(session, customer_id, for_update=True)
    if (customer.archived_at is not None) == archived:
        return customer
    customer.archived_at = clock.now() if archived else None
    return await _changed(
        session, clock=clock, customer=customer, what="customer.archived" if archived else "customer.restored"
    )


async def delete_customer(session: AsyncSession, *, clock: Clock, customer_id: UUID) -> None:
    """Remove a customer that was never invoiced; one with a ledger can only be archived."""
    customer = await require_customer(session, customer_id, for_update=True)
    if await repository.customer_has_ledger_entries(session, customer.id):
        raise Conflict(
            "The customer has invoices or payments and is never deleted; archive it instead.",
            code="customer_has_ledger",
        )
    customer.archived_at = clock.now()
    customer.revision += 1
    await outbox.add(session, customer_upserted(customer), clock=clock)  # others drop their copy
    await repository.delete_customer(session, customer.id)
    log.info("customer.deleted", customer_id=str(customer.id))


async def apply_credit_score(session: AsyncSession, *, clock: Clock, event: CreditScoreChanged) -> None:
    """Follow credit-scoring's hold decision; a stale score never undoes a newer one."""
    customer = await repository.get_customer(session, event.customer_id, for_update=True)
    if customer is None:
        log.warning("customer.credit_score_for_unknown_customer", customer_id=str(event.customer_id))
        return
    if customer.credit_hold_scored_at is not None and event.scored_at < customer.credit_hold_scored_at:
        return
    customer.credit_hold_scored_at = event.scored_at
    if customer.credit_hold == event.credit_hold:
        return
    customer.credit_hold = event.credit_hold
    await _changed(
        session,
        clock=clock,
        customer=customer,
        what="customer.credit_hold_set" if event.credit_hold else "customer.credit_hold_lifted",
    )


# --- invoices ------------------------------------------------------------------


# --- payment terms -----------------------------------------------------------------


async def create_terms(session: AsyncSession, *, clock: Clock, data: PaymentTermsCreate) -> PaymentTerms:
    """Create a named payment terms template."""
    if await repository.terms_by_code(session, data.code):
        raise Conflict(f"Payment terms '{data.code}' already exist.", code="payment_terms_code_taken")
    now = clock.now()
    terms = PaymentTerms(id=uuid7(), **data.model_dump(), revision=1, created_at=now, updated_at=now)
    session.add(terms)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"Payment terms '{data.code}' already exist.", code="payment_terms_code_taken") from None
    log.info("payment_terms.created", code=terms.code)
    return terms


async def require_terms(session: AsyncSession, code: str, *, for_update: bool = False) -> PaymentTerms:
    terms = await repository.terms_by_code(session, code, for_update=for_update)
    if terms is None:
        raise NotFound(f"There are no payment terms '{code}'.", code="payment_terms_not_found")
    return terms


async def update_terms(session: AsyncSession, *, clock: Clock, code: str, data: PaymentTermsUpdate) -> PaymentTerms:
    """Change a template; invoices already made keep the terms they were made with."""
    terms = await require_terms(session, code, for_update=True)
    changes = data.model_dump(exclude_unset=True)
    for name in ("name", "net_days", "basis", "grace_days", "interest_kind", "interest_rate"):
        if name in changes and changes[name] is None:
            raise Unprocessable(f"{name} cannot be null.", code="validation_failed")
    merged = PaymentTermsFields.model_construct(
        **{name: changes.get(name, getattr(terms, name)) for name in PaymentTermsFields.model_fields}
    )
    try:
        check_terms(merged)
    except ValueError as exc:
        raise Unprocessable(str(exc), code="invalid_payment_terms") from None
    changed = {k: v for k, v in changes.items() if getattr(terms, k) != v}
    if changed:
        for name, value in changed.items():
            setattr(terms, name, value)
        terms.revision += 1
        terms.updated_at = clock.now()
        await session.flush()
        log.info("payment_terms.updated", code=terms.code, revision=terms.revision)
    return terms


def _terms_of(template: PaymentTerms) -> domain.Terms:
    return domain.Terms(
        net_days=template.net_days,
        basis=template.basis,
        grace_days=template.grace_days,
        code=template.code,
        interest_kind=template.interest_kind,
        interest_rate=template.interest_rate,
        interest_cap_ratio=template.interest_cap_ratio,
        late_fee=template.late_fee,
        discount_rate=template.discount_rate,
        discount_days=template.discount_days,
    )


async def _resolve_terms(
    session: AsyncSession, customer: Customer, code: str | None, overrides: domain.TermsOverrides
) -> domain.Terms:
    code = code or customer.payment_terms_code
    template = None
    if code is not None:
        found = await repository.terms_by_code(session, code)
        if found is None:
            raise Unprocessable(f"There are no payment terms '{code}'.", code="payment_terms_not_found")
        template = _terms_of(found)
    return domain.resolve_terms(template, overrides)


def _apply_terms(invoice: Invoice, terms: domain.Terms) -> None:
    """Copy the terms onto the invoice: later template changes never touch it."""
    invoice.terms_code = terms.code
    invoice.net_days = terms.net_days
    invoice.due_date_basis = terms.basis
    invoice.grace_days = terms.grace_days
    invoice.interest_kind = terms.interest_kind
    invoice.interest_rate = terms.interest_rate
    invoice.interest_cap_ratio = terms.interest_cap_ratio
    invoice.late_fee = terms.late_fee
    invoice.discount_rate = terms.discount_rate
    invoice.discount_days = terms.discount_days
    invoice.due_date = domain.due_date(invoice.invoice_date, terms)


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


# --- invoices ------------------------------------------------------------------


async def create_invoice(
    session: AsyncSession,
    *,
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
        clock=clock,
        data=data,
        kind=kind,
        related_invoice_id=related_invoice_id,
        apply_credit=apply_credit,
        allow_archived=allow_archived,
    )
    return invoice


async def create_invoice_with_lines(
    session: AsyncSession,
    *,
    clock: Clock,
    data: InvoiceCreate,
    kind: str = "standard",
    related_invoice_id: UUID | None = None,
    apply_credit: bool = False,
    allow_archived: bool = False,
) -> tuple[Invoice, list[InvoiceLine]]:
    """Create an invoice (issued at once when asked) and return it with its lines, read from nothing."""
    take_credit = apply_credit and data.issue
    customer, has_credit = await repository.customer_for_invoicing(
        session, data.customer_id, data.currency if take_credit else None
    )
    if customer is None:
        raise Unprocessable(f"There is no customer {data.customer_id}.", code="customer_not_found")
    if customer.archived_at is not None and not allow_archived:
        raise Unprocessable("The customer is archived.", code="customer_archived")
    terms = await _resolve_terms(
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
    _apply_terms(invoice, terms)
    lines = _build_lines(invoice, data.lines)
    if data.issue:
        _check_issuable(invoice)
        invoice.status, invoice.issued_at = "open", now  # inserted open: only the number is left to give
    session.add(invoice)
    await session.flush()
    session.add_all(lines)
    await session.flush()
    if data.issue:
        await _number_and_publish(session, clock=clock, invoice=invoice, take_credit=has_credit)
    return invoice, lines


async def _require_draft(session: AsyncSession, invoice_id: UUID) -> Invoice:
    invoice = await repository.get_invoice(session, invoice_id, for_update=True)
    if invoice is None:
        raise NotFound(f"There is no invoice {invoice_id}.", code="invoice_not_found")
    if invoice.status != "draft":
        raise Conflict(
            f"Invoice {invoice.number} is {invoice.status}; only drafts can change (issue a credit note instead).",
            code="invoice_not_draft",
        )
    return invoice


async def update_draft(session: AsyncSession, *, clock: Clock, invoice_id: UUID, data: InvoiceUpdate) -> Invoice:
    """Edit a draft: lines, dates, currency, terms, memo; totals and due date follow."""
    invoice = await _require_draft(session, invoice_id)
    sent = data.model_fields_set
    for name in ("currency", "invoice_date", "lines"):
        if name in sent and getattr(data, name) is None:
            raise Unprocessable(f"{name} cannot be null.", code="validation_failed")
    customer = await require_customer(session, invoice.customer_id)
    if "memo" in sent:
        invoice.memo = data.memo
    if data.currency is not None:
        invoice.currency = data.currency
    if data.invoice_date is not None:
        invoice.invoice_date = data.invoice_date
    terms_sent = sent & {"payment_terms_code", "net_days", "due_date_basis", "grace_days"}
    if terms_sent:
        terms = await _resolve_terms(
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
    _apply_terms(invoice, terms)
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


async def delete_draft(session: AsyncSession, *, invoice_id: UUID) -> None:
    """Delete a draft (it was never issued, so nothing else knows it)."""
    invoice = await _require_draft(session, invoice_id)
    await repository.delete_invoice(session, invoice.id)
    log.info("invoice.draft_deleted", invoice_id=str(invoice.id))


async def issue_invoice(
    session: AsyncSession, *, clock: Clock, invoice_id: UUID, apply_credit: bool = False
) -> Invoice:
    """Give a draft its number and payment reference, open it, publish InvoiceIssued.

    With `apply_credit`, the customer's unapplied credit in the currency then pays it.
    """
    invoice = await repository.get_invoice(session, invoice_id, for_update=True)
    if invoice is None:
        raise NotFound(f"There is no invoice {invoice_id}.", code="invoice_not_found")
    if invoice.status != "draft":
        raise Conflict(
            f"Invoice {invoice.number} is {invoice.status}; only drafts can be issued.", code="invoice_not_draft"
        )
    _check_issuable(invoice)
    take_credit = apply_credit and await repository.has_free_credit(session, invoice.customer_id, invoice.currency)
    now = clock.now()
    invoice.status, invoice.issued_at, invoice.updated_at = "open", now, now
    await session.flush()
    await _number_and_publish(session, clock=clock, invoice=invoice, take_credit=take_credit)
    return invoice


def _check_issuable(invoice: Invoice) -> None:
    if invoice.total <= 0:
        raise Unprocessable("An invoice must total more than zero to be issued.", code="invoice_total_zero")


async def _number_and_publish(session: AsyncSession, *, clock: Clock, invoice: Invoice, take_credit: bool) -> None:
    """Number an invoice already saved as open and record InvoiceIssued: the last statements before commit.

    The series row stays locked from the number's UPDATE until the transaction
    commits, so every concurrent issuer waits for it: everything that can happen
    before (validation, pricing, inserting the invoice and its lines) already has,
    and only two statements follow: the number taken and written on the invoice
    (one statement), and the outbox row.
    """
    await session.flush()  # anything pending goes before the number is taken
    number, reference = await repository.number_invoice(session, invoice.id, INVOICE_SERIES, invoice.invoice_date.year)
    if reference != domain.rf_creditor_reference(number):  # the SQL must agree with the domain's rule
        raise RuntimeError(f"payment reference {reference} computed for {number} is not its RF reference")
    # already written by that statement: known to the session without another UPDATE
    set_committed_value(invoice, "number", number)
    set_committed_value(invoice, "payment_reference", reference)
    now = invoice.issued_at or clock.now()
    currency = invoice.currency
    await outbox.add(
        session,
        InvoiceIssued(
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
            issued_at=now,
        ),
        clock=clock,
    )
    log.info("invoice.issued", invoice_id=str(invoice.id), number=invoice.number)
    if take_credit:  # most customers have none waiting: then nothing more is locked
        await apply_unapplied_credit(session, clock=clock, customer_id=invoice.customer_id, currency=invoice.currency)


async def require_invoice(session: AsyncSession, invoice_id: UUID) -> Invoice:
    invoice = await repository.get_invoice(session, invoice_id)
    if invoice is None:
        raise NotFound(f"There is no invoice {invoice_id}.", code="invoice_not_found")
    return invoice


async def _require_issued(session: AsyncSession, invoice_id: UUID) -> Invoice:
    invoice = await repository.get_invoice(session, invoice_id, for_update=True)
    if invoice is None:
        raise NotFound(f"There is no invoice {invoice_id}.", code="invoice_not_found")
    return invoice


async def void_invoice(session: AsyncSession, *, clock: Clock, invoice_id: UUID, reason: str) -> Invoice:
    """Void an open invoice nothing was paid or credited on (open → void); publish InvoiceVoided."""
    invoice = await _require_issued(session, invoice_id)
    if invoice.status == "uncollectible":  # its write-off is in the books: voiding would undo the total twice
        raise Conflict(
            f"Invoice {invoice.number} is written off (uncollectible); only open invoices can be voided. "
            "It stays payable; correct it with a credit note instead.",
            code="invoice_not_open",
        )
    if invoice.status != "open":
        raise Conflict(
            f"Invoice {invoice.number or invoice.id} is {invoice.status}; only open invoices can be voided.",
            code="invoice_not_open",
        )
    if invoice.amount_paid > 0 or invoice.amount_credited > 0:
        raise Conflict(
            "Money was applied or credited to this invoice; correct it with a credit note instead.",
            code="invoice_has_settlements",
        )
    now = clock.now()
    invoice.status, invoice.voided_at, invoice.void_reason, invoice.updated_at = "void", now, reason, now
    await session.flush()
    await outbox.add(
        session,
        InvoiceVoided(
            customer_id=invoice.customer_id,
            invoice_id=invoice.id,
            invoice_number=invoice.number or "",
            total=Money.of(invoice.total, invoice.currency).quantize(),
            reason=reason,
            voided_at=now,
        ),
        clock=clock,
    )
    log.info("invoice.voided", invoice_id=str(invoice.id), number=invoice.number)
    return invoice


async def write_off_invoice(
    session: AsyncSession, *, clock: Clock, invoice_id: UUID, reason: str, written_off_on: date | None
) -> Invoice:
    """Write an open invoice off as uncollectible (坏账); it stays payable."""
    invoice = await _require_issued(session, invoice_id)
    if invoice.status != "open":
        raise Conflict(
            f"Invoice {invoice.number or invoice.id} is {invoice.status}; only open invoices can be written off.",
            code="invoice_not_open",
        )
    customer = await require_customer(session, invoice.customer_id)
    now = clock.now()
    on = written_off_on or local_date(now, customer.time_zone)
    if on < invoice.invoice_date:
        raise Unprocessable(
            "An invoice cannot be written off before its invoice date.", code="write_off_before_invoice"
        )
    invoice.status, invoice.written_off_on, invoice.write_off_reason = "uncollectible", on, reason
    invoice.amount_written_off = invoice.balance
    invoice.updated_at = now
    await session.flush()
    await outbox.add(
        session,
        InvoiceWrittenOff(
            customer_id=invoice.customer_id,
            invoice_id=invoice.id,
            invoice_number=invoice.number or "",
            amount_written_off=Money.of(invoice.amount_written_off, invoice.currency).quantize(),
            reason=reason,
            written_off_on=on,
        ),
        clock=clock,
    )
    log.info("invoice.written_off", invoice_id=str(invoice.id), number=invoice.number)
    return invoice


async def issue_credit_note(
    session: AsyncSession, *, clock: Clock, invoice_id: UUID, data: CreditNoteCreate
) -> CreditNote:
    """Credit part or all of an issued invoice's open balance; number it CN-YYYY-nnnnnn."""
    invoice = await _require_issued(session, invoice_id)
    if invoice.status not in ("open", "uncollectible"):
        raise Conflict(
            f"Invoice {invoice.number or invoice.id} is {invoice.status}; only open invoices can be credited.",
            code="invoice_not_open",
        )
    amount = invoice.balance if data.amount is None else data.amount
    if not Money.of(amount, invoice.currency).is_exact_minor_units():
        raise Unprocessable(f"The amount has more decimals than {invoice.currency} allows.", code="amount_not_exact")
    if amount > invoice.balance:
        raise Unprocessable(
            f"The credit ({amount}) exceeds the open balance ({to_minor_units(invoice.balance, invoice.currency)}).",
            code="credit_exceeds_balance",
        )
    customer = await require_customer(session, invoice.customer_id)
    issued_on = max(local_date(clock.now(), customer.time_zone), invoice.invoice_date)
    return await _credit(session, clock=clock, invoice=invoice, amount=amount, reason=data.reason, issued_on=issued_on)


async def _credit(
    session: AsyncSession,
    *,
    clock: Clock,
    invoice: Invoice,
    amount: Decimal,
    reason: str,
    issued_on: date,
    kind: str = "manual",
) -> CreditNote:
    """Issue a credit note of `amount` (at most the balance) against a locked open invoice; paid at zero."""
    now = clock.now()
    value = await repository.next_invoice_number(session, CREDIT_NOTE_SERIES, issued_on.year)
    note = CreditNote(
        id=uuid7(),
        number=domain.format_invoice_number(CREDIT_NOTE_SERIES, issued_on.year, value),
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        amount=amount,
        currency=invoice.currency,
        reason=reason,
        kind=kind,
        issued_on=issued_on,
        created_at=now,
    )
    session.add(note)
    invoice.amount_credited += amount
    version = _balance_changed(invoice)
    invoice.updated_at = now
    await session.flush()
    await outbox.add(
        session,
        CreditNoteIssued(
            customer_id=invoice.customer_id,
            credit_note_id=note.id,
            credit_note_number=note.number,
            invoice_id=invoice.id,
            invoice_number=invoice.number or "",
            amount=Money.of(amount, invoice.currency).quantize(),
            reason=reason,
            issued_on=issued_on,
            invoice_balance_after=Money.of(invoice.balance, invoice.currency).quantize(),
            invoice_ledger_version=version,
        ),
        clock=clock,
    )
    if invoice.balance <= 0:
        await _mark_paid(session, clock=clock, invoice=invoice, paid_on=issued_on)
    log.info("credit_note.issued", credit_note_id=str(note.id), number=note.number, invoice_id=str(invoice.id))
    return note


async def assess_late_fee(
    session: AsyncSession, *, clock: Clock, invoice_id: UUID, as_of: date | None, apply_credit: bool = False
) -> Invoice:
    """Charge an overdue invoice's late interest (since last charged) and its fixed fee as a fee invoice.

    The fee invoice (kind late_fee) is issued at once, due at once, and
    LateFeeAssessed names both invoices. The fixed fee is charged only once.
    """
    invoice = await _require_issued(session, invoice_id)
    if invoice.status not in ("open", "uncollectible"):
        raise Conflict(f"Invoice {invoice.number or invoice.id} is {invoice.status}.", code="invoice_not_open")
    if invoice.kind == "late_fee":
        raise Conflict("Late fees are not charged on a late-fee invoice.", code="late_fee_on_late_fee")
    customer = await require_customer(session, invoice.customer_id)
    today = as_of or local_date(clock.now(), customer.time_zone)
    if today <= invoice.due_date + timedelta(days=invoice.grace_days):
        raise Unprocessable(f"The invoice is not past due + grace on {today}.", code="invoice_not_overdue")
    since = invoice.interest_charged_to
    if since is not None and today <= since:
        raise Conflict(f"Interest is already charged up to {since}.", code="late_fee_already_charged")
    interest = await _late_interest_as_of(session, invoice, today)
    fee = invoice.late_fee if since is None and invoice.late_fee else Decimal(0)
    if interest + fee <= 0:
        raise Unprocessable("The invoice's terms charge no interest or fee for this period.", code="nothing_to_charge")
    interest_from = (since or invoice.due_date) + timedelta(days=1)
    lines = []
    if interest > 0:
        lines.append(
            InvoiceLineIn(
                description=f"逾期利息 Late interest {invoice.number} {interest_from}..{today}", unit_price=interest
            )
        )
    if fee > 0:
        lines.append(InvoiceLineIn(description=f"滞纳金 Late fee {invoice.number}", unit_price=fee))
    fee_invoice = await create_invoice(
        session,
        clock=clock,
        data=InvoiceCreate(
            customer_id=customer.id,
            currency=invoice.currency,
            invoice_date=today,
            net_days=0,
            memo=f"Late interest and fees on {invoice.number}",
            lines=lines,
            issue=True,
        ),
        kind="late_fee",
        related_invoice_id=invoice.id,
        apply_credit=apply_credit,
        allow_archived=True,
    )
    invoice.interest_charged_to = today
    invoice.interest_charged += interest
    daily = domain.daily_interest_rate(invoice.interest_kind, invoice.interest_rate)
    basis = f"{daily * 100:.4f}%/day on each day's balance (now {to_minor_units(invoice.balance, invoice.currency)}"
    basis += f" {invoice.currency})"
    basis += f" for {(today - interest_from).days + 1} days" if interest > 0 else " (no interest)"
    if fee > 0:
        basis += f" + fixed fee {to_minor_units(fee, invoice.currency)}"
    await outbox.add(
        session,
        LateFeeAssessed(
            customer_id=customer.id,
            invoice_id=invoice.id,
            invoice_number=invoice.number or "",
            fee_invoice_id=fee_invoice.id,
            amount=Money.of(fee_invoice.total, invoice.currency).quantize(),
            interest_from=interest_from,
            interest_to=today,
            basis=basis,
        ),
        clock=clock,
    )
    log.info("invoice.late_fee_assessed", invoice_id=str(invoice.id), fee_invoice_id=str(fee_invoice.id))
    return fee_invoice


async def require_credit_note(session: AsyncSession, credit_note_id: UUID) -> CreditNote:
    note = await repository.get_credit_note(session, credit_note_id)
    if note is None:
        raise NotFound(f"There is no credit note {credit_note_id}.", code="credit_note_not_found")
    return note


# --- the receivables ledger -------------------------------------------------------


def _balance_changed(invoice: Invoice) -> int:
    """Count one more change of the invoice's balance (its row is locked); the events carry the count."""
    invoice.ledger_version += 1
    return invoice.ledger_version


async def customer_balance(session: AsyncSession, *, customer_id: UUID) -> CustomerBalanceOut:
    """The balance per currency from the ledger entries: invoiced − applied − credited."""
    customer = await require_customer(session, customer_id)
    credit = await repository.unapplied_credit_totals(session, customer.id)
    rows = {row.currency: row for row in await repository.ledger_totals(session, customer.id)}
    balances = []
    for currency in sorted(set(rows) | set(credit)):
        row = rows.get(currency)
        invoiced, applied, credited = (row.invoiced, row.applied, row.credited) if row else (Decimal(0),) * 3
        balances.append(
            CurrencyBalance(
                currency=currency,
                invoiced=to_minor_units(invoiced, currency),
                applied=to_minor_units(applied, currency),
                credited=to_minor_units(credited, currency),
                balance=to_minor_units(invoiced - applied - credited, currency),
                unapplied_credit=to_minor_units(credit.get(currency, Decimal(0)), currency),
            )
        )
    return CustomerBalanceOut(customer_id=customer.id, balances=balances)


async def late_interest(session: AsyncSession, invoice: Invoice, *, clock: Clock) -> Decimal:
    """Interest accrued on an open invoice to today (the customer's today), per its terms."""
    if invoice.status not in ("open", "uncollectible") or invoice.interest_kind == "none":
        return to_minor_units(Decimal(0), invoice.currency)
    customer = await session.get(Customer, invoice.customer_id)
    time_zone = customer.time_zone if customer else "Asia/Shanghai"
    return await _late_interest_as_of(session, invoice, local_date(clock.now(), time_zone))


async def _late_interest_as_of(session: AsyncSession, invoice: Invoice, as_of: date) -> Decimal:
    """Day-by-day interest on the invoice's balance to `as_of`, since it was last charged (domain.late_interest)."""
    if invoice.interest_kind == "none" or not domain.interest_days(invoice.due_date, as_of, invoice.grace_days):
        return to_minor_units(Decimal(0), invoice.currency)  # nothing to read: most invoices stop here
    entries = await repository.balance_entries(session, [invoice.id], as_of)
    return domain.late_interest(
        entries[invoice.id],
        invoice.due_date,
        as_of,
        kind=invoice.interest_kind,
        rate=invoice.interest_rate,
        grace_days=invoice.grace_days,
        cap_ratio=invoice.interest_cap_ratio,
        currency=invoice.currency,
        since=invoice.interest_charged_to,
        charged=invoice.interest_charged,
    )


async def apply_payment(session: AsyncSession, *, clock: Clock, event: PaymentReceived) -> dict[str, Any]:
    """Apply a received payment to the customer's invoices; the rest becomes credit."""
    customer = await repository.get_customer(session, event.customer_id, for_update=True)
    if customer is None:
        raise LookupError(f"payment {event.payment_id} names unknown customer {event.customer_id}")
    if await repository.payment_seen(session, event.payment_id):
        log.info("payment.already_applied", payment_id=str(event.payment_id))
        return {"applications": 0, "unapplied": Decimal(0)}
    currency = event.amount.currency
    invoices = {i.id: i for i in await repository.open_invoices_for_update(session, customer.id, currency)}
    open_items = [domain.OpenItem(i.id, i.due_date, i.balance) for i in invoices.values()]
    proposed = [
        domain.Application(a.invoice_id, a.amount.amount) for a in event.allocations if a.amount.currency == currency
    ]
    applications, leftover = domain.allocate(event.amount.amount, proposed, open_items)
    for application in applications:
        await _apply(
            session,
            clock=clock,
            invoice=invoices[application.invoice_id],
            payment_id=event.payment_id,
            amount=application.amount,
            applied_on=event.received_on,
            source="payment",
        )
    if leftover > 0:
        session.add(
            UnappliedCredit(
                id=uuid7(),
                customer_id=customer.id,
                payment_id=event.payment_id,
                amount=leftover,
                remaining=leftover,
                currency=currency,
                received_on=event.received_on,
                created_at=clock.now(),
            )
        )
    await session.flush()
    log.info(
        "payment.applied", payment_id=str(event.payment_id), applications=len(applications), unapplied=str(leftover)
    )
    return {"applications": len(applications), "unapplied": leftover}


async def _apply(
    session: AsyncSession,
    *,
    clock: Clock,
    invoice: Invoice,
    payment_id: UUID,
    amount: Decimal,
    applied_on: date,
    source: str,
) -> PaymentApplication:
    """Record one application, publish PaymentApplied, and InvoicePaid when the balance reaches zero."""
    now = clock.now()
    invoice.amount_paid += amount
    version = _balance_changed(invoice)
    invoice.updated_at = now
    application = PaymentApplication(
        id=uuid7(),
        payment_id=payment_id,
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        amount=amount,
        currency=invoice.currency,
        applied_on=applied_on,
        source=source,
        created_at=now,
    )
    session.add(application)
    await outbox.add(
        session,
        PaymentApplied(
            customer_id=invoice.customer_id,
            application_id=application.id,
            payment_id=payment_id,
            invoice_id=invoice.id,
            invoice_number=invoice.number or "",
            amount=Money.of(amount, invoice.currency).quantize(),
            applied_on=applied_on,
            due_date=invoice.due_date,
            invoice_balance_after=Money.of(invoice.balance, invoice.currency).quantize(),
            days_after_due=(applied_on - invoice.due_date).days,
            invoice_ledger_version=version,
        ),
        clock=clock,
    )
    if invoice.balance <= 0:
        await _mark_paid(session, clock=clock, invoice=invoice, paid_on=applied_on)
    else:
        await _grant_early_payment_discount(session, clock=clock, invoice=invoice, paid_on=applied_on)
    return application


async def _grant_early_payment_discount(
    session: AsyncSession, *, clock: Clock, invoice: Invoice, paid_on: date
) -> None:
    """Close an invoice paid early down to its discount with a credit note of what is left (once per invoice)."""
    if invoice.kind != "standard":
        return
    grant = domain.early_payment_discount_due(
        total=invoice.total,
        balance=invoice.balance,
        invoice_date=invoice.invoice_date,
        paid_on=paid_on,
        rate=invoice.discount_rate,
        days=invoice.discount_days,
        currency=invoice.currency,
    )
    if grant is None or await repository.has_credit_note_of_kind(session, invoice.id, "early_payment_discount"):
        return
    percent = f"{(invoice.discount_rate or 0) * 100:f}".rstrip("0").rstrip(".")
    reason = f"提前付款折扣 Early-payment discount {percent}% (paid {paid_on})"
    await _credit(
        session,
        clock=clock,
        invoice=invoice,
        amount=grant,
        reason=reason,
        issued_on=max(paid_on, invoice.invoice_date),
        kind="early_payment_discount",
    )


async def apply_unapplied_credit(
    session: AsyncSession, *, clock: Clock, customer_id: UUID, currency: str | None = None
) -> dict[str, Any]:
    """Apply the customer's free credit to its open invoices, oldest due first."""
    customer = await repository.get_customer(session, customer_id, for_update=True)
    if customer is None:
        raise NotFound(f"There is no customer {customer_id}.", code="customer_not_found")
    currencies = [currency] if currency else sorted(await repository.unapplied_credit_totals(session, customer.id))
    today = local_date(clock.now(), customer.time_zone)
    count, total = 0, Decimal(0)
    for code in currencies:
        credits = await repository.free_credit_for_update(session, customer.id, code)
        if not credits:
            continue
        invoices = await repository.open_invoices_for_update(session, customer.id, code)
        for credit in credits:
            open_items = [domain.OpenItem(i.id, i.due_date, i.balance) for i in invoices if i.balance > 0]
            applications, leftover = domain.allocate(credit.remaining, [], open_items)
            by_id = {i.id: i for i in invoices}
            for application in applications:
                await _apply(
                    session,
                    clock=clock,
                    invoice=by_id[application.invoice_id],
                    payment_id=credit.payment_id,
                    amount=application.amount,
                    applied_on=max(today, by_id[application.invoice_id].invoice_date),
                    source="credit",
                )
                count, total = count + 1, total + application.amount
            credit.remaining = leftover
    await session.flush()
    if count:
        log.info("credit.applied", customer_id=str(customer.id), applications=count, amount=str(total))
    return {"applications": count, "applied": total}


async def reverse_payment(session: AsyncSession, *, clock: Clock, event: PaymentReversed) -> dict[str, Any]:
    """Undo a payment (refund, chargeback, bounce): its free credit first, then its applications, newest first.

    Each undone application is kept, marked reversed; a partly undone one is
    replaced by an application of what remains. Invoices it had paid reopen.
    """
    customer = await repository.get_customer(session, event.customer_id, for_update=True)
    if customer is None:
        raise LookupError(f"reversal of payment {event.payment_id} names unknown customer {event.customer_id}")
    to_undo = event.amount.amount
    for credit in await repository.credits_of_payment(session, event.payment_id):
        if credit.reversed_on is None and credit.remaining > 0 and to_undo > 0:
            taken = min(credit.remaining, to_undo)
            credit.remaining -= taken
            to_undo -= taken
            if credit.remaining == 0:
                credit.reversed_on = event.reversed_on
    applications = await repository.active_applications_of_payment(session, event.payment_id)
    undone = 0
    for application in reversed(applications):
        if to_undo <= 0:
            break
        taken = min(application.amount, to_undo)
        to_undo -= taken
        await _unapply(session, clock=clock, application=application, amount=taken, event=event)
        undone += 1
    await session.flush()
    if to_undo > 0:
        log.warning("payment.reversal_exceeds_payment", payment_id=str(event.payment_id), left=str(to_undo))
    log.info("payment.reversed", payment_id=str(event.payment_id), applications=undone)
    return {"applications_reversed": undone, "not_found": to_undo}


async def _unapply(
    session: AsyncSession, *, clock: Clock, application: PaymentApplication, amount: Decimal, event: PaymentReversed
) -> None:
    invoice = await repository.get_invoice(session, application.invoice_id, for_update=True)
    assert invoice is not None
    now = clock.now()
    application.reversed_on = event.reversed_on
    if amount < application.amount:  # keep what the reversal does not touch
        # dated the day of the reversal, so the ledger read "as of" any earlier
        # day still shows the whole original application
        session.add(
            PaymentApplication(
                id=uuid7(),
                payment_id=application.payment_id,
                invoice_id=application.invoice_id,
                customer_id=application.customer_id,
                amount=application.amount - amount,
                currency=application.currency,
                applied_on=event.reversed_on,
                source=application.source,
                created_at=now,
            )
        )
    invoice.amount_paid -= amount
    version = _balance_changed(invoice)
    invoice.updated_at = now
    reopened = invoice.status == "paid" and invoice.balance > 0
    if reopened:
        invoice.status = "uncollectible" if invoice.written_off_on is not None else "open"
        invoice.paid_on = None
    await session.flush()
    await outbox.add(
        session,
        PaymentApplicationReversed(
            customer_id=invoice.customer_id,
            application_id=application.id,
            payment_id=application.payment_id,
            invoice_id=invoice.id,
            invoice_number=invoice.number or "",
            amount=Money.of(amount, invoice.currency).quantize(),
            reversed_on=event.reversed_on,
            reason=event.reason,
            invoice_balance_after=Money.of(invoice.balance, invoice.currency).quantize(),
            invoice_reopened=reopened,
            invoice_ledger_version=version,
        ),
        clock=clock,
    )
    log.info("payment_application.reversed", application_id=str(application.id), reopened=reopened)


async def _mark_paid(session: AsyncSession, *, clock: Clock, invoice: Invoice, paid_on: date) -> None:
    invoice.status = "paid"
    invoice.paid_on = paid_on
    await outbox.add(
        session,
        InvoicePaid(
            customer_id=invoice.customer_id,
            invoice_id=invoice.id,
            invoice_number=invoice.number or "",
            total=Money.of(invoice.total, invoice.currency).quantize(),
            invoice_date=invoice.invoice_date,
            due_date=invoice.due_date,
            paid_on=paid_on,
            days_beyond_terms=max(0, (paid_on - invoice.due_date).days),
        ),
        clock=clock,
    )
    log.info("invoice.paid", invoice_id=str(invoice.id), number=invoice.number)


# --- due and overdue -------------------------------------------------------------


async def sweep_due_and_overdue(
    session: AsyncSession, *, clock: Clock, as_of: datetime, due_soon_days: int
) -> dict[str, Any]:
    """Publish InvoiceDueSoon and InvoiceOverdue for every threshold newly reached as of an instant."""
    by_threshold = await repository.sweep_due_and_overdue(
        session, as_of=as_of, now=clock.now(), due_soon_days=due_soon_days, traceparent=current_traceparent()
    )
    due_soon = by_threshold.pop("due-soon", 0)
    notices = sum(by_threshold.values())
    log.info("invoice.sweep_finished", as_of=as_of.isoformat(), notices=notices, due_soon=due_soon)
    return {"notices": notices, "by_threshold": by_threshold, "due_soon": due_soon}


# --- statements, aging and KPIs -------------------------------------------------------


def _buckets(amounts: dict[str, Decimal], currency: str) -> AgingBuckets:
    values = {name: to_minor_units(amounts.get(name, Decimal(0)), currency) for name in domain.AGING_BUCKETS}
    return AgingBuckets.model_validate({**values, "total": sum(values.values(), Decimal(0))})


async def statement(
    session: AsyncSession, *, clock: Clock, customer_id: UUID, start: date, end: date, language: Language | None
) -> StatementOut:
    """The customer's statement of account (对账单) for a period, per currency."""
    if end < start:
        raise Unprocessable("The period ends before it starts.", code="invalid_period")
    if (end - start).days > 3660:
        raise Unprocessable("A statement covers at most ten years.", code="invalid_period")
    customer = await require_customer(session, customer_id)
    opening = await repository.balances_before(session, customer.id, start)
    entries = await repository.statement_entries(session, customer.id, start, end)
    open_items = await repository.open_items_as_of(session, end, customer_id=customer.id, write_offs=False)
    currencies = sorted(set(opening) | {e.currency for e in entries} | {i.currency for i in open_items})
    out = []
    for currency in currencies:
        balance = opening.get(currency, Decimal(0))
        rows, invoiced, credited, paid = [], Decimal(0), Decimal(0), Decimal(0)
        for entry in (e for e in entries if e.currency == currency):
            balance += entry.amount
            if entry.kind == "invoice":
                invoiced += entry.amount
            elif entry.kind in ("void", "credit_note"):
                credited -= entry.amount
            else:
                paid -= entry.amount
            rows.append(
                StatementEntry(
                    entry_date=entry.entry_date,
                    kind=entry.kind,
                    document=entry.document,
                    invoice_number=entry.invoice_number,
                    debit=to_minor_units(max(entry.amount, Decimal(0)), currency),
                    credit=to_minor_units(max(-entry.amount, Decimal(0)), currency),
                    balance=to_minor_units(balance, currency),
                )
            )
        aging: dict[str, Decimal] = {}
        interest = Decimal(0)
        for item in (i for i in open_items if i.currency == currency):
            bucket = domain.aging_bucket(item.days_overdue)
            aging[bucket] = aging.get(bucket, Decimal(0)) + item.amount
            invoice = await repository.get_invoice(session, item.invoice_id)
            if invoice is not None:
                interest += await _late_interest_as_of(session, invoice, end)
        out.append(
            StatementCurrency(
                currency=currency,
                opening_balance=to_minor_units(opening.get(currency, Decimal(0)), currency),
                invoiced=to_minor_units(invoiced, currency),
                credited=to_minor_units(credited, currency),
                paid=to_minor_units(paid, currency),
                closing_balance=to_minor_units(balance, currency),
                late_interest=to_minor_units(interest, currency),
                aging=_buckets(aging, currency),
                entries=rows,
            )
        )
    return StatementOut(
        customer_id=customer.id,
        legal_name=customer.legal_name,
        period_start=start,
        period_end=end,
        language=language or cast(Language, customer.preferred_language),
        currencies=out,
    )


async def aging_report(
    session: AsyncSession, *, as_of: date, customer_id: UUID | None, currency: str | None
) -> AgingReportOut:
    """Receivables as of a day per customer and in total, per currency, by days past due."""
    rows = await repository.aging_as_of(session, as_of, customer_id=customer_id, currency=currency)
    per_customer: dict[tuple[UUID, str], dict[str, Any]] = {}
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = per_customer.setdefault(
            (row.customer_id, row.currency), {"name": row.legal_name, "amounts": {}, "invoices": 0}
        )
        total = totals.setdefault(row.currency, {"amounts": {}, "invoices": 0})
        for target in (entry, total):
            target["amounts"][row.bucket] = target["amounts"].get(row.bucket, Decimal(0)) + row.amount
            target["invoices"] += row.invoices
    return AgingReportOut(
        as_of=as_of,
        customers=[
            AgingRow(
                customer_id=key[0],
                legal_name=value["name"],
                currency=key[1],
                buckets=_buckets(value["amounts"], key[1]),
                invoices=value["invoices"],
            )
            for key, value in per_customer.items()
        ],
        totals=[
            AgingRow(
                customer_id=None,
                legal_name=None,
                currency=code,
                buckets=_buckets(value["amounts"], code),
                invoices=value["invoices"],
            )
            for code, value in sorted(totals.items())
        ],
    )


async def kpi_report(
    session: AsyncSession, *, start: date, end: date, customer_id: UUID | None, currency: str | None
) -> KpiReportOut:
    """DSO, best-possible DSO, ADD, CEI, bad-debt and collection rates for a period, per currency."""
    if end < start:
        raise Unprocessable("The period ends before it starts.", code="invalid_period")
    days = (end - start).days + 1
    rows = await repository.kpi_figures(session, start, end, customer_id=customer_id, currency=currency)
    data = []
    for row in rows:
        figures = domain.KpiInputs(
            days=days,
            opening=row.opening,
            closing=row.closing,
            closing_current=row.closing_current,
            sales=row.sales,
            collected=row.collected,
            written_off=row.written_off,
        )
        code = row.currency
        data.append(
            KpiOut(
                currency=code,
                period_start=start,
                period_end=end,
                days=days,
                opening_receivables=to_minor_units(row.opening, code),
                closing_receivables=to_minor_units(row.closing, code),
                closing_current=to_minor_units(row.closing_current, code),
                credit_sales=to_minor_units(row.sales, code),
                collected=to_minor_units(row.collected, code),
                written_off=to_minor_units(row.written_off, code),
                **domain.kpis(figures),
            )
        )
    return KpiReportOut(data=data)


# --- service contracts (recurring billing) ---------------------------------------------


async def create_contract(session: AsyncSession, *, clock: Clock, data: ContractCreate) -> ServiceContract:
    """Create a recurring service contract; the recurring-billing job invoices it."""
    customer = await repository.get_customer(session, data.customer_id)
    if customer is None:
        raise Unprocessable(f"There is no customer {data.customer_id}.", code="customer_not_found")
    if customer.archived_at is not None:
        raise Unprocessable("The customer is archived.", code="customer_archived")
    await _require_terms_code(session, data.payment_terms_code)
    now = clock.now()
    contract = ServiceContract(
        id=uuid7(),
        customer_id=customer.id,
        currency=data.currency,
        cycle=data.cycle,
        start_date=data.start_date,
        end_date=data.end_date,
        bill_from=data.start_date,
        auto_issue=data.auto_issue,
        payment_terms_code=data.payment_terms_code,
        lines=[line.model_dump(mode="json") for line in data.lines],
        memo=data.memo,
        status="active",
        created_at=now,
        updated_at=now,
    )
    session.add(contract)
    await session.flush()
    log.info("contract.created", contract_id=str(contract.id), customer_id=str(customer.id))
    return contract


async def require_contract(session: AsyncSession, contract_id: UUID, *, for_update: bool = False) -> ServiceContract:
    contract = await repository.get_contract(session, contract_id, for_update=for_update)
    if contract is None:
        raise NotFound(f"There is no contract {contract_id}.", code="contract_not_found")
    return contract


async def change_contract(
    session: AsyncSession, *, clock: Clock, contract_id: UUID, action: str, on: date | None = None
) -> ServiceContract:
    """Pause, resume or cancel a contract. Periods starting while paused are never billed."""
    contract = await require_contract(session, contract_id, for_update=True)
    customer = await require_customer(session, contract.customer_id)
    today = local_date(clock.now(), customer.time_zone)
    if contract.status == "cancelled":
        raise Conflict("The contract is cancelled.", code="contract_cancelled")
    if action == "pause":
        if contract.status == "paused":
            return contract
        contract.status, contract.paused_on = "paused", today
    elif action == "resume":
        if contract.status != "paused":
            raise Conflict("Only a paused contract can be resumed.", code="contract_not_paused")
        contract.status, contract.paused_on = "active", None
        contract.bill_from = max(contract.bill_from, today)
    elif action == "cancel":
        assert on is not None
        if on < contract.start_date:
            raise Unprocessable("A contract cannot end before it starts.", code="invalid_period")
        contract.status, contract.cancelled_on = "cancelled", on
        contract.end_date = min(contract.end_date, on) if contract.end_date else on
        await _credit_unused_days(session, clock=clock, contract=contract, cancelled_on=on, today=today)
    contract.updated_at = clock.now()
    await session.flush()
    log.info(f"contract.{action}d" if action != "cancel" else "contract.cancelled", contract_id=str(contract.id))
    return contract


async def _credit_unused_days(
    session: AsyncSession, *, clock: Clock, contract: ServiceContract, cancelled_on: date, today: date
) -> None:
    """Credit the days already invoiced in advance after a cancellation, one credit note per period's invoice.

    Prorated like a partial period; at most the invoice's open balance (a period
    already paid in full needs a refund, which is reconciliation's to record).
    Drafts are not credited: they are still edited or deleted by hand.
    """
    lines = [
        (line.quantity, line.unit_price, line.tax_rate)
        for line in (InvoiceLineIn.model_validate(raw) for raw in contract.lines)
    ]
    for period in await repository.billed_periods_ending_after(session, contract.id, cancelled_on):
        unused = domain.unused_days(contract.cycle, period.period_start, period.period_end, cancelled_on)
        assert period.invoice_id is not None
        invoice = await repository.get_invoice(session, period.invoice_id, for_update=True)
        if unused is None or invoice is None or invoice.status in ("draft", "void"):
            continue
        credit = domain.prorated_gross(lines, unused.factor, invoice.currency)
        amount = min(credit, invoice.balance) if invoice.status in ("open", "uncollectible") else Decimal(0)
        if amount < credit:  # e.g. the period is paid already: the rest is a refund
            log.warning(
                "contract.cancellation_credit_exceeds_balance",
                contract_id=str(contract.id),
                invoice_id=str(invoice.id),
                credit=str(credit),
                balance=str(invoice.balance),
            )
        if amount <= 0:
            continue
        await _credit(
            session,
            clock=clock,
            invoice=invoice,
            amount=amount,
            reason=f"合同取消 Contract cancelled on {cancelled_on}: unused {unused.first}..{unused.last}",
            issued_on=max(today, invoice.invoice_date),
            kind="contract_cancellation",
        )


async def bill_contracts(
    session: AsyncSession, *, clock: Clock, as_of: datetime, apply_credit: bool = False
) -> dict[str, Any]:
    """Invoice every contract period due by `as_of` (customer's calendar), each exactly once.

    Each period is billed in its own savepoint: one that cannot be billed (its
    terms were deleted, say) is rolled back alone, reported in `failed` and tried
    again next run, and every other contract is still billed. A period that
    totals zero (a price of 0, or a small price prorated over a few days) cannot
    be issued: it is left as a draft, reported in `zero_total_drafts`, for the
    billing team to correct or delete.
    """
    invoices, drafts = 0, 0
    zero_total: list[dict[str, str]] = []
    failed: list[dict[str, str]] = []
    for contract in await repository.billable_contracts(session):
        customer = await repository.get_customer(session, contract.customer_id)
        if customer is None or customer.archived_at is not None:
            continue
        today = local_date(as_of, customer.time_zone)
        periods = domain.billing_periods(
            contract.cycle, contract.start_date, contract.end_date, contract.bill_from, today
        )
        for period in periods:
            report = _period_report(contract, period)  # read before a rollback could expire the contract
            try:
                async with session.begin_nested():
                    if not await repository.claim_period(
                        session, contract.id, period.period_start, period.end, clock.now()
                    ):
                        continue
                    invoice = await _bill_period(
                        session, clock=clock, contract=contract, period=period, apply_credit=apply_credit
                    )
                    await repository.set_period_invoice(session, contract.id, period.period_start, invoice.id)
            except Problem as exc:
                failed.append({**report, "code": exc.code, "detail": exc.detail})
                log.warning(
                    "contract.period_not_billed",
                    contract_id=report["contract_id"],
                    period_start=report["period_start"],
                    code=exc.code,
                    detail=exc.detail,
                )
                continue
            if invoice.status != "draft":
                invoices += 1
                continue
            drafts += 1
            if contract.auto_issue:  # only a zero total keeps an auto-issued period a draft
                zero_total.append({**report, "invoice_id": str(invoice.id)})
                log.warning(
                    "contract.period_total_zero",
                    contract_id=str(contract.id),
                    period_start=period.start.isoformat(),
                    invoice_id=str(invoice.id),
                )
    if invoices or drafts or failed:
        log.info("contracts.billed", issued=invoices, drafts=drafts, failed=len(failed), as_of=as_of.isoformat())
    return {"issued": invoices, "drafts": drafts, "zero_total_drafts": zero_total, "failed": failed}


def _period_report(contract: ServiceContract, period: domain.BillingPeriod) -> dict[str, str]:
    return {
        "contract_id": str(contract.id),
        "customer_id": str(contract.customer_id),
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
    }


async def _bill_period(
    session: AsyncSession, *, clock: Clock, contract: ServiceContract, period: domain.BillingPeriod, apply_credit: bool
) -> Invoice:
    """The period's invoice: issued when the contract says so and it totals more than zero, else a draft."""
    label = f"{period.start}..{period.end}"
    lines = []
    for raw in contract.lines:
        line = InvoiceLineIn.model_validate(raw)
        quantity = line.quantity * period.factor
        note = "" if period.factor == 1 else f" (prorated {period.factor.normalize()})"
        lines.append(line.model_copy(update={"quantity": quantity, "description": f"{line.description} {label}{note}"}))
    invoice = await create_invoice(
        session,
        clock=clock,
        data=InvoiceCreate(
            customer_id=contract.customer_id,
            currency=contract.currency,
            invoice_date=period.start,
            payment_terms_code=contract.payment_terms_code,
            memo=contract.memo,
            lines=lines,
            issue=False,
        ),
    )
    invoice.contract_id = contract.id
    await session.flush()
    if contract.auto_issue and invoice.total > 0:
        await issue_invoice(session, clock=clock, invoice_id=invoice.id, apply_credit=apply_credit)
    return invoice


async def assess_late_fees_by_policy(
    session: AsyncSession, *, clock: Clock, as_of: datetime, apply_credit: bool = False
) -> dict[str, Any]:
    """Charge late interest and fees on every overdue invoice whose terms say so, once a month."""
    charged, skipped = 0, 0
    for invoice_id in await repository.invoices_due_for_late_fees(session, as_of):
        invoice = await repository.get_invoice(session, invoice_id)
        customer = await repository.get_customer(session, invoice.customer_id) if invoice else None
        if invoice is None or customer is None:
            continue
        try:
            async with session.begin_nested():
                await assess_late_fee(
                    session,
                    clock=clock,
                    invoice_id=invoice_id,
                    as_of=local_date(as_of, customer.time_zone),
                    apply_credit=apply_credit,
                )
            charged += 1
        except Problem:  # e.g. nothing to charge this time: the terms carry no interest for these days
            skipped += 1
    return {"fee_invoices": charged, "skipped": skipped}
