"""Dunning messages rendered from Jinja2 templates, one set per step and language.

A template set is `templates/<template>.<language>.{subject.txt,txt,html}`.
HTML is autoescaped; the plain-text parts are not (they are not HTML).
Amounts are shown rounded half-up to the currency's minor unit, with thousands
separators and the ISO 4217 code, so "CNY 1,060.00" is never ambiguous (the same
figures as the letter: arflow.documents.amounts); a CNY total also in 人民币大写.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from arflow.documents.amounts import amount, amount_in_words
from arflow.money import parse_decimal
from dunning.domain import DEFAULT_LANGUAGE, LANGUAGES

TEMPLATES = Path(__file__).parent.parent / "templates"  # package data at the package root (pyproject)
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def format_money(value: Decimal | str, currency: str) -> str:
    """'CNY 1,060.00': half-up to the minor unit, thousands separated."""
    return f"{currency} {amount(parse_decimal(value), currency)}"


def format_words(value: Decimal | str, currency: str) -> str:
    """A CNY amount in 大写 without the 人民币 the template writes before it ('伍仟元整'); '' otherwise."""
    return amount_in_words(parse_decimal(value), currency) or ""


def format_date(value: date | str, language: str) -> str:
    """'2026年2月10日' in Chinese, '10 February 2026' in English."""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    if language == "zh-CN":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"  # not %B: that follows the process locale


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["money"] = format_money
_env.filters["words"] = format_words


def render_email(
    template: str, language: str, details: dict[str, Any], extra: dict[str, Any] | None = None
) -> RenderedEmail:
    """Render one message from an action's details (invoices, amounts, references).

    `extra` is the sender's own context (its bank account, its name, the invoices' hosted pages), which an
    action's details override.
    """
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    # hosted_links: invoice id -> its hosted page (delivery looks them up); none known, no link is written.
    context = {
        "hosted_links": {},
        **(extra or {}),
        **details,
        "language": language,
        "date": lambda d: format_date(d, language),
    }
    subject = _env.get_template(f"{template}.{language}.subject.txt").render(context)
    return RenderedEmail(
        subject=" ".join(subject.split()),
        text=_env.get_template(f"{template}.{language}.txt").render(context),
        html=_env.get_template(f"{template}.{language}.html").render(context),
    )


def render_sms(template: str, language: str, details: dict[str, Any], extra: dict[str, Any] | None = None) -> str:
    """One short text message, on one line."""
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    context = {**(extra or {}), **details, "language": language, "date": lambda d: format_date(d, language)}
    return " ".join(_env.get_template(f"{template}.{language}.txt").render(context).split())


def template_exists(template: str, language: str, channel: str) -> bool:
    """True when the files a channel needs exist for that template and language."""
    if "/" in template or "\\" in template or template.startswith((".", "_")):
        return False
    needed = {"email": ("subject.txt", "txt", "html"), "internal_alert": ("subject.txt", "txt", "html")}.get(
        channel, ("txt",) if channel == "sms" else ()
    )
    return all((TEMPLATES / f"{template}.{language}.{part}").is_file() for part in needed)
