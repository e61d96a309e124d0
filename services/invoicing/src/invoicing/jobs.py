"""Scheduled sweeps of the invoicing service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from arflow.jobs import Job, JobContext
from invoicing.config import InvoicingSettings
from invoicing.contracts.service import bill_contracts
from invoicing.deps import SYSTEM
from invoicing.invoices.service import sweep_due_and_overdue
from invoicing.late_fees.service import assess_late_fees_by_policy
from invoicing.statements.service import issue_due_statements


def jobs_for(settings: InvoicingSettings) -> list[Job]:
    """The service's jobs, bound to its settings."""

    async def overdue_sweep(ctx: JobContext) -> dict[str, Any]:
        return await sweep_due_and_overdue(
            ctx.session, actor=SYSTEM, clock=ctx.clock, as_of=ctx.as_of, due_soon_days=settings.due_soon_days
        )

    async def recurring_billing(ctx: JobContext) -> dict[str, Any]:
        return await bill_contracts(
            ctx.session,
            actor=SYSTEM,
            clock=ctx.clock,
            as_of=ctx.as_of,
            apply_credit=settings.auto_apply_credit,
            hold_policy=settings.credit_hold_policy,
        )

    async def late_fee_assessment(ctx: JobContext) -> dict[str, Any]:
        if settings.late_fee_policy != "monthly":
            return {"skipped": "ARFLOW_LATE_FEE_POLICY is on_request"}
        return await assess_late_fees_by_policy(
            ctx.session, actor=SYSTEM, clock=ctx.clock, as_of=ctx.as_of, apply_credit=settings.auto_apply_credit
        )

    async def statement_cycle(ctx: JobContext) -> dict[str, Any]:
        return await issue_due_statements(ctx, settings=settings)

    return [
        Job(
            name="statement-cycle",
            interval=timedelta(hours=1),
            run=statement_cycle,
            description=(
                "Issue each customer's statement (对账单) to confirm when its period's day comes (monthly on the 1st "
                "unless the customer's statement-schedule says otherwise): once per customer and period, frozen, "
                "told as StatementIssued with its hosted link; a statement with nothing to confirm is not issued."
            ),
        ),
        Job(
            name="late-fee-assessment",
            interval=timedelta(hours=24),
            run=late_fee_assessment,
            description="With ARFLOW_LATE_FEE_POLICY=monthly: charge overdue invoices' interest and fees once a month.",
        ),
        Job(
            name="recurring-billing",
            interval=timedelta(hours=1),
            run=recurring_billing,
            description="Invoice every service contract period due, exactly once per contract and period.",
        ),
        Job(
            name="overdue-sweep",
            interval=timedelta(hours=1),
            run=overdue_sweep,
            description=(
                "Publish InvoiceDueSoon N days before due, and InvoiceOverdue past due + grace and again on "
                "entering the 31-60, 61-90 and 90+ buckets: each once per invoice and threshold."
            ),
        ),
    ]
