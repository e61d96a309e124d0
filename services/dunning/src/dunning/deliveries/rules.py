"""Pure rules of sending an issued document: which channel and recipient, too old to send, quiet hours.

No I/O and no clock reads: callers pass the contacts and instants in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Literal

from dunning.domain import DEFAULT_LANGUAGE, LANGUAGES

DeliveryChannel = Literal["email", "sms"]

# What one SMS carries: 160 GSM 03.38 characters, or 70 UCS-2 units once any character is outside GSM's
# (any Chinese character); a longer text is sent in parts of 153 or 67, each part billed as one SMS.
GSM_SINGLE, GSM_PART, UCS2_SINGLE, UCS2_PART = 160, 153, 70, 67
# The delivery texts (templates/deliveries/*_sms.*.txt) are written to fit this many parts with a creditor name
# of up to 20 characters and a public address of up to 30 (a 22-character token): a 【signature】, the number,
# the amount, the due date and the link cannot fit one UCS-2 SMS (70).
SMS_PARTS_AT_MOST = 2
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€")  # two septets each (an escape and the character)


@dataclass(frozen=True)
class Addressee:
    """Where a document goes: the channel, the email address or phone number, and the language it is written in."""

    channel: DeliveryChannel
    recipient: str
    language: str


def _language(value: object, fallback: str) -> str:
    if value in LANGUAGES:
        return str(value)
    return fallback if fallback in LANGUAGES else DEFAULT_LANGUAGE


def _billing_first(contacts: Sequence[Mapping[str, Any]], field: str, channel: str) -> list[Mapping[str, Any]]:
    """Contacts that have `field`: billing contacts first, then those who prefer `channel` (as the reminders rank)."""
    having = [c for c in contacts if c.get(field)]
    return sorted(
        having,
        key=lambda c: (c.get("role", "billing") != "billing", c.get("preferred_channel", "email") != channel),
    )


def prefers_sms(contacts: Sequence[Mapping[str, Any]]) -> bool:
    """The customer prefers SMS: its first billing contact (else its first contact) says so and has a phone."""
    billing = [c for c in contacts if c.get("role", "billing") == "billing"] or list(contacts)
    return bool(billing) and billing[0].get("preferred_channel") == "sms" and bool(billing[0].get("phone"))


def addressee_on(
    channel: DeliveryChannel, contacts: Sequence[Mapping[str, Any]], preferred_language: str
) -> Addressee | None:
    """The contact a message of `channel` goes to (billing first), in that contact's language; None: nobody."""
    ranked = _billing_first(contacts, "email" if channel == "email" else "phone", channel)
    if not ranked:
        return None
    chosen = ranked[0]
    address = chosen["email"] if channel == "email" else chosen["phone"]
    return Addressee(channel, str(address), _language(chosen.get("language"), preferred_language))


def choose_addressee(contacts: Sequence[Mapping[str, Any]], preferred_language: str) -> Addressee | None:
    """One channel per document: SMS with the link where the customer prefers SMS, else the email with the PDF
    (the billing contact's, as reminders go); a customer with a phone and no email address gets the SMS."""
    if prefers_sms(contacts):
        return addressee_on("sms", contacts, preferred_language)
    return addressee_on("email", contacts, preferred_language) or addressee_on("sms", contacts, preferred_language)


def language_of(email: str, contacts: Sequence[Mapping[str, Any]], fallback: str) -> str:
    """The language of the contact whose address `email` is (else `fallback`: the page's it was asked on)."""
    for contact in contacts:
        if str(contact.get("email") or "").strip().lower() == email.strip().lower():
            return _language(contact.get("language"), fallback)
    return _language(fallback, DEFAULT_LANGUAGE)


def asker_on_file(email: str | None, contacts: Sequence[Mapping[str, Any]], language: str | None) -> Addressee | None:
    """The address a renewed link was asked for from, when it is still a contact's (else nobody)."""
    on_file = {str(c.get("email") or "").strip().lower() for c in contacts}
    if not email or email.strip().lower() not in on_file:
        return None
    return Addressee("email", email, language_of(email, contacts, language or DEFAULT_LANGUAGE))


def customer_language(preferred_language: str) -> str:
    """The customer's own language (a document nobody can be sent is recorded in it)."""
    return _language(preferred_language, DEFAULT_LANGUAGE)


def sms_parts(text: str) -> int:
    """How many SMS a text is sent as (GSM 03.38 when every character is in it, else UCS-2)."""
    if all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text):
        length, single, part = sum(2 if c in _GSM_EXTENDED else 1 for c in text), GSM_SINGLE, GSM_PART
    else:
        length, single, part = len(text.encode("utf-16-le")) // 2, UCS2_SINGLE, UCS2_PART
    return 1 if length <= single else -(-length // part)


def too_old(issued_at: datetime, now: datetime, max_age: timedelta) -> bool:
    """True when a document issued at `issued_at` is older than `max_age` at `now`: it is not sent.

    A consumer rebuilding from the outbox, or one catching up on a backlog longer than that, replays
    InvoiceIssued of invoices the customer already received (or that are long settled).
    """
    return now - issued_at > max_age


def quiet_until(local_now: datetime, start: time, end: time) -> datetime | None:
    """The local instant quiet hours end, when `local_now` is inside them (21:00–08:00 spans midnight); else None."""
    now = local_now.timetz().replace(tzinfo=None)
    inside = start <= now < end if start <= end else now >= start or now < end
    if not inside:
        return None
    ends = local_now.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return ends if ends > local_now else ends + timedelta(days=1)
