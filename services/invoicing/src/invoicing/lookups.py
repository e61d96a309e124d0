"""Rows every noun looks up by id, and the require_* that turn a missing one into its typed error.

They sit below every noun (which all use them), so their errors and the few getters they need live here too.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.problems import NotFound, Unprocessable
from invoicing.models import CreditNote, Customer, Invoice, PaymentTerms, ServiceContract


class CustomerNotFound(NotFound):
    code, title, title_zh = "customer_not_found", "Customer not found", "客户不存在"


class TermsNotFound(NotFound):
    code, title, title_zh = "payment_terms_not_found", "Payment terms not found", "付款条件不存在"


class UnknownTerms(Unprocessable):
    """Terms named by a customer, an invoice or a contract that do not exist."""

    code, title, title_zh = "payment_terms_not_found", "Payment terms not found", "付款条件不存在"


class InvoiceNotFound(NotFound):
    code, title, title_zh = "invoice_not_found", "Invoice not found", "账单不存在"


class CreditNoteNotFound(NotFound):
    code, title, title_zh = "credit_note_not_found", "Credit note not found", "贷项通知单不存在"


class ContractNotFound(NotFound):
    code, title, title_zh = "contract_not_found", "Contract not found", "合同不存在"


async def get_customer(session: AsyncSession, customer_id: UUID, *, for_update: bool = False) -> Customer | None:
    """A customer; `for_update` serialises ledger work on it (FOR NO KEY UPDATE).

    NO KEY: inserting an invoice takes FOR KEY SHARE on its customer (the foreign
    key); a plain FOR UPDATE here would deadlock with a concurrent request that
    inserted an invoice for the same customer and waits for the number series.
    """
    query = select(Customer).where(Customer.id == customer_id)
    if for_update:
        query = query.with_for_update(key_share=True)
    return (await session.execute(query)).scalar_one_or_none()


async def terms_by_code(session: AsyncSession, code: str, *, for_update: bool = False) -> PaymentTerms | None:
    query = select(PaymentTerms).where(PaymentTerms.code == code)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_invoice(session: AsyncSession, invoice_id: UUID, *, for_update: bool = False) -> Invoice | None:
    query = select(Invoice).where(Invoice.id == invoice_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_credit_note(session: AsyncSession, credit_note_id: UUID) -> CreditNote | None:
    return await session.get(CreditNote, credit_note_id)


async def get_contract(session: AsyncSession, contract_id: UUID, *, for_update: bool = False) -> ServiceContract | None:
    query = select(ServiceContract).where(ServiceContract.id == contract_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def require_customer(session: AsyncSession, customer_id: UUID, *, for_update: bool = False) -> Customer:
    customer = await get_customer(session, customer_id, for_update=for_update)
    if customer is None:
        raise CustomerNotFound(f"There is no customer {customer_id}.", detail_zh=f"客户 {customer_id} 不存在。")
    return customer


async def require_terms(session: AsyncSession, code: str, *, for_update: bool = False) -> PaymentTerms:
    terms = await terms_by_code(session, code, for_update=for_update)
    if terms is None:
        raise TermsNotFound(f"There are no payment terms '{code}'.", detail_zh=f"付款条件“{code}”不存在。")
    return terms


async def require_terms_code(session: AsyncSession, code: str | None) -> None:
    if code is not None and await terms_by_code(session, code) is None:
        raise UnknownTerms(f"There are no payment terms '{code}'.", detail_zh=f"付款条件“{code}”不存在。")


async def require_invoice(session: AsyncSession, invoice_id: UUID, *, for_update: bool = False) -> Invoice:
    invoice = await get_invoice(session, invoice_id, for_update=for_update)
    if invoice is None:
        raise InvoiceNotFound(f"There is no invoice {invoice_id}.", detail_zh=f"账单 {invoice_id} 不存在。")
    return invoice


async def require_credit_note(session: AsyncSession, credit_note_id: UUID) -> CreditNote:
    note = await get_credit_note(session, credit_note_id)
    if note is None:
        raise CreditNoteNotFound(
            f"There is no credit note {credit_note_id}.", detail_zh=f"贷项通知单 {credit_note_id} 不存在。"
        )
    return note


async def require_contract(session: AsyncSession, contract_id: UUID, *, for_update: bool = False) -> ServiceContract:
    contract = await get_contract(session, contract_id, for_update=for_update)
    if contract is None:
        raise ContractNotFound(f"There is no contract {contract_id}.", detail_zh=f"合同 {contract_id} 不存在。")
    return contract
