"""Response models of statement imports and statements; the CSV column-mapping profile."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arflow.i18n import Invalid
from arflow.money import Currency, DecimalString


class StatementImportOut(BaseModel):
    id: UUID
    status: str = Field(description="queued, processing, succeeded or failed.")
    format: str
    profile: str | None
    filename: str | None
    file_sha256: str
    size_bytes: int
    lines_total: int
    lines_read: int
    progress: float
    summary: dict[str, Any]
    warnings: list[dict[str, Any]] = Field(
        description="What does not add up or was skipped, each with a stable `code` (balance_mismatch, "
        "opening_not_previous_closing, sequence_gap, statement_already_imported, import_requeued, "
        "reversal_unlinked), `detail` in English, `detail_zh` in Chinese, and its figures as fields of their own "
        "(see the README's Statement import)."
    )
    error: str | None = Field(description="Why a failed import failed, in English.")
    error_zh: str | None = Field(None, description="The same in Chinese (a parser's own words stay as they are).")
    created_at: datetime
    finished_at: datetime | None


class StatementLineOut(BaseModel):
    id: UUID
    position: int
    amount: DecimalString
    currency: str
    direction: str
    booking_date: date | None
    value_date: date | None
    entry_status: str
    reversal: bool
    bank_reference: str | None
    end_to_end_id: str | None
    remittance: str | None
    counterparty_name: str | None
    counterparty_account: str | None
    outcome: str = Field(
        description="payment, reversal, duplicate, ignored_debit, ignored_zero_amount, not_booked, reversal_unlinked."
    )
    payment_id: UUID | None


class StatementOut(BaseModel):
    id: UUID
    import_id: UUID
    account: str | None
    statement_ref: str | None
    sequence: str | None
    currency: str | None
    opening_balance: DecimalString | None
    closing_balance: DecimalString | None
    opening_date: date | None
    closing_date: date | None
    line_count: int
    created_at: datetime


class CsvProfileIn(BaseModel):
    """A bank's CSV export mapped onto statement lines; column names as in the header (compared normalised)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    date_column: str = Field(min_length=1, max_length=100)
    amount_column: str | None = Field(None, max_length=100, description="Signed: positive is money in.")
    credit_column: str | None = Field(None, max_length=100, description="Or separate money-in / money-out columns.")
    debit_column: str | None = Field(None, max_length=100)
    currency_column: str | None = Field(None, max_length=100)
    default_currency: Currency = "CNY"
    reference_column: str | None = Field(None, max_length=100)
    remittance_columns: list[str] = Field(default_factory=list, max_length=10)
    payer_name_column: str | None = Field(None, max_length=100)
    payer_account_column: str | None = Field(None, max_length=100)
    delimiter: str = Field(",", min_length=1, max_length=1)
    date_format: str | None = Field(
        None, max_length=40, description="strptime format; ISO and common ones when omitted."
    )
    decimal_comma: bool = False
    skip_lines: int = Field(0, ge=0, le=100)

    @model_validator(mode="after")
    def _one_amount(self) -> Self:
        # After the model, not on credit_column: a field validator does not run on an omitted field's default.
        if self.amount_column is None and self.credit_column is None:
            raise Invalid(
                "give amount_column, or credit_column (and debit_column)",
                "请提供 amount_column（金额列），或 credit_column（贷方/收入列，可另加 debit_column 借方/支出列）",
            )
        return self


class CsvProfileOut(CsvProfileIn):
    built_in: bool = False
