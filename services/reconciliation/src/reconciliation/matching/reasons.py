"""What the matching engine's evidence says, in English and in Chinese.

The engine records each piece of evidence as a `Reason` and the values it
names; the sentence is written only when someone reads it (the payment's
audit trail, the review queue). Deciding a statement of 100,000 lines then
formats no text for the lines nobody reads yet, and a reason can be shown in
the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Language = Literal["en", "zh"]


@dataclass(frozen=True, slots=True)
class Reason:
    """One kind of evidence: a sentence in each language, `{0}`, `{1}` … standing for the values it names.

    A value that is a tuple (several invoice numbers) is written as a list.
    """

    en: str
    zh: str

    def say(self, values: tuple[object, ...], language: Language = "en") -> str:
        template = self.zh if language == "zh" else self.en
        return template.format(*[_listed(value, language) for value in values])


Evidence = tuple[float, Reason, tuple[object, ...]]
"""A piece of evidence: its strength in [0, 1], what kind it is, and the values it names."""


def said(evidence: tuple[Evidence, ...], language: Language = "en") -> tuple[str, ...]:
    """The sentences of some evidence, in order."""
    return tuple([reason.say(values, language) for _, reason, values in evidence])


@dataclass(frozen=True, slots=True)
class Summands:
    """Items whose balances add up to a payment: written `INV-1 (10.00) + INV-2 (20.00)`."""

    parts: tuple[tuple[str, Decimal], ...]

    def __str__(self) -> str:
        return " + ".join(f"{number} ({amount:.2f})" for number, amount in self.parts)


def _listed(value: object, language: Language) -> object:
    if isinstance(value, tuple):
        return ("、" if language == "zh" else ", ").join(str(part) for part in value)
    return value


# Amounts are Decimals written to the cent ({:.2f}); a similarity is a percentage ({:.0f}).
REFERENCE_NAMED = Reason("remittance names {0}", "附言写明 {0}")
ORDER_MADE_FOR = Reason("gateway order {0} was made for {1}", "支付订单 {0} 为 {1} 而建")
AMOUNT_OF_ORDER = Reason(
    "amount {0:.2f} is what gateway order {1} asked (a part payment)",
    "金额 {0:.2f} 正是支付订单 {1} 所请求的（部分付款）",
)
REFERENCE_RESEMBLES = Reason("remittance '{0}' resembles invoice {1}", "附言 '{0}' 与发票 {1} 相近")
ACCOUNT_LEARNED = Reason("payer account {0} paid this customer before", "付款账号 {0} 曾为该客户付款")
NAME_IS = Reason("payer name '{0}' is customer {1}", "付款人 '{0}' 即客户 {1}")
NAME_RESEMBLES = Reason("payer name '{0}' resembles {1} ({2:.0f}%)", "付款人 '{0}' 与 {1} 相似（{2:.0f}%）")
AMOUNT_OWED_BY_NAMED = Reason("amount {0:.2f} equals what the named items owe", "金额 {0:.2f} 等于所列发票的欠款")
AMOUNT_WITHIN_TOLERANCE = Reason(
    "amount {0:.2f} is within tolerance of {1}'s {2:.2f}", "金额 {0:.2f} 与 {1} 的 {2:.2f} 相差在容差内"
)
AMOUNT_EQUALS_BALANCE = Reason("amount {0:.2f} equals the balance of {1}", "金额 {0:.2f} 等于 {1} 的余额")
AMOUNT_EQUALS_ONE_OF = Reason(
    "amount {0:.2f} equals the balance of {1} (one of {2} items of that amount; oldest due taken)",
    "金额 {0:.2f} 等于 {1} 的余额（同额发票共 {2} 张，取最早到期者）",
)
AMOUNT_ONLY = Reason(
    "amount {0:.2f} equals the balance of {1} (no other evidence)", "金额 {0:.2f} 等于 {1} 的余额（无其他依据）"
)
AMOUNT_IS_SUM = Reason("amount {0:.2f} is the sum of {1}", "金额 {0:.2f} 为 {1} 之和")
OVERPAID = Reason(
    "{0:.2f} more than the named items owe stays as unapplied credit", "超出所列发票欠款的 {0:.2f} 记为未核销余款"
)
PARTIAL = Reason("pays {0:.2f} of the {1:.2f} the named items owe", "支付所列发票欠款 {1:.2f} 中的 {0:.2f}")
NAMES_UNKNOWN_DOCUMENT = Reason(
    "but the remittance names {0}, not an open invoice of this customer: a person should look",
    "但附言所列 {0} 不是该客户的未结发票：需人工核对",
)
NAMES_SETTLED_DOCUMENT = Reason(
    "but the remittance names {0}, which owes nothing (paid, void or written off): a person should look",
    "但附言所列 {0} 已无欠款（已付清、作废或核销）：需人工核对",
)
AMOUNT_FITS_OTHER = Reason("but the amount equals {0}: a person should look", "但金额等于 {0} 的余额：需人工核对")
NAMED_OWE_NOTHING = Reason(
    "the invoices it names owe nothing any more: a person should look", "所列发票已无欠款：需人工核对"
)
NO_AMOUNT_FIT = Reason(
    "the amount matches no open item or combination; oldest due first", "金额与任何未清发票或组合都不符；按到期先后分配"
)

# What the service itself says of a payment a person made from another (not the engine's evidence).
SPLIT_PART = Reason("part of payment {0}, split by {1}", "付款 {0} 的一部分，由 {1} 拆分")
MATCH_UNDONE = Reason("match of payment {0} undone by {1}", "付款 {0} 的匹配已由 {1} 撤销")

# Written-off invoices (坏账): money on one is a recovery, matched only by an exact reference (matching.recovery).
RECOVERY = Reason(
    "{0} was written off as a bad debt: this money is a recovery of it (bad-debt recovery)",
    "{0} 已核销为坏账：此笔款项为坏账收回",
)
WRITTEN_OFF_SUGGESTED = Reason(
    "the customer's {0} was written off as a bad debt (still owing {1:.2f}): if the money is for it, it is a "
    "recovery, which a person decides (nothing in the payment names the invoice)",
    "该客户的 {0} 已核销为坏账（尚欠 {1:.2f}）：如此款为其还款，即为坏账收回，须人工确认（付款信息中未写明该发票）",
)
WRITTEN_OFF_ALSO = Reason(
    "the customer also has {0} written off as a bad debt (still owing {1:.2f}): if the money is for it, allocate "
    "it by hand as a recovery",
    "该客户另有已核销为坏账的 {0}（尚欠 {1:.2f}）：如此款为其还款，请人工核销为坏账收回",
)
