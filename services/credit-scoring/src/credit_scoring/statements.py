"""The credit file's record of statement answers (对账确认): pure, as of a date.

A customer answers a statement of account once, on its hosted page: confirmed as correct (确认无误), or
disputed (有差异) with the lines or the balance they see otherwise. The credit file shows each answer dated
by the customer's local day of it, and counts them, as of any date like every other fact in it.

A dispute of a statement has no resolution event of its own. It is shown as still open until the customer
confirms a later statement (one whose period ends after the disputed one's), on the day of the dispute or
after it: agreeing to a later balance
agrees to everything it carries forward, so the earlier difference is settled as far as the file can tell.

Not a scoring signal, on purpose (see the README, "Statement answers"): the score measures how a customer
pays, from payments against due dates, and a statement answer says nothing about that. A confirmation is
evidence that the balance is agreed — that the receivable is good, which matters for collection and audit —
not that it will be paid on time; rewarding it would let a slow payer buy points with a click. An open
dispute is not a late payment: lateness is already measured from the invoices themselves, dunning pauses
chasing the disputed ones, and penalising a dispute would punish a customer for querying a bill. Both are
shown beside the score, for the credit manager to weigh.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

Answer = Literal["confirmed", "disputed"]


@dataclass(frozen=True)
class StatementAnswerFact:
    """One answer as the projection holds it."""

    statement_id: UUID
    statement_number: str
    period_start: date
    period_end: date
    answer: Answer
    answered_on: date
    responder_name: str
    responder_title: str | None
    currency: str
    closing_balance: Decimal
    balance_customer_sees: Decimal | None = None
    balance_disputed: bool | None = None
    disputed_invoices: tuple[dict[str, Any], ...] = ()
    comment: str | None = None


@dataclass(frozen=True)
class AnsweredStatement:
    """An answer as of the file's date: a dispute says whether it still stands."""

    fact: StatementAnswerFact
    open: bool | None  # disputes only: no later statement confirmed by as_of


@dataclass(frozen=True)
class StatementRecord:
    confirmed: int
    disputed: int
    disputed_open: int
    last_confirmed: StatementAnswerFact | None
    answers: tuple[AnsweredStatement, ...]  # newest answer first


def _settled(dispute: StatementAnswerFact, confirmations: list[StatementAnswerFact]) -> bool:
    """A later period confirmed on or after the dispute: the balance carried forward is agreed."""
    return any(c.period_end > dispute.period_end and c.answered_on >= dispute.answered_on for c in confirmations)


def statement_record(facts: Iterable[StatementAnswerFact], *, as_of: date) -> StatementRecord:
    """The answers given by `as_of` (by the customer's day of answering), counted, the newest first.

    confirmed / disputed = answers of each kind given by as_of;
    disputed_open = disputes not followed (on the same day or later, by as_of) by the confirmation of a
    statement whose period ends later;
    last_confirmed = the confirmation of the latest period (the balance last agreed).
    """
    known = sorted(
        (f for f in facts if f.answered_on <= as_of),
        key=lambda f: (f.answered_on, f.period_end, f.statement_number),
        reverse=True,
    )
    confirmations = [f for f in known if f.answer == "confirmed"]
    answers = tuple(
        AnsweredStatement(f, None if f.answer == "confirmed" else not _settled(f, confirmations)) for f in known
    )
    return StatementRecord(
        confirmed=len(confirmations),
        disputed=len(known) - len(confirmations),
        disputed_open=sum(1 for a in answers if a.open),
        last_confirmed=max(confirmations, key=lambda f: (f.period_end, f.answered_on), default=None),
        answers=answers,
    )
