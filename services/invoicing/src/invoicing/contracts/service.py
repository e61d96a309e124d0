"""Contract use cases and recurring billing. Never commits."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock, local_date
from arflow.ids import uuid7
from arflow.problems import Problem
from invoicing import domain
from invoicing.contracts import repository
from invoicing.contracts.errors import ContractCancelled, ContractNotPaused
from invoicing.contracts.events import publish_contract
from invoicing.contracts.schemas import ContractCreate
from invoicing.customers.credit_hold import CreditDecision, CreditHoldPolicy, check_credit
from invoicing.customers.errors import CustomerArchived, UnknownCustomer
from invoicing.invoices.schemas import InvoiceCreate, InvoiceLineIn
from invoicing.invoices.service import create_invoice, issue_invoice, mark_credit
from invoicing.ledger.service import credit_invoice
from invoicing.lookups import get_customer, get_invoice, require_contract, require_customer, require_terms_code
from invoicing.models import Invoice, ServiceContract
from invoicing.reports.errors import InvalidPeriod

log = structlog.get_logger("invoicing")


async def create_contract(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    data: ContractCreate,
    hold_policy: CreditHoldPolicy = "refuse",
) -> ServiceContract:
    """Create a recurring service contract; the recurring-billing job invoices it.

    A customer on credit hold gets no new contract under the refuse policy, unless a credit manager overrides.
    """
    customer = await get_customer(session, data.customer_id)
    if customer is None:
        raise UnknownCustomer(
            f"There is no customer {data.customer_id}.", detail_zh=f"客户 {data.customer_id} 不存在。"
        )
    if customer.archived_at is not None:
        raise CustomerArchived("The customer is archived.", detail_zh="该客户已归档。")
    credit = check_credit(
        customer, policy=hold_policy, override=data.credit_hold_override, actor=actor, what="contract"
    )
    await require_terms_code(session, data.payment_terms_code)
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
        credit_hold_override_by=credit.override_by,
        credit_hold_override_reason=credit.override_reason,
        created_at=now,
        updated_at=now,
    )
    session.add(contract)
    await session.flush()
    await publish_contract(
        session, clock=clock, contract=contract, customer=customer, change="started", effective_on=data.start_date
    )
    log.info("contract.created", contract_id=str(contract.id), customer_id=str(customer.id))
    return contract


async def change_contract(
    session: AsyncSession, *, actor: Principal, clock: Clock, contract_id: UUID, action: str, on: date | None = None
) -> ServiceContract:
    """Pause, resume or cancel a contract. Periods starting while paused are never billed."""
    contract = await require_contract(session, contract_id, for_update=True)
    customer = await require_customer(session, contract.customer_id)
    today = local_date(clock.now(), customer.time_zone)
    if contract.status == "cancelled":
        raise ContractCancelled("The contract is cancelled.", detail_zh="该合同已取消。")
    if action == "pause":
        if contract.status == "paused":
            return contract
        contract.status, contract.paused_on = "paused", today
    elif action == "resume":
        if contract.status != "paused":
            raise ContractNotPaused("Only a paused contract can be resumed.", detail_zh="只有已暂停的合同可以恢复。")
        contract.status, contract.paused_on = "active", None
        contract.bill_from = max(contract.bill_from, today)
    elif action == "cancel":
        assert on is not None
        if on < contract.start_date:
            raise InvalidPeriod("A contract cannot end before it starts.", detail_zh="合同的结束日期不能早于开始日期。")
        contract.status, contract.cancelled_on = "cancelled", on
        contract.end_date = min(contract.end_date, on) if contract.end_date else on
        await _credit_unused_days(session, actor=actor, clock=clock, contract=contract, cancelled_on=on, today=today)
    contract.updated_at = clock.now()
    await session.flush()
    change: Literal["paused", "resumed", "cancelled"] = (
        "paused" if action == "pause" else "resumed" if action == "resume" else "cancelled"
    )
    await publish_contract(
        session,
        clock=clock,
        contract=contract,
        customer=customer,
        change=change,
        effective_on=on if action == "cancel" and on is not None else today,
    )
    log.info(f"contract.{action}d" if action != "cancel" else "contract.cancelled", contract_id=str(contract.id))
    return contract


async def _credit_unused_days(
    session: AsyncSession, *, actor: Principal, clock: Clock, contract: ServiceContract, cancelled_on: date, today: date
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
        invoice = await get_invoice(session, period.invoice_id, for_update=True)
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
        await credit_invoice(
            session,
            actor=actor,
            clock=clock,
            invoice=invoice,
            amount=amount,
            reason=f"合同取消 Contract cancelled on {cancelled_on}: unused {unused.first}..{unused.last}",
            issued_on=max(today, invoice.invoice_date),
            kind="contract_cancellation",
        )


async def bill_contracts(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    as_of: datetime,
    apply_credit: bool = False,
    hold_policy: CreditHoldPolicy = "refuse",
) -> dict[str, Any]:
    """Invoice every contract period due by `as_of` (customer's calendar), each exactly once.

    Each period is billed in its own savepoint: one that cannot be billed (its
    terms were deleted, say) is rolled back alone, reported in `failed` and tried
    again next run, and every other contract is still billed. A period that
    totals zero (a price of 0, or a small price prorated over a few days) cannot
    be issued: it is left as a draft, reported in `zero_total_drafts`, for the
    billing team to correct or delete. A customer on credit hold is not billed
    under the refuse policy (unless its contract was started by an override): its
    periods are reported in `credit_hold` and billed by the first run after the
    hold lifts; under the flag policy they are billed and the invoices marked.
    """
    invoices, drafts = 0, 0
    zero_total: list[dict[str, str]] = []
    failed: list[dict[str, str]] = []
    held: list[dict[str, str]] = []
    for contract in await repository.billable_contracts(session):
        customer = await get_customer(session, contract.customer_id)
        if customer is None or customer.archived_at is not None:
            continue
        today = local_date(as_of, customer.time_zone)
        periods = domain.billing_periods(
            contract.cycle, contract.start_date, contract.end_date, contract.bill_from, today
        )
        if periods and customer.credit_hold and hold_policy == "refuse" and not contract.credit_hold_override_by:
            held.extend(_period_report(contract, period) for period in periods)
            continue
        for period in periods:
            report = _period_report(contract, period)  # read before a rollback could expire the contract
            try:
                async with session.begin_nested():
                    if not await repository.claim_period(
                        session, contract.id, period.period_start, period.end, clock.now()
                    ):
                        continue
                    invoice = await _bill_period(
                        session, actor=actor, clock=clock, contract=contract, period=period, apply_credit=apply_credit
                    )
                    if customer.credit_hold:
                        mark_credit(
                            invoice,
                            CreditDecision(
                                held=True,
                                override_by=contract.credit_hold_override_by,
                                override_reason=contract.credit_hold_override_reason,
                            ),
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
    if invoices or drafts or failed or held:
        log.info(
            "contracts.billed",
            issued=invoices,
            drafts=drafts,
            failed=len(failed),
            credit_hold=len(held),
            as_of=as_of.isoformat(),
        )
    return {
        "issued": invoices,
        "drafts": drafts,
        "zero_total_drafts": zero_total,
        "failed": failed,
        "credit_hold": held,
    }


def _period_report(contract: ServiceContract, period: domain.BillingPeriod) -> dict[str, str]:
    return {
        "contract_id": str(contract.id),
        "customer_id": str(contract.customer_id),
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
    }


async def _bill_period(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    contract: ServiceContract,
    period: domain.BillingPeriod,
    apply_credit: bool,
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
        actor=actor,
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
        await issue_invoice(session, actor=actor, clock=clock, invoice_id=invoice.id, apply_credit=apply_credit)
    return invoice
