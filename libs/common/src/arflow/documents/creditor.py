"""Who a document is from and where to pay: the creditor block of every customer-facing document."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Creditor:
    """The creditor's legal identity and payee account; demo is True for the marked stand-in."""

    legal_name: str
    uscc: str
    address: str
    phone: str
    bank_name: str
    bank_account_name: str
    bank_account_number: str
    demo: bool = False


# Shown, marked as such, while a deployment has not set its own creditor: a customer must never
# take these for real payee details.
DEMO = Creditor(
    legal_name="示例代理记账有限公司 (DEMO)",
    uscc="91310000DEMO00000X",
    address="上海市示例区示例路 1 号",
    phone="021-0000 0000",
    bank_name="示例银行上海分行",
    bank_account_name="示例代理记账有限公司",
    bank_account_number="0000 0000 0000 0000 000",
    demo=True,
)


def creditor_or_demo(
    *,
    legal_name: str | None,
    uscc: str | None,
    address: str | None,
    phone: str | None,
    bank_name: str | None,
    bank_account_name: str | None,
    bank_account_number: str | None,
) -> Creditor:
    """The configured creditor, or (when anything is unset) the demo creditor, marked demo."""
    if legal_name and uscc and address and phone and bank_name and bank_account_name and bank_account_number:
        return Creditor(legal_name, uscc, address, phone, bank_name, bank_account_name, bank_account_number)
    # Half a creditor is no creditor: mixing real and demo payee details would be worse than either.
    return DEMO
