"""Reading the console's HTML as a browser would: lxml, by CSS-free XPath."""

from __future__ import annotations

import re

import httpx
from console.labels import LABELS
from lxml import html


def page(response: httpx.Response) -> html.HtmlElement:
    return html.fromstring(response.text)


def text(element: html.HtmlElement, xpath: str) -> str:
    found = element.xpath(xpath)
    assert found, f"nothing at {xpath}"
    return " ".join(" ".join("".join(node.itertext()).split()) for node in found)


def csrf(response: httpx.Response) -> str:
    """The CSRF token a form on the page carries."""
    values = page(response).xpath("//input[@name='csrf_token']/@value")
    assert values, "the page has no CSRF field"
    return str(values[0])


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    start = await client.get("/")
    return await client.post("/sign-in", data={"username": username, "password": password, "csrf_token": csrf(start)})


# The groups of codes the services answer with that a person must never read as codes.
CODE_GROUPS = (
    "step",
    "policy",
    "channel",
    "case",
    "resolution",
    "promise",
    "dispute",
    "dispute_resolution",
    "action",
    "delivery",
    "statement",
    "task",
    "task_status",
    "outcome",
    "blocked",
    "severity",
    "score_reason",
    "document",
    "status",
    "role",
)


def raw_codes(element: html.HtmlElement, *, chinese: bool = True) -> list[str]:
    """The known service codes printed as they are in the page's visible text (not its attributes).

    On a Chinese page no code may show at all; on an English one, none written as a code (snake_case, UPPER).
    """
    visible = " ".join(element.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]"))
    known = {code for group in CODE_GROUPS for code in LABELS[group]}
    if not chinese:
        known = {code for code in known if "_" in code or code.isupper()}
    return sorted(set(re.findall(r"[A-Za-z][A-Za-z0-9_-]*", visible)) & known)
