"""The creditor the test platforms write to customers as."""

from __future__ import annotations

# The creditor every test platform writes to customers as: real-looking, so that a document that
# shows the demo creditor in a test is a bug, not the default.
TEST_CREDITOR = {
    "creditor_name": "上海澄账代理记账有限公司",
    "creditor_uscc": "91310101MA1FPX1X30",
    "creditor_address": "上海市黄浦区南京东路 100 号 8 楼",
    "creditor_phone": "021-6321 0000",
    "bank_name": "招商银行上海分行营业部",
    "bank_account_name": "上海澄账代理记账有限公司",
    "bank_account_number": "1219 0880 1510 001",
}


def creditor_environment() -> dict[str, str]:
    """TEST_CREDITOR as the ARFLOW_* variables a service process reads."""
    return {f"ARFLOW_{name.upper()}": value for name, value in TEST_CREDITOR.items()}
