"""Response models of statements, aging and KPIs."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from arflow.events.catalog import Language
from arflow.money import DecimalString


class StatementEntry(BaseModel):
    entry_date: date
    kind: Literal["invoice", "void", "credit_note", "payment", "payment_reversal"]
    document: str | None = Field(description="Invoice or credit note number, or the payment id.")
    invoice_number: str | None
    debit: DecimalString
    credit: DecimalString
    balance: DecimalString


class AgingBuckets(BaseModel):
    current: DecimalString
    d1_30: DecimalString = Field(alias="1-30")
    d31_60: DecimalString = Field(alias="31-60")
    d61_90: DecimalString = Field(alias="61-90")
    d90_plus: DecimalString = Field(alias="90+")
    total: DecimalString

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class StatementCurrency(BaseModel):
    currency: str
    opening_balance: DecimalString
    invoiced: DecimalString
    credited: DecimalString
    paid: DecimalString
    closing_balance: DecimalString
    late_interest: DecimalString = Field(description="Interest accrued on what is open at the period's end.")
    aging: AgingBuckets = Field(description="What is open at the period's end, by days past due.")
    entries: list[StatementEntry]


class StatementOut(BaseModel):
    customer_id: UUID
    legal_name: str
    period_start: date
    period_end: date
    language: Language
    currencies: list[StatementCurrency]


class AgingRow(BaseModel):
    customer_id: UUID | None = Field(description="None on the total rows.")
    legal_name: str | None
    currency: str
    buckets: AgingBuckets
    invoices: int


class AgingReportOut(BaseModel):
    as_of: date
    customers: list[AgingRow]
    totals: list[AgingRow] = Field(description="One row per currency over every customer.")


class KpiOut(BaseModel):
    currency: str
    period_start: date
    period_end: date
    days: int
    opening_receivables: DecimalString
    closing_receivables: DecimalString
    closing_current: DecimalString
    credit_sales: DecimalString
    collected: DecimalString
    written_off: DecimalString
    dso: DecimalString | None
    best_possible_dso: DecimalString | None
    average_days_delinquent: DecimalString | None
    cei: DecimalString | None = Field(description="Collection effectiveness index, percent.")
    bad_debt_rate: DecimalString | None = Field(description="Percent of credit sales.")
    collection_rate: DecimalString | None = Field(description="Percent of opening receivables + credit sales.")


class KpiReportOut(BaseModel):
    data: list[KpiOut]
