"""The facts a contract tells others: ContractStarted and ContractChanged, with what it bills and on what terms.

Credit-scoring reads them as a new client's expected billing (its initial credit limit).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock
from arflow.events.catalog import ContractChanged, ContractStarted
from arflow.messaging import outbox
from arflow.money import Money, minor_unit_exponent
from invoicing import domain
from invoicing.invoices.schemas import InvoiceLineIn
from invoicing.models import Customer, ServiceContract
from invoicing.terms.service import invoice_terms


def amount_per_cycle(contract: ServiceContract) -> Decimal:
    """A full period's gross, priced line by line as its invoice is."""
    lines = [
        (line.quantity, line.unit_price, line.tax_rate)
        for line in (InvoiceLineIn.model_validate(raw) for raw in contract.lines)
    ]
    return domain.prorated_gross(lines, Decimal(1), contract.currency)


def monthly_amount(per_cycle: Decimal, cycle: str, currency: str) -> Decimal:
    """A cycle's amount spread over its months, rounded half-up to the currency's minor unit."""
    months = Decimal(domain.CYCLE_MONTHS[cycle])
    return (per_cycle / months).quantize(minor_unit_exponent(currency), rounding=ROUND_HALF_UP)


async def publish_contract(
    session: AsyncSession,
    *,
    clock: Clock,
    contract: ServiceContract,
    customer: Customer,
    change: Literal["started", "paused", "resumed", "cancelled"],
    effective_on: date,
) -> None:
    """Record the contract's state after a change in the outbox (commits with the change itself)."""
    terms = await invoice_terms(session, customer, contract.payment_terms_code, domain.TermsOverrides())
    per_cycle = amount_per_cycle(contract)
    fields: dict[str, Any] = {
        "customer_id": contract.customer_id,
        "contract_id": contract.id,
        "currency": contract.currency,
        "cycle": contract.cycle,
        "amount_per_cycle": Money.of(per_cycle, contract.currency),
        "monthly_amount": Money.of(monthly_amount(per_cycle, contract.cycle, contract.currency), contract.currency),
        "net_days": terms.net_days,
        "start_date": contract.start_date,
        "end_date": contract.end_date,
        "status": contract.status,
        "effective_on": effective_on,
        "changed_at": contract.updated_at,
    }
    event = ContractStarted(**fields) if change == "started" else ContractChanged(**fields, change=change)
    await outbox.add(session, event, clock=clock)
