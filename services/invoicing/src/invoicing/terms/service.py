"""Payment terms use cases, and the terms an invoice is made with. Never commits."""

from __future__ import annotations

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock
from arflow.ids import uuid7
from arflow.problems import ValidationFailed
from invoicing import domain
from invoicing.lookups import UnknownTerms, require_terms, terms_by_code
from invoicing.models import Customer, Invoice, PaymentTerms
from invoicing.terms.errors import InvalidTerms, TermsCodeTaken
from invoicing.terms.schemas import PaymentTermsCreate, PaymentTermsFields, PaymentTermsUpdate, check_terms

log = structlog.get_logger("invoicing")


async def create_terms(
    session: AsyncSession, *, actor: Principal, clock: Clock, data: PaymentTermsCreate
) -> PaymentTerms:
    """Create a named payment terms template."""
    if await terms_by_code(session, data.code):
        raise TermsCodeTaken(f"Payment terms '{data.code}' already exist.", detail_zh=f"付款条件“{data.code}”已存在。")
    now = clock.now()
    terms = PaymentTerms(id=uuid7(), **data.model_dump(), revision=1, created_at=now, updated_at=now)
    session.add(terms)
    try:
        await session.flush()
    except IntegrityError:
        raise TermsCodeTaken(
            f"Payment terms '{data.code}' already exist.", detail_zh=f"付款条件“{data.code}”已存在。"
        ) from None
    log.info("payment_terms.created", code=terms.code)
    return terms


async def update_terms(
    session: AsyncSession, *, actor: Principal, clock: Clock, code: str, data: PaymentTermsUpdate
) -> PaymentTerms:
    """Change a template; invoices already made keep the terms they were made with."""
    terms = await require_terms(session, code, for_update=True)
    changes = data.model_dump(exclude_unset=True)
    for name in ("name", "net_days", "basis", "grace_days", "interest_kind", "interest_rate"):
        if name in changes and changes[name] is None:
            raise ValidationFailed(f"{name} cannot be null.", detail_zh=f"{name} 不能为 null。")
    merged = PaymentTermsFields.model_construct(
        **{name: changes.get(name, getattr(terms, name)) for name in PaymentTermsFields.model_fields}
    )
    try:
        check_terms(merged)
    except ValueError as exc:
        raise InvalidTerms(str(exc)) from None
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


async def invoice_terms(
    session: AsyncSession, customer: Customer, code: str | None, overrides: domain.TermsOverrides
) -> domain.Terms:
    code = code or customer.payment_terms_code
    template = None
    if code is not None:
        found = await terms_by_code(session, code)
        if found is None:
            raise UnknownTerms(f"There are no payment terms '{code}'.", detail_zh=f"付款条件“{code}”不存在。")
        template = _terms_of(found)
    return domain.resolve_terms(template, overrides)


def apply_terms(invoice: Invoice, terms: domain.Terms) -> None:
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
