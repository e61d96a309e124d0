"""Who a document is from and where to pay: the creditor block of every customer-facing document."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from arflow.problems import Conflict


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


class CreditorNotConfigured(Conflict):
    code = "creditor_not_configured"
    title = "Creditor not configured"
    title_zh = "未设置债权人和收款账户"

    def __init__(self, missing: list[str]) -> None:
        names = ", ".join(f"ARFLOW_{name.upper()}" for name in missing)
        super().__init__(
            f"Customer-facing documents and messages need the creditor's legal name, USCC, address, phone and "
            f"payee account; set them with PUT /creditor on invoicing, or set {names} "
            "(or ARFLOW_CREDITOR_DEMO=true for a marked demo creditor).",
            detail_zh=f"向客户发出的单据和消息需要债权人名称、统一社会信用代码、地址、电话和收款账户;请在开票服务以 "
            f"PUT /creditor 设置,或设置 {names}(或以 ARFLOW_CREDITOR_DEMO=true 使用带示例标记的演示债权人)。",
            missing=missing,
        )


class CreditorSettings(BaseSettings):
    """The creditor's ARFLOW_* settings, the same names in every service that writes to customers."""

    model_config = SettingsConfigDict(env_prefix="ARFLOW_", extra="ignore")

    creditor_name: str | None = Field(default=None, description="Legal name of the creditor documents are from.")
    creditor_uscc: str | None = Field(default=None, description="The creditor's 统一社会信用代码.")
    creditor_address: str | None = Field(default=None, description="The creditor's registered address.")
    creditor_phone: str | None = Field(default=None, description="The phone number customers call.")
    bank_name: str | None = Field(default=None, description="Bank of the account customers pay into.")
    bank_account_name: str | None = Field(default=None, description="Holder of that account.")
    bank_account_number: str | None = Field(default=None, description="The account customers pay into.")
    creditor_demo: bool = Field(
        default=False,
        description="While the creditor is not fully set, use the marked demo creditor instead of refusing "
        "(make run turns it on; never in production).",
    )

    def missing_creditor_settings(self, stored: Creditor | None = None) -> list[str]:
        """The settings still unset; none once the creditor has been set through the API (`stored`)."""
        if stored is not None:
            return []
        return [name for name in CREDITOR_FIELDS if not getattr(self, name)]

    def creditor_ready(self, stored: Creditor | None = None) -> bool:
        """Customers may be written to: a creditor is set (API or settings), or the marked demo one allowed."""
        return self.creditor_demo or not self.missing_creditor_settings(stored)

    def creditor(self, stored: Creditor | None = None) -> Creditor:
        """The creditor documents are from: as set through the API (`stored`), else these settings;
        refused (409) while neither is complete, unless the demo creditor is allowed."""
        if stored is not None:
            return stored
        missing = self.missing_creditor_settings()
        if not missing:
            return Creditor(
                legal_name=str(self.creditor_name),
                uscc=str(self.creditor_uscc),
                address=str(self.creditor_address),
                phone=str(self.creditor_phone),
                bank_name=str(self.bank_name),
                bank_account_name=str(self.bank_account_name),
                bank_account_number=str(self.bank_account_number),
            )
        # Half a creditor is no creditor: mixing real and demo payee details would be worse than either.
        if self.creditor_demo:
            return DEMO
        raise CreditorNotConfigured(missing)

    def creditor_readiness(self, stored: Creditor | None = None) -> str:
        """What readiness says of it: ok, the demo creditor, or what is missing."""
        missing = self.missing_creditor_settings(stored)
        if not missing:
            return "ok"
        if self.creditor_demo:
            return "demo creditor: documents carry example payee details marked DEMO"
        return (
            "not configured: customer-facing documents are refused until the creditor is set "
            "(PUT /creditor on invoicing, or " + ", ".join(f"ARFLOW_{name.upper()}" for name in missing) + ")"
        )


CREDITOR_FIELDS = (
    "creditor_name",
    "creditor_uscc",
    "creditor_address",
    "creditor_phone",
    "bank_name",
    "bank_account_name",
    "bank_account_number",
)
