"""Amounts and times as the public pages write them for the customer, in zh-CN and English.

A negative amount keeps its currency first and puts the sign on the figures, as finance documents do: a
red-letter fapiao prints "¥-113.00", and an English statement "CNY -10,000.00" (not "-CNY 10,000.00",
which reads as a negative currency). A time is always shown with its zone, the customer's: "2026-12-07
23:09（北京时间）", "2026-12-07 23:09 (China Standard Time)"; a zone without a common name is given by its
IANA name and its UTC offset at that instant.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from arflow.documents.amounts import amount
from invoicing.reports.labels import currency_name

# Zones with a name people use, (zh-CN, en). The rest are written as their IANA name and UTC offset.
ZONE_NAMES: dict[str, tuple[str, str]] = {
    "Asia/Shanghai": ("北京时间", "China Standard Time"),
    "Asia/Chongqing": ("北京时间", "China Standard Time"),
    "Asia/Harbin": ("北京时间", "China Standard Time"),
    "PRC": ("北京时间", "China Standard Time"),
    "Asia/Hong_Kong": ("香港时间", "Hong Kong Time"),
    "Asia/Macau": ("澳门时间", "Macau Time"),
    "Asia/Taipei": ("台北时间", "Taipei Time"),
    "Asia/Singapore": ("新加坡时间", "Singapore Time"),
    "Asia/Tokyo": ("日本时间", "Japan Standard Time"),
    "Asia/Seoul": ("韩国时间", "Korea Standard Time"),
    "UTC": ("协调世界时", "UTC"),
    "Etc/UTC": ("协调世界时", "UTC"),
}


def money(value: Decimal, currency: str, language: str) -> str:
    """An amount with its currency as the page's language writes it: ¥1,200.00, ¥-1,200.00, CNY -1,200.00."""
    figures = amount(value, currency)  # the sign stays on the figures: "-1,200.00"
    if language == "zh-CN" and currency == "CNY":
        return f"¥{figures}"
    return f"{currency_name(currency, language)} {figures}"


def zone_name(zone: str, at: datetime, language: str) -> str:
    """The zone's name in the language, or its IANA name with the UTC offset it has at that instant."""
    known = ZONE_NAMES.get(zone)
    if known is not None:
        return known[0] if language == "zh-CN" else known[1]
    offset = at.astimezone(ZoneInfo(zone)).strftime("%z")  # +0100
    utc = f"UTC{offset[:3]}:{offset[3:]}"
    return f"{zone}，{utc}" if language == "zh-CN" else f"{zone}, {utc}"


def local_time(at: datetime, zone: str, language: str) -> str:
    """An instant as the customer reads it, to the minute, with the zone it is in (full-width brackets in Chinese)."""
    shown = at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
    name = zone_name(zone, at, language)
    return f"{shown}（{name}）" if language == "zh-CN" else f"{shown} ({name})"
