"""Credit-file endpoints (thin: parse, call the service, shape)."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Any
from uuid import UUID

from fastapi import APIRouter

from arflow.money import to_minor_units
from arflow.pagination import Page
from arflow.service import ClockDep, SessionDep
from credit_scoring import cold_start
from credit_scoring.deps import AsOf, Paging, Reader
from credit_scoring.domain import CreditFile, CurrencyMeasures, ExperienceAsOf
from credit_scoring.files import service
from credit_scoring.files.schemas import (
    CreditFileOut,
    CreditFileSummaryOut,
    CurrencyMeasuresOut,
    LimitBasisOut,
    LimitReasonOut,
    PaymentExperienceOut,
    StatementAnswerOut,
    StatementsOut,
)
from credit_scoring.files.service import CustomerCreditFile
from credit_scoring.statements import AnsweredStatement, StatementRecord

router = APIRouter()


def currency_out(measures: CurrencyMeasures) -> CurrencyMeasuresOut:
    currency = measures.currency
    return CurrencyMeasuresOut(
        currency=currency,
        paid_amount=to_minor_units(measures.paid_amount, currency),
        paid_late_amount=to_minor_units(measures.paid_late_amount, currency),
        ratio_late_by_amount=measures.ratio_late_by_amount,
        amount_weighted_dbt=measures.amount_weighted_dbt,
        outstanding=to_minor_units(measures.outstanding, currency),
        overdue=to_minor_units(measures.overdue, currency),
        credit_sales_90d=to_minor_units(measures.credit_sales_90d, currency),
        dso=measures.dso,
        best_possible_dso=measures.best_possible_dso,
        average_days_delinquent=measures.average_days_delinquent,
    )


def experience_out(experience: ExperienceAsOf) -> PaymentExperienceOut:
    fields = asdict(experience)
    for name in ("total", "amount_paid", "amount_outstanding", "amount_credited"):
        fields[name] = to_minor_units(fields[name], experience.currency)
    return PaymentExperienceOut.model_validate(fields)


def _measures(found: CustomerCreditFile) -> dict[str, object]:
    file: CreditFile = found.file
    fields = {name: value for name, value in asdict(file).items() if name not in ("by_currency", "experiences")}
    return {
        **fields,
        "customer_id": found.customer.id,
        "legal_name": found.customer.legal_name,
        "by_currency": [currency_out(m) for m in file.by_currency],
    }


def summary_out(found: CustomerCreditFile) -> CreditFileSummaryOut:
    return CreditFileSummaryOut.model_validate(_measures(found))


def limit_basis_out(basis: dict[str, Any] | None, currency: str) -> LimitBasisOut | None:
    """The basis a rescore kept on the credit_limit row, with its reasons in both languages."""
    if not basis:
        return None
    cold = basis.get("initial")
    return LimitBasisOut(
        basis=basis["basis"],
        paid_invoices=basis["paid_invoices"],
        behavioural_limit=to_minor_units(Decimal(basis["behavioural_limit"]), currency),
        initial_limit=to_minor_units(Decimal(cold["limit"]), currency) if cold else None,
        initial_tier=cold["tier"] if cold else None,
        reasons=[
            LimitReasonOut(code=code, text_zh=zh, text_en=en)
            for code, zh, en in cold_start.limit_reasons(basis, currency)
        ],
    )


def statement_answer_out(answered: AnsweredStatement) -> StatementAnswerOut:
    fact, currency = answered.fact, answered.fact.currency
    sees = fact.balance_customer_sees
    return StatementAnswerOut.model_validate(
        {
            **{name: getattr(fact, name) for name in ("statement_id", "statement_number", "period_start")},
            **{name: getattr(fact, name) for name in ("period_end", "answer", "answered_on", "currency", "comment")},
            "responder": {"name": fact.responder_name, "title": fact.responder_title},
            "closing_balance": to_minor_units(fact.closing_balance, currency),
            "balance_customer_sees": to_minor_units(sees, currency) if sees is not None else None,
            "balance_disputed": fact.balance_disputed,
            "disputed_invoices": [
                {
                    "invoice_id": i["invoice_id"],
                    "invoice_number": i.get("invoice_number"),
                    "open_amount": i["open_amount"]["amount"],
                    "currency": i["open_amount"]["currency"],
                }
                for i in fact.disputed_invoices
            ],
            "open": answered.open,
        }
    )


def statements_out(record: StatementRecord | None) -> StatementsOut:
    last = record.last_confirmed if record else None
    return StatementsOut(
        confirmed=record.confirmed if record else 0,
        disputed=record.disputed if record else 0,
        disputed_open=record.disputed_open if record else 0,
        last_confirmed_on=last.answered_on if last else None,
        last_confirmed_period_end=last.period_end if last else None,
        last_confirmed_balance=to_minor_units(last.closing_balance, last.currency) if last else None,
        last_confirmed_currency=last.currency if last else None,
        answers=[statement_answer_out(a) for a in record.answers] if record else [],
    )


def credit_file_out(found: CustomerCreditFile) -> CreditFileOut:
    limit = found.limit
    return CreditFileOut.model_validate(
        {
            **_measures(found),
            "payment_experiences": [experience_out(e) for e in found.file.experiences],
            "statements": statements_out(found.statements),
            "limit_basis": limit_basis_out(limit.basis, limit.currency) if limit is not None else None,
        }
    )


@router.get(
    "/credit-files/{customer_id}",
    response_model=CreditFileOut,
    tags=["credit files"],
    summary="A customer's credit file (信用档案) as of a date, with its payment experiences",
)
async def get_credit_file(
    customer_id: UUID, session: SessionDep, clock: ClockDep, _: Reader, as_of: AsOf = None
) -> CreditFileOut:
    return credit_file_out(await service.credit_file(session, clock=clock, customer_id=customer_id, as_of=as_of))


@router.get(
    "/credit-files",
    response_model=Page[CreditFileSummaryOut],
    tags=["credit files"],
    summary="Credit files of every known customer (measures only), newest customer first",
)
async def list_credit_files(
    session: SessionDep, clock: ClockDep, _: Reader, page: Paging, as_of: AsOf = None
) -> Page[CreditFileSummaryOut]:
    found = await service.list_credit_files(session, clock=clock, page=page, as_of=as_of)
    has_more = len(found) > page.limit
    shown = found[: page.limit]
    # arflow.pagination.make_page takes the cursor from an `id` attribute; a credit file is keyed by its customer.
    return Page[CreditFileSummaryOut](
        data=[summary_out(f) for f in shown],
        has_more=has_more,
        next_cursor=shown[-1].customer.id if has_more else None,
    )
