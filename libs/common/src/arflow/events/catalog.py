"""The event catalog: every fact the services tell each other, one model each.

Events are past-tense facts. Each names its publishing service (which fixes its
topic) and a schema version; a change that breaks consumers bumps the version,
it never renames the event. Money is `Money` (decimal string + ISO 4217 code),
instants are UTC, business dates are local dates in the customer's time zone.
The Kafka key of every event is its customer id, so one customer's facts from
one service arrive in order.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from arflow.money import Money

INVOICING = "invoicing"
RECONCILIATION = "reconciliation"
DUNNING = "dunning"
CREDIT_SCORING = "credit-scoring"
SERVICES = (INVOICING, RECONCILIATION, DUNNING, CREDIT_SCORING)
# Not a service: the topic every service that guards actions (arflow.approvals) tells of its approvals on,
# so that one consumer (people) sees every service's.
APPROVALS = "approvals"
# Not a service either: the topic invoicing tells of its statements of account (对账单) and their answers on, apart
# from its ledger's facts, so that dunning (which emails them and pauses on disputes) and credit-scoring (which
# files the answers) subscribe to the cycle alone. Keyed by customer like every topic.
STATEMENTS = "statements"

Language = Literal["zh-CN", "en"]
Channel = Literal["email", "sms", "letter", "phone", "wechat"]
AgingBucket = Literal["1-30", "31-60", "61-90", "90+"]
Tier = Literal["A", "B", "C", "D"]


class Event(BaseModel):
    """Base of every event: frozen, strict about unknown fields, keyed by customer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    publisher: ClassVar[str]
    version: ClassVar[int] = 1

    customer_id: UUID

    @classmethod
    def event_type(cls) -> str:
        return cls.__name__

    def partition_key(self) -> str:
        """The Kafka key: the customer, so a customer's facts stay in order."""
        return str(self.customer_id)


# --- shared value objects ----------------------------------------------------


class ContactInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    role: Literal["billing", "finance_manager", "legal_representative", "other"] = "billing"
    email: str | None = None
    phone: str | None = None
    language: Language = "zh-CN"
    preferred_channel: Channel = "email"
    postal_address: str | None = None


class Allocation(BaseModel):
    """Part of a payment proposed (or applied) against one invoice."""

    model_config = ConfigDict(frozen=True)

    invoice_id: UUID
    invoice_number: str | None = None
    amount: Money


class ReasonCode(BaseModel):
    """One principal reason behind a credit score, with what it cost."""

    model_config = ConfigDict(frozen=True)

    code: str
    characteristic: str
    points_lost: int
    text_zh: str
    text_en: str


# --- invoicing ---------------------------------------------------------------

# The subject of facts about the firm itself rather than one of its customers.
FIRM_SUBJECT = UUID(int=0)


class CreditorUpdated(Event):
    """The creditor every customer-facing document is from (the firm), as set through invoicing's API.

    Its customer_id is FIRM_SUBJECT: one subject, so the revisions stay in order on one partition.
    """

    publisher: ClassVar[str] = INVOICING

    revision: int = Field(ge=1)
    legal_name: str
    uscc: str
    address: str
    phone: str
    bank_name: str
    bank_account_name: str
    bank_account_number: str
    updated_at: AwareDatetime


class CustomerUpserted(Event):
    """A customer was created or changed; carries the state others keep a copy of."""

    publisher: ClassVar[str] = INVOICING

    revision: int = Field(description="Increases with every change; consumers keep the highest.")
    legal_name: str
    short_name: str | None = None
    unified_social_credit_code: str | None = None
    external_reference: str | None = None
    time_zone: str = "Asia/Shanghai"
    preferred_language: Language = "zh-CN"
    contacts: list[ContactInfo] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    payment_terms_code: str | None = None
    dunning_excluded: bool = False
    dunning_exclusion_reason: str | None = None
    credit_hold: bool = False
    archived: bool = False
    account_manager_email: str | None = None


ContractCycle = Literal["monthly", "quarterly", "annual"]
ContractStatus = Literal["active", "paused", "cancelled"]


class ContractTerms(Event):
    """What a recurring service contract bills, as its state stands after a change (not published alone).

    Consumers keep, per contract, the state with the latest `changed_at`: each event carries the whole
    state, so one arriving twice or late changes nothing.
    """

    publisher: ClassVar[str] = INVOICING

    contract_id: UUID
    currency: str
    cycle: ContractCycle
    amount_per_cycle: Money = Field(description="A full period's gross (tax included), priced as its invoice is.")
    monthly_amount: Money = Field(description="amount_per_cycle / months in the cycle, rounded half-up to the cent.")
    net_days: int = Field(ge=0, description="The payment terms its invoices get (the customer's or net 30 if unset).")
    start_date: date
    end_date: date | None = None
    status: ContractStatus
    effective_on: date = Field(description="The business date the state holds from (the start, pause or end day).")
    changed_at: AwareDatetime


class ContractStarted(ContractTerms):
    """A recurring service contract was created: it will bill `amount_per_cycle` each cycle from `start_date`."""


class ContractChanged(ContractTerms):
    """A contract was paused, resumed or cancelled; `change` says which and `effective_on` from when."""

    change: Literal["paused", "resumed", "cancelled"]


class InvoiceIssued(Event):
    publisher: ClassVar[str] = INVOICING

    invoice_id: UUID
    invoice_number: str
    currency: str
    subtotal: Money
    tax_total: Money
    total: Money
    invoice_date: date
    due_date: date
    net_days: int
    grace_days: int = 0
    payment_reference: str
    contract_id: UUID | None = None
    issued_at: AwareDatetime
    # The invoice's hosted page (Stripe's hosted_invoice_url): the one place the link travels in clear,
    # so dunning can put it in every email. Optional: invoices issued before it have none.
    hosted_invoice_url: str | None = None


LinkChange = Literal["rotated", "revoked", "renewed"]


class InvoiceHostedLinkChanged(Event):
    """The invoice's hosted page moved to a new link (a rotation) or has none any more (revoked: null).

    The old link stops working at once; whoever links the page in its messages (dunning) follows this.
    `reason` "renewed": the customer asked for a new link on the dead page with an email address on file
    (`send_to_email`, as on file), and dunning emails the new link to that address, once.
    """

    publisher: ClassVar[str] = INVOICING

    invoice_id: UUID
    hosted_invoice_url: str | None = None
    changed_at: AwareDatetime
    reason: LinkChange | None = Field(default=None, description="Absent on events published before it was added.")
    invoice_number: str | None = None
    link_expires_on: date | None = Field(default=None, description="The last day (customer's) the new link works.")
    send_to_email: str | None = Field(
        default=None,
        max_length=254,
        description="On a renewal only: the customer's address on file that asked for the link; email it there.",
    )
    language: Language | None = Field(default=None, description="On a renewal: the page's language it was asked in.")
    renewal_id: UUID | None = Field(default=None, description="On a renewal: the request it answers (one email each).")


class InvoiceDueSoon(Event):
    publisher: ClassVar[str] = INVOICING

    invoice_id: UUID
    invoice_number: str
    due_date: date
    amount_due: Money
    days_until_due: int
    payment_reference: str | None = None


class InvoiceOverdue(Event):
    """Published on the first day past due + grace, and again at each new aging bucket."""

    publisher: ClassVar[str] = INVOICING

    invoice_id: UUID
    invoice_number: str
    invoice_date: date
    due_date: date
    total: Money
    amount_due: Money
    days_overdue: int
    bucket: AgingBucket
    as_of: date
    payment_reference: str | None = None


class PaymentApplied(Event):
    publisher: ClassVar[str] = INVOICING

    application_id: UUID
    payment_id: UUID
    invoice_id: UUID
    invoice_number: str
    amount: Money
    applied_on: date
    due_date: date
    invoice_balance_after: Money
    days_after_due: int = Field(description="Negative when paid before the due date.")
    invoice_ledger_version: int | None = Field(
        default=None,
        description="Counts every change to the invoice's balance; projections keep the highest version's balance.",
    )


class InvoicePaid(Event):
    publisher: ClassVar[str] = INVOICING

    invoice_id: UUID
    invoice_number: str
    total: Money
    invoice_date: date
    due_date: date
    paid_on: date
    days_beyond_terms: int = Field(description="max(0, paid_on - due_date) in days.")


class InvoiceVoided(Event):
    publisher: ClassVar[str] = INVOICING

    invoice_id: UUID
    invoice_number: str
    total: Money
    reason: str
    voided_at: AwareDatetime


class InvoiceWrittenOff(Event):
    publisher: ClassVar[str] = INVOICING

    invoice_id: UUID
    invoice_number: str
    amount_written_off: Money
    reason: str
    written_off_on: date


class CreditNoteIssued(Event):
    publisher: ClassVar[str] = INVOICING

    credit_note_id: UUID
    credit_note_number: str
    invoice_id: UUID
    invoice_number: str
    amount: Money
    reason: str
    issued_on: date
    invoice_balance_after: Money | None = None
    invoice_ledger_version: int | None = Field(
        default=None,
        description="Counts every change to the invoice's balance; projections keep the highest version's balance.",
    )


class PaymentApplicationReversed(Event):
    """A payment was reversed (refund, chargeback, bounce): one earlier application is undone."""

    publisher: ClassVar[str] = INVOICING

    application_id: UUID
    payment_id: UUID
    invoice_id: UUID
    invoice_number: str
    amount: Money
    reversed_on: date
    reason: str
    invoice_balance_after: Money
    invoice_reopened: bool = Field(description="True when the invoice was paid and is open again.")
    invoice_ledger_version: int | None = Field(
        default=None,
        description="Counts every change to the invoice's balance; projections keep the highest version's balance.",
    )


class LateFeeAssessed(Event):
    publisher: ClassVar[str] = INVOICING

    invoice_id: UUID
    invoice_number: str
    fee_invoice_id: UUID
    amount: Money
    interest_from: date
    interest_to: date
    basis: str = Field(description="How the fee was computed, e.g. '0.05%/day on 1000.00 CNY for 30 days'.")


# --- reconciliation ----------------------------------------------------------

PaymentSource = Literal["manual", "bank_statement", "alipay", "wechat_pay", "stripe", "webhook"]


class PaymentReceived(Event):
    """Money arrived for a customer; allocations propose how invoicing should apply it."""

    publisher: ClassVar[str] = RECONCILIATION

    payment_id: UUID
    amount: Money
    received_on: date
    source: PaymentSource
    payer_name: str | None = None
    payer_account: str | None = None
    reference: str | None = None
    allocations: list[Allocation] = Field(default_factory=list)
    match_confidence: float | None = Field(default=None, ge=0, le=1)
    supersedes_payment_id: UUID | None = Field(
        default=None, description="Set when a person re-matched an earlier payment."
    )


class MatchSuggestion(BaseModel):
    model_config = ConfigDict(frozen=True)

    customer_id: UUID
    invoice_ids: list[UUID]
    confidence: float = Field(ge=0, le=1)
    reasons: list[str] = Field(default_factory=list)


class PaymentUnmatched(Event):
    """Money arrived that could not be matched with confidence; it awaits review.

    `customer_id` is the best candidate when there is one; with none, the
    payment id is the Kafka key.
    """

    publisher: ClassVar[str] = RECONCILIATION

    customer_id: UUID | None = None  # type: ignore[assignment]
    payment_id: UUID
    amount: Money
    received_on: date
    source: PaymentSource
    payer_name: str | None = None
    payer_account: str | None = None
    remittance_info: str | None = None
    suggestions: list[MatchSuggestion] = Field(default_factory=list)

    def partition_key(self) -> str:
        return str(self.customer_id or self.payment_id)


class PaymentReversed(Event):
    publisher: ClassVar[str] = RECONCILIATION

    payment_id: UUID
    amount: Money
    reason: Literal["refund", "chargeback", "bounced", "statement_reversal", "unmatched"]
    reversed_on: date


class DisputeOpened(Event):
    publisher: ClassVar[str] = RECONCILIATION

    dispute_id: UUID
    invoice_id: UUID
    invoice_number: str | None = None
    amount: Money
    reason: str
    opened_at: AwareDatetime


class DisputeResolved(Event):
    publisher: ClassVar[str] = RECONCILIATION

    dispute_id: UUID
    invoice_id: UUID
    resolution: Literal["customer_right", "customer_wrong", "adjusted", "withdrawn"]
    note: str | None = None
    resolved_at: AwareDatetime


# --- dunning -----------------------------------------------------------------

DunningChannel = Literal["email", "sms", "letter", "phone_task", "visit_task", "legal_handover", "internal_alert"]


class DunningStepExecuted(Event):
    publisher: ClassVar[str] = DUNNING

    case_id: UUID
    action_id: UUID
    step_name: str
    level: int
    channel: DunningChannel
    recipient: str | None = None
    template: str | None = None
    language: Language | None = None
    outcome: str
    invoice_ids: list[UUID] = Field(default_factory=list)
    amount_overdue: Money
    executed_at: AwareDatetime


class DunningEscalated(Event):
    publisher: ClassVar[str] = DUNNING

    case_id: UUID
    from_level: int
    to_level: int
    channel: DunningChannel
    amount_overdue: Money
    escalated_at: AwareDatetime


class DunningPaused(Event):
    publisher: ClassVar[str] = DUNNING

    case_id: UUID
    reason: Literal["promise_to_pay", "dispute", "manual_hold", "customer_excluded", "unmatched_payment"]
    until: date | None = None
    note: str | None = None
    paused_at: AwareDatetime


class DunningResolved(Event):
    publisher: ClassVar[str] = DUNNING

    case_id: UUID
    resolution: Literal["paid", "voided", "written_off", "credited", "closed"]
    highest_level: int
    resolved_at: AwareDatetime


class LegalHandover(Event):
    publisher: ClassVar[str] = DUNNING

    case_id: UUID
    amount_outstanding: Money
    invoice_ids: list[UUID]
    evidence_pack_id: UUID | None = None
    handed_over_at: AwareDatetime


class PromiseToPayMade(Event):
    publisher: ClassVar[str] = DUNNING

    promise_id: UUID
    case_id: UUID
    amount: Money
    promised_date: date
    made_at: AwareDatetime


class PromiseToPayKept(Event):
    publisher: ClassVar[str] = DUNNING

    promise_id: UUID
    case_id: UUID
    amount: Money
    promised_date: date
    kept_on: date


class PromiseToPayBroken(Event):
    publisher: ClassVar[str] = DUNNING

    promise_id: UUID
    case_id: UUID
    amount: Money
    promised_date: date
    amount_received: Money
    broken_on: date


class SettlementInvoice(BaseModel):
    """One invoice of a settlement and what of it is to be written off."""

    invoice_id: UUID
    invoice_number: str
    write_off: Money = Field(description="The invoice's balance left once the settlement amount arrived.")


class SettlementPaid(Event):
    """A settlement (和解折让) agreed on a dunning case was paid: the customer paid `amount_paid` for the whole
    balance, and the rest is to be written off.

    Invoicing credits each invoice's `write_off` (its balance as dunning saw it when the payment arrived) with
    a credit note of kind `settlement_discount` (an allowance on the sale, not a bad debt: the invoice closes
    as paid), once per invoice; an invoice that owes more by then (a payment reversed since) is left open for
    a person, so the discount granted is never exceeded.
    """

    publisher: ClassVar[str] = DUNNING

    settlement_id: UUID
    case_id: UUID
    amount_paid: Money
    write_off: Money = Field(description="The sum of the invoices' write_off: the discount granted.")
    invoices: list[SettlementInvoice]
    agreed_on: date
    paid_on: date
    approved: bool = Field(description="Whether a second person approved the discount (arflow.approvals).")


# --- credit scoring ----------------------------------------------------------


class CreditScoreChanged(Event):
    publisher: ClassVar[str] = CREDIT_SCORING

    score: int
    payment_index: int | None = Field(default=None, ge=1, le=100)
    tier: Tier
    previous_score: int | None = None
    previous_tier: Tier | None = None
    reasons: list[ReasonCode] = Field(default_factory=list, max_length=4)
    credit_hold: bool = False
    model_version: str
    scored_at: AwareDatetime


class CreditLimitChanged(Event):
    publisher: ClassVar[str] = CREDIT_SCORING

    limit: Money
    previous_limit: Money | None = None
    reason: str
    manual_override: bool = False
    expires_on: date | None = None
    changed_at: AwareDatetime


class CreditRiskAlert(Event):
    publisher: ClassVar[str] = CREDIT_SCORING

    alert_id: UUID
    kind: Literal[
        "tier_drop",
        "score_drop",
        "utilisation_80",
        "utilisation_95",
        "dunning_letter",
        "legal_handover",
        "psi_drift",
    ]
    severity: Literal["info", "warning", "critical"]
    message_zh: str
    message_en: str
    details: dict[str, Any] = Field(default_factory=dict)
    raised_at: AwareDatetime
    raised_on: date | None = Field(
        default=None, description="The business date the warning is about (the rescore's as-of date)."
    )


# --- approvals (published by every service that guards actions) -----------------

ApprovalStatus = Literal["approved", "rejected"]  # (a request nobody decides expires: its expires_at says when)


class ApprovalRequested(Event):
    """An action waits for a second person (arflow.approvals): the request as it was asked, and who may decide it.

    Published by the service that guards the action (`service`: where it is decided, at
    POST /approvals/{approval_id}/approve on that service) on the shared approvals topic. Its customer_id is
    FIRM_SUBJECT, as ApprovalDecided's: one key, so a request and its decision arrive in order.
    """

    publisher: ClassVar[str] = APPROVALS

    approval_id: UUID
    service: str
    action: str = Field(description="The guarded action, e.g. invoice.write_off.")
    title_zh: str
    title_en: str
    subject_type: str
    subject_id: str
    amount: Money | None = Field(description="What the policy's threshold was compared with; null: no amount.")
    reason: str | None
    requested_by: str = Field(description="Who asked: `user:<username>`, an integration's key name, or system:*.")
    approver_scope: str = Field(description="The scope a person needs to decide it (never the requester).")
    requested_at: AwareDatetime
    expires_at: AwareDatetime


class ApprovalDecided(Event):
    """A second person approved (the action was applied) or rejected a request waiting for them."""

    publisher: ClassVar[str] = APPROVALS

    approval_id: UUID
    service: str
    action: str
    status: ApprovalStatus
    decided_by: str
    decided_at: AwareDatetime
    comment: str | None = None


# --- statements of account (published by invoicing on arflow.statements) ----------

StatementCycle = Literal["monthly", "quarterly", "on_demand"]
StatementLineKind = Literal["invoice", "void", "credit_note", "payment", "payment_reversal"]


class StatementBalance(BaseModel):
    """One currency's figures on a statement, as it was frozen when issued."""

    model_config = ConfigDict(frozen=True)

    currency: str
    opening_balance: Money
    invoiced: Money
    credited: Money
    paid: Money
    closing_balance: Money


class StatementResponder(BaseModel):
    """Who answered a statement on its hosted page, as they named themselves (no IP or device: see the evidence)."""

    model_config = ConfigDict(frozen=True)

    name: str
    title: str | None = None


class StatementIssued(Event):
    """A statement of account (对账单) was issued for a customer and a period, asking them to confirm it (对账确认).

    What it shows was frozen when issued (content_sha256 is the SHA-256 of exactly that content); the customer
    answers once, at hosted_statement_url, with StatementConfirmed or StatementDisputed. `closing_balance` is the
    first of `balances` (CNY first, then by currency code); a customer billed in one currency has just that one.
    """

    publisher: ClassVar[str] = STATEMENTS

    statement_id: UUID
    statement_number: str
    period_start: date
    period_end: date
    cycle: StatementCycle
    business_date: date = Field(description="The customer's local date the statement was issued on.")
    language: Language
    closing_balance: Money
    balances: list[StatementBalance] = Field(min_length=1)
    open_invoice_ids: list[UUID] = Field(
        default_factory=list, description="The invoices the statement shows open at the period's end."
    )
    content_sha256: str = Field(pattern="^[0-9a-f]{64}$")
    hosted_statement_url: str | None = Field(
        default=None, description="The statement's page (confirm, dispute, PDF): the one place the link is in clear."
    )
    link_expires_on: date | None = Field(default=None, description="The last day (customer's) the link works.")
    issued_at: AwareDatetime


class StatementConfirmed(Event):
    """The customer confirmed a statement as correct (确认无误): its balances are agreed as of the period's end."""

    publisher: ClassVar[str] = STATEMENTS

    statement_id: UUID
    statement_number: str
    period_start: date
    period_end: date
    closing_balance: Money
    balances: list[StatementBalance] = Field(min_length=1)
    content_sha256: str = Field(pattern="^[0-9a-f]{64}$", description="The SHA-256 of what the customer confirmed.")
    responder: StatementResponder
    business_date: date = Field(description="The customer's local date of the answer.")
    confirmed_at: AwareDatetime


class DisputedLine(BaseModel):
    """A line of a statement the customer says is wrong, as the statement showed it and as they see it."""

    model_config = ConfigDict(frozen=True)

    line_no: int = Field(ge=1, description="The line's place in its currency's list on the statement.")
    kind: StatementLineKind
    entry_date: date
    document: str | None = None
    invoice_id: UUID | None = None
    invoice_number: str | None = None
    amount_on_statement: Money = Field(description="Debit positive, credit negative, as the statement showed it.")
    amount_customer_sees: Money | None = None


class DisputedInvoice(BaseModel):
    """An invoice whose chasing a dispute concerns, with what the statement showed open on it at the period's end."""

    model_config = ConfigDict(frozen=True)

    invoice_id: UUID
    invoice_number: str | None = None
    open_amount: Money


class StatementDisputed(Event):
    """The customer disputed a statement (有差异): some lines, or the balance, with what they see and why.

    `invoices` are those whose chasing the dispute concerns: the invoices of the disputed lines, or, when only the
    balance is disputed (or no line names an invoice), every invoice the statement showed open at the period's end.
    """

    publisher: ClassVar[str] = STATEMENTS

    statement_id: UUID
    statement_number: str
    period_start: date
    period_end: date
    disputed_invoice_ids: list[UUID]
    invoices: list[DisputedInvoice]
    lines: list[DisputedLine] = Field(default_factory=list)
    balance_disputed: bool
    closing_balance: Money = Field(description="The balance the statement showed (in the disputed currency).")
    balance_customer_sees: Money | None = None
    comment: str
    responder: StatementResponder
    reply_sha256: str | None = Field(
        default=None, pattern="^[0-9a-f]{64}$", description="The SHA-256 of the stamped reply uploaded, if one was."
    )
    content_sha256: str = Field(pattern="^[0-9a-f]{64}$", description="The SHA-256 of what the customer disputed.")
    business_date: date = Field(description="The customer's local date of the answer.")
    disputed_at: AwareDatetime


class StatementHostedLinkChanged(Event):
    """The statement's page moved to a new link (rotated, or renewed on the dead page) or has none (revoked: null).

    As InvoiceHostedLinkChanged: the old link stops working at once; on `reason` "renewed" dunning emails the new
    link to `send_to_email` (the customer's address on file that asked for it), once.
    """

    publisher: ClassVar[str] = STATEMENTS

    statement_id: UUID
    statement_number: str
    hosted_statement_url: str | None = None
    link_expires_on: date | None = Field(default=None, description="The last day (customer's) the new link works.")
    reason: LinkChange
    send_to_email: str | None = Field(
        default=None,
        max_length=254,
        description="On a renewal only: the customer's address on file that asked for the link; email it there.",
    )
    language: Language | None = Field(default=None, description="On a renewal: the page's language it was asked in.")
    renewal_id: UUID | None = Field(default=None, description="On a renewal: the request it answers (one email each).")
    changed_at: AwareDatetime


# --- the registry ------------------------------------------------------------

CATALOG: dict[str, type[Event]] = {
    cls.event_type(): cls
    for cls in (
        CreditorUpdated,
        CustomerUpserted,
        ContractStarted,
        ContractChanged,
        InvoiceIssued,
        InvoiceHostedLinkChanged,
        InvoiceDueSoon,
        InvoiceOverdue,
        PaymentApplied,
        InvoicePaid,
        InvoiceVoided,
        InvoiceWrittenOff,
        CreditNoteIssued,
        LateFeeAssessed,
        PaymentApplicationReversed,
        PaymentReceived,
        PaymentUnmatched,
        PaymentReversed,
        DisputeOpened,
        DisputeResolved,
        DunningStepExecuted,
        DunningEscalated,
        DunningPaused,
        DunningResolved,
        LegalHandover,
        PromiseToPayMade,
        PromiseToPayKept,
        PromiseToPayBroken,
        SettlementPaid,
        CreditScoreChanged,
        CreditLimitChanged,
        CreditRiskAlert,
        ApprovalRequested,
        ApprovalDecided,
        StatementIssued,
        StatementConfirmed,
        StatementDisputed,
        StatementHostedLinkChanged,
    )
}


class UnknownEventType(LookupError):
    pass


def event_class(event_type: str) -> type[Event]:
    """The model registered under an event type name."""
    try:
        return CATALOG[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def topic_of(publisher: str) -> str:
    """The topic a service publishes its facts on."""
    return f"arflow.{publisher}"


ALL_TOPICS = tuple(topic_of(publisher) for publisher in (*SERVICES, APPROVALS, STATEMENTS))
